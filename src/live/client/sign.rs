//! The sign step: `GET {sign_url}/webcast/fetch?client=livectl&room_id=…` answers a protobuf
//! `WebcastResponse` (the first batch, the push server, route params) and the cookies in
//! `X-Set-TT-Cookie`. Signed URLs expire quickly: sign again for every connection.

use std::time::Duration;

use prost::Message as _;

use super::ConnectError;
use crate::live::pb;

pub struct Signed {
    pub response: pb::WebcastResponse,
    /// Cookies to send on the socket (`name=value; …`).
    pub cookies: String,
}

/// Seconds to wait, from `Retry-After` or the rate-limit reset headers.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    ["retry-after", "ratelimit-reset", "x-ratelimit-reset"]
        .iter()
        .find_map(|h| headers.get(*h)?.to_str().ok()?.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(3600)))
}

pub async fn sign(
    http: &reqwest::Client,
    sign_url: &str,
    api_key: &str,
    room_id: &str,
    session_id: &str,
) -> Result<Signed, ConnectError> {
    let mut request = http
        .get(format!("{}/webcast/fetch", sign_url.trim_end_matches('/')))
        .query(&[("client", "livectl"), ("room_id", room_id)]);
    if !session_id.is_empty() {
        request = request.query(&[("session_id", session_id)]);
    }
    if !api_key.is_empty() {
        request = request.header("x-api-key", api_key);
    }
    let res = request.send().await?;
    let status = res.status().as_u16();
    match status {
        200 => {}
        429 => {
            return Err(ConnectError::SignRateLimited {
                retry_after: retry_after(res.headers()),
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
    let cookies = res
        .headers()
        .get("x-set-tt-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
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
    if cookies.is_empty() {
        tracing::warn!("the sign server sent no X-Set-TT-Cookie; connecting without cookies");
    }
    Ok(Signed { response, cookies })
}
