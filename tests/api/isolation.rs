//! The security review's device findings, written as the attacks (`security-review.md` H1,
//! H2, H3, M2, L11, L12): real MQTT clients on both listeners, real agent sockets.

use std::time::{Duration, Instant};

use rumqttc::QoS;
use serde_json::json;

use crate::agents::{close_code, connect_agent, device, next_json};
use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with};
use crate::mqtt::{
    MqttDevice, bring_online, connect, expect_refused, login, mqtt_device, options, plain_port,
    tls_port, wait_online,
};

const SECOND: Duration = Duration::from_secs(1);

/// The audit entries of a kind, newest first.
async fn audited(app: &TestApp, owner: &TestUser, ws: &str, kind: &str) -> Vec<serde_json::Value> {
    app.get(
        &format!("/workspaces/{ws}/audit?limit=100&kind={kind}"),
        &owner.token,
    )
    .await
    .expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// H2: a device may not command a sibling device of its own workspace, nor release its kill
/// switch, nor subscribe to its commands, over TLS with its own valid certificate.
#[actix_web::test]
async fn a_device_cannot_command_or_watch_its_sibling() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Siblings").await;
    let a1 = mqtt_device(&app, &owner, &ws, "A1").await;
    let a2 = mqtt_device(&app, &owner, &ws, "A2").await;
    let mut victim = bring_online(&app, &a2, true).await;
    wait_online(&app, &owner, &ws, &a2.id, true).await;
    app.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": true}),
    )
    .await
    .expect(200);
    let (_, kill) = victim.expect_publish(2 * SECOND).await;
    assert_eq!(kill, json!({"type": "kill", "engaged": true}));

    let a2_cmd = a2.creds["topics"]["cmd"].as_str().unwrap();
    let forged = [
        json!({"type": "kill", "engaged": false}),
        json!({"type": "command", "id": "cmd_forged", "cmd": "RELAY_ON", "duration_ms": 3000,
               "expires_at": 9_999_999_999_999i64}),
    ];
    for frame in &forged {
        let mut intruder = login(&app, &a1, &a1.id, true).await;
        intruder
            .client
            .publish(a2_cmd, QoS::AtLeastOnce, false, frame.to_string())
            .await
            .unwrap();
        intruder.expect_closed(3 * SECOND).await;
    }
    // Its own cmd topic is the server's to write, and another device's cmd is not its to read.
    for (leaf, subscribe) in [("cmd", false), ("cmd", true)] {
        let topic = if subscribe {
            a2_cmd
        } else {
            a1.creds["topics"][leaf].as_str().unwrap()
        };
        let mut intruder = login(&app, &a1, &a1.id, true).await;
        if subscribe {
            intruder
                .client
                .subscribe(topic, QoS::AtLeastOnce)
                .await
                .unwrap();
        } else {
            intruder
                .client
                .publish(topic, QoS::AtLeastOnce, false, "{}")
                .await
                .unwrap();
        }
        intruder.expect_closed(3 * SECOND).await;
    }
    let quiet = tokio::time::timeout(Duration::from_millis(300), victim.seen.recv()).await;
    assert!(quiet.is_err(), "A2 received {quiet:?}");
    // Every attempt is in the audit log, as the device that tried it.
    let mut refused = Vec::new();
    for _ in 0..100 {
        refused = audited(&app, &owner, &ws, "device.mqtt_topic_refused").await;
        if refused.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert!(refused.iter().all(|e| e["target"] == a1.id.as_str()));
    assert!(
        refused
            .iter()
            .any(|e| e["details"]["usage"] == "subscribe" && e["details"]["topic"] == a2_cmd)
    );
}

/// H3: the plain listener is off unless configured; when on, it confines each device to its
/// own topics exactly like the TLS listener: no reading, spoofing or injecting across
/// workspaces.
#[actix_web::test]
async fn the_plain_listener_is_off_by_default_and_confined_when_on() {
    let default = spawn_app_with(|s| {
        s.mqtt.listen = livectl::config::Settings::defaults().unwrap().mqtt.listen;
    })
    .await;
    assert_eq!(default.state.mqtt.as_ref().unwrap().plain_addr, None);

    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let (ws_a, ws_b) = (
        app.workspace(&alice, "A").await,
        app.workspace(&bob, "B").await,
    );
    let a = mqtt_device(&app, &alice, &ws_a, "A").await;
    let b = mqtt_device(&app, &bob, &ws_b, "B").await;
    let mut bobs = bring_online(&app, &b, true).await;
    wait_online(&app, &bob, &ws_b, &b.id, true).await;
    // A device of A on the plain listener works for its own topics...
    let mut own = bring_online(&app, &a, false).await;
    wait_online(&app, &alice, &ws_a, &a.id, true).await;
    // ...and is dropped for anything of B's: read, forge a status, forge an ack, inject.
    let b_topics = &b.creds["topics"];
    let attacks: [(&str, Option<&str>); 4] = [
        ("#", None),
        (b_topics["status"].as_str().unwrap(), Some("offline")),
        (
            b_topics["ack"].as_str().unwrap(),
            Some(r#"{"type":"ack","id":"cmd_x","status":"done"}"#),
        ),
        (
            b_topics["cmd"].as_str().unwrap(),
            Some(r#"{"type":"kill","engaged":false}"#),
        ),
    ];
    for (topic, payload) in attacks {
        let mut intruder = login(&app, &a, &format!("{}-x", a.id), false).await;
        match payload {
            None => intruder
                .client
                .subscribe(topic, QoS::AtLeastOnce)
                .await
                .unwrap(),
            Some(body) => intruder
                .client
                .publish(topic, QoS::AtLeastOnce, false, body)
                .await
                .unwrap(),
        }
        intruder.expect_closed(3 * SECOND).await;
    }
    let quiet = tokio::time::timeout(Duration::from_millis(300), bobs.seen.recv()).await;
    assert!(quiet.is_err(), "B received {quiet:?}");
    wait_online(&app, &bob, &ws_b, &b.id, true).await;
    // A's own connection was never affected.
    assert!(own.seen.try_recv().is_err());
}

/// H1: revoking a token closes every connection made with it (every client id, both
/// listeners, whether or not the device ever said `online`), within a second.
#[actix_web::test]
async fn revocation_closes_every_connection_of_the_device() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Revoke").await;
    let dev = mqtt_device(&app, &owner, &ws, "Relay").await;
    let mut online = bring_online(&app, &dev, true).await;
    let mut quiet = Vec::new();
    for (i, tls) in [(1, true), (2, false), (3, false)] {
        quiet.push(login(&app, &dev, &format!("{}-{i}", dev.id), tls).await);
    }
    wait_online(&app, &owner, &ws, &dev.id, true).await;
    app.delete(
        &format!("/workspaces/{ws}/devices/{}/token", dev.id),
        &owner.token,
    )
    .await
    .expect(204);
    let t0 = Instant::now();
    online.expect_closed(2 * SECOND).await;
    for c in &mut quiet {
        c.expect_closed(2 * SECOND).await;
    }
    assert!(t0.elapsed() < SECOND, "all closed after {:?}", t0.elapsed());
    assert_eq!(app.state.mqtt_auth.sessions(&dev.id), 0);
    expect_refused(&app, &dev).await;
}

/// L12: one device holds at most four broker connections; a fifth closes the oldest.
#[actix_web::test]
async fn a_device_holds_at_most_four_connections() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Cap").await;
    let dev: MqttDevice = mqtt_device(&app, &owner, &ws, "Relay").await;
    let mut clients = Vec::new();
    for i in 0..5 {
        clients.push(login(&app, &dev, &format!("{}-{i}", dev.id), false).await);
    }
    clients[0].expect_closed(2 * SECOND).await;
    assert_eq!(app.state.mqtt_auth.sessions(&dev.id), 4);
}

/// L11, L12, M2: an MQTT device's token is refused on the agent socket; a token holds at most
/// four agent sockets; a socket opened while its token is being rotated never survives the
/// rotation.
#[actix_web::test]
async fn agent_sockets_are_for_agent_tokens_capped_and_never_outlive_a_rotation() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Sockets").await;
    let mqtt = mqtt_device(&app, &owner, &ws, "ESP").await;
    assert_eq!(connect_agent(&app, &mqtt.token).await.err(), Some(401));

    let (dev, token) = device(&app, &owner, &ws, "Board", &["LED_ON"]).await;
    // ...and an agent's token is refused by the broker, on both listeners (over TLS with a
    // valid certificate of the same workspace).
    for tls in [true, false] {
        let mut c = connect(options(
            &dev,
            &dev,
            &token,
            if tls {
                tls_port(&app)
            } else {
                plain_port(&app)
            },
            tls.then_some(&mqtt.creds),
        ));
        c.expect_closed(5 * SECOND).await;
    }
    let mut agents = Vec::new();
    for _ in 0..5 {
        agents.push(connect_agent(&app, &token).await.expect("connects"));
    }
    assert_eq!(close_code(&mut agents[0].socket).await, Some(1008));

    // Connect and rotate at the same moment, many times: whichever wins, no socket may stay
    // open on a token that no longer exists.
    let mut token = token;
    let rotate_path = format!("/workspaces/{ws}/devices/{dev}/token");
    for _ in 0..15 {
        let rotate = app.post(&rotate_path, &owner.token, json!({}));
        let (socket, rotated) = tokio::join!(connect_agent(&app, &token), rotate);
        let new_token = rotated.expect(201)["agent_token"]
            .as_str()
            .unwrap()
            .to_owned();
        if let Ok(mut agent) = socket {
            loop {
                match next_json(&mut agent.socket).await {
                    Some(frame) if frame["type"] == "revoked" => break,
                    Some(_) => {}
                    None => break,
                }
            }
        }
        token = new_token;
    }
    // The first four sockets' token is long gone (revoked, or replaced by newer sockets):
    // each is closed (`close_code` fails the test if one is still open after 5 s).
    for agent in &mut agents[1..] {
        close_code(&mut agent.socket).await;
    }
}
