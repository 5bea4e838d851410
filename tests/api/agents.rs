//! Devices, agent tokens, the agent socket, the command router and the kill switch, with a
//! real WebSocket client playing the agent.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use livectl::commands::router::Request;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::helpers::{TestApp, TestUser, eventually, spawn_app, spawn_app_with};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Agent {
    pub socket: Socket,
    pub hello: Value,
}

/// Connects as an agent; `Err(status)` when the server refuses before the upgrade.
pub async fn connect_agent(app: &TestApp, token: &str) -> Result<Agent, u16> {
    let url = app.address.replace("http://", "ws://") + "/ws/agent";
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut socket, _)) => {
            let hello = next_json(&mut socket).await.expect("hello");
            Ok(Agent { socket, hello })
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(other) => panic!("{other}"),
    }
}

/// The next JSON text frame, skipping pings; `None` when the socket closes. Waits as long as
/// [`eventually`](crate::helpers::eventually) does: a loaded CI machine can be slow.
pub async fn next_json(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(crate::helpers::POLL_LIMIT, socket.next())
            .await
            .expect("a frame in time")?
        {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Ping(_)) | Ok(Message::Pong(_)) => {}
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(other) => panic!("unexpected {other:?}"),
        }
    }
}

pub async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return None,
        }
    }
}

pub async fn send_json(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

pub async fn device(
    app: &TestApp,
    owner: &TestUser,
    ws: &str,
    name: &str,
    commands: &[&str],
) -> (String, String) {
    let created = app
        .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": name, "transport": "agent", "allowed_commands": commands, "max_duration_ms": 3000, "max_commands_per_minute": 100}))
        .await
        .expect(201);
    (
        created["device"]["id"].as_str().unwrap().to_owned(),
        created["agent_token"].as_str().unwrap().to_owned(),
    )
}

pub fn request(ws: &str, device: &str, cmd: &str) -> Request {
    Request {
        workspace_id: ws.to_owned(),
        device_id: device.to_owned(),
        cmd: cmd.to_owned(),
        duration_ms: 500,
        params: json!({}),
        rule_id: None,
        event_id: None,
        event_at: None,
        viewer: None,
    }
}

pub async fn wait_command(app: &TestApp, user: &TestUser, ws: &str, id: &str) -> Value {
    eventually(format!("command {id} recorded"), || async move {
        let list = app
            .get(&format!("/workspaces/{ws}/commands?limit=200"), &user.token)
            .await
            .expect(200);
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
    })
    .await
}

#[actix_web::test]
async fn device_registration_and_tokens() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Devices").await;
    let created = app
        .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": "Desk motor", "transport": "agent", "allowed_commands": ["motor_spin", "LED_ON"]}))
        .await
        .expect(201);
    let token = created["agent_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("lat_"));
    let device = &created["device"];
    assert_eq!(device["allowed_commands"], json!(["MOTOR_SPIN", "LED_ON"]));
    assert_eq!(device["max_duration_ms"], 5000);
    assert_eq!(device["online"], false);
    let id = device["id"].as_str().unwrap().to_owned();
    let list = app
        .get(&format!("/workspaces/{ws}/devices"), &owner.token)
        .await
        .expect(200);
    assert!(
        !list.to_string().contains(&token),
        "the token is shown once"
    );
    for bad in [
        json!({"name": "x", "transport": "agent", "allowed_commands": []}),
        json!({"name": "x", "transport": "agent", "allowed_commands": ["has space"]}),
        json!({"name": "x", "transport": "serial", "allowed_commands": ["A"]}),
        json!({"name": "x", "transport": "agent", "allowed_commands": ["A"], "max_duration_ms": -1}),
        json!({"name": "x", "transport": "agent", "allowed_commands": ["A"], "max_commands_per_minute": 0}),
    ] {
        app.post(&format!("/workspaces/{ws}/devices"), &owner.token, bad)
            .await
            .expect_error(422, "VALIDATION_FAILED");
    }
    app.post(
        &format!("/workspaces/{ws}/devices"),
        &owner.token,
        json!({"name": "Desk motor", "transport": "agent", "allowed_commands": ["A"]}),
    )
    .await
    .expect_error(409, "CONFLICT");

    // Connect, see it online, rotate: the socket closes and the old token is dead.
    let mut agent = connect_agent(&app, &token).await.unwrap();
    assert_eq!(agent.hello["type"], "hello");
    assert_eq!(agent.hello["protocol"], 1);
    assert_eq!(agent.hello["device_id"], id.as_str());
    assert_eq!(agent.hello["workspace_id"], ws.as_str());
    assert_eq!(
        agent.hello["allowed_commands"],
        json!(["MOTOR_SPIN", "LED_ON"])
    );
    assert_eq!(agent.hello["kill_switch"], false);
    let one = app
        .get(&format!("/workspaces/{ws}/devices/{id}"), &owner.token)
        .await
        .expect(200);
    assert_eq!(one["online"], true);

    let started = std::time::Instant::now();
    let rotated = app
        .call(
            Method::POST,
            &format!("/workspaces/{ws}/devices/{id}/token"),
            Some(&owner.token),
            None,
        )
        .await
        .expect(201);
    assert_eq!(
        next_json(&mut agent.socket).await.unwrap(),
        json!({"type": "revoked"})
    );
    assert_eq!(close_code(&mut agent.socket).await, Some(4001));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "closed within a second"
    );
    assert_eq!(connect_agent(&app, &token).await.err(), Some(401));
    let new_token = rotated["agent_token"].as_str().unwrap().to_owned();
    let mut agent = connect_agent(&app, &new_token).await.unwrap();

    // Revoke.
    app.delete(
        &format!("/workspaces/{ws}/devices/{id}/token"),
        &owner.token,
    )
    .await
    .expect(204);
    assert_eq!(
        next_json(&mut agent.socket).await.unwrap(),
        json!({"type": "revoked"})
    );
    assert_eq!(close_code(&mut agent.socket).await, Some(4001));
    assert_eq!(connect_agent(&app, &new_token).await.err(), Some(401));
    assert_eq!(connect_agent(&app, "lat_nonsense").await.err(), Some(401));
    assert_eq!(connect_agent(&app, "").await.err(), Some(401));

    app.delete(&format!("/workspaces/{ws}/devices/{id}"), &owner.token)
        .await
        .expect(204);
    app.get(&format!("/workspaces/{ws}/devices/{id}"), &owner.token)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn plan_limit_on_devices() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Free").await;
    app.set_plan(&platform, &ws, "free").await;
    device(&app, &owner, &ws, "one", &["A"]).await;
    device(&app, &owner, &ws, "two", &["A"]).await;
    let refused = app
        .post(
            &format!("/workspaces/{ws}/devices"),
            &owner.token,
            json!({"name": "three", "transport": "agent", "allowed_commands": ["A"]}),
        )
        .await
        .expect_error(402, "PLAN_LIMIT_REACHED");
    assert_eq!(refused["details"]["limit"], 2);
}

#[actix_web::test]
async fn commands_reach_the_agent_in_order_and_acks_are_recorded() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Router").await;
    let (dev, token) = device(&app, &owner, &ws, "board", &["MOTOR_SPIN", "LED_ON"]).await;
    let mut agent = connect_agent(&app, &token).await.unwrap();
    let first = app.state.router.dispatch(request(&ws, &dev, "MOTOR_SPIN"));
    let second = app.state.router.dispatch(request(&ws, &dev, "LED_ON"));
    let frame = next_json(&mut agent.socket).await.unwrap();
    assert_eq!(frame["type"], "command");
    assert_eq!(frame["id"], first.as_str());
    assert_eq!(frame["cmd"], "MOTOR_SPIN");
    assert_eq!(frame["device_id"], dev.as_str());
    assert_eq!(
        frame["expires_at"].as_i64().unwrap() - frame["issued_at"].as_i64().unwrap(),
        2000
    );
    // One at a time: the second waits for the first's ack.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), agent.socket.next())
            .await
            .is_err()
    );
    send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": first, "status": "done", "detail": null}),
    )
    .await;
    let frame = next_json(&mut agent.socket).await.unwrap();
    assert_eq!(frame["id"], second.as_str());
    send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": second, "status": "rejected", "detail": "kill file present"}),
    )
    .await;
    let done = wait_command(&app, &owner, &ws, &first).await;
    assert_eq!(done["status"], "done");
    assert!(done["latency"]["issued_to_ack_ms"].is_i64());
    let rejected = wait_command(&app, &owner, &ws, &second).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["detail"], "kill file present");
    let audit = app
        .get(
            &format!("/workspaces/{ws}/audit?kind=command"),
            &owner.token,
        )
        .await
        .expect(200);
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"command.done") && kinds.contains(&"command.rejected"),
        "{kinds:?}"
    );
}

#[actix_web::test]
async fn offline_unanswered_limited_and_expired_commands() {
    let app = spawn_app_with(|s| {
        s.commands.ack_timeout_ms = 300;
        s.commands.ttl_ms = 200;
    })
    .await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Edge cases").await;
    let (dev, token) = device(&app, &owner, &ws, "board", &["A"]).await;
    // Offline: not queued for later.
    let offline = app.state.router.dispatch(request(&ws, &dev, "A"));
    assert_eq!(
        wait_command(&app, &owner, &ws, &offline).await["status"],
        "undeliverable"
    );
    let mut agent = connect_agent(&app, &token).await.unwrap();
    // Not in the allow-list, or longer than allowed: never sent.
    let unknown = app
        .state
        .router
        .dispatch(request(&ws, &dev, "SELF_DESTRUCT"));
    assert_eq!(
        wait_command(&app, &owner, &ws, &unknown).await["status"],
        "rejected"
    );
    let mut long = request(&ws, &dev, "A");
    long.duration_ms = 10_000;
    let long = app.state.router.dispatch(long);
    assert_eq!(
        wait_command(&app, &owner, &ws, &long).await["status"],
        "rejected"
    );
    // No ack: failed, and never sent again. (Instant commands: the one behind it expects to
    // go at once, and waits for the unanswered one instead.)
    let instant = || Request {
        duration_ms: 0,
        ..request(&ws, &dev, "A")
    };
    let silent = app.state.router.dispatch(instant());
    assert_eq!(
        next_json(&mut agent.socket).await.unwrap()["id"],
        silent.as_str()
    );
    // Queued behind the silent one for longer than its TTL: expired, never sent.
    let late = app.state.router.dispatch(instant());
    assert_eq!(
        wait_command(&app, &owner, &ws, &silent).await["status"],
        "failed"
    );
    assert_eq!(
        wait_command(&app, &owner, &ws, &late).await["status"],
        "expired"
    );
    // An ack after the timeout changes nothing.
    send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": silent, "status": "done"}),
    )
    .await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), next_json(&mut agent.socket))
            .await
            .is_err(),
        "nothing re-sent"
    );
    assert_eq!(
        wait_command(&app, &owner, &ws, &silent).await["status"],
        "failed"
    );
}

#[actix_web::test]
async fn device_rate_limit() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Rate").await;
    let created = app
        .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": "slow", "transport": "agent", "allowed_commands": ["A"], "max_commands_per_minute": 2}))
        .await
        .expect(201);
    let dev = created["device"]["id"].as_str().unwrap().to_owned();
    let mut agent = connect_agent(&app, created["agent_token"].as_str().unwrap())
        .await
        .unwrap();
    let ids: Vec<String> = (0..3)
        .map(|_| app.state.router.dispatch(request(&ws, &dev, "A")))
        .collect();
    for id in &ids[..2] {
        let frame = next_json(&mut agent.socket).await.unwrap();
        assert_eq!(frame["id"], id.as_str());
        send_json(
            &mut agent.socket,
            json!({"type": "ack", "id": id, "status": "done"}),
        )
        .await;
    }
    let third = wait_command(&app, &owner, &ws, &ids[2]).await;
    assert_eq!(third["status"], "rate_limited");
}

#[actix_web::test]
async fn kill_switch_stops_everything_until_the_owner_releases_it() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let operator = app.user("operator").await;
    let ws = app.workspace(&owner, "Kill").await;
    app.add_member(&ws, &owner, &operator, "operator").await;
    let (dev, token) = device(&app, &owner, &ws, "board", &["A"]).await;
    let mut agent = connect_agent(&app, &token).await.unwrap();
    let engaged = app
        .post(
            &format!("/workspaces/{ws}/kill-switch"),
            &operator.token,
            json!({"engaged": true, "reason": "smoke"}),
        )
        .await
        .expect(200);
    assert_eq!(engaged["engaged"], true);
    assert_eq!(
        next_json(&mut agent.socket).await.unwrap(),
        json!({"type": "kill", "engaged": true})
    );
    let blocked = app.state.router.dispatch(request(&ws, &dev, "A"));
    assert_eq!(
        wait_command(&app, &owner, &ws, &blocked).await["status"],
        "blocked"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(200), next_json(&mut agent.socket))
            .await
            .is_err(),
        "nothing sent while engaged"
    );
    // Only the owner releases.
    app.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &operator.token,
        json!({"engaged": false}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    let state = app
        .get(&format!("/workspaces/{ws}/kill-switch"), &operator.token)
        .await
        .expect(200);
    assert_eq!(state["engaged"], true);
    assert_eq!(state["reason"], "smoke");
    // A new agent learns the state in its hello.
    let second = connect_agent(&app, &token).await.unwrap();
    assert_eq!(second.hello["kill_switch"], true);
    drop(second);
    app.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": false}),
    )
    .await
    .expect(200);
    assert_eq!(
        next_json(&mut agent.socket).await.unwrap(),
        json!({"type": "kill", "engaged": false})
    );
    let ok = app.state.router.dispatch(request(&ws, &dev, "A"));
    assert_eq!(
        next_json(&mut agent.socket).await.unwrap()["id"],
        ok.as_str()
    );
    // The state survives a restart.
    app.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": true}),
    )
    .await
    .expect(200);
    let second = app.sibling(|_| {}).await;
    assert!(second.state.router.kill_engaged(&ws));
    let audit = app
        .get(
            &format!("/workspaces/{ws}/audit?kind=kill_switch"),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(audit["items"].as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn a_malicious_agent_cannot_confuse_the_server() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Mal").await;
    let (dev_a, token_a) = device(&app, &owner, &ws, "a", &["A"]).await;
    let (_dev_b, token_b) = device(&app, &owner, &ws, "b", &["A"]).await;
    let mut good = connect_agent(&app, &token_a).await.unwrap();
    let mut evil = connect_agent(&app, &token_b).await.unwrap();
    let id = app.state.router.dispatch(request(&ws, &dev_a, "A"));
    assert_eq!(
        next_json(&mut good.socket).await.unwrap()["id"],
        id.as_str()
    );
    // Device b acks a's command, acks unknown ids, sends garbage: all ignored.
    send_json(
        &mut evil.socket,
        json!({"type": "ack", "id": id, "status": "done"}),
    )
    .await;
    send_json(
        &mut evil.socket,
        json!({"type": "ack", "id": "cmd_unknown", "status": "done"}),
    )
    .await;
    evil.socket
        .send(Message::Text("{not json".into()))
        .await
        .unwrap();
    send_json(&mut evil.socket, json!({"type": "command", "cmd": "A"})).await;
    evil.socket
        .send(Message::Binary(vec![0u8; 10].into()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    send_json(
        &mut good.socket,
        json!({"type": "ack", "id": id, "status": "done"}),
    )
    .await;
    assert_eq!(wait_command(&app, &owner, &ws, &id).await["status"], "done");
    // A frame over 64 KiB closes the socket.
    let huge = json!({"type": "status", "serial": "open", "detail": "x".repeat(70 * 1024)});
    let _ = evil
        .socket
        .send(Message::Text(huge.to_string().into()))
        .await;
    assert_eq!(close_code(&mut evil.socket).await, Some(1009));
    // The good agent is unaffected.
    let again = app.state.router.dispatch(request(&ws, &dev_a, "A"));
    assert_eq!(
        next_json(&mut good.socket).await.unwrap()["id"],
        again.as_str()
    );
}

#[actix_web::test]
async fn another_workspace_never_gets_our_commands() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a = app.workspace(&alice, "A").await;
    let b = app.workspace(&bob, "B").await;
    let (dev_a, token_a) = device(&app, &alice, &a, "board", &["A"]).await;
    let (_dev_b, token_b) = device(&app, &bob, &b, "board", &["A"]).await;
    let mut agent_a = connect_agent(&app, &token_a).await.unwrap();
    let mut agent_b = connect_agent(&app, &token_b).await.unwrap();
    // A command naming A's device but B's workspace is refused outright.
    let forged = app.state.router.dispatch(request(&b, &dev_a, "A"));
    let id = app.state.router.dispatch(request(&a, &dev_a, "A"));
    assert_eq!(
        next_json(&mut agent_a.socket).await.unwrap()["id"],
        id.as_str()
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), next_json(&mut agent_b.socket))
            .await
            .is_err()
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(100), next_json(&mut agent_a.socket))
            .await
            .is_err(),
        "the forged one never left"
    );
    assert_eq!(
        wait_command(&app, &bob, &b, &forged).await["status"],
        "undeliverable"
    );
    // Bob's kill switch does not reach Alice's agent.
    app.post(
        &format!("/workspaces/{b}/kill-switch"),
        &bob.token,
        json!({"engaged": true}),
    )
    .await
    .expect(200);
    assert_eq!(
        next_json(&mut agent_b.socket).await.unwrap()["type"],
        "kill"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(200), next_json(&mut agent_a.socket))
            .await
            .is_err()
    );
}

#[actix_web::test]
async fn plan_commands_per_minute() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Free").await;
    app.set_plan(&platform, &ws, "free").await;
    let (dev, token) = device(&app, &owner, &ws, "board", &["A"]).await;
    let _agent = connect_agent(&app, &token).await.unwrap();
    // The free plan allows 60 commands a minute for the whole workspace.
    let ids: Vec<String> = (0..61)
        .map(|_| app.state.router.dispatch(request(&ws, &dev, "A")))
        .collect();
    let last = wait_command(&app, &owner, &ws, &ids[60]).await;
    assert_eq!(last["status"], "rate_limited");
    assert!(
        last["detail"].as_str().unwrap().contains("free plan"),
        "{last}"
    );
    let usage = app
        .get(&format!("/workspaces/{ws}/usage"), &owner.token)
        .await
        .expect(200);
    assert_eq!(usage["limits"]["commands_per_minute"], 60);
}

#[actix_web::test]
async fn deleting_a_workspace_disconnects_its_agents() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Doomed").await;
    let (dev, token) = device(&app, &owner, &ws, "board", &["A"]).await;
    let mut agent = connect_agent(&app, &token).await.unwrap();
    app.delete(&format!("/workspaces/{ws}"), &owner.token)
        .await
        .expect(204);
    assert!(
        close_code(&mut agent.socket).await.is_some()
            || next_json(&mut agent.socket).await.is_none()
    );
    assert_eq!(connect_agent(&app, &token).await.err(), Some(401));
    assert!(
        app.state.router.device(&dev).is_none(),
        "the router forgot the device"
    );
}
