//! Benchmarks of the preset games and the viewer overlay (issue 15). Run with
//! `cargo bench --bench games` (release; the overlay part needs Debian's `chromium` and
//! `chromium-driver`, which `scripts/test` installs). Prints:
//!   - rule engine events/s with 200 preset-generated rules (votes, claw queues, wheels) and
//!     with 200 plain rules listening for the same events (target: within 20 %);
//!   - the overlay at 100 events/s: bytes per panel update, updates per second, and the CPU
//!     the whole Chromium spends showing it (every Chromium process, in % of one core).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/agents.rs"]
#[allow(dead_code, unused_imports)]
mod agents;
#[path = "../tests/api/browser/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use helpers::{TestApp, TestUser};
use livectl::protocol::{Event, EventKind, EventUser};
use serde_json::{Value, json};

const WORKSPACES: usize = 20;

struct Tenant {
    ws: String,
    ls: String,
}

async fn tenant(app: &TestApp, owner: &TestUser, n: usize) -> (Tenant, String) {
    let ws = app.workspace(owner, &format!("games {n}")).await;
    let ls = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": format!("gamer{n}")}),
        )
        .await
        .expect(201);
    let device = app
        .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": "claw", "transport": "agent",
            "allowed_commands": ["LEFT", "RIGHT", "DROP", "LAMP", "SPIN"], "max_commands_per_minute": 6000}))
        .await
        .expect(201);
    (
        Tenant {
            ws,
            ls: ls["id"].as_str().unwrap().to_owned(),
        },
        device["device"]["id"].as_str().unwrap().to_owned(),
    )
}

/// Ten rules per workspace made by three games: a vote (3), a claw queue (4), a wheel (3).
async fn with_games(app: &TestApp, owner: &TestUser) -> Vec<Tenant> {
    let mut tenants = Vec::new();
    for n in 0..WORKSPACES {
        let (t, dev) = tenant(app, owner, n).await;
        for game in [
            json!({"kind": "vote", "name": "Vote", "window_s": 600, "options": [
                {"word": "lamp", "device_id": dev, "command": "LAMP"},
                {"word": "spin", "device_id": dev, "command": "SPIN"},
                {"word": "drop", "device_id": dev, "command": "DROP"}]}),
            json!({"kind": "queue", "name": "Claw", "ticket": {"gift_name": "Rose"}, "turn_s": 600, "controls": [
                {"word": "left", "device_id": dev, "command": "LEFT"},
                {"word": "right", "device_id": dev, "command": "RIGHT"},
                {"word": "down", "device_id": dev, "command": "DROP"}]}),
            json!({"kind": "wheel", "name": "Wheel", "trigger": {"gift_name": "Galaxy"}, "choices": [
                {"weight": 1, "device_id": dev, "command": "LAMP"},
                {"weight": 2, "device_id": dev, "command": "SPIN"},
                {"weight": 3, "device_id": dev, "command": "DROP"}]}),
        ] {
            app.post(&format!("/workspaces/{}/presets", t.ws), &owner.token, game)
                .await
                .expect(201);
        }
        tenants.push(t);
    }
    tenants
}

/// Ten plain rules per workspace on the same words and gifts (each with a cooldown, so that
/// after its first firing it is judged and held, as a game's rule is).
async fn with_plain_rules(app: &TestApp, owner: &TestUser) -> Vec<Tenant> {
    let mut tenants = Vec::new();
    for n in 0..WORKSPACES {
        let (t, dev) = tenant(app, owner, n).await;
        let words = ["lamp", "spin", "drop", "left", "right", "down"];
        let mut whens: Vec<Value> = words
            .iter()
            .map(|w| json!({"event": "comment", "equals": w}))
            .collect();
        whens.push(json!({"event": "gift", "gift_name": "Rose"}));
        for _ in 0..3 {
            whens.push(json!({"event": "gift", "gift_name": "Galaxy"}));
        }
        for (i, when) in whens.into_iter().enumerate() {
            app.post(&format!("/workspaces/{}/rules", t.ws), &owner.token,
                json!({"name": format!("r{i}"), "when": when, "then": {"device_id": dev, "command": "LAMP"}, "cooldown_ms": 60_000}))
                .await
                .expect(201);
        }
        tenants.push(t);
    }
    tenants
}

fn viewer(n: u64) -> EventUser {
    EventUser {
        id: format!("{}", n % 5000),
        unique_id: format!("viewer{}", n % 5000),
        nickname: format!("Viewer {}", n % 5000),
    }
}

/// The same mix for both: half chatter, a quarter game words, a quarter control words.
fn event(t: &Tenant, n: u64) -> Arc<Event> {
    let text = match n % 8 {
        0 => "lamp",
        1 => "spin",
        2 => "left",
        3 => "down",
        _ => "just chatting with everyone here",
    };
    Arc::new(Event {
        id: format!("evt_g{n}"),
        workspace_id: t.ws.clone(),
        stream_id: t.ls.clone(),
        kind: EventKind::Comment {
            text: text.to_owned(),
            user: viewer(n),
        },
        ts: 0,
        simulated: true,
    })
}

async fn throughput(app: &TestApp, tenants: &[Tenant], total: u64, label: &str) -> f64 {
    let processed = || app.state.metrics.rule_events.get();
    let base = processed();
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        while sent - (processed() - base) > 20_000 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        for _ in 0..1000 {
            let t = &tenants[(sent % WORKSPACES as u64) as usize];
            app.state.bus.publish(event(t, sent + total * 3));
            sent += 1;
        }
        tokio::task::yield_now().await;
    }
    while processed() - base < total {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    println!("{label}: {rate:.0} events/s through bus + rules ({total} events)");
    rate
}

/// utime + stime of every Chromium process, in clock ticks.
fn chromium_ticks() -> u64 {
    let mut ticks = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((name, rest)) = stat.split_once(") ") else {
            continue;
        };
        if !name.contains("(chrom") {
            continue;
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After the name: state is field 3 of stat; utime and stime are fields 14 and 15.
        ticks += fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    }
    ticks
}

fn cpu_percent(ticks: u64, over: Duration) -> f64 {
    // USER_HZ is 100 on Linux.
    ticks as f64 / 100.0 / over.as_secs_f64() * 100.0
}

async fn overlay(owner: &TestUser, app: &TestApp) {
    let (t, dev) = tenant(app, owner, 99).await;
    let token = app
        .post(
            &format!("/workspaces/{}/devices/{dev}/token", t.ws),
            &owner.token,
            json!({}),
        )
        .await
        .expect(201)["agent_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut agent = agents::connect_agent(app, &token).await.unwrap();
    tokio::spawn(async move {
        while let Some(frame) = agents::next_json(&mut agent.socket).await {
            if frame["type"] == "command" {
                agents::send_json(
                    &mut agent.socket,
                    json!({"type": "ack", "id": frame["id"], "status": "done"}),
                )
                .await;
            }
        }
    });
    app.patch(
        &format!("/workspaces/{}/devices/{dev}", t.ws),
        &owner.token,
        json!({"concurrency": "parallel"}),
    )
    .await
    .expect(200);
    for game in [
        json!({"kind": "vote", "name": "Vote", "window_s": 5, "options": [
            {"word": "lamp", "device_id": dev, "command": "LAMP"},
            {"word": "spin", "device_id": dev, "command": "SPIN"}]}),
        json!({"kind": "queue", "name": "Claw", "ticket": {"gift_name": "Rose"}, "turn_s": 3, "controls": [
            {"word": "left", "device_id": dev, "command": "LEFT"},
            {"word": "right", "device_id": dev, "command": "RIGHT"}]}),
        json!({"kind": "goal", "name": "Likes", "unit": "likes", "target": 500, "device_id": dev, "command": "SPIN", "duration_ms": 100}),
        json!({"kind": "gift_action", "name": "Gifts", "gifts": [{"gift_name": "Galaxy", "device_id": dev, "command": "LAMP", "duration_ms": 100}]}),
    ] {
        app.post(&format!("/workspaces/{}/presets", t.ws), &owner.token, game)
            .await
            .expect(201);
    }
    let created = app
        .post(
            &format!("/workspaces/{}/overlay-tokens", t.ws),
            &owner.token,
            json!({"name": "bench"}),
        )
        .await
        .expect(201);
    let path = created["url"].as_str().unwrap().to_owned();
    let browser = harness::Browser::start("bench-overlay").await;
    browser.open(app, &path).await;
    browser.find("#overlay section.game").await;

    let idle_window = Duration::from_secs(10);
    let before = chromium_ticks();
    tokio::time::sleep(idle_window).await;
    let idle = cpu_percent(chromium_ticks() - before, idle_window);

    let client = reqwest::Client::new();
    let panel_url = format!("{}{path}/panel", app.address);
    let window = Duration::from_secs(20);
    let start = Instant::now();
    let before = chromium_ticks();
    let (mut n, mut bytes, mut samples, mut changes, mut last) =
        (0u64, 0usize, 0usize, 0usize, String::new());
    let mut next_sample = Instant::now();
    while start.elapsed() < window {
        // 100 events/s: votes, claw controls, tickets, likes, gifts.
        for _ in 0..10 {
            let kind = match n % 10 {
                0..=3 => EventKind::Comment {
                    text: ["lamp", "spin", "left", "right"][(n % 4) as usize].into(),
                    user: viewer(n),
                },
                4..=6 => EventKind::Like {
                    count: 15,
                    total: 0,
                    user: viewer(n),
                },
                7 | 8 => EventKind::Gift {
                    gift_id: 5655,
                    gift_name: "Rose".into(),
                    diamond_count: 1,
                    repeat_count: 1,
                    total_diamonds: 1,
                    user: viewer(n),
                },
                _ => EventKind::Gift {
                    gift_id: 5000,
                    gift_name: "Galaxy".into(),
                    diamond_count: 1000,
                    repeat_count: 1,
                    total_diamonds: 1000,
                    user: viewer(n),
                },
            };
            app.state.bus.publish(Arc::new(Event {
                id: format!("evt_o{n}"),
                workspace_id: t.ws.clone(),
                stream_id: t.ls.clone(),
                kind,
                ts: 0,
                simulated: true,
            }));
            n += 1;
        }
        if Instant::now() >= next_sample {
            // What the overlay fetches once a second.
            let body = client
                .get(&panel_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            bytes += body.len();
            samples += 1;
            if body != last {
                changes += 1;
                last = body;
            }
            next_sample += Duration::from_secs(1);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let busy = cpu_percent(chromium_ticks() - before, start.elapsed());
    println!(
        "overlay at 100 events/s: {} bytes per panel update (mean of {samples}), {changes} of {samples} polls changed it (one poll a second)",
        bytes / samples.max(1)
    );
    println!(
        "overlay Chromium CPU: {busy:.1} % of one core at 100 events/s ({n} events in {:.0} s), {idle:.1} % idle",
        start.elapsed().as_secs_f64()
    );
    browser.close().await;
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        let games_app = helpers::spawn_app_with(|s| s.server.workers = 2).await;
        let owner = games_app.user("bench").await;
        let tenants = with_games(&games_app, &owner).await;
        let plain_app = helpers::spawn_app_with(|s| s.server.workers = 2).await;
        let plain_owner = plain_app.user("bench").await;
        let plain = with_plain_rules(&plain_app, &plain_owner).await;
        // Warm both, then measure each twice, alternating.
        throughput(&games_app, &tenants, 20_000, "warm-up (games)").await;
        throughput(&plain_app, &plain, 20_000, "warm-up (plain)").await;
        let mut games = Vec::new();
        let mut rules = Vec::new();
        for _ in 0..2 {
            games.push(throughput(&games_app, &tenants, 200_000, "200 preset rules").await);
            rules.push(throughput(&plain_app, &plain, 200_000, "200 plain rules").await);
        }
        let (g, p) = (
            games.iter().sum::<f64>() / games.len() as f64,
            rules.iter().sum::<f64>() / rules.len() as f64,
        );
        println!(
            "rule engine: preset rules at {:.0} % of plain rules' events/s (target ≥ 80 %)",
            g / p * 100.0
        );
        overlay(&owner, &games_app).await;
    });
}
