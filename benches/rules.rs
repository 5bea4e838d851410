//! Benchmarks of the rule engine and command path (issue "Rule engine, command router…"). Run
//! with `cargo bench --bench rules` (release). Needs `redis-server` on PATH for the Redis part
//! (it starts a private one on a free port). Prints:
//!   - events/s through bus + rules with 1,000 rules over 100 livestreams, memory bus and Redis;
//!   - event injected through the API → command frame at a real agent socket, p50/p99, at
//!     1,000 events/s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/agents.rs"]
#[allow(dead_code, unused_imports)]
mod agents;
#[path = "../tests/api/fake_tiktok.rs"]
#[allow(dead_code)]
mod fake_tiktok;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use helpers::{TestApp, TestUser};
use livectl::protocol::{Event, EventKind, EventUser};
use serde_json::json;

struct Tenant {
    ws: String,
    ls: String,
    token: String,
}

/// 100 workspaces, each with one livestream, one device and ten rules: 1,000 rules.
async fn populate(app: &TestApp, owner: &TestUser) -> Vec<Tenant> {
    let mut tenants = Vec::new();
    for t in 0..100 {
        let ws = app.workspace(owner, &format!("tenant {t}")).await;
        let ls = app
            .post(
                &format!("/workspaces/{ws}/livestreams"),
                &owner.token,
                json!({"target": format!("stream{t}")}),
            )
            .await
            .expect(201);
        let created = app
            .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": "board", "transport": "agent", "allowed_commands": ["A", "B"], "max_commands_per_minute": 6000}))
            .await
            .expect(201);
        for r in 0..10 {
            let when = match r {
                0 => json!({"event": "comment", "contains": "fire"}),
                1 => json!({"event": "comment", "equals": format!("go{r}")}),
                2 => json!({"event": "comment", "any_of": ["red", "green", "blue"]}),
                3 => json!({"event": "comment", "regex": "^!cmd\\s+\\w+$"}),
                4 => json!({"event": "gift", "gift_name": "Rose"}),
                5 => json!({"event": "gift", "min_diamonds": 100}),
                6 => json!({"event": "like", "every": 500, "unit": "likes"}),
                7 => json!({"event": "viewer_count", "viewers_at_least": 1000}),
                8 => json!({"event": "comment", "starts_with": "please", "every": 50}),
                _ => json!({"event": "follow"}),
            };
            app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": format!("r{r}"), "when": when, "then": {"command": "A"}, "cooldown_ms": 0}))
                .await
                .expect(201);
        }
        tenants.push(Tenant {
            ws,
            ls: ls["id"].as_str().unwrap().to_owned(),
            token: created["agent_token"].as_str().unwrap().to_owned(),
        });
    }
    tenants
}

fn comment(t: &Tenant, n: u64, text: &str) -> Arc<Event> {
    Arc::new(Event {
        id: format!("evt_b{n}"),
        workspace_id: t.ws.clone(),
        stream_id: t.ls.clone(),
        kind: EventKind::Comment {
            text: text.to_owned(),
            user: EventUser {
                id: format!("{}", n % 5000),
                unique_id: format!("viewer{}", n % 5000),
                nickname: "Viewer".into(),
            },
        },
        ts: 0,
        simulated: true,
    })
}

/// Publishes `total` non-matching comments as fast as the engine takes them (never more than
/// 20,000 ahead, so no bus queue overflows) and returns events/s.
async fn throughput(app: &TestApp, tenants: &[Tenant], total: u64, label: &str) {
    let processed = || app.state.metrics.rule_events.get();
    let base = processed();
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        while sent - (processed() - base) > 20_000 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        for _ in 0..1000 {
            let t = &tenants[(sent % 100) as usize];
            app.state.bus.publish(comment(
                t,
                sent + total * 7,
                "just chatting with everyone here",
            ));
            sent += 1;
        }
        tokio::task::yield_now().await;
    }
    while processed() - base < total {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {:.0} events/s through bus + rules (1,000 rules over 100 livestreams, {total} events)",
        total as f64 / secs
    );
}

/// Every tenth event fires a command (100 commands/s over ten agents); the rest are chatter,
/// for 1,000 events/s in all. `via_http`: the measured events are injected through the API
/// (the time includes the whole HTTP request); otherwise they are published on the bus, as the
/// TikTok connector does.
async fn latency(
    app: &TestApp,
    owner: &TestUser,
    tenants: &[Tenant],
    agents: &mut [agents::Agent],
    via_http: bool,
) {
    let n = 3000;
    let mut samples = Vec::new();
    let mut next_tick = Instant::now();
    for i in 0..n {
        next_tick += Duration::from_millis(1);
        if i % 10 == 0 {
            let k = (i / 10) % 10;
            let t = &tenants[k];
            let start = Instant::now();
            if via_http {
                app.post(
                    &format!("/workspaces/{}/livestreams/{}/events", t.ws, t.ls),
                    &owner.token,
                    json!({"event_type": "comment", "payload": {"text": "fire"}}),
                )
                .await
                .expect(202);
            } else {
                app.state
                    .bus
                    .publish(comment(t, 20_000_000 + i as u64, "fire"));
            }
            let frame = agents::next_json(&mut agents[k].socket).await.unwrap();
            samples.push(start.elapsed());
            agents::send_json(
                &mut agents[k].socket,
                json!({"type": "ack", "id": frame["id"], "status": "done"}),
            )
            .await;
        } else {
            app.state.bus.publish(comment(
                &tenants[i % 100],
                10_000_000 + i as u64 + u64::from(via_http) * 100_000,
                "hello there",
            ));
        }
        if let Some(wait) = next_tick.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    samples.sort();
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "latency event {} → command frame at the agent, at 1,000 events/s: p50 {:?}, p99 {:?}, max {:?} ({} commands)",
        if via_http {
            "injected through the HTTP API (request included)"
        } else {
            "published on the bus"
        },
        p(0.5),
        p(0.99),
        samples[samples.len() - 1],
        samples.len()
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        let app = helpers::spawn_app_with(|s| s.server.workers = 2).await;
        let owner = app.user("bench").await;
        let tenants = populate(&app, &owner).await;
        throughput(&app, &tenants, 500_000, "memory bus").await;
        let mut agents = Vec::new();
        for t in &tenants[..10] {
            agents.push(agents::connect_agent(&app, &t.token).await.unwrap());
        }
        latency(&app, &owner, &tenants, &mut agents, false).await;
        latency(&app, &owner, &tenants, &mut agents, true).await;

        let port = free_port();
        let mut redis = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let dir = app.data_dir.path().to_path_buf();
        let url = app.state.settings.database_url();
        let on_redis = helpers::spawn_app_with(move |s| {
            s.server.data_dir = dir;
            s.database.url = url;
            s.bus.kind = livectl::config::BusKind::Redis;
            s.redis.url = livectl::config::Secret::new(format!("redis://127.0.0.1:{port}"));
        })
        .await;
        // Let the reader learn the streams (they are created on first publish).
        for t in &tenants {
            on_redis.state.bus.publish(comment(t, 1, "warm up"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        throughput(&on_redis, &tenants, 200_000, "Redis Streams bus").await;
        let _ = redis.kill();
        let _ = redis.wait();
    });
}
