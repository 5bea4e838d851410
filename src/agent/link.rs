//! One binding's link to the server: the `/ws/agent` socket (`protocols.md` §4), reconnected
//! with exponential backoff and jitter. Every command passes the [`Guard`] before it is queued
//! on the board; every command gets exactly one ack. When the server has been unreachable for
//! `safe_stop_after`, the board is sent `STOP`.

use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use rand::Rng as _;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::agent::board::{BoardHandle, BoardJob, BoardStatus, JobResult, SubmitError};
use crate::agent::guard::{Guard, Limits, MAX_DURATION_MS};
use crate::agent::journal::Journal;
use crate::agent::update::Updater;
use crate::ids::now_ms;
use crate::protocol::{Ack, AgentFrame, Command, CommandStatus, ServerFrame};

const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The server pings every 10 s; three missed pings and the link is taken as lost.
const SERVER_SILENCE: Duration = Duration::from_secs(30);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How a binding looks from the terminal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkView {
    pub server: String,
    pub device: Option<String>,
    pub last_command: Option<String>,
}

pub struct Link {
    pub name: String,
    pub url: String,
    pub token: String,
    pub board: BoardHandle,
    pub local_kill: Arc<AtomicBool>,
    pub safe_stop_after: Duration,
    /// Other bindings use this board too.
    pub shared_board: bool,
    pub view: watch::Sender<LinkView>,
    /// This binding's own limits (`agent.toml`), which the server's hello can only narrow.
    pub local_commands: Option<HashSet<String>>,
    pub local_max_duration_ms: Option<i64>,
    /// The device `agent.toml` binds this token to (pairing writes it).
    pub expected_device: Option<String>,
    pub journal: Journal,
    pub updater: Arc<Updater>,
}

enum Ended {
    Lost(String),
    /// The token is revoked or unknown: retrying cannot help.
    Refused(String),
}

impl Link {
    /// Runs until the token is refused for good, or `shutdown` fires.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = BACKOFF_MIN;
        let mut lost_at = Instant::now();
        let mut safe_stopped = false;
        loop {
            self.set_server("connecting");
            let attempt = tokio::time::timeout(CONNECT_TIMEOUT, self.connect());
            let connected = tokio::select! {
                r = self.safe_stop_while(attempt, lost_at, &mut safe_stopped) => r,
                _ = shutdown.changed() => return,
            };
            let ended = match connected {
                Ok(Ok(socket)) => {
                    backoff = BACKOFF_MIN;
                    let ended = tokio::select! {
                        e = self.session(socket) => e,
                        _ = shutdown.changed() => return,
                    };
                    lost_at = Instant::now();
                    safe_stopped = false;
                    ended
                }
                Ok(Err(ended)) => ended,
                Err(_) => Ended::Lost("connecting timed out".into()),
            };
            match ended {
                Ended::Refused(why) => {
                    tracing::error!(binding = %self.name, reason = %why, "the server refused this binding's token; it stays offline (register a new token)");
                    // A board shared with other workspaces keeps serving them (seed 003);
                    // one of this binding's alone is stopped.
                    if !self.shared_board {
                        self.board.stop("this binding's token was refused");
                    }
                    self.set_server(&format!("refused: {why}"));
                    return;
                }
                Ended::Lost(why) => {
                    let wait = jitter(backoff);
                    tracing::warn!(binding = %self.name, reason = %why, retry_in_ms = wait.as_millis() as u64, "server link lost");
                    self.set_server(&format!(
                        "offline ({why}); retry in {:.1} s",
                        wait.as_secs_f32()
                    ));
                    let pause = tokio::time::sleep(wait);
                    tokio::select! {
                        _ = self.safe_stop_while(pause, lost_at, &mut safe_stopped) => {}
                        _ = shutdown.changed() => return,
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    /// Awaits `fut`; if the server stays unreachable past the safe-stop delay meanwhile, the
    /// board is stopped (once per outage).
    async fn safe_stop_while<F: Future>(
        &self,
        fut: F,
        lost_at: Instant,
        safe_stopped: &mut bool,
    ) -> F::Output {
        let mut fut = pin!(fut);
        loop {
            let due = lost_at + self.safe_stop_after;
            tokio::select! {
                out = &mut fut => return out,
                _ = sleep_until(due), if !*safe_stopped => {
                    *safe_stopped = true;
                    self.board.stop(&format!(
                        "server unreachable for {} s",
                        self.safe_stop_after.as_secs()
                    ));
                }
            }
        }
    }

    fn set_server(&self, text: &str) {
        self.view.send_modify(|v| v.server = text.to_owned());
    }

    async fn connect(&self) -> Result<Socket, Ended> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| Ended::Refused(format!("bad server URL: {e}")))?;
        let headers = request.headers_mut();
        let bearer = format!("Bearer {}", self.token)
            .parse()
            .map_err(|_| Ended::Refused("the token has characters a header cannot carry".into()))?;
        headers.insert("authorization", bearer);
        headers.insert(
            crate::protocol::AGENT_VERSION_HEADER,
            http_value(concat!("livectl-agent/", env!("CARGO_PKG_VERSION"))),
        );
        if let Ok(platform) = crate::release::this_platform().parse() {
            headers.insert(crate::protocol::AGENT_PLATFORM_HEADER, platform);
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                let status = res.status().as_u16();
                if status == 401 {
                    Err(Ended::Refused("unknown or revoked token (401)".into()))
                } else {
                    Err(Ended::Lost(format!("the server answered {status}")))
                }
            }
            Err(err) => Err(Ended::Lost(err.to_string())),
        }
    }

    async fn session(&self, mut socket: Socket) -> Ended {
        let hello = match tokio::time::timeout(CONNECT_TIMEOUT, next_frame(&mut socket)).await {
            Ok(Ok(Some(ServerFrame::Hello {
                workspace_id,
                device_id,
                device_name,
                allowed_commands,
                max_duration_ms,
                max_commands_per_minute,
                kill_switch,
                server_time,
                update,
                ..
            }))) => (
                Limits {
                    workspace_id,
                    device_id,
                    allowed_commands: allowed_commands
                        .into_iter()
                        .filter(|c| self.local_commands.as_ref().is_none_or(|l| l.contains(c)))
                        .collect(),
                    max_duration_ms: max_duration_ms
                        .min(self.local_max_duration_ms.unwrap_or(MAX_DURATION_MS))
                        .min(MAX_DURATION_MS),
                    max_commands_per_minute,
                },
                device_name,
                (kill_switch, server_time.saturating_sub(now_ms()), update),
            ),
            Ok(Ok(Some(ServerFrame::Revoked))) => return Ended::Refused("token revoked".into()),
            Ok(Ok(_)) => return Ended::Lost("the server did not say hello".into()),
            Ok(Err(e)) => return e,
            Err(_) => return Ended::Lost("no hello from the server".into()),
        };
        let (limits, device_name, (kill, clock_offset_ms, offer)) = hello;
        if let Some(expected) = &self.expected_device
            && expected != &limits.device_id
        {
            return Ended::Refused(format!(
                "the server says this token is device {}, but agent.toml binds it to {expected}",
                limits.device_id
            ));
        }
        tracing::info!(binding = %self.name, device_id = %limits.device_id, device = %device_name, workspace_id = %limits.workspace_id, kill_switch = kill, "connected to the server");
        self.view.send_modify(|v| {
            v.server = "connected".into();
            v.device = Some(format!("{device_name} ({})", limits.device_id));
        });
        let remote_kill = Arc::new(AtomicBool::new(kill));
        if kill {
            self.board.stop("the workspace's kill switch is engaged");
        }
        if clock_offset_ms.abs() > 2_000 {
            tracing::warn!(binding = %self.name, clock_offset_ms, "this machine's clock differs from the server's; expiries are read on the server's clock");
        }
        let device_label = device_name.clone();
        let mut guard = Guard::new(limits, kill, clock_offset_ms);
        // This build reached the server: an update on trial is confirmed; then the offer.
        self.updater.connected();
        let mut update_state = self.updater.state();
        update_state.mark_changed();
        self.updater.offered(offer);
        let (acks_tx, mut acks) = mpsc::unbounded_channel::<Ack>();
        let mut board_status = self.board.status();
        board_status.mark_changed();
        let mut last_heard = Instant::now();
        let mut silence = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                frame = next_frame(&mut socket) => {
                    last_heard = Instant::now();
                    match frame {
                        Ok(Some(ServerFrame::Command(cmd))) => {
                            if let Some(ack) = self.take(&mut guard, cmd, &remote_kill, &acks_tx, &device_label)
                                && let Err(e) = send_frame(&mut socket, &AgentFrame::Ack(ack)).await {
                                    return e;
                                }
                        }
                        Ok(Some(ServerFrame::Kill { engaged })) => {
                            tracing::warn!(binding = %self.name, engaged, "kill switch from the server");
                            guard.set_remote_kill(engaged);
                            remote_kill.store(engaged, Ordering::SeqCst);
                            if engaged {
                                self.board.stop("kill switch engaged on the server");
                            }
                        }
                        Ok(Some(ServerFrame::Revoked)) => return Ended::Refused("token revoked".into()),
                        Ok(Some(ServerFrame::Hello { .. })) => {}
                        Ok(None) => {}
                        Err(e) => return e,
                    }
                }
                Some(ack) = acks.recv() => {
                    if let Err(e) = send_frame(&mut socket, &AgentFrame::Ack(ack)).await {
                        return e;
                    }
                }
                changed = update_state.changed() => {
                    if changed.is_ok() {
                        let state = update_state.borrow_and_update().clone();
                        if let Err(e) = send_frame(&mut socket, &AgentFrame::Update { state }).await {
                            return e;
                        }
                    }
                }
                changed = board_status.changed() => {
                    if changed.is_err() {
                        return Ended::Lost("the board driver stopped".into());
                    }
                    let status = board_status.borrow_and_update().clone();
                    if let Err(e) = send_frame(&mut socket, &status_frame(&status)).await {
                        return e;
                    }
                }
                _ = silence.tick() => {
                    if last_heard.elapsed() > SERVER_SILENCE {
                        return Ended::Lost("the server went silent".into());
                    }
                }
            }
        }
    }

    /// Decides one command: an immediate ack when refused, else it goes to the board and its
    /// ack follows on `acks`.
    fn take(
        &self,
        guard: &mut Guard,
        cmd: Command,
        remote_kill: &Arc<AtomicBool>,
        acks: &mpsc::UnboundedSender<Ack>,
        device: &str,
    ) -> Option<Ack> {
        let local = self.local_kill.load(Ordering::SeqCst);
        if let Err(refusal) = guard.check(&cmd, now_ms(), local) {
            tracing::warn!(binding = %self.name, command_id = %cmd.id, cmd = %cmd.cmd, reason = %refusal.detail, "command refused");
            self.note(&cmd.cmd, refusal.status.as_str());
            self.journal.note(
                device,
                &cmd.cmd,
                refusal.status.as_str(),
                Some(&refusal.detail),
            );
            return Some(ack(&cmd.id, refusal.status, Some(refusal.detail)));
        }
        let (reply, answer) = oneshot::channel();
        let (local_kill, remote_kill) = (self.local_kill.clone(), remote_kill.clone());
        let job = BoardJob {
            name: cmd.cmd.clone(),
            duration_ms: u32::try_from(cmd.duration_ms).unwrap_or(0),
            params: cmd.params.clone(),
            // The board driver reads expiries on this machine's clock.
            expires_at: guard.local_time(cmd.expires_at),
            veto: Arc::new(move || {
                if local_kill.load(Ordering::SeqCst) {
                    Some("local kill switch engaged".into())
                } else if remote_kill.load(Ordering::SeqCst) {
                    Some("kill switch engaged".into())
                } else {
                    None
                }
            }),
            reply,
        };
        if let Err(err) = self.board.submit(job) {
            let (status, detail) = match err {
                SubmitError::Busy => (CommandStatus::Busy, "the board's queue is full"),
                SubmitError::Gone => (CommandStatus::Failed, "the board driver stopped"),
            };
            self.note(&cmd.cmd, status.as_str());
            self.journal
                .note(device, &cmd.cmd, status.as_str(), Some(detail));
            return Some(ack(&cmd.id, status, Some(detail.into())));
        }
        let acks = acks.clone();
        let view = self.view.clone();
        let journal = self.journal.clone();
        let device = device.to_owned();
        let started = Instant::now();
        tokio::spawn(async move {
            let result = answer
                .await
                .unwrap_or(JobResult::Failed("the board driver stopped".into()));
            let (status, detail) = match result {
                JobResult::Done => (CommandStatus::Done, None),
                JobResult::Failed(why) => (CommandStatus::Failed, Some(why)),
                JobResult::Expired => (
                    CommandStatus::Expired,
                    Some("expired before the board was free".into()),
                ),
                JobResult::Rejected(why) => (CommandStatus::Rejected, Some(why)),
            };
            let took = started.elapsed().as_millis();
            view.send_modify(|v| {
                v.last_command = Some(format!("{} {} ({took} ms)", cmd.cmd, status.as_str()));
            });
            journal.note(&device, &cmd.cmd, status.as_str(), detail.as_deref());
            let _ = acks.send(ack(&cmd.id, status, detail));
        });
        None
    }

    fn note(&self, cmd: &str, status: &str) {
        self.view
            .send_modify(|v| v.last_command = Some(format!("{cmd} {status}")));
    }
}

fn ack(id: &str, status: CommandStatus, detail: Option<String>) -> Ack {
    Ack {
        id: id.to_owned(),
        status,
        detail,
    }
}

fn status_frame(status: &BoardStatus) -> AgentFrame {
    AgentFrame::Status {
        serial: status.serial,
        detail: status.detail.clone(),
        firmware: status.firmware.clone(),
    }
}

fn http_value(text: &'static str) -> tokio_tungstenite::tungstenite::http::HeaderValue {
    tokio_tungstenite::tungstenite::http::HeaderValue::from_static(text)
}

/// ±20 % around `base`, so many agents that lost one server do not come back in lockstep.
fn jitter(base: Duration) -> Duration {
    let factor = rand::rng().random_range(0.8..1.2);
    base.mul_f64(factor)
}

/// The next server frame; `Ok(None)` for pings and frames this agent does not know.
async fn next_frame(socket: &mut Socket) -> Result<Option<ServerFrame>, Ended> {
    match socket.next().await {
        Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerFrame>(&text) {
            Ok(frame) => Ok(Some(frame)),
            Err(err) => {
                tracing::warn!(error = %err, "ignoring a frame the agent does not understand");
                Ok(None)
            }
        },
        Some(Ok(Message::Close(frame))) => {
            let code = frame.as_ref().map(|f| u16::from(f.code));
            if code == Some(crate::protocol::REVOKED_CLOSE) {
                return Err(Ended::Refused("token revoked".into()));
            }
            Err(Ended::Lost(match frame {
                Some(f) => format!("closed by the server: {}", f.reason),
                None => "closed by the server".into(),
            }))
        }
        Some(Ok(_)) => Ok(None),
        Some(Err(err)) => Err(Ended::Lost(err.to_string())),
        None => Err(Ended::Lost("the connection closed".into())),
    }
}

async fn send_frame(socket: &mut Socket, frame: &AgentFrame) -> Result<(), Ended> {
    let text = serde_json::to_string(frame).map_err(|e| Ended::Lost(e.to_string()))?;
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|e| Ended::Lost(e.to_string()))
}
