//! `/ws/workspaces/{ws}/feed`: the live view of one workspace for any of its members, as JSON
//! text frames:
//! - `{"type":"event","event":{…}}`: every event (livestream status changes included);
//! - `{"type":"command","command":{…}}`: every command outcome;
//! - `{"type":"kill_switch","engaged","reason","changed_by","changed_at"}`,
//!   `{"type":"device","device_id"}`, `{"type":"rule","rule_id"}`,
//!   `{"type":"livestream","livestream_id"}`: control-state changes (re-read the state);
//! - `{"type":"trace","event_id","results":[{rule_id,matched,reason,command_id?}]}`: why each
//!   rule did or did not fire on an event, only with `?trace=1`;
//! - `{"type":"lagged","dropped":n}`: this socket fell behind and `n` frames were skipped.
//!
//! Browsers authenticate with the session cookie, and then the `Origin` must be this server
//! (a page of another site cannot borrow the cookie); other clients send `Authorization:
//! Bearer` or `x-api-key`. Tokens never travel in the URL. A client too slow to keep up loses
//! frames (and is told so), never slows the stream.

use std::time::{Duration, Instant};

use actix_web::http::header::{AUTHORIZATION, ORIGIN};
use actix_web::{FromRequest as _, HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use futures_util::StreamExt as _;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Caller;
use crate::changes::ChangeKind;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::web::csrf::origin_is_ours;
use crate::web::session;
use crate::workspaces::access::authorize;
use crate::workspaces::permissions::Action;

const QUEUE: usize = 1024;
const PING_EVERY: Duration = Duration::from_secs(10);
const SILENCE_LIMIT: Duration = Duration::from_secs(30);
const MAX_FRAME_BYTES: usize = 4 * 1024;

/// The caller: headers for programs; the session cookie for browsers, from this site only.
async fn feed_caller(req: &HttpRequest, state: &AppState) -> AppResult<Caller> {
    let headers = req.headers();
    if headers.contains_key(AUTHORIZATION) || headers.contains_key("x-api-key") {
        return Caller::extract(req).await;
    }
    let Some(session) = session::current(req, state) else {
        return Err(AppError::Unauthenticated(
            "sign in, or send Authorization: Bearer <token>".into(),
        ));
    };
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    match origin {
        Some(origin) if origin_is_ours(origin, req, &state.settings.server.public_url) => {
            Ok(session.caller())
        }
        _ => Err(AppError::forbidden(
            "a socket opened with the session cookie must come from this server's pages",
        )),
    }
}

/// Whether the socket's caller may still watch `ws`: still a member (or a live key), the
/// workspace not suspended, the access token not signed out.
async fn still_allowed(state: &AppState, caller: &Caller, ws: &str) -> AppResult<()> {
    if let Caller::User { jti, sid, .. } = caller
        && state.denylist.is_denied(jti, sid.as_deref())
    {
        return Err(AppError::Unauthenticated("signed out".into()));
    }
    authorize(state, caller, ws, Action::View).await.map(|_| ())
}

/// Close 4003: this viewer's access ended (the page shows the reason and stops).
fn access_ended(why: &AppError) -> CloseReason {
    CloseReason {
        code: CloseCode::Other(4003),
        description: Some(format!("access ended: {why}")),
    }
}

/// The workspace's live feed (WebSocket).
///
/// JSON text frames: `event` and `command` (every event and command outcome); `kill_switch`
/// (`engaged`, `reason`, `changed_by`, `changed_at`), `device` (`device_id`), `rule`
/// (`rule_id`) and `livestream` (`livestream_id`) when the control state changed; `trace`
/// (`event_id`, `results`: `rule_id`, `matched`, `reason`, `command_id`) with `?trace=1`;
/// `lagged` (`dropped`) when this socket fell behind. Browsers authenticate with the session
/// cookie and must send this server's `Origin`; programs send a bearer token or an API key.
#[utoipa::path(tag = "safety and history", params(("trace" = Option<bool>, Query, description = "`1`: also send a `trace` frame per event (why each rule fired or not)")), responses((status = 101, description = "WebSocket"), (status = 401), (status = 403, description = "cookie-authenticated from another origin"), (status = 404)), security(("bearer" = []), ("api_key" = []), ("session_cookie" = [])))]
#[get("/ws/workspaces/{ws}/feed")]
pub async fn feed(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let caller = feed_caller(&req, &state).await?;
    let wants_traces = req
        .query_string()
        .split('&')
        .any(|pair| pair == "trace=1" || pair == "trace=true");
    let access = authorize(&state, &caller, &path, Action::View).await?;
    let ws = access.workspace.id;
    let (response, mut session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| AppError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let mut stream = stream
        .max_frame_size(MAX_FRAME_BYTES)
        .aggregate_continuations();
    let watch = state.bus.watch(QUEUE);
    let (mut events, dropped_events) = (watch.events, watch.dropped);
    let mut reported_drops = 0u64;
    let mut commands = state.router.outcomes();
    let mut changes = state.changes.subscribe();
    // Tracing costs the engine work for every event: only for views that ask, while they last.
    let (trace_guard, mut traces) = if wants_traces {
        let (guard, rx) = state.traces.watch(&ws);
        (Some(guard), Some(rx))
    } else {
        (None, None)
    };
    actix_web::rt::spawn(async move {
        let mut last_heard = Instant::now();
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let close = loop {
            // Events the bus dropped for this socket: say so before the next frame.
            let dropped = dropped_events.load(std::sync::atomic::Ordering::Relaxed);
            if dropped > reported_drops {
                let lag = json!({"type": "lagged", "dropped": dropped - reported_drops});
                reported_drops = dropped;
                if session.text(lag.to_string()).await.is_err() {
                    break None;
                }
            }
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
                    Ok(_) => continue,
                    Err(RecvError::Lagged(dropped)) => json!({"type": "lagged", "dropped": dropped}),
                    Err(RecvError::Closed) => break None,
                },
                trace = async {
                    match traces.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                } => match trace {
                    Ok(t) if t.workspace_id == ws => json!({"type": "trace", "event_id": t.event_id, "results": t.results}),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(dropped)) => json!({"type": "lagged", "dropped": dropped}),
                    Err(RecvError::Closed) => break None,
                },
                change = changes.recv() => match change {
                    Ok(c) if c.workspace_id == ws => {
                        // Any control change may be this viewer's access ending: look again.
                        if let Err(why) = still_allowed(&state, &caller, &ws).await {
                            break Some(access_ended(&why));
                        }
                        if matches!(c.kind, ChangeKind::Access) {
                            continue;
                        }
                        match serde_json::to_value(&c.kind) {
                            Ok(frame) => frame,
                            Err(_) => continue,
                        }
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(dropped)) => json!({"type": "lagged", "dropped": dropped}),
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
                    // Also on a timer: a sign-out ends this socket within one ping.
                    if let Err(why) = still_allowed(&state, &caller, &ws).await {
                        break Some(access_ended(&why));
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
        drop(trace_guard);
    });
    Ok(response)
}
