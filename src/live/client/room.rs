//! Room lookup: the `SIGI_STATE` JSON of `/@user/live` first, `api-live/user/room` second.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::{ConnectError, DEFAULT_COOKIE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Room {
    Live { room_id: String },
    Offline,
}

static SIGI_STATE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?s)<script id="SIGI_STATE"[^>]*>(.*?)</script>"#).ok());

/// TikTok status codes: 2 live, 3 paused (still connectable), anything else offline. A room id
/// alone proves nothing: an offline account keeps the id of its last LIVE. Without a status the
/// room is taken as live here, and `check_alive` decides.
fn room_from(room_id: &str, status: Option<i64>) -> Room {
    match status {
        _ if room_id.is_empty() || room_id == "0" => Room::Offline,
        Some(2 | 3) | None => Room::Live {
            room_id: room_id.to_owned(),
        },
        Some(_) => Room::Offline,
    }
}

/// Asks TikTok whether the room is broadcasting now (`webcast/room/check_alive`). `None` when
/// it does not say (the lookup's answer stands).
pub async fn alive(http: &reqwest::Client, webcast_url: &str, room_id: &str) -> Option<bool> {
    let res = http
        .get(format!(
            "{}/webcast/room/check_alive/",
            webcast_url.trim_end_matches('/')
        ))
        .query(&[("aid", "1988"), ("room_ids", room_id)])
        .header("Cookie", DEFAULT_COOKIE)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let body: Value = res.json().await.ok()?;
    body.get("data")?
        .as_array()?
        .iter()
        .find(|room| room.get("room_id").map(as_id).as_deref() == Some(room_id))
        .or_else(|| body.get("data")?.as_array()?.first())?
        .get("alive")?
        .as_bool()
}

fn as_id(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// What the page says: `Some` when it settles the question, `None` to ask the API.
fn from_page(html: &str) -> Option<Room> {
    let json = SIGI_STATE.as_ref()?.captures(html)?.get(1)?.as_str();
    let state: Value = serde_json::from_str(json).ok()?;
    let user = state.pointer("/LiveRoom/liveRoomUserInfo/user")?;
    let room_id = as_id(user.get("roomId")?);
    let status = user.get("status").and_then(Value::as_i64).or_else(|| {
        state
            .pointer("/LiveRoom/liveRoomUserInfo/liveRoom/status")
            .and_then(Value::as_i64)
    });
    Some(room_from(&room_id, status))
}

fn from_api(body: &Value) -> Result<Room, ConnectError> {
    if body.get("statusCode").and_then(Value::as_i64) == Some(4_003_110) {
        return Err(ConnectError::AgeRestricted);
    }
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if message == "user_not_found" || message == "params_error" {
        return Err(ConnectError::UserNotFound);
    }
    let data = body.get("data").ok_or(ConnectError::UserNotFound)?;
    if data.get("prompts").is_some() && data.get("user").is_none() {
        return Err(ConnectError::AgeRestricted);
    }
    let user = data.get("user").ok_or(ConnectError::UserNotFound)?;
    let room_id = user.get("roomId").map(as_id).unwrap_or_default();
    let status = data
        .pointer("/liveRoom/status")
        .and_then(Value::as_i64)
        .or_else(|| user.get("status").and_then(Value::as_i64));
    Ok(room_from(&room_id, status))
}

/// Finds the room of `unique_id` (a handle without `@`).
pub async fn resolve(
    http: &reqwest::Client,
    web_url: &str,
    unique_id: &str,
) -> Result<Room, ConnectError> {
    let base = web_url.trim_end_matches('/');
    let page = http
        .get(format!("{base}/@{unique_id}/live"))
        .header("Cookie", DEFAULT_COOKIE)
        .header("Referer", "https://www.tiktok.com/")
        .send()
        .await;
    let mut page_blocked = false;
    match page {
        Ok(res) if res.status().is_success() => {
            let html = res.text().await.unwrap_or_default();
            if let Some(room) = from_page(&html) {
                return Ok(room);
            }
            page_blocked = SIGI_STATE.as_ref().is_some_and(|re| !re.is_match(&html));
        }
        Ok(res) => {
            tracing::debug!(
                status = res.status().as_u16(),
                "live page lookup failed; asking the API"
            );
            page_blocked = res.status().as_u16() == 403;
        }
        Err(err) => tracing::debug!(error = %err, "live page lookup failed; asking the API"),
    }
    let res = http
        .get(format!("{base}/api-live/user/room/"))
        .query(&[
            ("aid", "1988"),
            ("app_name", "tiktok_web"),
            ("device_platform", "web_pc"),
            ("sourceType", "54"),
            ("uniqueId", unique_id),
        ])
        .header("Cookie", DEFAULT_COOKIE)
        .send()
        .await?;
    let status = res.status();
    let body: Value = match res.json().await {
        Ok(body) => body,
        Err(_) if page_blocked || status.as_u16() == 403 => {
            return Err(ConnectError::BlockedByTiktok(
                "TikTok answered with a captcha or block page instead of room data".into(),
            ));
        }
        Err(err) => {
            return Err(ConnectError::Network(format!(
                "room lookup answered {status}: {err}"
            )));
        }
    };
    from_api(&body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_page_state() {
        let page = r#"<html><script id="SIGI_STATE" type="application/json">{"LiveRoom":{"liveRoomUserInfo":{"user":{"roomId":"7140000000000000001","status":2}}}}</script>"#;
        assert_eq!(
            from_page(page),
            Some(Room::Live {
                room_id: "7140000000000000001".into()
            })
        );
        let offline = page.replace("\"status\":2", "\"status\":4");
        assert_eq!(from_page(&offline), Some(Room::Offline));
        // Ended (status 1 or anything but 2 and 3) with the last LIVE's id: not live.
        let stale = page.replace("\"status\":2", "\"status\":1");
        assert_eq!(from_page(&stale), Some(Room::Offline));
        assert_eq!(from_page("<html>captcha</html>"), None);
        assert_eq!(
            from_page(r#"<script id="SIGI_STATE" type="application/json">{}</script>"#),
            None
        );
    }

    #[test]
    fn reads_the_api_answer() {
        let live =
            json!({"data": {"user": {"roomId": "71", "status": 2}, "liveRoom": {"status": 2}}});
        assert_eq!(
            from_api(&live),
            Ok(Room::Live {
                room_id: "71".into()
            })
        );
        let offline = json!({"data": {"user": {"roomId": "71"}, "liveRoom": {"status": 4}}});
        assert_eq!(from_api(&offline), Ok(Room::Offline));
        assert_eq!(
            from_api(&json!({"message": "user_not_found"})),
            Err(ConnectError::UserNotFound)
        );
        assert_eq!(
            from_api(&json!({"statusCode": 4003110})),
            Err(ConnectError::AgeRestricted)
        );
        assert_eq!(
            from_api(
                &json!({"data": {"message": "Request params error", "prompts": "Request params error"}, "status_code": 10011})
            ),
            Err(ConnectError::AgeRestricted)
        );
    }
}
