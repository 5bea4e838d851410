//! The sign step: `GET {sign_url}/webcast/fetch?client=livectl&room_id=…` answers a protobuf
//! `WebcastResponse` (the first batch, the push server, route params, the cursor) and the
//! cookies in `X-Set-TT-Cookie`. Signed URLs expire quickly: sign again for every connection.
//!
//! The sign server is told the browser the socket will present (`user_agent`, `platform`,
//! `client_enter`); the TikTok session only when the operator opted in, with its data centre.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message as _;

use super::ConnectError;
use crate::config::TiktokSettings;
use crate::live::pb;

pub struct Signed {
    pub response: pb::WebcastResponse,
    /// Cookies to send on the socket (`name=value; …`).
    pub cookies: String,
    /// The room the sign server says it signed for (`x-room-id`), when it says.
    pub room_id: Option<String>,
}

/// What the sign call sends about the session and the connection.
pub struct SignRequest<'a> {
    pub sign_url: &'a str,
    pub api_key: &'a str,
    pub room_id: &'a str,
    pub user_agent: &'a str,
    /// The cursor of the last batch, when resuming.
    pub cursor: Option<&'a str>,
    /// `(session_id, tt_target_idc)`, only when the operator lets the session go to the sign
    /// server.
    pub session: Option<(&'a str, &'a str)>,
}

impl<'a> SignRequest<'a> {
    /// The request the configuration makes for `room_id`: its sign server and key, its
    /// browser, and the session only when the operator lets it go to the sign server.
    pub fn new(settings: &'a TiktokSettings, room_id: &'a str, cursor: Option<&'a str>) -> Self {
        let session = settings.session_id.expose();
        SignRequest {
            sign_url: &settings.sign_url,
            api_key: settings.sign_api_key.expose(),
            room_id,
            user_agent: &settings.user_agent,
            cursor,
            session: (settings.session_to_sign_server && !session.is_empty())
                .then_some((session, settings.target_idc.as_str())),
        }
    }
}

/// How long to wait before signing again. `Retry-After` and `RateLimit-Reset` count seconds;
/// `X-RateLimit-Reset` is the time the window resets (Unix seconds, or milliseconds).
pub fn retry_after(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<Duration> {
    let number =
        |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    let wait = number("retry-after")
        .or_else(|| number("ratelimit-reset"))
        .map(Duration::from_secs)
        .or_else(|| {
            let reset = number("x-ratelimit-reset")?;
            let now_s = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
            // A timestamp in milliseconds has 13 digits.
            let reset_s = if reset > 10_000_000_000 {
                reset / 1000
            } else {
                reset
            };
            Some(Duration::from_secs(reset_s.saturating_sub(now_s)))
        })?;
    Some(wait.clamp(Duration::from_secs(1), Duration::from_secs(3600)))
}

pub async fn sign(http: &reqwest::Client, req: &SignRequest<'_>) -> Result<Signed, ConnectError> {
    let mut query: Vec<(&str, &str)> = vec![
        ("client", "livectl"),
        ("room_id", req.room_id),
        ("user_agent", req.user_agent),
        ("platform", "web"),
        ("client_enter", "true"),
    ];
    if let Some(cursor) = req.cursor.filter(|c| !c.is_empty()) {
        query.push(("cursor", cursor));
    }
    if let Some((session_id, target_idc)) = req.session {
        query.push(("session_id", session_id));
        query.push(("tt_target_idc", target_idc));
    }
    let mut request = http
        .get(format!(
            "{}/webcast/fetch",
            req.sign_url.trim_end_matches('/')
        ))
        .query(&query);
    if !req.api_key.is_empty() {
        request = request.header("x-api-key", req.api_key);
    }
    let res = request.send().await?;
    let status = res.status().as_u16();
    match status {
        200 => {}
        429 => {
            return Err(ConnectError::SignRateLimited {
                retry_after: retry_after(res.headers(), SystemTime::now()),
            });
        }
        401..=403 => {
            let body = res.text().await.unwrap_or_default();
            return Err(ConnectError::SignUnauthorized(format!(
                "HTTP {status} {}",
                body.chars().take(200).collect::<String>()
            )));
        }
        _ => return Err(ConnectError::SignUnavailable(format!("HTTP {status}"))),
    }
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let cookies = header("x-set-tt-cookie").unwrap_or_default();
    let room_id = header("x-room-id");
    let body = res.bytes().await?;
    if body.is_empty() {
        return Err(ConnectError::BlockedByTiktok(
            "the sign server got an empty answer from TikTok (detected)".into(),
        ));
    }
    let response = pb::WebcastResponse::decode(body.as_ref())
        .map_err(|e| ConnectError::SignUnavailable(format!("undecodable answer: {e}")))?;
    if response.push_server.is_empty() {
        return Err(ConnectError::SignUnavailable(
            "the answer names no push server".into(),
        ));
    }
    if response.cursor.is_empty() {
        return Err(ConnectError::SignUnavailable(
            "the answer has no cursor".into(),
        ));
    }
    if cookies.is_empty() {
        tracing::warn!("the sign server sent no X-Set-TT-Cookie; connecting without cookies");
    }
    Ok(Signed {
        response,
        cookies,
        room_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn the_reset_header_is_a_time_not_a_duration() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(
            retry_after(&headers("retry-after", "7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers("ratelimit-reset", "30"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers("x-ratelimit-reset", "1800000042"), now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            retry_after(&headers("x-ratelimit-reset", "1800000042000"), now),
            Some(Duration::from_secs(42))
        );
        // A reset in the past still waits a moment; nothing says nothing.
        assert_eq!(
            retry_after(&headers("x-ratelimit-reset", "1700000000"), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
