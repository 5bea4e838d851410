//! The push socket: URL from the signed response and one browser identity, the same
//! User-Agent and cookies as the HTTP calls, and the HTTP-200 rejection TikTok uses instead of
//! an error status.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::ConnectError;
use super::identity::BrowserIdentity;
use crate::config::TiktokSettings;
use crate::live::pb;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the web client always sends (`webcast-2026.md` §1.4: JS, PY and PT agree).
const WEB_CLIENT: [(&str, &str); 16] = [
    ("aid", "1988"),
    ("app_name", "tiktok_web"),
    ("device_platform", "web"),
    ("identity", "audience"),
    ("live_id", "12"),
    ("sup_ws_ds_opt", "1"),
    ("update_version_code", "2.0.0"),
    ("version_code", "270000"),
    ("client_enter", "1"),
    ("did_rule", "3"),
    ("resp_content_type", "protobuf"),
    ("history_comment_count", "6"),
    ("heartbeat_duration", "0"),
    ("ws_direct", "0"),
    ("last_rtt", "0"),
    ("compress", "gzip"),
];

/// `push_server` with the web client's parameters and the browser's, the sign server's
/// `route_params` over them, then this connection's room, cursor and `internal_ext`. Each key
/// appears once.
pub fn socket_url(
    response: &pb::WebcastResponse,
    room_id: &str,
    identity: &BrowserIdentity,
) -> Result<Url, ConnectError> {
    let mut url = Url::parse(&response.push_server)
        .map_err(|e| ConnectError::SignUnavailable(format!("bad push server URL: {e}")))?;
    let mut params: BTreeMap<String, String> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for (k, v) in WEB_CLIENT {
        params.insert(k.to_owned(), v.to_owned());
    }
    for (k, v) in identity.socket_params() {
        params.insert(k.to_owned(), v);
    }
    for (k, v) in response.route_params.iter().filter(|(_, v)| !v.is_empty()) {
        params.insert(k.clone(), v.clone());
    }
    params.insert("room_id".into(), room_id.to_owned());
    params.insert("cursor".into(), response.cursor.clone());
    params.insert("internal_ext".into(), response.internal_ext.clone());
    url.query_pairs_mut().clear().extend_pairs(params.iter());
    Ok(url)
}

/// The heartbeat period TikTok asks for in `Handshake-Options` (`ping-interval=10; …`).
pub fn ping_interval(options: &str) -> Option<Duration> {
    let value = options.split(';').find_map(|part| {
        let (name, value) = part.split_once('=')?;
        (name.trim() == "ping-interval").then(|| value.trim().parse::<u64>().ok())?
    })?;
    // Seconds, unless it can only be milliseconds.
    let period = if value > 300 {
        Duration::from_millis(value)
    } else {
        Duration::from_secs(value)
    };
    Some(period.clamp(Duration::from_secs(1), Duration::from_secs(60)))
}

/// The open socket (as the configured browser, through the configured proxy, within the
/// connect timeout), and the heartbeat period TikTok asked for, if it did.
pub async fn open(
    url: &Url,
    cookies: &str,
    settings: &TiktokSettings,
) -> Result<(Socket, Option<Duration>), ConnectError> {
    let limit = Duration::from_millis(settings.socket_connect_timeout_ms.max(1));
    tokio::time::timeout(
        limit,
        open_now(url, cookies, &settings.user_agent, &settings.proxy),
    )
    .await
    .map_err(|_| {
        ConnectError::Network(format!(
            "the push socket did not open within {} s",
            limit.as_secs()
        ))
    })?
}

async fn open_now(
    url: &Url,
    cookies: &str,
    user_agent: &str,
    proxy: &str,
) -> Result<(Socket, Option<Duration>), ConnectError> {
    super::ensure_crypto_provider();
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnectError::Network(format!("socket request: {e}")))?;
    let headers = request.headers_mut();
    for (name, value) in [
        ("User-Agent", user_agent.to_owned()),
        ("Cookie", cookies.to_owned()),
        ("Origin", "https://www.tiktok.com".to_owned()),
        ("Referer", "https://www.tiktok.com/".to_owned()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    let connected = if proxy.is_empty() {
        tokio_tungstenite::connect_async(request).await
    } else {
        let host = url.host_str().ok_or_else(|| {
            ConnectError::SignUnavailable("a push server URL without a host".into())
        })?;
        let port = url.port_or_known_default().unwrap_or(443);
        let stream = super::proxy::tunnel(proxy, host, port).await?;
        tokio_tungstenite::client_async_tls(request, stream).await
    };
    match connected {
        Ok((socket, response)) => {
            let period = response
                .headers()
                .get("handshake-options")
                .and_then(|v| v.to_str().ok())
                .and_then(ping_interval);
            Ok((socket, period))
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let reason = res
                .headers()
                .get("handshake-msg")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if res.status().as_u16() == 200 || !reason.is_empty() {
                Err(ConnectError::BlockedByTiktok(if reason.is_empty() {
                    "handshake rejected".into()
                } else {
                    reason
                }))
            } else {
                Err(ConnectError::Network(format!(
                    "socket handshake answered {}",
                    res.status()
                )))
            }
        }
        Err(err) => Err(ConnectError::Network(format!("socket: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> BrowserIdentity {
        BrowserIdentity::of(&crate::config::Settings::defaults().unwrap().tiktok)
    }

    #[test]
    fn every_key_once_the_sign_servers_over_ours() {
        let response = pb::WebcastResponse {
            push_server: "wss://webcast-ws.tiktok.com/webcast/im/ws_proxy/ws_reuse_supplement/?version_code=1".into(),
            route_params: [
                ("wrss".to_owned(), "abc".to_owned()),
                ("version_code".to_owned(), "280000".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
            .into(),
            cursor: "c-9".into(),
            internal_ext: "ext-9".into(),
            ..Default::default()
        };
        let url = socket_url(&response, "71", &identity()).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let count = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), count, "a key twice: {url}");
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("version_code"), Some("280000"));
        assert_eq!(get("wrss"), Some("abc"));
        assert_eq!(get("empty"), None);
        assert_eq!(get("room_id"), Some("71"));
        assert_eq!(get("cursor"), Some("c-9"));
        assert_eq!(get("browser_name"), Some("Mozilla"));
        assert_eq!(get("tz_name"), Some("Etc/UTC"));
    }

    #[test]
    fn the_ping_interval_tiktok_asks_for() {
        assert_eq!(
            ping_interval("ping-interval=10"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            ping_interval("a=1; ping-interval=5000"),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            ping_interval("ping-interval=0"),
            Some(Duration::from_secs(1))
        );
        assert_eq!(ping_interval("other=1"), None);
    }
}
