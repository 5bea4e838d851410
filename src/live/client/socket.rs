//! The push socket: URL from the signed response, the same User-Agent and cookies, and the
//! HTTP-200 rejection TikTok uses instead of an error status.

use reqwest::Url;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::{ConnectError, DEFAULT_COOKIE, USER_AGENT};
use crate::live::pb;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `push_server` + route params + the web client's parameters.
pub fn socket_url(response: &pb::WebcastResponse, room_id: &str) -> Result<Url, ConnectError> {
    let mut url = Url::parse(&response.push_server)
        .map_err(|e| ConnectError::SignUnavailable(format!("bad push server URL: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        let mut params: Vec<(&String, &String)> = response
            .route_params
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        params.sort();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("room_id", room_id)
            .append_pair("cursor", &response.cursor)
            .append_pair("internal_ext", &response.internal_ext)
            .append_pair("compress", "gzip")
            .append_pair("aid", "1988")
            .append_pair("app_name", "tiktok_web")
            .append_pair("device_platform", "web")
            .append_pair("identity", "audience")
            .append_pair("live_id", "12")
            .append_pair("sup_ws_ds_opt", "1")
            .append_pair("update_version_code", "2.0.0")
            .append_pair("version_code", "180800")
            .append_pair("client_enter", "1")
            .append_pair("did_rule", "3")
            .append_pair("resp_content_type", "protobuf")
            .append_pair("history_comment_count", "6")
            .append_pair("heartbeat_duration", "0")
            .append_pair("ws_direct", "0")
            // Production URLs carry a second version_code; so do we.
            .append_pair("version_code", "270000");
    }
    Ok(url)
}

pub async fn open(url: &Url, cookies: &str) -> Result<Socket, ConnectError> {
    super::ensure_crypto_provider();
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnectError::Network(format!("socket request: {e}")))?;
    let cookie = if cookies.is_empty() {
        DEFAULT_COOKIE.to_owned()
    } else {
        format!("{DEFAULT_COOKIE}; {cookies}")
    };
    let headers = request.headers_mut();
    for (name, value) in [
        ("User-Agent", USER_AGENT.to_owned()),
        ("Cookie", cookie),
        ("Origin", "https://www.tiktok.com".to_owned()),
        ("Referer", "https://www.tiktok.com/".to_owned()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
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
