//! Benchmarks of the TikTok connector (issue "TikTok LIVE connector"). Run with
//! `cargo bench --bench live` (release profile). Prints:
//!   - decode: messages/s turning the 838 captured messages of ab.json into normalised events
//!     (one core);
//!   - latency: a frame pushed by the local fake TikTok socket → the event on the bus, p50/p99;
//!   - memory: resident memory added by 10,000 idle simulator livestream actors;
//!   - thousand: 1,000 simulator livestreams connected and stopped through the API at once.
//!
//! `LIVECTL_BENCH_ONLY=decode,latency,idle,thousand` runs some parts only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/fake_tiktok.rs"]
#[allow(dead_code)]
mod fake_tiktok;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use helpers::{TestApp, TestUser};
use livectl::live::decode::{Output, StreamDecoder, decode_message};
use livectl::protocol::EventKind;
use reqwest::Method;
use serde_json::json;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn bench_decode() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/tiktok-webcast/ab.json");
    let json: HashMap<String, Vec<serde_json::Value>> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let messages: Vec<(String, Vec<u8>)> = json
        .iter()
        .flat_map(|(method, items)| {
            items.iter().map(move |i| {
                (
                    method.clone(),
                    base64::engine::general_purpose::STANDARD
                        .decode(i["eventData"].as_str().unwrap())
                        .unwrap(),
                )
            })
        })
        .collect();
    assert_eq!(messages.len(), 838);
    let mut decoded = 0u64;
    let mut events = 0u64;
    let start = Instant::now();
    let mut rounds = 0;
    while start.elapsed() < Duration::from_secs(3) {
        // A fresh decoder per round, so de-duplication does not skip the repeats.
        let mut decoder = StreamDecoder::new();
        let mut out = Output::default();
        for (method, payload) in &messages {
            if let Some(d) = decode_message(method, payload).unwrap() {
                decoder.apply(d, 0, &mut out);
            }
            decoded += 1;
        }
        events += out.events.len() as u64;
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "decode: {:.0} messages/s on one core ({rounds} rounds of 838 messages, {} normalised events per round)",
        decoded as f64 / secs,
        events / rounds
    );
}

async fn bench_latency() {
    let fake = fake_tiktok::FakeTiktok::start().await;
    let url = fake.url.clone();
    let app = helpers::spawn_app_with(move |s| {
        s.tiktok.web_url = url.clone();
        s.tiktok.webcast_url = url.clone();
        s.tiktok.sign_url = url;
    })
    .await;
    let mut bus = app.state.bus.subscribe("bench", 100_000);
    let owner = app.user("bench").await;
    let ws = app.workspace(&owner, "bench").await;
    let ls = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "bench"}),
        )
        .await
        .expect(201);
    let id = ls["id"].as_str().unwrap().to_owned();
    app.call(
        reqwest::Method::POST,
        &format!("/workspaces/{ws}/livestreams/{id}/connect"),
        Some(&owner.token),
        None,
    )
    .await
    .expect(202);
    // Wait until live.
    loop {
        let e = bus.recv().await.unwrap();
        if matches!(e.kind, EventKind::StreamStatus { .. }) {
            break;
        }
    }
    let n = 2000;
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let frame =
            fake_tiktok::frame(i as u64, vec![fake_tiktok::chat(10_000 + i as i64, "spin")]);
        let sent = Instant::now();
        fake.control.push(frame);
        let event = bus.recv().await.unwrap();
        latencies.push(sent.elapsed());
        assert!(matches!(event.kind, EventKind::Comment { .. }));
        // About 1,000 events/s, the rate of a busy stream.
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    latencies.sort();
    println!(
        "latency fake TikTok socket → bus ({n} frames, gzip, one at a time): p50 {:?}, p99 {:?}, max {:?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
}

async fn bench_idle_actors() {
    use actix::Actor as _;
    use livectl::live::actor::{Deps, Spec};
    use livectl::live::model::{SourceKind, Stats};
    use livectl::live::registry::{Connect, Count, LiveRegistry};

    let app = helpers::spawn_app_with(|s| s.tiktok.simulator_interval_ms = 3_600_000).await;
    let state = app.state.clone();
    let mut tiktok = state.settings.tiktok.clone();
    tiktok.simulator_interval_ms = 3_600_000;
    let registry = LiveRegistry::new(
        Deps {
            bus: state.bus.clone(),
            db: state.db.clone(),
            tiktok: std::sync::Arc::new(tiktok),
            http: livectl::live::client::http_client(&state.settings.tiktok.user_agent, "")
                .unwrap(),
            metrics: state.metrics.clone(),
            saver: livectl::live::saver::StateSaver::start(state.db.clone()),
            sign_budget: std::sync::Arc::new(livectl::auth::rate_limit::RateLimiter::new(1000)),
            sealer: state.sealer.clone(),
            gifts: std::sync::Arc::new(livectl::live::gifts::GiftCatalogue::new(state.db.clone())),
        },
        None,
    )
    .start();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kb();
    let n = 10_000;
    for i in 0..n {
        registry.do_send(Connect(Spec {
            id: format!("ls_bench{i}"),
            workspace_id: "ws_bench".into(),
            unique_id: format!("sim{i}"),
            source: SourceKind::Simulator,
            auto_reconnect: true,
            stats: Stats::default(),
            fence: 0,
            room_id_override: None,
        }));
    }
    while registry.send(Count).await.unwrap() < n {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the start-up writes (status saves for rows that do not exist) settle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kb();
    println!(
        "memory: {n} idle simulator livestream actors add {:.1} MB RSS ({:.1} KB each)",
        (after.saturating_sub(before)) as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / n as f64
    );
}

/// POSTs `/{verb}` for every livestream, many requests in flight at once. The test's client
/// runs on one thread, so it keeps a bounded number of requests open: with all 1,000 open
/// together, a loaded machine may not write some of them before the server's request
/// timeout, which would test the client, not the server.
async fn all_at_once(
    app: &TestApp,
    owner: &TestUser,
    ws: &str,
    ids: &[String],
    verb: &str,
) -> Vec<helpers::Answer> {
    use futures_util::StreamExt as _;
    futures_util::stream::iter(ids.iter().map(|id| {
        let path = format!("/workspaces/{ws}/livestreams/{id}/{verb}");
        async move {
            app.call(Method::POST, &path, Some(&owner.token), None)
                .await
        }
    }))
    .buffer_unordered(64)
    .collect()
    .await
}

/// 1,000 simulator livestreams connected and disconnected through the API at once (moved from
/// the functional suite: a load test). Prints how long each took.
async fn bench_thousand_livestreams_at_once() {
    let app = helpers::spawn_app_with(|s| s.tiktok.simulator_interval_ms = 1000).await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Many").await;
    let mut ids = Vec::new();
    for i in 0..1000 {
        let ls = app
            .post(
                &format!("/workspaces/{ws}/livestreams"),
                &owner.token,
                json!({"target": format!("sim{i}"), "source": "simulator"}),
            )
            .await
            .expect(201);
        ids.push(ls["id"].as_str().unwrap().to_owned());
    }
    let started = Instant::now();
    for answer in all_at_once(&app, &owner, &ws, &ids, "connect").await {
        answer.expect(202);
    }
    let mut running = 0;
    for _ in 0..200 {
        running = app
            .state
            .live
            .send(livectl::live::registry::Count)
            .await
            .unwrap();
        if running == 1000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(running, 1000);
    let connected = started.elapsed();
    let started = Instant::now();
    let list = app
        .get(&format!("/workspaces/{ws}/livestreams"), &owner.token)
        .await
        .expect(200);
    assert_eq!(list.as_array().unwrap().len(), 1000);
    for answer in all_at_once(&app, &owner, &ws, &ids, "disconnect").await {
        answer.expect(202);
    }
    assert_eq!(
        app.state
            .live
            .send(livectl::live::registry::Count)
            .await
            .unwrap(),
        0
    );
    // Every actor really stopped.
    for _ in 0..200 {
        if app.state.metrics.live_actors.get() == 0 {
            println!(
                "livestreams: 1,000 connected through the API in {:.0} ms, all stopped in {:.0} ms",
                connected.as_secs_f64() * 1000.0,
                started.elapsed().as_secs_f64() * 1000.0
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "actors still running: {}",
        app.state.metrics.live_actors.get()
    );
}

fn main() {
    let wanted = helpers::bench_wanted;
    if wanted("decode") {
        bench_decode();
    }
    actix_web::rt::System::new().block_on(async {
        if wanted("latency") {
            bench_latency().await;
        }
        if wanted("idle") {
            bench_idle_actors().await;
        }
        if wanted("thousand") {
            bench_thousand_livestreams_at_once().await;
        }
    });
}
