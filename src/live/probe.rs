//! `livectl live probe @user`: one connection attempt, step by step, with timings and the
//! exact failure, so a streamer can tell "TikTok says offline" from "the sign server refused
//! the key" without reading logs. Uses the server's configuration and the same client code as
//! the livestream actor.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::config::TiktokSettings;
use crate::live::client::identity::BrowserIdentity;
use crate::live::client::sign::SignRequest;
use crate::live::client::{ConnectError, http_client, room, sign, socket};
use crate::live::{decode, model::parse_target, source};

/// What a step says after its name.
fn line(out: &mut impl Write, step: &str, started: Instant, what: &str) {
    let _ = writeln!(
        out,
        "{step:<10} {what} ({} ms)",
        started.elapsed().as_millis()
    );
}

/// The failure of a step, and what it most likely means. Returns false (the probe failed).
fn failed(out: &mut impl Write, step: &str, started: Instant, err: &ConnectError) -> bool {
    line(out, step, started, &format!("FAILED {}: {err}", err.code()));
    let meaning = match err {
        ConnectError::UserNotFound => {
            "TikTok knows no such account (or answered a captcha: try again later)"
        }
        ConnectError::UserOffline => "TikTok says the account is not live right now",
        ConnectError::AgeRestricted => {
            "the LIVE is age-restricted: a logged-in adult session is needed (tiktok.session_id)"
        }
        ConnectError::SignUnauthorized(_) => {
            "the sign server refused the API key (tiktok.sign_api_key)"
        }
        ConnectError::SignRateLimited { .. } | ConnectError::SignBudget { .. } => {
            "the sign server's rate limit: wait, or use a key with a higher plan"
        }
        ConnectError::SignUnavailable(_) => "the sign server is down or answered nonsense",
        ConnectError::BlockedByTiktok(_) => {
            "TikTok refused this client (its browser identity, IP or session)"
        }
        ConnectError::Network(_) => {
            "the network: check that this machine reaches TikTok and the sign server"
        }
        ConnectError::Stalled(_) | ConnectError::ConnectBudget { .. } => "TikTok stopped sending",
    };
    let _ = writeln!(out, "verdict    {meaning}");
    false
}

/// Runs the probe, printing each step to `out`. True when messages came through.
pub async fn probe(
    settings: &TiktokSettings,
    target: &str,
    listen: Duration,
    out: &mut impl Write,
) -> bool {
    let unique_id = match parse_target(target) {
        Ok(id) => id,
        Err(err) => {
            let _ = writeln!(out, "target     {err}");
            return false;
        }
    };
    let identity = BrowserIdentity::of(settings);
    let Ok(http) = http_client(&identity.user_agent, &settings.proxy) else {
        let _ = writeln!(out, "setup      cannot build an HTTP client");
        return false;
    };
    let _ = writeln!(out, "probing    @{unique_id} as {}", identity.user_agent);

    let started = Instant::now();
    let room_id = match room::resolve(&http, &settings.web_url, &unique_id).await {
        Ok(room::Room::Live { room_id }) => {
            line(out, "lookup", started, &format!("room {room_id}"));
            room_id
        }
        Ok(room::Room::Offline) => {
            return failed(out, "lookup", started, &ConnectError::UserOffline);
        }
        Err(err) => return failed(out, "lookup", started, &err),
    };

    let started = Instant::now();
    match room::alive(&http, &settings.webcast_url, &room_id).await {
        Some(true) => line(out, "alive", started, "TikTok says the room is live"),
        Some(false) => return failed(out, "alive", started, &ConnectError::UserOffline),
        None => line(out, "alive", started, "TikTok did not say; going on"),
    }

    let started = Instant::now();
    let signed = match sign::sign(&http, &SignRequest::new(settings, &room_id, None)).await {
        Ok(signed) => signed,
        Err(err) => return failed(out, "sign", started, &err),
    };
    let push_host = reqwest::Url::parse(&signed.response.push_server)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    line(
        out,
        "sign",
        started,
        &format!(
            "push server {push_host}, {} cookie(s), {} message(s) of history",
            signed
                .cookies
                .split(';')
                .filter(|c| !c.trim().is_empty())
                .count(),
            signed.response.messages.len()
        ),
    );

    let started = Instant::now();
    let room_id = signed.room_id.clone().unwrap_or(room_id);
    let url = match socket::socket_url(&signed.response, &room_id, &identity) {
        Ok(url) => url,
        Err(err) => return failed(out, "handshake", started, &err),
    };
    let cookies = source::socket_cookies(settings, &signed.cookies);
    let (mut ws, _) = match socket::open(&url, &cookies, settings).await {
        Ok(open) => open,
        Err(err) => return failed(out, "handshake", started, &err),
    };
    line(out, "handshake", started, "socket open");

    let started = Instant::now();
    let numeric_room: i64 = room_id.parse().unwrap_or_default();
    let _ = ws
        .send(WsMessage::Binary(
            decode::enter_room_frame(numeric_room).into(),
        ))
        .await;
    let mut by_method: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + listen;
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, ws.next()).await {
        let Ok(WsMessage::Binary(bytes)) = frame else {
            continue;
        };
        let Ok(push) = decode::decode_push_frame(&bytes) else {
            continue;
        };
        if let Ok(response) = decode::response_of(&push) {
            for message in response.messages {
                *by_method.entry(message.method).or_default() += 1;
            }
            if response.need_ack {
                let ack = decode::ack_frame(push.log_id, &response.internal_ext);
                let _ = ws.send(WsMessage::Binary(ack.into())).await;
            }
        }
    }
    let total: usize = by_method.values().sum();
    let kinds: Vec<String> = by_method.iter().map(|(m, n)| format!("{m} {n}")).collect();
    line(
        out,
        "messages",
        started,
        &format!("{total} in {} s: {}", listen.as_secs(), kinds.join(", ")),
    );
    let _ = writeln!(
        out,
        "verdict    {}",
        if total > 0 {
            "connected: TikTok sends this room's messages"
        } else {
            "connected, but nothing came (a quiet room, or TikTok holds messages back)"
        }
    );
    true
}
