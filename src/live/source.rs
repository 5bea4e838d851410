//! Where a livestream's messages come from: the real TikTok webcast, or the simulator. A source
//! runs as one task per connection attempt and reports to its actor; the actor decides about
//! retries, so a source only ever connects once and returns why it stopped.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures_util::{SinkExt as _, StreamExt as _};
use rand::Rng as _;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::auth::rate_limit::RateLimiter;
use crate::config::TiktokSettings;
use crate::live::client::identity::BrowserIdentity;
use crate::live::client::sign::SignRequest;
use crate::live::client::{ConnectError, room, sign, socket};
use crate::live::{decode, pb};
use crate::protocol::{EventKind, EventUser};

/// What a source tells its actor.
#[derive(Debug)]
pub enum SourceMsg {
    /// Connected to the room.
    Live { room_id: String },
    /// A batch from TikTok; `backlog` for the history sent at connect.
    Batch {
        response: pb::WebcastResponse,
        backlog: bool,
    },
    /// Events made up by the simulator.
    Simulated(Vec<EventKind>),
    /// The source stopped; the actor decides what is next.
    Exited(Result<(), ConnectError>),
    /// The source task panicked.
    Crashed(String),
}

/// A message from the source of one connection attempt (older attempts are ignored).
#[derive(Message)]
#[rtype(result = "()")]
pub struct FromSource {
    pub generation: u64,
    pub msg: SourceMsg,
}

#[derive(Clone)]
pub struct Sink {
    pub to: Recipient<FromSource>,
    pub generation: u64,
}

impl Sink {
    /// Delivers `msg`, waiting when the actor's mailbox is full. False when the actor is gone.
    pub async fn emit(&self, msg: SourceMsg) -> bool {
        self.to
            .send(FromSource {
                generation: self.generation,
                msg,
            })
            .await
            .is_ok()
    }
}

/// One connection to TikTok: look up the room, sign, open the socket, read until it closes.
/// `Ok(())` means the socket closed (reconnect); errors say why connecting failed.
pub async fn run_tiktok(
    settings: Arc<TiktokSettings>,
    http: reqwest::Client,
    sign_budget: Arc<RateLimiter>,
    unique_id: String,
    room_id_override: Option<String>,
    cursor: Option<String>,
    sink: Sink,
) -> Result<(), ConnectError> {
    let room_id = match room_id_override {
        Some(room_id) => room_id,
        None => match room::resolve(&http, &settings.web_url, &unique_id).await? {
            room::Room::Live { room_id } => room_id,
            room::Room::Offline => return Err(ConnectError::UserOffline),
        },
    };
    // Before spending a sign call: is the room broadcasting right now?
    if room::alive(&http, &settings.webcast_url, &room_id).await == Some(false) {
        return Err(ConnectError::UserOffline);
    }
    // Every livestream of this node signs with the same key: together they stay within its
    // budget, however many rooms flap.
    if let Err(seconds) = sign_budget.hit(settings.sign_api_key.expose()) {
        return Err(ConnectError::SignBudget {
            calls: settings.sign_calls_per_minute,
            retry_after: Duration::from_secs(seconds),
        });
    }
    let identity = BrowserIdentity::of(&settings);
    let signed = sign::sign(
        &http,
        &SignRequest::new(&settings, &room_id, cursor.as_deref()),
    )
    .await?;
    // The sign server may name the room it really signed for.
    let room_id = signed.room_id.clone().unwrap_or(room_id);
    let url = socket::socket_url(&signed.response, &room_id, &identity)?;
    let cookies = socket_cookies(&settings, &signed.cookies);
    // Open right after signing: signed URLs expire within about 30 s.
    let (mut ws, asked_period) = socket::open(&url, &cookies, &settings).await?;
    if !sink
        .emit(SourceMsg::Batch {
            response: signed.response,
            backlog: true,
        })
        .await
    {
        return Ok(());
    }
    sink.emit(SourceMsg::Live {
        room_id: room_id.clone(),
    })
    .await;

    let numeric_room: i64 = room_id.parse().unwrap_or_default();
    send(&mut ws, decode::enter_room_frame(numeric_room)).await?;
    // TikTok may ask for its own heartbeat period (`Handshake-Options`).
    let period = asked_period.unwrap_or(Duration::from_millis(settings.heartbeat_ms.max(100)));
    let mut heartbeat = tokio::time::interval(period);
    heartbeat.tick().await;
    let mut beat: u64 = 0;
    // A socket TikTok keeps open but silent looks live forever: past the stall timeout it is
    // closed, and the actor opens a new one.
    let stall = Duration::from_millis(settings.stall_timeout_ms.max(1));
    let mut heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(heard + stall) => {
                return Err(ConnectError::Stalled(stall));
            }
            frame = ws.next() => match frame {
                Some(Ok(WsMessage::Binary(bytes))) => {
                    heard = tokio::time::Instant::now();
                    if let Some(ack) = handle_frame(&bytes, &sink).await {
                        send(&mut ws, ack).await?;
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None => return Ok(()),
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(ConnectError::Network(format!("socket: {err}"))),
            },
            _ = heartbeat.tick() => {
                beat += 1;
                send(&mut ws, decode::heartbeat_frame(numeric_room.max(0).unsigned_abs(), beat)).await?;
            }
        }
    }
}

/// The socket's cookies: the data centre, the sign server's cookies, and with a logged-in
/// session the whole set a browser sends.
pub(crate) fn socket_cookies(settings: &TiktokSettings, signed: &str) -> String {
    let mut cookies = vec![format!("tt-target-idc={}", settings.target_idc)];
    cookies.extend(
        signed
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty() && !c.starts_with("tt-target-idc="))
            .map(str::to_owned),
    );
    let session = settings.session_id.expose();
    if !session.is_empty() {
        for name in ["sessionid", "sessionid_ss", "sid_tt"] {
            cookies.push(format!("{name}={session}"));
        }
    }
    cookies.join("; ")
}

async fn send(ws: &mut socket::Socket, bytes: Vec<u8>) -> Result<(), ConnectError> {
    ws.send(WsMessage::Binary(bytes.into()))
        .await
        .map_err(|e| ConnectError::Network(format!("socket send: {e}")))
}

/// Decodes one push frame, forwards its batch, and returns the ack to send if one is due.
/// Bad frames are logged and skipped: the stream keeps going.
async fn handle_frame(bytes: &[u8], sink: &Sink) -> Option<Vec<u8>> {
    let frame = match decode::decode_push_frame(bytes) {
        Ok(frame) => frame,
        Err(err) => {
            tracing::warn!(error = %err, len = bytes.len(), "skipping an undecodable push frame");
            return None;
        }
    };
    if frame.payload_type != "msg" {
        return None;
    }
    let response = match decode::response_of(&frame) {
        Ok(response) => response,
        Err(err) => {
            tracing::warn!(error = %err, log_id = frame.log_id, "skipping a push frame whose payload does not decode");
            return None;
        }
    };
    let ack = response
        .need_ack
        .then(|| decode::ack_frame(frame.log_id, &response.internal_ext));
    sink.emit(SourceMsg::Batch {
        response,
        backlog: false,
    })
    .await;
    ack
}

const SIMULATED_WORDS: [&str; 6] = ["spin", "hello", "light", "go", "wow", "camera"];

/// Made-up traffic, for trying rules without a live stream: one event every `interval_ms`.
pub async fn run_simulator(interval_ms: u64, sink: Sink) -> Result<(), ConnectError> {
    if !sink
        .emit(SourceMsg::Live {
            room_id: "simulated".into(),
        })
        .await
    {
        return Ok(());
    }
    let mut tick = tokio::time::interval(Duration::from_millis(interval_ms.max(10)));
    tick.tick().await;
    let mut viewers: i64 = 10;
    loop {
        tick.tick().await;
        let event = {
            let mut rng = rand::rng();
            let n: u32 = rng.random_range(0..1000);
            let user = EventUser {
                id: format!("{}", 7_000_000 + n),
                unique_id: format!("viewer{n}"),
                nickname: format!("Viewer {n}"),
            };
            match rng.random_range(0..10) {
                0..=4 => EventKind::Comment {
                    text: SIMULATED_WORDS[rng.random_range(0..SIMULATED_WORDS.len())].to_owned(),
                    user,
                },
                5 => EventKind::Gift {
                    gift_id: 5655,
                    gift_name: "Rose".into(),
                    diamond_count: 1,
                    repeat_count: 1,
                    total_diamonds: 1,
                    user,
                },
                6 => EventKind::Like {
                    count: 5,
                    total: i64::from(n) * 5,
                    user,
                },
                7 => EventKind::Join { user },
                8 => EventKind::Follow { user },
                _ => {
                    viewers = (viewers + rng.random_range(-3..=5)).max(1);
                    EventKind::ViewerCount {
                        viewers,
                        total_viewers: viewers * 3,
                    }
                }
            }
        };
        if !sink.emit(SourceMsg::Simulated(vec![event])).await {
            return Ok(());
        }
    }
}
