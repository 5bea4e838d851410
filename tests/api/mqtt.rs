//! The embedded MQTT broker with real clients: rumqttc over TLS with the certificates the API
//! issues, and Debian's `mosquitto_sub` / `mosquitto_pub`.

use std::time::{Duration, Instant};

use rumqttc::{
    AsyncClient, Event, Incoming, LastWill, MqttOptions, QoS, TlsConfiguration, Transport,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::agents::{request, wait_command};
use crate::helpers::{TestApp, TestUser, eventually, spawn_app};

const SECOND: Duration = Duration::from_secs(1);

pub struct MqttDevice {
    pub id: String,
    pub token: String,
    pub creds: Value,
}

pub async fn mqtt_device(app: &TestApp, owner: &TestUser, ws: &str, name: &str) -> MqttDevice {
    let created = app
        .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": name, "transport": "mqtt", "allowed_commands": ["RELAY_ON"], "max_duration_ms": 3000, "max_commands_per_minute": 1000}))
        .await
        .expect(201);
    let id = created["device"]["id"].as_str().unwrap().to_owned();
    let creds = app
        .post(
            &format!("/workspaces/{ws}/devices/{id}/credentials"),
            &owner.token,
            json!({}),
        )
        .await
        .expect(201);
    MqttDevice {
        token: created["agent_token"].as_str().unwrap().to_owned(),
        id,
        creds,
    }
}

pub fn tls_port(app: &TestApp) -> u16 {
    app.state.mqtt.as_ref().unwrap().tls_addr.port()
}

pub fn plain_port(app: &TestApp) -> u16 {
    app.state.mqtt.as_ref().unwrap().plain_addr.unwrap().port()
}

/// What a device's connection saw.
#[derive(Debug)]
pub enum Seen {
    Connected,
    Publish(String, Vec<u8>),
    Closed(String),
}

pub struct Client {
    pub client: AsyncClient,
    pub seen: mpsc::UnboundedReceiver<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn options(
    client_id: &str,
    user: &str,
    token: &str,
    port: u16,
    tls: Option<&Value>,
) -> MqttOptions {
    let mut opts = MqttOptions::new(client_id, "localhost", port);
    opts.set_credentials(user, token);
    opts.set_keep_alive(Duration::from_secs(5));
    if let Some(creds) = tls {
        let pem = |k: &str| creds[k].as_str().unwrap().as_bytes().to_vec();
        opts.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca: pem("ca_pem"),
            alpn: None,
            client_auth: Some((pem("cert_pem"), pem("key_pem"))),
        }));
    }
    opts
}

/// Connects and keeps polling; the first error ends it (no reconnect, so a refusal shows).
pub fn connect(opts: MqttOptions) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (client, mut eventloop) = AsyncClient::new(opts, 100);
    // As firmware should (the ESP32 sketch does): no Nagle on a device's own writes.
    let mut net = rumqttc::NetworkOptions::new();
    net.set_tcp_nodelay(true);
    eventloop.set_network_options(net);
    let (tx, seen) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                    let _ = tx.send(Seen::Connected);
                }
                Ok(Event::Incoming(Incoming::Publish(p))) => {
                    let _ = tx.send(Seen::Publish(p.topic.clone(), p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(err) => {
                    let _ = tx.send(Seen::Closed(err.to_string()));
                    return;
                }
            }
        }
    });
    Client { client, seen, task }
}

impl Client {
    pub async fn next(&mut self, within: Duration) -> Seen {
        tokio::time::timeout(within, self.seen.recv())
            .await
            .expect("an MQTT event in time")
            .expect("event loop alive")
    }

    pub async fn expect_connected(&mut self) {
        match self.next(5 * SECOND).await {
            Seen::Connected => {}
            other => panic!("expected a CONNACK, got {other:?}"),
        }
    }

    pub async fn expect_closed(&mut self, within: Duration) {
        loop {
            match self.next(within).await {
                Seen::Closed(_) => return,
                Seen::Publish(topic, _) => {
                    panic!("got a publish on {topic} instead of being dropped")
                }
                Seen::Connected => {}
            }
        }
    }

    pub async fn expect_publish(&mut self, within: Duration) -> (String, Value) {
        loop {
            match self.next(within).await {
                Seen::Publish(topic, payload) => {
                    return (
                        topic,
                        serde_json::from_slice(&payload).unwrap_or(Value::Null),
                    );
                }
                Seen::Connected => {}
                Seen::Closed(why) => panic!("connection closed: {why}"),
            }
        }
    }
}

/// A device as firmware would do it: will `offline`, subscribe to `cmd`, retained `online`.
pub async fn bring_online(app: &TestApp, dev: &MqttDevice, tls: bool) -> Client {
    let status = dev.creds["topics"]["status"].as_str().unwrap();
    let port = if tls { tls_port(app) } else { plain_port(app) };
    let mut opts = options(
        &dev.id,
        &dev.id,
        &dev.token,
        port,
        tls.then_some(&dev.creds),
    );
    opts.set_last_will(LastWill::new(status, "offline", QoS::AtLeastOnce, true));
    let mut c = connect(opts);
    c.expect_connected().await;
    c.client
        .subscribe(
            dev.creds["topics"]["cmd"].as_str().unwrap(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    c.client
        .publish(status, QoS::AtLeastOnce, true, "online")
        .await
        .unwrap();
    c
}

/// A connection with the device's own token (and certificate, over TLS), once connected.
pub async fn login(app: &TestApp, dev: &MqttDevice, client_id: &str, tls: bool) -> Client {
    let port = if tls { tls_port(app) } else { plain_port(app) };
    let mut c = connect(options(
        client_id,
        &dev.id,
        &dev.token,
        port,
        tls.then_some(&dev.creds),
    ));
    c.expect_connected().await;
    c
}

/// A fresh login with the device's own token and certificate is refused.
pub async fn expect_refused(app: &TestApp, dev: &MqttDevice) {
    let mut c = connect(options(
        &dev.id,
        &dev.id,
        &dev.token,
        tls_port(app),
        Some(&dev.creds),
    ));
    c.expect_closed(5 * SECOND).await;
}

/// A server, its first account (the platform admin), a workspace and one MQTT device.
async fn one_device() -> (TestApp, TestUser, String, MqttDevice) {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "ESP").await;
    let dev = mqtt_device(&app, &owner, &ws, "Relay").await;
    (app, owner, ws, dev)
}

pub async fn wait_online(app: &TestApp, owner: &TestUser, ws: &str, dev: &str, online: bool) {
    eventually(format!("device {dev} online = {online}"), || async move {
        let v = app
            .get(&format!("/workspaces/{ws}/devices/{dev}"), &owner.token)
            .await
            .expect(200);
        (v["online"] == online).then_some(())
    })
    .await
}

#[actix_web::test]
async fn credentials_are_a_bundle_for_owners_and_admins_of_mqtt_devices() {
    let (app, owner, ws, dev) = one_device().await;
    let c = &dev.creds;
    assert_eq!(c["tenant"], ws.replace('_', ""));
    let created = app
        .post(
            &format!("/workspaces/{ws}/devices"),
            &owner.token,
            json!({"name": "Second", "transport": "mqtt", "allowed_commands": ["RELAY_ON"]}),
        )
        .await
        .expect(201);
    let first = &created["credentials"];
    assert!(
        first["key_pem"].as_str().unwrap().contains("PRIVATE KEY"),
        "registration issues the first certificate: {created}"
    );
    assert_eq!(first["tenant"], c["tenant"]);
    assert!(c["ca_pem"].as_str().unwrap().contains("BEGIN CERTIFICATE"));
    assert!(
        c["cert_pem"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    assert!(c["key_pem"].as_str().unwrap().contains("PRIVATE KEY"));
    assert_eq!(
        c["topics"]["cmd"],
        format!(
            "/tenants/{}/devices/{}/cmd",
            c["tenant"].as_str().unwrap(),
            dev.id
        )
    );
    assert_eq!(
        c["mqtt_tls_url"],
        format!("mqtts://localhost:{}", tls_port(&app))
    );
    let again = app
        .post(
            &format!("/workspaces/{ws}/devices/{}/credentials", dev.id),
            &owner.token,
            json!({}),
        )
        .await
        .expect(201);
    assert_ne!(again["key_pem"], c["key_pem"], "a new pair each time");
    // The key is not kept anywhere in the data folder.
    let key_line = c["key_pem"]
        .as_str()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    for entry in std::fs::read_dir(app.data_dir.path().join("mqtt")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(&key_line));
    }
    let operator = app.user("operator").await;
    app.add_member(&ws, &owner, &operator, "operator").await;
    app.post(
        &format!("/workspaces/{ws}/devices/{}/credentials", dev.id),
        &operator.token,
        json!({}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    let agent_dev = app
        .post(
            &format!("/workspaces/{ws}/devices"),
            &owner.token,
            json!({"name": "USB", "transport": "agent", "allowed_commands": ["A"]}),
        )
        .await
        .expect(201);
    let id = agent_dev["device"]["id"].as_str().unwrap();
    app.post(
        &format!("/workspaces/{ws}/devices/{id}/credentials"),
        &owner.token,
        json!({}),
    )
    .await
    .expect_error(409, "CONFLICT");
    let stranger = app.user("stranger").await;
    app.post(
        &format!("/workspaces/{ws}/devices/{}/credentials", dev.id),
        &stranger.token,
        json!({}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn a_device_with_its_certificate_gets_its_commands_and_acks_them() {
    let (app, owner, ws, dev) = one_device().await;
    let mut c = bring_online(&app, &dev, true).await;
    wait_online(&app, &owner, &ws, &dev.id, true).await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "relay", "when": {"event": "gift"}, "then": {"command": "RELAY_ON", "duration": 1500}}))
        .await
        .expect(201);
    app.post(&format!("/workspaces/{ws}/livestreams/{ls}/events"), &owner.token, json!({"event_type": "gift", "payload": {"gift_id": 5655, "gift_name": "Rose", "diamond_count": 1, "repeat_count": 1, "total_diamonds": 1}}))
        .await
        .expect(202);
    let (topic, cmd) = c.expect_publish(3 * SECOND).await;
    assert_eq!(topic, dev.creds["topics"]["cmd"]);
    assert_eq!(cmd["type"], "command");
    assert_eq!(cmd["cmd"], "RELAY_ON");
    assert_eq!(cmd["duration_ms"], 1500);
    assert_eq!(cmd["device_id"], dev.id);
    assert!(cmd["expires_at"].as_i64().unwrap() > cmd["issued_at"].as_i64().unwrap());
    let ack = json!({"type": "ack", "id": cmd["id"], "status": "done", "detail": null});
    c.client
        .publish(
            dev.creds["topics"]["ack"].as_str().unwrap(),
            QoS::AtLeastOnce,
            false,
            ack.to_string(),
        )
        .await
        .unwrap();
    let done = wait_command(&app, &owner, &ws, cmd["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "done", "{done}");
    // The kill switch reaches the device too.
    app.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": true}),
    )
    .await
    .expect(200);
    let (_, kill) = c.expect_publish(2 * SECOND).await;
    assert_eq!(kill, json!({"type": "kill", "engaged": true}));
}

#[actix_web::test]
async fn wrong_and_revoked_tokens_are_refused_and_revocation_drops_the_device_within_a_second() {
    let (app, owner, ws, dev) = one_device().await;
    for (client_id, token) in [
        (dev.id.as_str(), "lat_wrong"),
        ("someone-else", dev.token.as_str()),
    ] {
        for tls in [true, false] {
            let port = if tls {
                tls_port(&app)
            } else {
                plain_port(&app)
            };
            let mut c = connect(options(
                client_id,
                &dev.id,
                token,
                port,
                tls.then_some(&dev.creds),
            ));
            c.expect_closed(5 * SECOND).await;
        }
    }
    let mut c = bring_online(&app, &dev, true).await;
    wait_online(&app, &owner, &ws, &dev.id, true).await;
    app.delete(
        &format!("/workspaces/{ws}/devices/{}/token", dev.id),
        &owner.token,
    )
    .await
    .expect(204);
    let t0 = Instant::now();
    c.expect_closed(2 * SECOND).await;
    assert!(t0.elapsed() < SECOND, "dropped after {:?}", t0.elapsed());
    wait_online(&app, &owner, &ws, &dev.id, false).await;
    expect_refused(&app, &dev).await;
    let id = app.state.router.dispatch(request(&ws, &dev.id, "RELAY_ON"));
    assert_eq!(
        wait_command(&app, &owner, &ws, &id).await["status"],
        "undeliverable"
    );
}

#[actix_web::test]
async fn a_device_cannot_reach_another_workspaces_topics_on_the_tls_listener() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let ws_a = app.workspace(&alice, "A").await;
    let ws_b = app.workspace(&bob, "B").await;
    let a = mqtt_device(&app, &alice, &ws_a, "A").await;
    let b = mqtt_device(&app, &bob, &ws_b, "B").await;
    let mut victim = bring_online(&app, &b, true).await;
    wait_online(&app, &bob, &ws_b, &b.id, true).await;
    let b_topics = &b.creds["topics"];
    for filter in [
        "#",
        "/tenants/#",
        "/tenants/+/devices/+/cmd",
        b_topics["cmd"].as_str().unwrap(),
    ] {
        let mut intruder = login(&app, &a, &a.id, true).await;
        intruder
            .client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .unwrap();
        intruder.expect_closed(3 * SECOND).await;
    }
    for topic in ["ack", "status", "cmd"] {
        let mut intruder = login(&app, &a, &a.id, true).await;
        let payload = json!({"type": "command", "id": "cmd_x"}).to_string();
        intruder
            .client
            .publish(
                b_topics[topic].as_str().unwrap(),
                QoS::AtLeastOnce,
                false,
                payload,
            )
            .await
            .unwrap();
        intruder.expect_closed(3 * SECOND).await;
    }
    // B heard nothing of it, and is still online.
    let quiet = tokio::time::timeout(Duration::from_millis(300), victim.seen.recv()).await;
    assert!(quiet.is_err(), "B saw {quiet:?}");
    wait_online(&app, &bob, &ws_b, &b.id, true).await;
    // Even with B's stolen token, A's certificate does not get anyone in as B: the
    // certificate's workspace must be the device's.
    let mut thief = connect(options(
        &b.id,
        &b.id,
        &b.token,
        tls_port(&app),
        Some(&a.creds),
    ));
    thief.expect_closed(5 * SECOND).await;
    wait_online(&app, &bob, &ws_b, &b.id, true).await;
}

#[actix_web::test]
async fn the_last_will_marks_a_vanished_device_offline() {
    let (app, owner, ws, dev) = one_device().await;
    let c = bring_online(&app, &dev, true).await;
    wait_online(&app, &owner, &ws, &dev.id, true).await;
    // The TCP connection goes away without DISCONNECT (power cut).
    drop(c);
    wait_online(&app, &owner, &ws, &dev.id, false).await;
}

fn mosquitto(
    bin: &str,
    app: &TestApp,
    dev: &MqttDevice,
    suffix: &str,
    dir: &std::path::Path,
) -> std::process::Command {
    for (key, file) in [
        ("ca_pem", "ca.pem"),
        ("cert_pem", "dev.pem"),
        ("key_pem", "dev.key"),
    ] {
        std::fs::write(dir.join(file), dev.creds[key].as_str().unwrap()).unwrap();
    }
    let mut cmd = std::process::Command::new(bin);
    cmd.args([
        "-h",
        "localhost",
        "-p",
        &tls_port(app).to_string(),
        "-q",
        "1",
    ])
    .arg("--cafile")
    .arg(dir.join("ca.pem"))
    .arg("--cert")
    .arg(dir.join("dev.pem"))
    .arg("--key")
    .arg(dir.join("dev.key"))
    .args([
        "-u",
        &dev.id,
        "-P",
        &dev.token,
        "-i",
        &format!("{}-{suffix}", dev.id),
    ]);
    cmd
}

#[actix_web::test]
async fn mosquitto_clients_can_be_a_device() {
    let (app, owner, ws, dev) = one_device().await;
    let dir = tempfile::tempdir().unwrap();
    let topics = dev.creds["topics"].clone();
    let sub = mosquitto("mosquitto_sub", &app, &dev, "sub", dir.path())
        .args(["-t", topics["cmd"].as_str().unwrap(), "-C", "1", "-W", "10"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("mosquitto_sub (scripts/test installs mosquitto-clients)");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let online = mosquitto("mosquitto_pub", &app, &dev, "pub", dir.path())
        .args([
            "-t",
            topics["status"].as_str().unwrap(),
            "-r",
            "-m",
            "online",
        ])
        .status()
        .unwrap();
    assert!(online.success());
    wait_online(&app, &owner, &ws, &dev.id, true).await;
    let id = app.state.router.dispatch(request(&ws, &dev.id, "RELAY_ON"));
    let out = tokio::task::spawn_blocking(move || sub.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let cmd: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cmd["id"], id);
    let ack = json!({"type": "ack", "id": id, "status": "done"}).to_string();
    let acked = mosquitto("mosquitto_pub", &app, &dev, "ack", dir.path())
        .args(["-t", topics["ack"].as_str().unwrap(), "-m", &ack])
        .status()
        .unwrap();
    assert!(acked.success());
    assert_eq!(wait_command(&app, &owner, &ws, &id).await["status"], "done");
    // `#` from a device's certificate is refused by the broker.
    let all = mosquitto("mosquitto_sub", &app, &dev, "all", dir.path())
        .args(["-t", "#", "-C", "1", "-W", "3"])
        .output()
        .unwrap();
    assert!(!all.status.success(), "{all:?}");
    assert!(all.stdout.is_empty());
}

#[actix_web::test]
async fn suspension_and_deletion_drop_mqtt_devices() {
    let (app, admin, ws, dev) = one_device().await;
    let mut c = bring_online(&app, &dev, true).await;
    wait_online(&app, &admin, &ws, &dev.id, true).await;
    app.post(
        &format!("/admin/workspaces/{ws}/suspend"),
        &admin.token,
        json!({"reason": "unpaid"}),
    )
    .await
    .expect(200);
    c.expect_closed(2 * SECOND).await;
    expect_refused(&app, &dev).await;
    app.post(
        &format!("/admin/workspaces/{ws}/unsuspend"),
        &admin.token,
        json!({}),
    )
    .await
    .expect(200);
    let mut c = bring_online(&app, &dev, true).await;
    wait_online(&app, &admin, &ws, &dev.id, true).await;
    app.delete(
        &format!("/workspaces/{ws}/devices/{}", dev.id),
        &admin.token,
    )
    .await
    .expect(204);
    c.expect_closed(2 * SECOND).await;
    expect_refused(&app, &dev).await;
}
