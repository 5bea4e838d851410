//! `/ws/workspaces/{ws}/feed`: the live view of one workspace for any of its members: every
//! event (livestream status changes included) and every command outcome, as JSON text frames
//! `{"type":"event","event":{…}}` and `{"type":"command","command":{…}}`.
//!
//! Browsers cannot set headers on a WebSocket, so besides `Authorization: Bearer` and
//! `x-api-key` the access token may come as `?access_token=`. A client too slow to keep up
//! loses frames (counted on the bus), never slows the stream.

use std::time::{Duration, Instant};

use actix_web::{FromRequest as _, HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Caller;
use crate::auth::caller::user_from_token;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::workspaces::access::authorize;
use crate::workspaces::permissions::Action;

const QUEUE: usize = 1024;
const PING_EVERY: Duration = Duration::from_secs(10);
const SILENCE_LIMIT: Duration = Duration::from_secs(30);
const MAX_FRAME_BYTES: usize = 4 * 1024;

#[derive(Deserialize)]
struct FeedQuery {
    access_token: Option<String>,
}

/// The workspace's live feed (WebSocket).
#[utoipa::path(tag = "safety and history", params(("access_token" = Option<String>, Query, description = "for browsers, which cannot send headers on a WebSocket")), responses((status = 101, description = "WebSocket"), (status = 401), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[get("/ws/workspaces/{ws}/feed")]
pub async fn feed(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let query = web::Query::<FeedQuery>::from_query(req.query_string()).ok();
    let caller = match query.and_then(|q| q.into_inner().access_token) {
        Some(token) => user_from_token(&state, &token)?,
        None => Caller::extract(&req).await?,
    };
    let access = authorize(&state, &caller, &path, Action::View).await?;
    let ws = access.workspace.id;
    let (response, mut session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| AppError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let mut stream = stream
        .max_frame_size(MAX_FRAME_BYTES)
        .aggregate_continuations();
    let mut events = state.bus.watch(QUEUE);
    let mut commands = state.router.outcomes();
    actix_web::rt::spawn(async move {
        let mut last_heard = Instant::now();
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let close = loop {
            let frame = tokio::select! {
                event = events.recv() => match event {
                    Some(event) if event.workspace_id == ws => json!({"type": "event", "event": &*event}),
                    Some(_) => continue,
                    None => break Some(CloseReason { code: CloseCode::Away, description: Some("server shutting down".into()) }),
                },
                outcome = commands.recv() => match outcome {
                    Ok(o) if o.command.workspace_id == ws => json!({"type": "command", "command": {
                        "id": o.command.id, "device_id": o.command.device_id, "rule_id": o.command.rule_id,
                        "event_id": o.command.event_id, "cmd": o.command.cmd, "duration_ms": o.command.duration_ms,
                        "status": o.status, "detail": o.detail, "issued_at": o.command.issued_at, "acked_at": o.acked_at,
                    }}),
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break None,
                },
                msg = stream.next() => {
                    last_heard = Instant::now();
                    match msg {
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            if session.pong(&bytes).await.is_err() { break None; }
                            continue;
                        }
                        Some(Ok(AggregatedMessage::Close(_))) | None => break None,
                        Some(Err(_)) => break Some(CloseReason { code: CloseCode::Size, description: Some("frame too large".into()) }),
                        Some(Ok(_)) => continue,
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > SILENCE_LIMIT {
                        break Some(CloseReason { code: CloseCode::Away, description: Some("no answer for 30 s".into()) });
                    }
                    if session.ping(b"").await.is_err() { break None; }
                    continue;
                }
            };
            if session.text(frame.to_string()).await.is_err() {
                break None;
            }
        };
        let _ = session.close(close).await;
    });
    Ok(response)
}
