//! Two nodes of one installation (one database, one Redis, one JWT secret), each with its own
//! memory: a change made through one node holds on the other (`security-review.md` C1).

use std::time::{Duration, Instant};

use livectl::config::Secret;
use serde_json::{Value, json};

use crate::agents::{close_code, connect_agent, device, next_json, request, wait_command};
use crate::helpers::{TestApp, spawn_app_with, use_redis};

const SECRET: &str = "one installation shares this secret between its nodes";

/// Node A, then node B on A's database and Redis namespace.
async fn two_nodes() -> (TestApp, TestApp) {
    two_nodes_with(|_| {}).await
}

/// [`two_nodes`], both adjusted alike.
async fn two_nodes_with(adjust: impl Fn(&mut livectl::config::Settings)) -> (TestApp, TestApp) {
    let a = spawn_app_with(|s| {
        use_redis(s);
        s.auth.jwt_secret = Secret::new(SECRET);
        adjust(s);
    })
    .await;
    let shared = a.state.settings.clone();
    let b = spawn_app_with(move |s| {
        s.bus = shared.bus.clone();
        s.redis = shared.redis.clone();
        s.database.url = shared.database.url.clone();
        s.auth.jwt_secret = Secret::new(SECRET);
        adjust(s);
    })
    .await;
    (a, b)
}

/// Waits (up to 5 s) until `node` shows the device online (its agent may be on another node).
async fn online_on(node: &TestApp, token: &str, ws: &str, dev: &str) {
    for _ in 0..250 {
        let device = node
            .get(&format!("/workspaces/{ws}/devices/{dev}"), token)
            .await
            .expect(200);
        if device["online"] == true {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{dev} never showed online");
}

/// Waits (up to 5 s) until `ok` holds.
async fn eventually(what: &str, ok: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if ok() {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never: {what}");
}

/// `POST /rules/test` on `node` until its lines satisfy `ok` (up to 5 s): how a test waits
/// for a node to learn of rules changed through another. The last lines either way.
async fn tested_until(
    node: &TestApp,
    token: &str,
    ws: &str,
    probe: &Value,
    ok: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut lines = Vec::new();
    for _ in 0..250 {
        lines = node
            .post(
                &format!("/workspaces/{ws}/rules/test"),
                token,
                probe.clone(),
            )
            .await
            .expect(200)
            .as_array()
            .cloned()
            .unwrap_or_default();
        if ok(&lines) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lines
}

/// The next frame of a type, skipping others.
async fn next_of(socket: &mut crate::agents::Socket, kind: &str) -> Value {
    loop {
        let frame = next_json(socket).await.expect("socket open");
        if frame["type"] == kind {
            return frame;
        }
    }
}

#[actix_web::test]
async fn a_kill_switch_a_device_a_rule_and_a_sign_out_through_one_node_hold_on_the_other() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let ws = a.workspace(&owner, "Studio").await;
    // A device made through A is known to B's router, and its agent connects to B.
    let (dev, token) = device(&a, &owner, &ws, "Desk", &["LED_ON"]).await;
    eventually("B knows the device", || {
        b.state.router.device(&dev).is_some()
    })
    .await;
    let mut agent = connect_agent(&b, &token).await.expect("agent on B");

    // The kill switch engaged through A: B's router refuses and B's agent hears it.
    a.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": true, "reason": "through A"}),
    )
    .await
    .expect(200);
    let kill = next_of(&mut agent.socket, "kill").await;
    assert_eq!(kill["engaged"], true);
    assert!(b.state.router.kill_engaged(&ws));
    let id = b.state.router.dispatch(request(&ws, &dev, "LED_ON"));
    assert_eq!(
        wait_command(&b, &owner, &ws, &id).await["status"],
        "blocked"
    );
    // Released through A (the owner): B's agent hears that too.
    a.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": false}),
    )
    .await
    .expect(200);
    assert_eq!(next_of(&mut agent.socket, "kill").await["engaged"], false);
    assert!(!b.state.router.kill_engaged(&ws));

    // A rule disabled through A is disabled in B's engine.
    let ls = a.simulator_livestream(&owner, &ws).await;
    let rule = a
        .post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "Led", "when": {"event": "comment", "contains": "led"}, "then": {"command": "LED_ON", "duration": 100}}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.post(
        &format!("/workspaces/{ws}/rules/{rule}/disable"),
        &owner.token,
        json!({}),
    )
    .await
    .expect(200);
    // B's engine hears of it through Redis, within moments.
    let probe = json!({"livestream_id": ls, "event": {"event_type": "comment", "payload": {"text": "led"}}});
    let line_of = |lines: &[Value]| {
        lines
            .iter()
            .find(|l| l["rule_id"] == rule.as_str())
            .cloned()
            .unwrap_or(Value::Null)
    };
    let lines = tested_until(&b, &owner.token, &ws, &probe, |lines| {
        line_of(lines)["matched"] == false
    })
    .await;
    let line = line_of(&lines);
    assert_eq!(line["matched"], false, "{line}");
    assert!(
        line["reason"].as_str().unwrap().contains("disabled"),
        "{line}"
    );

    // The token revoked through A: B's agent socket is told and closed.
    a.delete(
        &format!("/workspaces/{ws}/devices/{dev}/token"),
        &owner.token,
    )
    .await
    .expect(204);
    assert_eq!(
        next_of(&mut agent.socket, "revoked").await["type"],
        "revoked"
    );
    assert_eq!(close_code(&mut agent.socket).await, Some(4001));

    // Signed out through A: the access token is refused by B.
    a.call(
        reqwest::Method::POST,
        "/auth/logout",
        Some(&owner.token),
        None,
    )
    .await
    .expect(204);
    let user = owner.token.clone();
    let mut refused = false;
    for _ in 0..100 {
        if b.get("/me", &user).await.status == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "B still accepts a token signed out through A");
}

/// A change that never reached a node (here: written straight to the database, as if the
/// message were lost) is repaired from the database within seconds.
#[actix_web::test]
async fn a_node_that_missed_a_kill_switch_repairs_it_from_the_database() {
    use diesel::prelude::*;
    use livectl::db::schema::workspaces;
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let ws = a.workspace(&owner, "Lost message").await;
    let id = ws.clone();
    a.state
        .db
        .run(move |conn| {
            diesel::update(workspaces::table.find(&id))
                .set(workspaces::kill_switch_engaged.eq(true))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    for node in [&a, &b] {
        eventually("the kill switch repaired", || {
            node.state.router.kill_engaged(&ws)
        })
        .await;
    }
}

/// A command issued on A for a device whose agent is connected to B reaches it once, and its
/// acknowledgement is recorded on A.
#[actix_web::test]
async fn a_command_issued_on_one_node_reaches_an_agent_on_the_other_once() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let ws = a.workspace(&owner, "Across").await;
    let (dev, token) = device(&a, &owner, &ws, "Desk", &["LED_ON"]).await;
    let mut agent = connect_agent(&b, &token).await.expect("agent on B");
    // A shows the device online (it is, on B).
    let mut online = false;
    for _ in 0..200 {
        let view = a
            .get(&format!("/workspaces/{ws}/devices/{dev}"), &owner.token)
            .await
            .expect(200);
        if view["online"] == true {
            online = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(online, "A never showed the device online");
    // Until A has heard B announce the device, A answers `undeliverable` (never queues).
    let mut delivered = None;
    let mut dispatched = Vec::new();
    for _ in 0..20 {
        dispatched.push(a.state.router.dispatch(request(&ws, &dev, "LED_ON")));
        if let Ok(command) = tokio::time::timeout(
            Duration::from_millis(500),
            next_of(&mut agent.socket, "command"),
        )
        .await
        {
            let id = command["id"].as_str().unwrap().to_owned();
            assert!(dispatched.contains(&id), "{command}");
            delivered = Some(id);
            break;
        }
    }
    let id = delivered.expect("A learns that B holds the device");
    crate::agents::send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": id, "status": "done", "detail": null}),
    )
    .await;
    let recorded = wait_command(&a, &owner, &ws, &id).await;
    assert_eq!(recorded["status"], "done", "{recorded}");
    // Exactly once: nothing else reached the agent.
    let more = tokio::time::timeout(
        Duration::from_millis(300),
        next_of(&mut agent.socket, "command"),
    )
    .await;
    assert!(more.is_err(), "a second command frame: {more:?}");
}

/// Failed sign-ins spread over the nodes count together: the lock-out holds on every node.
#[actix_web::test]
async fn a_guesser_spread_over_the_nodes_is_locked_out_on_all_of_them() {
    let (a, b) = two_nodes_with(|s| s.auth.login_attempts_per_account = 3).await;
    a.register("guessed@example.com").await;
    for node in [&a, &a, &b] {
        node.login_with_headers("guessed@example.com", "wrong guess", &[])
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    // A alone saw two failures: only the shared count locks it.
    a.login_with_headers("guessed@example.com", crate::helpers::PASSWORD, &[])
        .await
        .expect_error(429, "RATE_LIMITED");
}

/// One CA for the installation: a certificate issued through node A lets the device in on
/// node B's TLS listener too (the token B learnt of through the control plane).
#[actix_web::test]
async fn a_certificate_issued_by_one_node_works_on_the_other() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let ws = a.workspace(&owner, "One CA").await;
    let device = crate::mqtt::mqtt_device(&a, &owner, &ws, "Relay").await;
    let mut connected = false;
    for _ in 0..100 {
        let mut client = crate::mqtt::connect(crate::mqtt::options(
            &device.id,
            &device.id,
            &device.token,
            crate::mqtt::tls_port(&b),
            Some(&device.creds),
        ));
        if matches!(
            client.next(Duration::from_secs(5)).await,
            crate::mqtt::Seen::Connected
        ) {
            connected = true;
            break;
        }
        // B may not have heard of the token yet: try again.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(connected, "B's broker refused a certificate issued by A");
    assert_eq!(
        std::fs::read(a.data_dir.path().join("mqtt/ca.pem")).unwrap(),
        std::fs::read(b.data_dir.path().join("mqtt/ca.pem")).unwrap()
    );
}

/// Rules that fired, over both nodes, once every event delivered so far has been decided
/// (`deliveries` counts an event handed to the engines twice as two).
async fn fired_after(a: &TestApp, b: &TestApp, deliveries: u64) -> u64 {
    let m = |app: &TestApp| {
        let m = &app.state.metrics;
        // Repeats caught on the node itself never count as handled; those caught in Redis do.
        m.rule_events.get() + m.rule_events_repeated.get()
    };
    eventually("both engines took every event", || {
        m(a) + m(b) >= deliveries
    })
    .await;
    // An engine answers a message only after the events it is deciding: then its count is final.
    for node in [a, b] {
        node.state
            .rules
            .send(livectl::rules::engine::Reload("none".into()))
            .await
            .unwrap();
    }
    a.state.metrics.rule_matches.get() + b.state.metrics.rule_matches.get()
}

/// A comment from `viewer`, injected through `node`'s API.
async fn comment(node: &TestApp, token: &str, ws: &str, ls: &str, text: &str, viewer: &str) {
    let body = json!({"event_type": "comment", "payload": {"text": text, "user": {"id": viewer, "unique_id": viewer, "nickname": viewer}}});
    node.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        token,
        body,
    )
    .await
    .expect(202);
}

#[actix_web::test]
async fn cooldowns_and_counters_hold_across_nodes_and_a_taken_over_event_fires_once() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let ws = a.workspace(&owner, "Studio").await;
    let ls = a.simulator_livestream(&owner, &ws).await;
    device(&a, &owner, &ws, "Desk", &["LED_ON", "LED_OFF", "BUZZ"]).await;
    let mut rules = Vec::new();
    for body in [
        json!({"name": "every 4", "when": {"event": "comment", "equals": "count", "every": 4}, "then": {"command": "LED_ON"}}),
        json!({"name": "cooldown", "when": {"event": "comment", "equals": "cool"}, "then": {"command": "LED_OFF"}, "cooldown_ms": 60000}),
        json!({"name": "per viewer", "when": {"event": "comment", "equals": "me"}, "then": {"command": "BUZZ"}, "per_user_cooldown_ms": 60000}),
    ] {
        let made = a
            .post(&format!("/workspaces/{ws}/rules"), &owner.token, body)
            .await
            .expect(201);
        rules.push(made["id"].as_str().unwrap().to_owned());
    }
    // B's engine learns of the rules through the control plane.
    let probe =
        json!({"livestream_id": ls, "event": {"event_type": "comment", "payload": {"text": "me"}}});
    tested_until(&b, &owner.token, &ws, &probe, |lines| lines.len() == 3).await;

    // Events alternate between the nodes' APIs, and each node's engine takes some of them.
    let token = owner.token.as_str();
    for i in 0..8 {
        let (x, y) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        comment(x, token, &ws, &ls, "count", &format!("v{i}")).await;
        comment(y, token, &ws, &ls, "cool", &format!("v{i}")).await;
        comment(
            x,
            token,
            &ws,
            &ls,
            "me",
            if i < 4 { "same" } else { "other" },
        )
        .await;
    }
    // every 4 over 8 events: twice; a 60 s cooldown: once; two viewers: once each.
    assert_eq!(fired_after(&a, &b, 24).await, 2 + 1 + 2);
    let mut commands = Vec::new();
    for _ in 0..250 {
        commands = a
            .get(&format!("/workspaces/{ws}/commands?limit=100"), token)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .clone();
        if commands.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let of = |rule: &str| commands.iter().filter(|c| c["rule_id"] == rule).count();
    assert_eq!((of(&rules[0]), of(&rules[1]), of(&rules[2])), (2, 1, 2));

    // One event delivered to both nodes (as after a consumer takeover) fires once in all.
    let twice = std::sync::Arc::new(livectl::protocol::Event {
        id: "evt_taken_over".into(),
        workspace_id: ws.clone(),
        stream_id: ls.clone(),
        kind: serde_json::from_value(json!({"event_type": "comment", "payload": {"text": "me", "user": {"id": "third", "unique_id": "third", "nickname": "third"}}})).unwrap(),
        ts: livectl::ids::now_ms(),
        simulated: true,
    });
    a.state.bus.publish(twice.clone());
    b.state.bus.publish(twice);
    assert_eq!(fired_after(&a, &b, 26).await, 2 + 1 + 2 + 1);
}

/// How many livestreams a node runs.
async fn running(node: &TestApp) -> usize {
    node.state
        .live
        .send(livectl::live::registry::Count)
        .await
        .unwrap()
}

/// Waits (up to 10 s) until `node`'s API shows the livestream with `status`.
async fn shows(node: &TestApp, token: &str, ws: &str, ls: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let view = node
            .get(&format!("/workspaces/{ws}/livestreams/{ls}"), token)
            .await
            .expect(200);
        if view["status"] == status {
            return;
        }
        assert!(Instant::now() < deadline, "never {status}: {view}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_livestream_runs_on_one_node_and_moves_when_that_node_stops() {
    use std::sync::atomic::Ordering::SeqCst;
    let fake = crate::fake_tiktok::FakeTiktok::start().await;
    let url = fake.url.clone();
    let (a, b) = two_nodes_with(move |s| {
        s.tiktok.web_url = url.clone();
        s.tiktok.webcast_url = url.clone();
        s.tiktok.sign_url = url.clone();
        s.tiktok.heartbeat_ms = 100;
    })
    .await;
    let owner = a.user("owner").await;
    let token = owner.token.as_str();
    let ws = a.workspace(&owner, "Studio").await;
    let ls = a
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            token,
            json!({"target": "@someone"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let connect = |node: &TestApp, on: bool| {
        let path = format!(
            "/workspaces/{ws}/livestreams/{ls}/{}",
            if on { "connect" } else { "disconnect" }
        );
        let node = node.url(&path);
        async move {
            let answer = reqwest::Client::new()
                .post(node)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 202);
        }
    };

    // Connected through both nodes: one node runs it, with one socket at TikTok, and both
    // nodes show it live.
    connect(&b, true).await;
    connect(&a, true).await;
    eventually("one node runs it", || fake.control.open.load(SeqCst) == 1).await;
    shows(&a, token, &ws, &ls, "live").await;
    shows(&b, token, &ws, &ls, "live").await;
    assert_eq!(running(&a).await + running(&b).await, 1);
    assert_eq!(fake.control.sockets.load(SeqCst), 1);

    // Disconnected through either node: the node running it stops it.
    let holder_is_a = running(&a).await == 1;
    connect(if holder_is_a { &b } else { &a }, false).await;
    eventually("the socket closes", || fake.control.open.load(SeqCst) == 0).await;
    shows(&a, token, &ws, &ls, "idle").await;
    shows(&b, token, &ws, &ls, "idle").await;

    // Connected again; the node running it stops (SIGTERM): the other one takes it over.
    connect(&a, true).await;
    eventually("one node runs it again", || {
        fake.control.open.load(SeqCst) == 1
    })
    .await;
    let (holder, other) = if running(&a).await == 1 {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let opened = fake.control.sockets.load(SeqCst);
    let moved = Instant::now();
    holder
        .state
        .live
        .send(livectl::live::registry::StopAll)
        .await
        .unwrap();
    eventually("the other node took it", || {
        fake.control.sockets.load(SeqCst) == opened + 1 && fake.control.open.load(SeqCst) == 1
    })
    .await;
    assert!(
        moved.elapsed() < Duration::from_secs(10),
        "{:?}",
        moved.elapsed()
    );
    assert_eq!(running(other).await, 1);
    shows(holder, token, &ws, &ls, "live").await;
}

#[actix_web::test]
async fn a_device_limit_holds_for_commands_issued_on_both_nodes() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let ws = a.workspace(&owner, "Studio").await;
    let made = a
        .post(
            &format!("/workspaces/{ws}/devices"),
            &owner.token,
            json!({"name": "Desk", "transport": "agent", "allowed_commands": ["LED_ON"], "max_commands_per_minute": 3}),
        )
        .await
        .expect(201);
    let (dev, token) = (
        made["device"]["id"].as_str().unwrap().to_owned(),
        made["agent_token"].as_str().unwrap().to_owned(),
    );
    let mut agent = connect_agent(&b, &token).await.expect("agent on B");
    let limited = |node: &TestApp| {
        node.state
            .router
            .device(&dev)
            .is_some_and(|d| d.max_commands_per_minute == 3)
    };
    eventually("both nodes know the limit", || limited(&a) && limited(&b)).await;
    online_on(&a, &owner.token, &ws, &dev).await;

    // Three commands, issued on A, B and A, go through; the fourth, on B, is over the limit
    // although B itself issued only two.
    for (n, node) in [&a, &b, &a].into_iter().enumerate() {
        let id = node.state.router.dispatch(request(&ws, &dev, "LED_ON"));
        let frame = next_of(&mut agent.socket, "command").await;
        assert_eq!(frame["id"], id.as_str(), "command {n}");
        crate::agents::send_json(
            &mut agent.socket,
            json!({"type": "ack", "id": id, "status": "done"}),
        )
        .await;
    }
    let id = b.state.router.dispatch(request(&ws, &dev, "LED_ON"));
    let fourth = wait_command(&b, &owner, &ws, &id).await;
    assert_eq!(fourth["status"], "rate_limited", "{fourth}");
    assert!(
        fourth["detail"]
            .as_str()
            .unwrap()
            .contains("3 commands per minute"),
        "{fourth}"
    );
}

/// Device modes and fair shares hold across nodes: commands for one device issued on two
/// nodes take turns (`queued`), are dropped while it runs (`single`), and one viewer's
/// commands on both nodes count against one share.
#[actix_web::test]
async fn a_device_takes_turns_whichever_node_issues_its_commands() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let ws = a.workspace(&owner, "Studio").await;
    let (dev, token) = device(&a, &owner, &ws, "Claw", &["LED_ON"]).await;
    let mut agent = connect_agent(&b, &token).await.expect("agent on B");
    let set = |body: Value| {
        let (a, owner, ws, dev) = (&a, &owner, &ws, &dev);
        async move {
            a.patch(
                &format!("/workspaces/{ws}/devices/{dev}"),
                &owner.token,
                body,
            )
            .await
            .expect(200)
        }
    };
    let command = |ms: i64, viewer: Option<&str>| livectl::commands::router::Request {
        duration_ms: ms,
        viewer: viewer.map(|v| livectl::protocol::EventUser {
            id: v.into(),
            unique_id: v.into(),
            nickname: v.into(),
        }),
        ..request(&ws, &dev, "LED_ON")
    };
    online_on(&a, &owner.token, &ws, &dev).await;
    let ack = |id: Value| json!({"type": "ack", "id": id, "status": "done"});

    // Queued (the default): B's command waits for A's 800 ms.
    let before_first = Instant::now();
    a.state.router.dispatch(command(800, None));
    let first = next_of(&mut agent.socket, "command").await;
    crate::agents::send_json(&mut agent.socket, ack(first["id"].clone())).await;
    let second = b.state.router.dispatch(command(100, None));
    let frame = next_of(&mut agent.socket, "command").await;
    assert_eq!(frame["id"], second.as_str());
    assert!(
        before_first.elapsed() >= Duration::from_millis(800),
        "B's command waited for A's: {:?}",
        before_first.elapsed()
    );
    crate::agents::send_json(&mut agent.socket, ack(frame["id"].clone())).await;
    assert_eq!(
        wait_command(&b, &owner, &ws, &second).await["status"],
        "done"
    );

    // Single: while A's command runs, B's is dropped.
    set(json!({"concurrency": "single"})).await;
    let single = |node: &TestApp| {
        node.state
            .router
            .device(&dev)
            .is_some_and(|d| d.concurrency == livectl::devices::model::Concurrency::Single)
    };
    eventually("both nodes know the mode", || single(&a) && single(&b)).await;
    eventually("B's last command has run its 100 ms", || {
        b.state.router.load(&dev).busy_until <= b.state.router.now_ms()
    })
    .await;
    let running = a.state.router.dispatch(command(2_000, None));
    let frame = next_of(&mut agent.socket, "command").await;
    assert_eq!(frame["id"], running.as_str());
    crate::agents::send_json(&mut agent.socket, ack(frame["id"].clone())).await;
    let dropped = b.state.router.dispatch(command(100, None));
    let refused = wait_command(&b, &owner, &ws, &dropped).await;
    assert_eq!(refused["status"], "busy", "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains("another node"),
        "{refused}"
    );

    // One viewer's share counts what both nodes sent for them: 10 % of a minute is 6 s.
    set(json!({"concurrency": "parallel", "fair_share_pct": 10})).await;
    let parallel = |node: &TestApp| {
        node.state
            .router
            .device(&dev)
            .is_some_and(|d| d.fair_share_pct == 10)
    };
    eventually("both nodes know the share", || parallel(&a) && parallel(&b)).await;
    for node in [&a, &b] {
        let id = node.state.router.dispatch(command(3_000, Some("alice")));
        let frame = next_of(&mut agent.socket, "command").await;
        assert_eq!(frame["id"], id.as_str());
        crate::agents::send_json(&mut agent.socket, ack(frame["id"].clone())).await;
    }
    let over = a.state.router.dispatch(command(1, Some("alice")));
    let refused = wait_command(&a, &owner, &ws, &over).await;
    assert_eq!(refused["status"], "rate_limited", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("fair share 10 %"),
        "{refused}"
    );
}

/// An event injected through `node`'s API.
async fn inject(node: &TestApp, token: &str, ws: &str, ls: &str, body: Value) {
    node.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        token,
        body,
    )
    .await
    .expect(202);
}

/// A node's answer to `GET …/presets/{id}/state`.
async fn game_state(node: &TestApp, token: &str, ws: &str, id: &str) -> Value {
    node.get(&format!("/workspaces/{ws}/presets/{id}/state"), token)
        .await
        .expect(200)
}

/// Commands issued by `rule` once there are at least `n` (or after 5 s, however many).
async fn issued_at_least(node: &TestApp, token: &str, ws: &str, rule: &str, n: usize) -> usize {
    for _ in 0..250 {
        if issued_by(node, token, ws, rule).await >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    issued_by(node, token, ws, rule).await
}

/// Commands issued so far by `rule` (either node's history: one database).
async fn issued_by(node: &TestApp, token: &str, ws: &str, rule: &str) -> usize {
    node.get(&format!("/workspaces/{ws}/commands?limit=200"), token)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule_id"] == rule)
        .count()
}

/// Games count the events every node handles: a goal fills from both nodes' events and runs
/// once, a vote's window closes on one node only, and a queue's turns are the same whichever
/// node is asked.
#[actix_web::test]
async fn games_count_every_nodes_events_and_run_once() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let token = owner.token.as_str();
    let ws = a.workspace(&owner, "Games").await;
    let ls = a.simulator_livestream(&owner, &ws).await;
    let (dev, _) = device(
        &a,
        &owner,
        &ws,
        "Claw",
        &["CONFETTI", "LAMP_ON", "CAMERA", "LEFT"],
    )
    .await;
    let make = |body: Value| {
        let (a, ws) = (&a, &ws);
        async move {
            a.post(&format!("/workspaces/{ws}/presets"), token, body)
                .await
                .expect(201)
        }
    };
    let goal = make(
        json!({"kind": "goal", "name": "Likes", "unit": "likes", "target": 10,
        "device_id": dev, "command": "CONFETTI", "duration_ms": 0}),
    )
    .await;
    let vote = make(
        json!({"kind": "vote", "name": "Vote", "window_s": 2, "options": [
        {"word": "lamp", "device_id": dev, "command": "LAMP_ON", "duration_ms": 0},
        {"word": "camera", "device_id": dev, "command": "CAMERA", "duration_ms": 0}]}),
    )
    .await;
    let queue = make(
        json!({"kind": "queue", "name": "Claw", "ticket": {"gift_name": "Rose"}, "turn_s": 60,
        "controls": [{"word": "left", "device_id": dev, "command": "LEFT", "duration_ms": 0}]}),
    )
    .await;
    let probe =
        json!({"livestream_id": ls, "event": {"event_type": "comment", "payload": {"text": "x"}}});
    tested_until(&b, token, &ws, &probe, |lines| lines.len() == 5).await;
    let id = |game: &Value| game["id"].as_str().unwrap().to_owned();
    let rule = |game: &Value, i: usize| game["rule_ids"][i].as_str().unwrap().to_owned();

    // Five bursts of 2 likes, through both nodes: one goal of 10, one command.
    for i in 0..5 {
        let node = if i % 2 == 0 { &a } else { &b };
        inject(
            node,
            token,
            &ws,
            &ls,
            json!({"event_type": "like", "payload": {"count": 2, "total": 0}}),
        )
        .await;
    }
    fired_after(&a, &b, 5).await;
    let mut reached = Value::Null;
    for _ in 0..250 {
        reached = game_state(&b, token, &ws, &id(&goal)).await;
        if reached["goal"]["reached"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(reached["goal"]["reached"], 1, "{reached}");
    assert_eq!(reached["goal"]["progress"], 0, "{reached}");
    assert_eq!(
        game_state(&a, token, &ws, &id(&goal)).await["goal"],
        reached["goal"],
        "both nodes see one goal"
    );

    // Three voters through both nodes; the window closes once, on one node: one command.
    comment(&a, token, &ws, &ls, "lamp", "ann").await;
    comment(&b, token, &ws, &ls, "camera", "bo").await;
    comment(&b, token, &ws, &ls, "lamp", "cy").await;
    fired_after(&a, &b, 8).await;
    let open = game_state(&a, token, &ws, &id(&vote)).await;
    assert_eq!(open["vote"]["open"], true, "{open}");
    assert_eq!(open["vote"]["options"][0]["votes"], 2, "{open}");
    let mut closed = Value::Null;
    for _ in 0..500 {
        closed = game_state(&b, token, &ws, &id(&vote)).await;
        if closed["vote"]["last_winner"] == "lamp" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(closed["vote"]["last_winner"], "lamp", "{closed}");
    let lamp = issued_at_least(&a, token, &ws, &rule(&vote, 0), 1).await;
    assert_eq!(lamp, 1, "the winner ran once");
    assert_eq!(issued_by(&a, token, &ws, &rule(&vote, 1)).await, 0);

    // Tickets through both nodes; whose turn it is is the same on both.
    let rose = |who: &str| {
        json!({"event_type": "gift", "payload": {"gift_id": 5655, "gift_name": "Rose", "diamond_count": 1,
        "repeat_count": 1, "total_diamonds": 1, "user": {"id": who, "unique_id": who, "nickname": who}}})
    };
    inject(&a, token, &ws, &ls, rose("alice")).await;
    fired_after(&a, &b, 9).await;
    inject(&b, token, &ws, &ls, rose("bob")).await;
    fired_after(&a, &b, 10).await;
    for node in [&a, &b] {
        let state = game_state(node, token, &ws, &id(&queue)).await;
        assert_eq!(state["queue"]["turn"]["viewer"], "alice", "{state}");
        assert_eq!(state["queue"]["waiting"], json!(["bob"]), "{state}");
    }
    comment(&a, token, &ws, &ls, "left", "bob").await;
    comment(&b, token, &ws, &ls, "left", "alice").await;
    fired_after(&a, &b, 12).await;
    let left = issued_at_least(&a, token, &ws, &rule(&queue, 1), 1).await;
    assert_eq!(left, 1, "only the player's word ran");
}

/// A rising price is one price for every node: a gift too cheap after a firing on one node is
/// too cheap on the other.
#[actix_web::test]
async fn a_rising_price_is_the_same_on_every_node() {
    let (a, b) = two_nodes().await;
    let owner = a.user("owner").await;
    let token = owner.token.as_str();
    let ws = a.workspace(&owner, "Prices").await;
    let ls = a.simulator_livestream(&owner, &ws).await;
    let (dev, _) = device(&a, &owner, &ws, "Claw", &["LED_ON"]).await;
    let rule = a
        .post(
            &format!("/workspaces/{ws}/rules"),
            token,
            json!({"name": "Pricey",
            "when": {"event": "gift", "min_diamonds": 10},
            "then": {"device_id": dev, "command": "LED_ON", "duration_ms": 0},
            "price_scaling": {"step_pct": 100, "decay_s": 600}}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let probe = json!({"livestream_id": ls, "event": {"event_type": "gift", "payload": {"gift_id": 1, "gift_name": "Box", "diamond_count": 10, "repeat_count": 1, "total_diamonds": 10}}});
    tested_until(&b, token, &ws, &probe, |lines| lines.len() == 1).await;
    let gift = |diamonds: i64, who: &str| {
        json!({"event_type": "gift", "payload": {"gift_id": 1, "gift_name": "Box",
        "diamond_count": diamonds, "repeat_count": 1, "total_diamonds": diamonds, "user": {"id": who, "unique_id": who, "nickname": who}}})
    };
    let issued = |n: usize| issued_at_least(&a, token, &ws, &rule, n);
    inject(&a, token, &ws, &ls, gift(10, "ann")).await;
    fired_after(&a, &b, 1).await;
    assert_eq!(issued(1).await, 1);
    // Now 20 diamonds, whichever node takes the next gift.
    inject(&b, token, &ws, &ls, gift(10, "bo")).await;
    inject(&a, token, &ws, &ls, gift(10, "cy")).await;
    fired_after(&a, &b, 3).await;
    assert_eq!(issued(2).await, 1, "too cheap on both nodes");
    inject(&b, token, &ws, &ls, gift(20, "di")).await;
    fired_after(&a, &b, 4).await;
    assert_eq!(issued(2).await, 2);
}
