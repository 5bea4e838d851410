//! Benchmarks of the edge (issue "Edge agent, reference firmware and the embedded MQTT
//! broker"). Run with `cargo bench --bench edge` (release). Needs `socat` and, for the side by
//! side broker numbers, Debian's `mosquitto` on PATH. `LIVECTL_BENCH_ONLY=serial,mqtt,revocation,
//! brokers,memory,thousand` runs some parts only. Prints:
//!   - event → the board emulator receives the `CMD` line over a pty, through the real agent
//!     binary, at 100 commands/s (event published on the bus, and injected through the API);
//!   - event → an ESP32-like MQTT client (rumqttc, TLS with its certificate) receives the
//!     command, at 100 commands/s;
//!   - a token revoked through the API → all four connections of its MQTT device closed;
//!   - 1,000 MQTT devices connected at once, none dropped;
//!   - publish → subscribe throughput (open loop, 100,000 × 64 B) and latency at 1,000 msg/s,
//!     embedded rumqttd and mosquitto, same client, same settings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/agents.rs"]
#[allow(dead_code, unused_imports)]
mod agents;
#[path = "../tests/api/board.rs"]
#[allow(dead_code)]
mod board;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../tests/api/mqtt.rs"]
#[allow(dead_code, unused_imports)]
mod mqtt;

use std::sync::Arc;
use std::time::{Duration, Instant};

use helpers::{TestApp, TestUser};
use livectl::protocol::{Event, EventKind, EventUser};
use rumqttc::{AsyncClient, Event as MqttEvent, Incoming, MqttOptions, QoS};
use serde_json::json;

const RATE_HZ: u64 = 100;
const SAMPLES: usize = 1000;

fn percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: p50 {:?}, p99 {:?}, max {:?} ({} samples)",
        p(0.5),
        p(0.99),
        samples[samples.len() - 1],
        samples.len()
    );
}

fn comment(ws: &str, ls: &str, n: u64) -> Arc<Event> {
    Arc::new(Event {
        id: format!("evt_edge{n}"),
        workspace_id: ws.to_owned(),
        stream_id: ls.to_owned(),
        kind: EventKind::Comment {
            text: "fire".into(),
            user: EventUser::default(),
        },
        ts: livectl::ids::now_ms(),
        simulated: false,
    })
}

async fn workspace_with_rule(
    app: &TestApp,
    owner: &TestUser,
    transport: &str,
) -> (String, String, String, String) {
    let ws = app.workspace(owner, &format!("edge {transport}")).await;
    let ls = app.simulator_livestream(owner, &ws).await;
    let created = app
        .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": "board", "transport": transport, "allowed_commands": ["RELAY_ON", "LED_ON"], "max_commands_per_minute": 6000}))
        .await
        .expect(201);
    app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "fire", "when": {"event": "comment", "contains": "fire"}, "then": {"command": "LED_ON", "duration": 10}}))
        .await
        .expect(201);
    (
        ws,
        ls,
        created["device"]["id"].as_str().unwrap().to_owned(),
        created["agent_token"].as_str().unwrap().to_owned(),
    )
}

/// Injected event → `CMD` line at the board emulator, through the agent binary and a pty.
async fn serial_path(app: &TestApp, owner: &TestUser) {
    let (ws, ls, dev, token) = workspace_with_rule(app, owner, "agent").await;
    let pty = board::PtyPair::new();
    let mut emulator = board::Board::start(&pty.board_end(), &["RELAY_ON", "LED_ON"]).await;
    let mut agent = std::process::Command::new(env!("CARGO_BIN_EXE_livectl"))
        .args([
            "agent",
            "--server",
            &app.address,
            "--serial",
            &pty.agent_end(),
        ])
        .arg("--kill-file")
        .arg(pty.dir.path().join("KILL"))
        .env("LIVECTL_AGENT_TOKEN", &token)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..500 {
        let v = app
            .get(&format!("/workspaces/{ws}/devices/{dev}"), &owner.token)
            .await
            .expect(200);
        if v["firmware"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for via_http in [false, true] {
        emulator.clear();
        let mut samples = Vec::new();
        let mut next = Instant::now();
        for i in 0..SAMPLES {
            next += Duration::from_micros(1_000_000 / RATE_HZ);
            let start = Instant::now();
            if via_http {
                app.post(
                    &format!("/workspaces/{ws}/livestreams/{ls}/events"),
                    &owner.token,
                    json!({"event_type": "comment", "payload": {"text": "fire"}}),
                )
                .await
                .expect(202);
            } else {
                app.state.bus.publish(comment(
                    &ws,
                    &ls,
                    i as u64 + u64::from(via_http) * 1_000_000,
                ));
            }
            let heard = emulator.expect("CMD", Duration::from_secs(2)).await;
            samples.push(heard.at - start);
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                tokio::time::sleep(wait).await;
            }
        }
        percentiles(
            &format!(
                "event {} → CMD line at the board over a pty (agent binary), {RATE_HZ} commands/s",
                if via_http {
                    "injected through the HTTP API"
                } else {
                    "published on the bus"
                }
            ),
            samples,
        );
        // Stay under the device's 6,000 commands per minute between the two runs.
        tokio::time::sleep(Duration::from_secs(12)).await;
    }
    let _ = agent.kill();
    let _ = agent.wait();
}

/// Event → command at an ESP32-like client over the TLS listener.
async fn mqtt_path(app: &TestApp, owner: &TestUser) {
    let (ws, ls, dev, token) = workspace_with_rule(app, owner, "mqtt").await;
    let creds = app
        .post(
            &format!("/workspaces/{ws}/devices/{dev}/credentials"),
            &owner.token,
            json!({}),
        )
        .await
        .expect(201);
    let device = mqtt::MqttDevice {
        id: dev.clone(),
        token,
        creds,
    };
    let mut client = mqtt::bring_online(app, &device, true).await;
    mqtt::wait_online(app, owner, &ws, &dev, true).await;
    let ack_topic = device.creds["topics"]["ack"].as_str().unwrap().to_owned();
    let mut samples = Vec::new();
    let mut next = Instant::now();
    for i in 0..SAMPLES {
        next += Duration::from_micros(1_000_000 / RATE_HZ);
        let start = Instant::now();
        app.state
            .bus
            .publish(comment(&ws, &ls, 5_000_000 + i as u64));
        let (_, cmd) = client.expect_publish(Duration::from_secs(2)).await;
        samples.push(start.elapsed());
        let ack = json!({"type": "ack", "id": cmd["id"], "status": "done"}).to_string();
        client
            .client
            .publish(&ack_topic, QoS::AtLeastOnce, false, ack)
            .await
            .unwrap();
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    percentiles(
        &format!(
            "event published on the bus → command at an MQTT device (TLS), {RATE_HZ} commands/s"
        ),
        samples,
    );
}

/// Revocation → every connection of an MQTT device closed (two over TLS, two plain, only one
/// of them ever said `online`), measured from the moment the revoke request is sent.
async fn revocation(app: &TestApp, owner: &TestUser) {
    const TRIALS: usize = 50;
    let ws = app.workspace(owner, "Revocation bench").await;
    let mut samples = Vec::with_capacity(TRIALS);
    for trial in 0..TRIALS {
        let device = mqtt::mqtt_device(app, owner, &ws, &format!("Relay {trial}")).await;
        let mut clients = vec![mqtt::bring_online(app, &device, true).await];
        for (i, tls) in [(1, true), (2, false), (3, false)] {
            clients.push(mqtt::login(app, &device, &format!("{}-{i}", device.id), tls).await);
        }
        let start = Instant::now();
        app.delete(
            &format!("/workspaces/{ws}/devices/{}/token", device.id),
            &owner.token,
        )
        .await
        .expect(204);
        for client in &mut clients {
            client.expect_closed(Duration::from_secs(2)).await;
        }
        samples.push(start.elapsed());
        app.delete(
            &format!("/workspaces/{ws}/devices/{}", device.id),
            &owner.token,
        )
        .await
        .expect(204);
    }
    percentiles(
        "token revoked through the API → all 4 MQTT connections of the device closed",
        samples,
    );
}

fn client_options(id: &str, port: u16) -> MqttOptions {
    let mut opts = MqttOptions::new(id, "127.0.0.1", port);
    opts.set_credentials(id, "lat_bench");
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_inflight(100);
    opts
}

async fn client(id: &str, port: u16) -> (AsyncClient, rumqttc::EventLoop) {
    let (client, mut eventloop) = AsyncClient::new(client_options(id, port), 1000);
    let mut net = rumqttc::NetworkOptions::new();
    net.set_tcp_nodelay(true);
    eventloop.set_network_options(net);
    loop {
        if let MqttEvent::Incoming(Incoming::ConnAck(_)) = eventloop.poll().await.unwrap() {
            return (client, eventloop);
        }
    }
}

/// One publisher → one subscriber on `port`: open-loop throughput, then latency at 1,000/s.
async fn broker_run(label: &str, port: u16, qos: QoS) {
    let (sub, mut sub_loop) = client(&format!("dev_sub{}", qos as u8), port).await;
    sub.subscribe("bench/t", qos).await.unwrap();
    loop {
        if let MqttEvent::Incoming(Incoming::SubAck(_)) = sub_loop.poll().await.unwrap() {
            break;
        }
    }
    let base = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u128, Instant)>();
    let reader = tokio::spawn(async move {
        while let Ok(ev) = sub_loop.poll().await {
            if let MqttEvent::Incoming(Incoming::Publish(p)) = ev {
                let sent = u128::from_le_bytes(p.payload[..16].try_into().unwrap());
                let _ = tx.send((sent, Instant::now()));
            }
        }
    });
    let (publisher, mut pub_loop) = client(&format!("dev_pub{}", qos as u8), port).await;
    let pumper = tokio::spawn(async move { while pub_loop.poll().await.is_ok() {} });
    let payload = |t: u128| {
        let mut p = t.to_le_bytes().to_vec();
        p.resize(64, 0);
        p
    };
    // Open loop: 100,000 as fast as the client goes.
    let total = 100_000;
    let start = Instant::now();
    for _ in 0..total {
        publisher
            .publish("bench/t", qos, false, payload(0))
            .await
            .unwrap();
    }
    let mut got = 0;
    while got < total {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(_)) => got += 1,
            _ => break,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label} QoS{}: open loop {:.0} msg/s received ({got}/{total}, {} lost)",
        qos as u8,
        f64::from(got) / secs,
        total - got
    );
    // Fixed rate: 1,000 msg/s for 5 s.
    let mut samples = Vec::new();
    let mut next = Instant::now();
    for _ in 0..5000 {
        next += Duration::from_millis(1);
        publisher
            .publish("bench/t", qos, false, payload(base.elapsed().as_nanos()))
            .await
            .unwrap();
        while let Ok((sent, at)) = rx.try_recv() {
            samples.push((at - base) - Duration::from_nanos(sent as u64));
        }
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok((sent, at)) = rx.try_recv() {
        samples.push((at - base) - Duration::from_nanos(sent as u64));
    }
    percentiles(
        &format!(
            "{label} QoS{} publish → subscribe at 1,000 msg/s",
            qos as u8
        ),
        samples,
    );
    reader.abort();
    pumper.abort();
}

/// A rumqttd router and plain listener as livectl configures them (`mqtt/mod.rs`), on its own
/// threads, without the session gate.
fn ungated_rumqttd() -> u16 {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let router = rumqttd::Router::new(
        0,
        rumqttd::RouterConfig {
            max_connections: livectl::mqtt::MAX_CONNECTIONS,
            max_outgoing_packet_count: 200,
            max_segment_size: livectl::mqtt::SEGMENT_BYTES,
            max_segment_count: livectl::mqtt::SEGMENTS,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
    )
    .spawn();
    let settings = rumqttd::ServerSettings {
        name: "bench".into(),
        listen: format!("127.0.0.1:{port}").parse().unwrap(),
        tls: None,
        next_connection_delay_ms: 0,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: 5_000,
            max_payload_size: livectl::mqtt::MAX_PAYLOAD,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
            gate: None,
        },
    };
    let mut server = rumqttd::Server::new(settings, router, rumqttd::protocol::v4::V4);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        if let Err(err) = runtime.block_on(server.start(rumqttd::LinkType::Remote)) {
            eprintln!("bench broker stopped: {err:?}");
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    port
}

async fn brokers() {
    // The embedded broker lets no device publish to another (each is confined to its own
    // topics), so the engine is measured on a listener of the same router settings without
    // livectl's gate: the client-to-client path mosquitto is measured on.
    let embedded = ungated_rumqttd();
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
        broker_run("embedded rumqttd 0.20 (patched, no gate)", embedded, qos).await;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(&conf, format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n")).unwrap();
    let Ok(mut mosquitto) = std::process::Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        println!("mosquitto is not installed (apt-get install mosquitto): no side-by-side numbers");
        return;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
        broker_run("mosquitto (set_tcp_nodelay true)", port, qos).await;
    }
    let _ = mosquitto.kill();
    let _ = mosquitto.wait();
}

/// POSTs JSON (with a bearer token when given) and returns the JSON answer.
async fn post_json(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut req = client.post(url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap().json().await.unwrap_or_default()
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// A `livectl serve` process of its own, 1,000 MQTT devices registered through the API and
/// connected over the plain listener: the server's resident memory per connected device.
async fn thousand_devices_memory() {
    let dir = tempfile::tempdir().unwrap();
    let http = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let plain = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_livectl"))
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("LIVECTL_SERVER__HTTP_ADDR", format!("127.0.0.1:{http}"))
        .env("LIVECTL_MQTT__LISTEN", format!("127.0.0.1:{plain}"))
        .env("LIVECTL_MQTT__TLS_LISTEN", "127.0.0.1:0")
        .env("LIVECTL_AUTH__BCRYPT_COST", "4")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let api = format!("http://127.0.0.1:{http}/api/v1");
    let http_client = reqwest::Client::new();
    for _ in 0..200 {
        if http_client
            .get(format!("http://127.0.0.1:{http}/readyz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let creds = json!({"email": "bench@example.com", "password": "correct horse battery"});
    post_json(
        &http_client,
        format!("{api}/auth/register"),
        None,
        creds.clone(),
    )
    .await;
    let login = post_json(&http_client, format!("{api}/auth/login"), None, creds).await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let ws = post_json(
        &http_client,
        format!("{api}/workspaces"),
        Some(&token),
        json!({"name": "fleet"}),
    )
    .await;
    let ws = ws["id"].as_str().unwrap().to_owned();
    let mut devices = Vec::new();
    for i in 0..1000 {
        let d = post_json(
            &http_client,
            format!("{api}/workspaces/{ws}/devices"),
            Some(&token),
            json!({"name": format!("esp{i}"), "transport": "mqtt", "allowed_commands": ["RELAY_ON"]}),
        )
        .await;
        devices.push((
            d["device"]["id"].as_str().unwrap().to_owned(),
            d["agent_token"].as_str().unwrap().to_owned(),
        ));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kb(server.id());
    let start = Instant::now();
    let mut clients = Vec::new();
    for (id, tok) in &devices {
        let mut c = mqtt::connect(mqtt::options(id, id, tok, plain, None));
        c.expect_connected().await;
        clients.push(c);
    }
    let connect_secs = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kb(server.id());
    println!(
        "1,000 MQTT devices connected to a livectl serve process: {:.0} connects/s, server RSS {} MB → {} MB (+{:.1} KB per device)",
        1000.0 / connect_secs,
        before / 1024,
        after / 1024,
        (after.saturating_sub(before)) as f64 / 1000.0
    );
    drop(clients);
    let _ = server.kill();
    let _ = server.wait();
}

/// 1,000 MQTT devices connect to one server and none is dropped in the next 2 s (moved from
/// the functional suite: a load test). Prints how long the 1,000 took to be accepted.
async fn thousand_devices_stay_connected() {
    let app = helpers::spawn_app().await;
    let auth = app.state.mqtt_auth.clone();
    let port = mqtt::plain_port(&app);
    let started = Instant::now();
    let mut clients = Vec::new();
    for i in 0..1000 {
        let id = format!("dev_bulk{i}");
        auth.set_token(&id, "ws_bulk", "lat_bulk");
        clients.push(mqtt::connect(mqtt::options(
            &id, &id, "lat_bulk", port, None,
        )));
    }
    for c in clients.iter_mut() {
        c.expect_connected().await;
    }
    let connected = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for c in clients.iter_mut() {
        assert!(c.seen.try_recv().is_err(), "a connection dropped");
    }
    println!(
        "mqtt: 1,000 devices connected in {:.0} ms; none dropped in the next 2 s",
        connected.as_secs_f64() * 1000.0
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    actix_web::rt::System::new().block_on(async {
        let app = helpers::spawn_app_with(|s| s.server.workers = 2).await;
        let owner = app.user("bench").await;
        let wanted = helpers::bench_wanted;
        if wanted("serial") {
            serial_path(&app, &owner).await;
        }
        if wanted("mqtt") {
            mqtt_path(&app, &owner).await;
        }
        if wanted("revocation") {
            revocation(&app, &owner).await;
        }
        if wanted("brokers") {
            brokers().await;
        }
        if wanted("memory") {
            thousand_devices_memory().await;
        }
        if wanted("thousand") {
            thousand_devices_stay_connected().await;
        }
    });
}
