//! `/ws/agent` (`protocols.md` §4): the token is checked before the upgrade; then `hello`,
//! commands out, acks and status in, a ping every 10 s, silence for 30 s closes, frames over
//! 64 KiB close. Nothing an agent sends is trusted: unknown frames and acks for commands it
//! was not sent are logged and dropped. Kill switch changes and revocations come through the
//! hub's control lane and are written before any queued command.
//!
//! A revocation can race the handshake: the token is read, the revocation commits and closes
//! every registered socket, and only then does this socket register. So the token is read
//! again once the socket is registered; a revocation after that finds it in the hub.

use std::time::{Duration, Instant};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use futures_util::StreamExt as _;

use crate::context::AppState;
use crate::devices::hub::{End, Lanes};
use crate::devices::model::{self, Transport};
use crate::error::{AppError, AppResult};
use crate::ids::now_ms;
use crate::protocol::{AgentFrame, ServerFrame};

pub const MAX_FRAME_BYTES: usize = 64 * 1024;
const PING_EVERY: Duration = Duration::from_secs(10);
const SILENCE_LIMIT: Duration = Duration::from_secs(30);
pub use crate::protocol::REVOKED_CLOSE;

/// The agent socket. Authorization: `Bearer lat_…`.
#[utoipa::path(tag = "devices", responses((status = 101, description = "WebSocket"), (status = 401, description = "missing, unknown or revoked agent token")), security(("agent_token" = [])))]
#[get("/ws/agent")]
pub async fn agent_socket(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| AppError::Unauthenticated("expected Authorization: Bearer lat_…".into()))?;
    let lookup = token.clone();
    let found = state
        .db
        .run(move |conn| model::by_token(conn, &lookup))
        .await?;
    let (device, suspended, kill) =
        found.ok_or_else(|| AppError::Unauthenticated("unknown or revoked agent token".into()))?;
    if suspended {
        return Err(AppError::WorkspaceSuspended);
    }
    let device = device.device();
    if device.transport != Transport::Agent {
        return Err(AppError::Unauthenticated(
            "this token belongs to an MQTT device: it connects to the MQTT broker, not to /ws/agent"
                .into(),
        ));
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(64).collect::<String>())
    };
    let visit = model::AgentVisit {
        version: header(crate::protocol::AGENT_VERSION_HEADER),
        platform: header(crate::protocol::AGENT_PLATFORM_HEADER)
            .filter(|p| crate::release::valid_platform(p)),
    };
    let update = crate::release::routes::offer_for(&state, visit.platform.as_deref()).await;
    let (response, mut session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| AppError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let mut stream = stream
        .max_frame_size(MAX_FRAME_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME_BYTES);

    // Recorded before the device counts as online, so whoever sees it online also sees
    // which agent version it runs.
    let seen = device.id.clone();
    if let Err(err) = state
        .db
        .run(move |conn| model::touch(conn, &seen, Some(&visit)))
        .await
    {
        tracing::warn!(error = ?err, "could not record the agent's visit");
    }
    let (connection, mut lanes) = state.hub.register(&device.id, &device.workspace_id);
    let still_valid = state
        .db
        .run(move |conn| model::by_token(conn, &token))
        .await
        .map(|found| found.is_some_and(|(_, suspended, _)| !suspended));
    if !matches!(still_valid, Ok(true)) {
        // Revoked (or suspended) while the socket was being set up; a database error fails
        // closed too.
        state.hub.end_device(&device.id, End::Revoked);
    }
    state.metrics.agents_connected.inc();
    tracing::info!(device_id = %device.id, workspace_id = %device.workspace_id, "agent connected");

    let hello = ServerFrame::Hello {
        protocol: 1,
        workspace_id: device.workspace_id.clone(),
        device_id: device.id.clone(),
        device_name: device.name.clone(),
        allowed_commands: device.allowed_commands.clone(),
        max_duration_ms: device.max_duration_ms,
        max_commands_per_minute: device.max_commands_per_minute,
        kill_switch: kill,
        server_time: now_ms(),
        update,
    };
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        let close = run(
            &mut session,
            &mut stream,
            &mut lanes,
            &state,
            &device.id,
            hello,
        )
        .await;
        state.hub.unregister(&device.id, connection);
        state.metrics.agents_connected.dec();
        tracing::info!(device_id = %device.id, reason = ?close.as_ref().map(|c| &c.description), "agent disconnected");
        let _ = session.close(close).await;
        let db = state.db.clone();
        let id = device.id.clone();
        let _ = db.run(move |conn| model::touch(conn, &id, None)).await;
    });
    Ok(response)
}

fn reason(code: CloseCode, text: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code,
        description: Some(text.to_owned()),
    })
}

async fn run(
    session: &mut actix_ws::Session,
    stream: &mut actix_ws::AggregatedMessageStream,
    lanes: &mut Lanes,
    state: &AppState,
    device_id: &str,
    hello: ServerFrame,
) -> Option<CloseReason> {
    let Ok(hello) = serde_json::to_string(&hello) else {
        return reason(CloseCode::Error, "internal error");
    };
    if session.text(hello).await.is_err() {
        return None;
    }
    let mut last_heard = Instant::now();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut kill_seq = 0;
    // A revocation that came before the hello (see the module comment) still applies.
    lanes.control.mark_changed();
    loop {
        tokio::select! {
            biased;
            changed = lanes.control.changed() => {
                let control = lanes.control.borrow_and_update().clone();
                match (changed, control.end) {
                    (Err(_), _) => return reason(CloseCode::Away, "server shutting down"),
                    (Ok(()), Some(End::Revoked)) => {
                        let _ = session.text(r#"{"type":"revoked"}"#).await;
                        return reason(CloseCode::Other(REVOKED_CLOSE), "token revoked");
                    }
                    (Ok(()), Some(End::Close(why))) => return reason(CloseCode::Policy, &why),
                    (Ok(()), Some(End::GoingAway)) => return reason(CloseCode::Away, "server shutting down"),
                    (Ok(()), None) => {}
                }
                if control.kill_seq != kill_seq {
                    kill_seq = control.kill_seq;
                    let kill = ServerFrame::Kill { engaged: control.kill_engaged };
                    let Ok(frame) = serde_json::to_string(&kill) else { continue };
                    if session.text(frame).await.is_err() {
                        return None;
                    }
                }
            }
            out = lanes.data.recv() => match out {
                Some(json) => {
                    if session.text(json.to_string()).await.is_err() {
                        return None;
                    }
                }
                None => return reason(CloseCode::Away, "server shutting down"),
            },
            msg = stream.next() => {
                last_heard = Instant::now();
                match msg {
                    Some(Ok(AggregatedMessage::Text(text))) => handle_frame(state, device_id, &text),
                    Some(Ok(AggregatedMessage::Binary(_))) => tracing::debug!(device_id, "ignoring a binary frame from an agent"),
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return None;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Close(_))) | None => return None,
                    Some(Err(actix_ws::ProtocolError::Overflow)) => {
                        tracing::warn!(device_id, "closing an agent socket: a frame over 64 KiB");
                        return reason(CloseCode::Size, "frame too large");
                    }
                    Some(Err(err)) => {
                        // Mostly an agent that vanished without a close frame (killed, cable).
                        tracing::info!(device_id, error = %err, "agent socket ended without a close frame");
                        return reason(CloseCode::Protocol, "connection lost");
                    }
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return reason(CloseCode::Away, "no answer for 30 s");
                }
                if session.ping(b"").await.is_err() {
                    return None;
                }
            }
        }
    }
}

fn handle_frame(state: &AppState, device_id: &str, text: &str) {
    match serde_json::from_str::<AgentFrame>(text) {
        Ok(AgentFrame::Ack(ack)) => state.router.ack(device_id, ack),
        Ok(AgentFrame::Status {
            serial,
            detail,
            firmware,
        }) => {
            tracing::info!(
                device_id,
                ?serial,
                detail = detail.as_deref().unwrap_or(""),
                firmware = firmware.as_deref().unwrap_or(""),
                "agent status"
            );
            let clip = |s: Option<String>| s.map(|s| s.chars().take(200).collect::<String>());
            state.hub.set_status(
                device_id,
                crate::devices::hub::AgentStatus {
                    serial,
                    detail: clip(detail),
                    firmware: clip(firmware),
                },
            );
        }
        Ok(AgentFrame::Update { state: update }) => {
            let update: String = update.chars().take(200).collect();
            tracing::info!(device_id, update = %update, "agent update state");
            let (db, id) = (state.db.clone(), device_id.to_owned());
            actix_web::rt::spawn(async move {
                if let Err(err) = db
                    .run(move |conn| model::record_update(conn, &id, &update))
                    .await
                {
                    tracing::warn!(error = ?err, "could not record the agent's update state");
                }
            });
        }
        Err(err) => {
            tracing::debug!(device_id, error = %err, "ignoring a frame an agent should not send")
        }
    }
}
