//! The TikTok connector end to end against the local fake: real HTTP, real protobuf frames,
//! gzip and acks, through the livestream actor to the bus.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use livectl::protocol::{Event, EventKind, StreamStatus};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::fake_tiktok::{self, FakeTiktok, ROOM_ID, chat, control_action, frame, gift, raw_frame};
use crate::helpers::{TestApp, TestUser, eventually, spawn_app_with};

struct Live {
    app: TestApp,
    fake: FakeTiktok,
    owner: TestUser,
    ws: String,
    events: mpsc::Receiver<Arc<Event>>,
}

async fn setup() -> Live {
    setup_with(|_| {}).await
}

/// [`setup`], with TikTok settings adjusted.
async fn setup_with(adjust: impl FnOnce(&mut livectl::config::TiktokSettings)) -> Live {
    let fake = FakeTiktok::start().await;
    let url = fake.url.clone();
    let app = spawn_app_with(move |s| {
        s.tiktok.web_url = url.clone();
        s.tiktok.webcast_url = url.clone();
        s.tiktok.sign_url = url;
        s.tiktok.reconnect_min_ms = 50;
        s.tiktok.reconnect_max_ms = 400;
        s.tiktok.heartbeat_ms = 100;
        adjust(&mut s.tiktok);
    })
    .await;
    let events = app.state.bus.subscribe("test", 10_000);
    let owner = app.user("streamer").await;
    let ws = app.workspace(&owner, "Live").await;
    Live {
        app,
        fake,
        owner,
        ws,
        events,
    }
}

impl Live {
    async fn create(&self, target: &str) -> String {
        let created = self
            .app
            .post(
                &format!("/workspaces/{}/livestreams", self.ws),
                &self.owner.token,
                json!({"target": target}),
            )
            .await
            .expect(201);
        assert_eq!(created["status"], "idle");
        created["id"].as_str().unwrap().to_owned()
    }

    async fn connect(&self, id: &str) {
        let answer = self
            .app
            .call(
                reqwest::Method::POST,
                &format!("/workspaces/{}/livestreams/{id}/connect", self.ws),
                Some(&self.owner.token),
                None,
            )
            .await
            .expect(202);
        assert_eq!(answer["status"], "connecting");
    }

    async fn get(&self, id: &str) -> Value {
        self.app
            .get(
                &format!("/workspaces/{}/livestreams/{id}", self.ws),
                &self.owner.token,
            )
            .await
            .expect(200)
    }

    /// Polls the livestream until `check` holds.
    async fn wait_until(&self, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let check = &check;
        eventually(what, || async move {
            let ls = self.get(id).await;
            check(&ls).then_some(ls)
        })
        .await
    }

    async fn wait_status(&self, id: &str, status: &str) -> Value {
        self.wait_until(id, status, |ls| ls["status"] == status)
            .await
    }

    /// The next event that is not a stream status.
    async fn next(&mut self) -> Arc<Event> {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(5), self.events.recv())
                .await
                .expect("an event in time")
                .expect("bus open");
            if !matches!(event.kind, EventKind::StreamStatus { .. }) {
                return event;
            }
        }
    }

    async fn next_status(&mut self) -> StreamStatus {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(5), self.events.recv())
                .await
                .expect("an event in time")
                .expect("bus open");
            if let EventKind::StreamStatus { status } = event.kind {
                return status;
            }
        }
    }

    fn no_more_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            assert!(
                matches!(event.kind, EventKind::StreamStatus { .. }),
                "unexpected {event:?}"
            );
        }
    }
}

fn text_of(event: &Event) -> &str {
    match &event.kind {
        EventKind::Comment { text, .. } => text,
        other => panic!("not a comment: {other:?}"),
    }
}

#[actix_web::test]
async fn connect_burst_acks_reconnect_dedupe_and_end() {
    let mut t = setup().await;
    t.fake
        .control
        .backlog
        .lock()
        .push(chat(1, "from before we connected"));
    let id = t.create("@Streamer").await;
    t.connect(&id).await;
    let ls = t.wait_status(&id, "live").await;
    assert_eq!(ls["room_id"], ROOM_ID);
    assert!(ls["connected_at"].is_i64());
    assert_eq!(t.next_status().await, StreamStatus::Live);
    // The socket got the enter-room frame and the sign server's cookies.
    assert_eq!(t.fake.control.enter_rooms.load(Ordering::SeqCst), 1);
    assert!(t.fake.control.cookies_seen.lock()[0].contains("ttwid=fake"));

    // A burst: comments, a like-free gift streak that ends, all in one gzip frame needing an ack.
    t.fake.control.push(frame(
        77,
        vec![
            chat(2, "spin"),
            chat(3, "hello"),
            gift(4, 9, 1, false),
            gift(5, 9, 3, true),
        ],
    ));
    let first = t.next().await;
    assert_eq!(text_of(&first), "spin", "the backlog is not replayed");
    assert_eq!(first.stream_id, id);
    assert_eq!(first.workspace_id, t.ws);
    assert!(!first.simulated);
    assert_eq!(text_of(&*t.next().await).to_owned(), "hello");
    let rose = t.next().await;
    match &rose.kind {
        EventKind::Gift {
            gift_name,
            repeat_count,
            total_diamonds,
            user,
            ..
        } => {
            assert_eq!(
                (gift_name.as_str(), *repeat_count, *total_diamonds),
                ("Rose", 3, 3)
            );
            assert_eq!(user.unique_id, "viewer9");
        }
        other => panic!("{other:?}"),
    }
    // The gift went into the catalogue, with its price and picture.
    let catalogue = crate::helpers::eventually("the rose in the gift catalogue", || async {
        let gifts = t.app.get("/gifts", &t.owner.token).await.expect(200);
        gifts
            .as_array()
            .and_then(|g| g.iter().find(|g| g["name"] == "Rose").cloned())
    })
    .await;
    assert_eq!(catalogue["gift_id"], 5655);
    assert_eq!(catalogue["diamond_count"], 1);
    assert!(
        catalogue["image_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://p16-webcast.tiktokcdn.com/")),
        "{catalogue}"
    );
    for _ in 0..100 {
        if t.fake.control.acks.lock().contains(&77) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        t.fake.control.acks.lock().contains(&77),
        "need_ack frames are acked with their log_id"
    );
    assert!(
        t.fake.control.heartbeats.load(Ordering::SeqCst) >= 1 || {
            tokio::time::sleep(Duration::from_millis(250)).await;
            t.fake.control.heartbeats.load(Ordering::SeqCst) >= 1
        }
    );

    // TikTok drops the socket: the actor re-signs and reconnects.
    t.fake.control.drop_sockets();
    assert_eq!(t.next_status().await, StreamStatus::Disconnected);
    assert_eq!(t.next_status().await, StreamStatus::Reconnecting);
    assert_eq!(t.next_status().await, StreamStatus::Live);
    assert_eq!(t.fake.control.sockets.load(Ordering::SeqCst), 2);
    assert_eq!(
        t.fake.control.sign_calls.load(Ordering::SeqCst),
        2,
        "signed again for the new socket"
    );
    // The reconnect backlog repeats old messages: they do not fire twice.
    t.fake.control.push(frame(
        78,
        vec![chat(2, "spin"), chat(3, "hello"), chat(6, "fresh")],
    ));
    assert_eq!(text_of(&*t.next().await).to_owned(), "fresh");

    let stats = t
        .wait_until(&id, "counters", |ls| ls["stats"]["comments"] == 3)
        .await;
    assert_eq!(stats["stats"]["gifts"], 1);
    assert_eq!(stats["stats"]["diamonds"], 3);

    // Stream end (control action 3).
    t.fake.control.push(frame(79, vec![control_action(7, 3)]));
    assert_eq!(t.next_status().await, StreamStatus::Ended);
    t.wait_status(&id, "ended").await;
    t.no_more_events();
}

#[actix_web::test]
async fn pause_and_unpause_are_stream_statuses() {
    let mut t = setup().await;
    let id = t.create("pauser").await;
    t.connect(&id).await;
    assert_eq!(t.next_status().await, StreamStatus::Live);
    t.fake.control.push(frame(1, vec![control_action(10, 1)]));
    assert_eq!(t.next_status().await, StreamStatus::Paused);
    t.fake.control.push(frame(2, vec![control_action(11, 2)]));
    assert_eq!(t.next_status().await, StreamStatus::Unpaused);
    assert_eq!(t.get(&id).await["status"], "live");
}

#[actix_web::test]
async fn a_rejected_handshake_is_reported_as_blocked() {
    let t = setup().await;
    *t.fake.control.reject_handshake.lock() = Some("DEVICE_BLOCKED".into());
    let id = t.create("blocked").await;
    t.connect(&id).await;
    let ls = t
        .wait_until(&id, "blocked", |ls| {
            ls["last_error"]["code"] == "BLOCKED_BY_TIKTOK"
        })
        .await;
    assert!(
        ls["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("DEVICE_BLOCKED")
    );
    assert_ne!(ls["status"], "live");
    // Once TikTok lets us in again, the retries get through.
    *t.fake.control.reject_handshake.lock() = None;
    let ls = t.wait_status(&id, "live").await;
    assert!(ls["last_error"].is_null());
}

#[actix_web::test]
async fn a_sign_rate_limit_is_respected() {
    let t = setup().await;
    t.fake.control.sign_status.store(429, Ordering::SeqCst);
    let id = t.create("limited").await;
    t.connect(&id).await;
    t.wait_until(&id, "rate limit error", |ls| {
        ls["last_error"]["code"] == "SIGN_RATE_LIMITED"
    })
    .await;
    // Retry-After is 1 s: with a 50 ms backoff it would have tried ~20 times by now.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        t.fake.control.sign_calls.load(Ordering::SeqCst),
        1,
        "no second sign before Retry-After"
    );
    t.fake.control.sign_status.store(200, Ordering::SeqCst);
    t.wait_status(&id, "live").await;
    assert_eq!(t.fake.control.sign_calls.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn sign_errors_map_to_last_error_codes() {
    let t = setup().await;
    t.fake.control.sign_status.store(401, Ordering::SeqCst);
    let id = t.create("nokey").await;
    t.connect(&id).await;
    let ls = t
        .wait_until(&id, "unauthorized", |ls| {
            ls["last_error"]["code"] == "SIGN_UNAUTHORIZED"
        })
        .await;
    t.wait_status(&id, "error").await;
    assert_eq!(ls["room_id"], Value::Null);
    t.fake.control.sign_status.store(503, Ordering::SeqCst);
    let other = t.create("flaky").await;
    t.connect(&other).await;
    t.wait_until(&other, "unavailable", |ls| {
        ls["last_error"]["code"] == "SIGN_UNAVAILABLE"
    })
    .await;
}

#[actix_web::test]
async fn offline_and_unknown_accounts() {
    let t = setup().await;
    t.fake.control.live.store(false, Ordering::SeqCst);
    let id = t.create("sleeping").await;
    t.connect(&id).await;
    let ls = t.wait_status(&id, "offline").await;
    assert_eq!(ls["last_error"]["code"], "USER_OFFLINE");
    // It keeps looking, and connects when the account goes live.
    t.fake.control.live.store(true, Ordering::SeqCst);
    t.wait_status(&id, "live").await;

    t.fake.control.exists.store(false, Ordering::SeqCst);
    let ghost = t.create("ghost").await;
    t.connect(&ghost).await;
    let ls = t.wait_status(&ghost, "error").await;
    assert_eq!(ls["last_error"]["code"], "USER_NOT_FOUND");
}

#[actix_web::test]
async fn garbage_on_the_socket_is_skipped_and_the_stream_goes_on() {
    let mut t = setup().await;
    let id = t.create("garbage").await;
    t.connect(&id).await;
    assert_eq!(t.next_status().await, StreamStatus::Live);
    let control = t.fake.control.clone();
    // Random bytes, a truncated frame, bad gzip, a gzip bomb, an unknown type, a broken message.
    control.push(vec![0xff, 0x00, 0x13, 0x37, 0xde, 0xad]);
    let good = frame(1, vec![chat(100, "x")]);
    control.push(good[..good.len() / 2].to_vec());
    control.push(raw_frame(2, b"\x1f\x8b\x08 not really gzip".to_vec(), true));
    let bomb = {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 64 * 1024 * 1024]).unwrap();
        gz.finish().unwrap()
    };
    assert!(
        bomb.len() < 200_000,
        "a real bomb: small outside, huge inside"
    );
    control.push(raw_frame(3, bomb, true));
    control.push(frame(
        4,
        vec![fake_tiktok::message(
            "WebcastSomethingNew",
            101,
            vec![1, 2, 3],
        )],
    ));
    control.push(frame(
        5,
        vec![fake_tiktok::message(
            "WebcastChatMessage",
            102,
            vec![0x0a, 0xff, 0xff],
        )],
    ));
    let huge = "ß".repeat(200_000);
    control.push(frame(6, vec![chat(103, &huge), chat(104, "still here")]));
    assert_eq!(text_of(&*t.next().await).len(), huge.len());
    assert_eq!(text_of(&*t.next().await).to_owned(), "still here");
    assert_eq!(t.get(&id).await["status"], "live");
    assert_eq!(
        control.sockets.load(Ordering::SeqCst),
        1,
        "no reconnect was needed"
    );
}

#[actix_web::test]
async fn a_doubtful_not_found_is_asked_again_and_a_lasting_one_is_final() {
    let t = setup_with(|s| s.transient_retries = 2).await;
    t.fake.control.exists.store(false, Ordering::SeqCst);
    let id = t.create("@maybe").await;
    t.connect(&id).await;
    // Tried again, not final: reconnecting, saying why.
    let ls = t
        .wait_until(&id, "a doubtful not-found", |ls| {
            ls["status"] == "reconnecting" && ls["last_error"]["code"] == "USER_NOT_FOUND"
        })
        .await;
    assert!(ls["last_error"]["message"].is_string());
    t.fake.control.exists.store(true, Ordering::SeqCst);
    t.wait_status(&id, "live").await;

    // Not found every time: final after the retries.
    let gone = t.create("@gone").await;
    t.fake.control.exists.store(false, Ordering::SeqCst);
    t.connect(&gone).await;
    let ls = t.wait_status(&gone, "error").await;
    assert_eq!(ls["last_error"]["code"], "USER_NOT_FOUND");
}

#[actix_web::test]
async fn a_silent_socket_is_closed_and_opened_again() {
    let t = setup_with(|s| s.stall_timeout_ms = 1_000).await;
    let id = t.create("@quiet").await;
    t.connect(&id).await;
    t.wait_status(&id, "live").await;
    let opened = std::time::Instant::now();
    // TikTok sends nothing: past the stall timeout the socket is replaced.
    for _ in 0..200 {
        if t.fake.control.sockets.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(t.fake.control.sockets.load(Ordering::SeqCst), 2);
    // Not before the stall timeout (less the time "live" took to show here).
    let replaced = opened.elapsed();
    assert!(replaced >= Duration::from_millis(700), "{replaced:?}");
    t.wait_status(&id, "live").await;
    eprintln!(
        "silent socket replaced and live again {:?} after live (stall timeout 1 s)",
        opened.elapsed()
    );
}

#[actix_web::test]
async fn a_sign_server_storm_never_goes_past_the_key_budget() {
    let t = setup_with(|s| s.sign_calls_per_minute = 2).await;
    t.fake.control.sign_status.store(429, Ordering::SeqCst);
    let first = t.create("@one").await;
    let second = t.create("@two").await;
    t.connect(&first).await;
    t.connect(&second).await;
    // Both keep trying through 429s until the budget stops them, for the rest of the minute.
    for id in [&first, &second] {
        t.wait_until(id, "the sign budget is spent", |ls| {
            ls["status"] == "reconnecting" && ls["last_error"]["code"] == "SIGN_BUDGET"
        })
        .await;
    }
    assert_eq!(t.fake.control.sign_calls.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn a_flapping_room_stops_at_its_connection_budget() {
    let t = setup_with(|s| s.connects_per_hour = 3).await;
    let id = t.create("@flappy").await;
    t.connect(&id).await;
    for n in 1..=3u64 {
        for _ in 0..200 {
            if t.fake.control.open.load(Ordering::SeqCst) == 1
                && t.fake.control.sockets.load(Ordering::SeqCst) == n
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(t.fake.control.sockets.load(Ordering::SeqCst), n);
        t.fake.control.drop_sockets();
    }
    let ls = t
        .wait_until(&id, "the connection budget is spent", |ls| {
            ls["last_error"]["code"] == "CONNECT_BUDGET"
        })
        .await;
    assert_eq!(ls["status"], "reconnecting");
    assert_eq!(t.fake.control.sockets.load(Ordering::SeqCst), 3);
}

#[actix_web::test]
async fn one_browser_identity_for_the_sign_call_and_the_socket_and_the_session_only_when_allowed() {
    let t = setup_with(|s| s.session_id = livectl::config::Secret::new("sess-1")).await;
    let id = t.create("@someone").await;
    t.connect(&id).await;
    t.wait_status(&id, "live").await;
    // The socket passed the 2026 handshake: the browser parameters, each key once, agreeing
    // with the User-Agent.
    assert_eq!(t.fake.control.identity_refusals.load(Ordering::SeqCst), 0);
    let ua = t.app.state.settings.tiktok.user_agent.clone();
    let query = t.fake.control.sign_queries.lock()[0].clone();
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["user_agent"], ua);
    assert_eq!(params["platform"], "web");
    assert_eq!(params["client_enter"], "true");
    // The session stays with livectl unless the operator lets it go to the sign server.
    assert!(!params.contains_key("session_id"), "{query}");
    // On the socket it is the whole set a logged-in browser sends.
    let cookies = t.fake.control.cookies_seen.lock()[0].clone();
    for cookie in [
        "tt-target-idc=useast1a",
        "sessionid=sess-1",
        "sessionid_ss=sess-1",
        "sid_tt=sess-1",
    ] {
        assert!(cookies.contains(cookie), "{cookies}");
    }

    let allowed = setup_with(|s| {
        s.session_id = livectl::config::Secret::new("sess-2");
        s.session_to_sign_server = true;
        s.target_idc = "eu-ttp2".into();
    })
    .await;
    let id = allowed.create("@someone").await;
    allowed.connect(&id).await;
    allowed.wait_status(&id, "live").await;
    let query = allowed.fake.control.sign_queries.lock()[0].clone();
    assert!(
        query.contains("session_id=sess-2") && query.contains("tt_target_idc=eu-ttp2"),
        "{query}"
    );
}

#[actix_web::test]
async fn an_old_room_id_without_a_live_status_is_not_live() {
    let t = setup().await;
    t.fake.control.stale_room.store(true, Ordering::SeqCst);
    let id = t.create("@ended").await;
    t.connect(&id).await;
    let ls = t.wait_status(&id, "offline").await;
    assert_eq!(ls["last_error"]["code"], "USER_OFFLINE");
    // Asked before any sign call was spent.
    assert!(t.fake.control.alive_checks.load(Ordering::SeqCst) >= 1);
    assert_eq!(t.fake.control.sign_calls.load(Ordering::SeqCst), 0);
    t.fake.control.stale_room.store(false, Ordering::SeqCst);
}

#[actix_web::test]
async fn like_totals_never_go_back_and_super_fans_and_emotes_reach_the_rules() {
    use crate::fake_tiktok::{emote, envelope, like, super_fan};
    let mut t = setup().await;
    let id = t.create("@fans").await;
    t.connect(&id).await;
    t.wait_status(&id, "live").await;
    t.fake.control.push(frame(
        90,
        vec![
            like(1, 5, 100),
            // A shard with a stale total.
            like(2, 3, 90),
            like(3, 2, 120),
            emote(4, "7001"),
            super_fan(5, 77, "ttlive_superFan_commentNotif_someoneBecameSuperFan"),
            // A Super Fan visiting is not a new one.
            super_fan(6, 78, "ttlive_superFan_commentNotif_superFanJoined"),
            envelope(7, 79, 19, 500),
            // An ordinary treasure box.
            envelope(8, 80, 1, 50),
        ],
    ));
    let mut totals = Vec::new();
    for _ in 0..3 {
        match t.next().await.kind.clone() {
            EventKind::Like { count, total, .. } => totals.push((count, total)),
            other => panic!("not a like: {other:?}"),
        }
    }
    assert_eq!(totals, [(5, 100), (3, 100), (2, 120)]);
    match t.next().await.kind.clone() {
        EventKind::Comment { text, user } => {
            assert_eq!(text, "7001");
            assert_eq!(user.unique_id, "viewer4");
        }
        other => panic!("not an emote comment: {other:?}"),
    }
    match t.next().await.kind.clone() {
        EventKind::SuperFan { user } => assert_eq!(user.unique_id, "viewer77"),
        other => panic!("not a new Super Fan: {other:?}"),
    }
    match t.next().await.kind.clone() {
        EventKind::SuperFanBox { diamonds, user } => {
            assert_eq!(diamonds, 500);
            assert_eq!(user.unique_id, "viewer79");
        }
        other => panic!("not a Super Fan box: {other:?}"),
    }
    let ls = t.get(&id).await;
    assert_eq!(ls["stats"]["likes"], 120);
    t.no_more_events();

    // Rules use the new events; "subscribe" is refused with the reason.
    crate::agents::device(&t.app, &t.owner, &t.ws, "board", &["X"]).await;
    t.app
        .post(
            &format!("/workspaces/{}/rules", t.ws),
            &t.owner.token,
            json!({"name": "fans", "when": {"event": "super_fan"}, "then": {"command": "X"}}),
        )
        .await
        .expect(201);
    let refused = t
        .app
        .post(
            &format!("/workspaces/{}/rules", t.ws),
            &t.owner.token,
            json!({"name": "subs", "when": {"event": "subscribe"}, "then": {"command": "X"}}),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
    assert!(
        refused["message"].as_str().unwrap().contains("super_fan"),
        "{refused}"
    );
}

#[actix_web::test]
async fn a_room_id_given_by_hand_skips_the_lookup() {
    let t = setup().await;
    // TikTok's lookup cannot find the account (a captcha, a renamed handle)…
    t.fake.control.exists.store(false, Ordering::SeqCst);
    let created = t
        .app
        .post(
            &format!("/workspaces/{}/livestreams", t.ws),
            &t.owner.token,
            json!({"target": "@hidden", "room_id": ROOM_ID}),
        )
        .await
        .expect(201);
    assert_eq!(created["room_id_override"], ROOM_ID);
    let id = created["id"].as_str().unwrap().to_owned();
    // …but the room is known: it connects.
    t.connect(&id).await;
    let ls = t.wait_status(&id, "live").await;
    assert_eq!(ls["room_id"], ROOM_ID);
    t.app
        .post(
            &format!("/workspaces/{}/livestreams", t.ws),
            &t.owner.token,
            json!({"target": "@other", "room_id": "12ab"}),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
}

#[actix_web::test]
async fn a_workspace_signs_with_its_own_key_and_session_which_no_one_can_read_back() {
    let t = setup_with(|s| s.sign_api_key = livectl::config::Secret::new("server-key")).await;
    let path = format!("/workspaces/{}/tiktok-credentials", t.ws);
    let none = t.app.get(&path, &t.owner.token).await.expect(200);
    assert_eq!(none["sign_api_key_set"], false);
    let set = t
        .app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&t.owner.token),
            Some(json!({"sign_api_key": "ws-key", "session_id": "ws-session"})),
        )
        .await
        .expect(200);
    assert_eq!(set["sign_api_key_set"], true);
    assert_eq!(set["session_id_set"], true);
    assert!(!set.to_string().contains("ws-key") && !set.to_string().contains("ws-session"));
    // Only the owner: an admin may manage livestreams, not the workspace's secrets.
    let admin = t.app.user("admin").await;
    t.app.add_member(&t.ws, &t.owner, &admin, "admin").await;
    t.app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&admin.token),
            Some(json!({"sign_api_key": "x"})),
        )
        .await
        .expect_error(403, "FORBIDDEN");

    let id = t.create("@someone").await;
    t.connect(&id).await;
    t.wait_status(&id, "live").await;
    assert_eq!(t.fake.control.sign_keys.lock()[0], "ws-key");
    let cookies = t.fake.control.cookies_seen.lock()[0].clone();
    assert!(cookies.contains("sessionid=ws-session"), "{cookies}");
    assert!(!t.fake.control.sign_queries.lock()[0].contains("cursor="));

    // Cleared: the server's key again, from the next connection.
    t.app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&t.owner.token),
            Some(json!({"sign_api_key": null})),
        )
        .await
        .expect(200);
    t.fake.control.drop_sockets();
    for _ in 0..200 {
        if t.fake.control.sign_keys.lock().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(t.fake.control.sign_keys.lock()[1], "server-key");
    // The reconnection resumes where the last batch left off.
    let resumed = t.fake.control.sign_queries.lock()[1].clone();
    assert!(resumed.contains("cursor=c-1"), "{resumed}");
    t.app
        .call(reqwest::Method::DELETE, &path, Some(&t.owner.token), None)
        .await
        .expect(204);
}

#[actix_web::test]
async fn the_connector_goes_through_an_http_or_a_socks5_proxy() {
    use std::sync::atomic::Ordering::SeqCst;
    for kind in ["http", "socks5"] {
        let proxy = crate::proxy::Proxy::start(kind).await;
        let url = proxy.url.clone();
        let t = setup_with(move |s| s.proxy = url).await;
        let id = t.create("@someone").await;
        t.connect(&id).await;
        t.wait_status(&id, "live").await;
        // The push socket went through a tunnel; the room lookup, the live check and the sign
        // call went through the proxy too (as requests to an HTTP proxy, or over one more,
        // pooled, SOCKS5 tunnel).
        let requests = proxy.seen.requests.load(SeqCst);
        let tunnels = proxy.seen.tunnels.load(SeqCst);
        if kind == "http" {
            assert!(
                tunnels >= 1 && requests >= 3,
                "{kind}: {requests} requests, {tunnels} tunnels"
            );
        } else {
            assert!(tunnels >= 2, "{kind}: {tunnels} tunnels");
        }
    }
}
