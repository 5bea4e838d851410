//! A local fake of TikTok for the connector tests: the live page (SIGI_STATE), the api-live
//! JSON, the sign endpoint (protobuf `WebcastResponse` + `X-Set-TT-Cookie`) and a push socket
//! speaking real `PushFrame`s, gzip and acks. The test steers it through [`Control`].

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use futures_util::StreamExt as _;
use livectl::live::pb;
use parking_lot::Mutex;
use prost::Message as _;
use tokio::sync::broadcast;

pub const ROOM_ID: &str = "7140000000000000001";

#[derive(Clone, Debug)]
pub enum Push {
    Frame(Vec<u8>),
    Close,
}

pub struct Control {
    pub live: AtomicBool,
    pub exists: AtomicBool,
    pub sign_status: AtomicU16,
    pub sign_calls: AtomicU64,
    pub sockets: AtomicU64,
    /// Sockets open right now.
    pub open: AtomicU64,
    pub heartbeats: AtomicU64,
    pub enter_rooms: AtomicU64,
    pub acks: Mutex<Vec<u64>>,
    pub reject_handshake: Mutex<Option<String>>,
    /// The page shows the last LIVE's room id without a status; `check_alive` says not alive.
    pub stale_room: AtomicBool,
    pub alive_checks: AtomicU64,
    /// Sockets refused for a missing or inconsistent browser identity.
    pub identity_refusals: AtomicU64,
    /// The query of every sign call.
    pub sign_queries: Mutex<Vec<String>>,
    /// The `x-api-key` of every sign call ("" without one).
    pub sign_keys: Mutex<Vec<String>>,
    pub backlog: Mutex<Vec<pb::Message>>,
    pub cookies_seen: Mutex<Vec<String>>,
    push: broadcast::Sender<Push>,
    port: AtomicU16,
}

pub struct FakeTiktok {
    pub url: String,
    pub control: Arc<Control>,
}

impl FakeTiktok {
    pub async fn start() -> FakeTiktok {
        let (push, _) = broadcast::channel(1024);
        let control = Arc::new(Control {
            live: AtomicBool::new(true),
            exists: AtomicBool::new(true),
            sign_status: AtomicU16::new(200),
            sign_calls: AtomicU64::new(0),
            sockets: AtomicU64::new(0),
            open: AtomicU64::new(0),
            heartbeats: AtomicU64::new(0),
            enter_rooms: AtomicU64::new(0),
            acks: Mutex::new(Vec::new()),
            reject_handshake: Mutex::new(None),
            stale_room: AtomicBool::new(false),
            alive_checks: AtomicU64::new(0),
            identity_refusals: AtomicU64::new(0),
            sign_queries: Mutex::new(Vec::new()),
            sign_keys: Mutex::new(Vec::new()),
            backlog: Mutex::new(Vec::new()),
            cookies_seen: Mutex::new(Vec::new()),
            push,
            port: AtomicU16::new(0),
        });
        let data = web::Data::from(control.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/@{user}/live", web::get().to(live_page))
                .route("/api-live/user/room/", web::get().to(api_room))
                .route("/webcast/room/check_alive/", web::get().to(check_alive))
                .route("/webcast/fetch", web::get().to(sign))
                .route("/ws", web::get().to(socket))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind fake");
        let port = server.addrs()[0].port();
        control.port.store(port, Ordering::SeqCst);
        actix_web::rt::spawn(server.run());
        FakeTiktok {
            url: format!("http://127.0.0.1:{port}"),
            control,
        }
    }
}

impl Control {
    /// Pushes a frame to every open socket.
    pub fn push(&self, frame: Vec<u8>) {
        let _ = self.push.send(Push::Frame(frame));
    }

    /// Drops every open socket (as TikTok does now and then).
    pub fn drop_sockets(&self) {
        let _ = self.push.send(Push::Close);
    }
}

async fn live_page(control: web::Data<Control>, path: web::Path<String>) -> HttpResponse {
    if !control.exists.load(Ordering::SeqCst) {
        return HttpResponse::Ok()
            .body("<html><script id=\"SIGI_STATE\" type=\"application/json\">{}</script></html>");
    }
    let status = if control.live.load(Ordering::SeqCst) {
        2
    } else {
        4
    };
    // A stale page: the last LIVE's room id and no status at all.
    let state = if control.stale_room.load(Ordering::SeqCst) {
        serde_json::json!({"LiveRoom": {"liveRoomUserInfo": {"user": {"roomId": ROOM_ID, "uniqueId": path.into_inner()}}}})
    } else {
        serde_json::json!({"LiveRoom": {"liveRoomUserInfo": {"user": {"roomId": ROOM_ID, "status": status, "uniqueId": path.into_inner()}}}})
    };
    HttpResponse::Ok().content_type("text/html").body(format!(
        "<html><head><script id=\"SIGI_STATE\" type=\"application/json\">{state}</script></head></html>"
    ))
}

async fn check_alive(control: web::Data<Control>) -> HttpResponse {
    control.alive_checks.fetch_add(1, Ordering::SeqCst);
    let alive = control.live.load(Ordering::SeqCst) && !control.stale_room.load(Ordering::SeqCst);
    HttpResponse::Ok()
        .json(serde_json::json!({"data": [{"alive": alive, "room_id": ROOM_ID}], "status_code": 0}))
}

async fn api_room(control: web::Data<Control>) -> HttpResponse {
    if !control.exists.load(Ordering::SeqCst) {
        return HttpResponse::Ok()
            .json(serde_json::json!({"message": "user_not_found", "statusCode": 10221}));
    }
    let status = if control.live.load(Ordering::SeqCst) {
        2
    } else {
        4
    };
    HttpResponse::Ok().json(
        serde_json::json!({"data": {"user": {"roomId": ROOM_ID}, "liveRoom": {"status": status}}}),
    )
}

async fn sign(control: web::Data<Control>, req: HttpRequest) -> HttpResponse {
    control.sign_calls.fetch_add(1, Ordering::SeqCst);
    control
        .sign_queries
        .lock()
        .push(req.query_string().to_owned());
    control.sign_keys.lock().push(
        req.headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    );
    assert!(
        req.query_string().contains(&format!("room_id={ROOM_ID}")),
        "{}",
        req.query_string()
    );
    match control.sign_status.load(Ordering::SeqCst) {
        200 => {}
        429 => {
            return HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", "1"))
                .json(serde_json::json!({"message": "rate limited", "limit_label": "rate_limit_account_day"}));
        }
        other => {
            return HttpResponse::build(
                actix_web::http::StatusCode::from_u16(other).expect("status"),
            )
            .finish();
        }
    }
    let port = control.port.load(Ordering::SeqCst);
    let response = pb::WebcastResponse {
        messages: control.backlog.lock().clone(),
        cursor: "c-1".into(),
        internal_ext: "ext-1".into(),
        push_server: format!("ws://127.0.0.1:{port}/ws"),
        route_params: [("wrss".to_owned(), "abc".to_owned())].into(),
        is_first: true,
        ..Default::default()
    };
    HttpResponse::Ok()
        .insert_header(("X-Set-TT-Cookie", "ttwid=fake; msToken=fake"))
        .content_type("application/protobuf")
        .body(response.encode_to_vec())
}

/// Why TikTok would refuse this push URL for this User-Agent, if it would.
fn identity_problem(query: &str, user_agent: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if let Some(twice) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Some(format!("{} twice", twice[0]));
    }
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    for required in [
        "browser_language",
        "browser_platform",
        "browser_name",
        "browser_version",
        "browser_online",
        "cookie_enabled",
        "tz_name",
        "screen_width",
        "screen_height",
    ] {
        if get(required).is_none() {
            return Some(format!("no {required}"));
        }
    }
    let described = format!("{}/{}", get("browser_name")?, get("browser_version")?);
    (described != user_agent).then(|| "the browser disagrees with the User-Agent".to_owned())
}

async fn socket(
    control: web::Data<Control>,
    req: HttpRequest,
    body: web::Payload,
) -> actix_web::Result<HttpResponse> {
    if let Some(reason) = control.reject_handshake.lock().clone() {
        // TikTok's way of saying no: HTTP 200 instead of 101.
        return Ok(HttpResponse::Ok()
            .insert_header(("Handshake-Status", "415"))
            .insert_header(("Handshake-Msg", reason))
            .finish());
    }
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        ua.starts_with("Mozilla/5.0"),
        "the socket must carry the browser User-Agent"
    );
    let query = req.query_string().to_owned();
    assert!(
        query.contains("wrss=abc")
            && query.contains(&format!("room_id={ROOM_ID}"))
            && query.contains("internal_ext=ext-1"),
        "{query}"
    );
    // TikTok in 2026: a push URL without the browser's description of itself, with a key
    // twice, or describing another browser than the User-Agent, is refused.
    if let Some(why) = identity_problem(&query, ua) {
        control.identity_refusals.fetch_add(1, Ordering::SeqCst);
        return Ok(HttpResponse::Ok()
            .insert_header(("Handshake-Status", "415"))
            .insert_header(("Handshake-Msg", format!("DEVICE_BLOCKED ({why})")))
            .finish());
    }
    if let Some(cookie) = req.headers().get("cookie").and_then(|v| v.to_str().ok()) {
        control.cookies_seen.lock().push(cookie.to_owned());
    }
    let (res, mut session, stream) = actix_ws::handle(&req, body)?;
    control.sockets.fetch_add(1, Ordering::SeqCst);
    let mut stream = stream.max_frame_size(1 << 24);
    let mut pushes = control.push.subscribe();
    // Counted open once it hears pushes: a test that waits for it may push at once.
    control.open.fetch_add(1, Ordering::SeqCst);
    let control = control.into_inner();
    actix_web::rt::spawn(async move {
        loop {
            tokio::select! {
                push = pushes.recv() => match push {
                    Ok(Push::Frame(bytes)) => {
                        if session.binary(bytes).await.is_err() { break; }
                    }
                    Ok(Push::Close) | Err(_) => {
                        let _ = session.close(None).await;
                        break;
                    }
                },
                msg = stream.next() => match msg {
                    Some(Ok(actix_ws::Message::Binary(bytes))) => {
                        let frame = pb::PushFrame::decode(bytes.as_ref()).expect("client frames are PushFrames");
                        match frame.payload_type.as_str() {
                            "ack" => control.acks.lock().push(frame.log_id),
                            "hb" => { control.heartbeats.fetch_add(1, Ordering::SeqCst); }
                            "im_enter_room" => {
                                let enter = pb::ImEnterRoom::decode(frame.payload.as_slice()).expect("enter room");
                                assert_eq!(enter.room_id.to_string(), ROOM_ID);
                                control.enter_rooms.fetch_add(1, Ordering::SeqCst);
                            }
                            other => panic!("unexpected frame type {other}"),
                        }
                    }
                    Some(Ok(actix_ws::Message::Ping(p))) => { let _ = session.pong(&p).await; }
                    Some(Ok(actix_ws::Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        control.open.fetch_sub(1, Ordering::SeqCst);
    });
    Ok(res)
}

// ---- message builders (synthetic data only) ------------------------------------------------

fn common(method: &str, msg_id: i64) -> pb::Common {
    pb::Common {
        method: method.into(),
        msg_id,
        room_id: 1,
        create_time: 1_763_719_200_000 + msg_id,
        display_text: None,
    }
}

pub fn viewer(n: i64) -> pb::User {
    pb::User {
        id: 6_000_000 + n,
        nickname: format!("Viewer {n}"),
        unique_id: format!("viewer{n}"),
        sec_uid: String::new(),
        id_str: String::new(),
    }
}

pub fn chat(msg_id: i64, text: &str) -> pb::Message {
    chat_at(msg_id, text, 1_763_719_200_000 + msg_id)
}

/// [`chat`], written now: a rule's command on an old comment would be refused as late.
#[allow(dead_code)] // tests/cluster.rs uses it; this binary's tests send old comments on purpose
pub fn chat_now(msg_id: i64, text: &str) -> pb::Message {
    chat_at(msg_id, text, livectl::ids::now_ms())
}

fn chat_at(msg_id: i64, text: &str, create_time: i64) -> pb::Message {
    let mut common = common("WebcastChatMessage", msg_id);
    common.create_time = create_time;
    let m = pb::ChatMessage {
        common: Some(common),
        user: Some(viewer(msg_id)),
        content: text.into(),
    };
    message("WebcastChatMessage", msg_id, m.encode_to_vec())
}

pub fn gift(msg_id: i64, user: i64, repeat_count: i32, repeat_end: bool) -> pb::Message {
    let m = pb::GiftMessage {
        common: Some(common("WebcastGiftMessage", msg_id)),
        gift_id: 5655,
        repeat_count,
        user: Some(viewer(user)),
        repeat_end: i32::from(repeat_end),
        gift: Some(pb::Gift {
            image: Some(pb::Image {
                url: vec!["https://p16-webcast.tiktokcdn.com/img/maliva/webcast-va/rose.png~tplv-obj.webp".into()],
            }),
            id: 5655,
            combo: true,
            r#type: 1,
            diamond_count: 1,
            name: "Rose".into(),
        }),
        ..Default::default()
    };
    message("WebcastGiftMessage", msg_id, m.encode_to_vec())
}

pub fn control_action(msg_id: i64, action: i64) -> pb::Message {
    let m = pb::ControlMessage {
        common: Some(common("WebcastControlMessage", msg_id)),
        action,
    };
    message("WebcastControlMessage", msg_id, m.encode_to_vec())
}

pub fn message(method: &str, msg_id: i64, payload: Vec<u8>) -> pb::Message {
    pb::Message {
        method: method.into(),
        payload,
        msg_id,
        ..Default::default()
    }
}

/// A `msg` push frame holding `messages`, gzip-compressed, asking for an ack.
pub fn frame(log_id: u64, messages: Vec<pb::Message>) -> Vec<u8> {
    let response = pb::WebcastResponse {
        messages,
        need_ack: true,
        internal_ext: format!("ext-{log_id}"),
        ..Default::default()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&response.encode_to_vec()).expect("gzip");
    raw_frame(log_id, gz.finish().expect("gzip"), true)
}

pub fn raw_frame(log_id: u64, payload: Vec<u8>, gzip: bool) -> Vec<u8> {
    let mut headers = std::collections::HashMap::new();
    if gzip {
        headers.insert("compress_type".to_owned(), "gzip".to_owned());
    }
    pb::PushFrame {
        log_id,
        headers,
        payload_encoding: "pb".into(),
        payload_type: "msg".into(),
        payload,
        ..Default::default()
    }
    .encode_to_vec()
}

pub fn like(msg_id: i64, count: i32, total: i32) -> pb::Message {
    let m = pb::LikeMessage {
        common: Some(common("WebcastLikeMessage", msg_id)),
        count,
        total,
        user: Some(viewer(msg_id)),
    };
    message("WebcastLikeMessage", msg_id, m.encode_to_vec())
}

pub fn emote(msg_id: i64, emote_id: &str) -> pb::Message {
    let m = pb::EmoteChatMessage {
        common: Some(common("WebcastEmoteChatMessage", msg_id)),
        user: Some(viewer(msg_id)),
        emote: pb::EmoteDetails {
            emote_id: emote_id.into(),
        }
        .encode_to_vec(),
    };
    message("WebcastEmoteChatMessage", msg_id, m.encode_to_vec())
}

/// Field `number` holding `inner`, as protobuf bytes.
fn nested(number: u32, inner: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::bytes::encode(number, &inner, &mut out);
    out
}

/// A Super Fan notice as TikTok sends it in 2026: the display key and the viewer nested inside
/// fields this schema does not name.
pub fn super_fan(msg_id: i64, user: i64, key: &str) -> pb::Message {
    let payload = [
        nested(1, common("WebcastBarrageMessage", msg_id).encode_to_vec()),
        nested(
            3,
            [
                nested(1, key.as_bytes().to_vec()),
                nested(5, nested(21, viewer(user).encode_to_vec())),
            ]
            .concat(),
        ),
    ]
    .concat();
    message("WebcastBarrageMessage", msg_id, payload)
}

/// An envelope (treasure box) of `business_type` (19: a Super Fan box) sent by `user`.
pub fn envelope(msg_id: i64, user: i64, business_type: i32, diamonds: i32) -> pb::Message {
    let m = pb::EnvelopeMessage {
        common: Some(common("WebcastEnvelopeMessage", msg_id)),
        envelope_info: Some(pb::EnvelopeInfo {
            envelope_id: format!("env-{msg_id}"),
            business_type,
            diamond_count: diamonds,
            people_count: 10,
        }),
        display: 1,
    };
    let payload = [m.encode_to_vec(), nested(4, viewer(user).encode_to_vec())].concat();
    message("WebcastEnvelopeMessage", msg_id, payload)
}
