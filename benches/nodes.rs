//! Benchmarks of several nodes as one installation (issue "Many nodes, one installation"), with
//! real `livectl serve` processes (this build's binary) on PostgreSQL (`LIVECTL_PG_URL`, as
//! `scripts/test` starts it) and a private redis-server, and the fake TikTok speaking the real
//! wire protocol. Run with `cargo bench --bench nodes` (`LIVECTL_BENCH_ONLY=nodes,fairness,…`
//! runs some parts only: nodes, fairness, connector, takeover). Prints:
//!   - kill switch engaged through A → `kill` frame at an agent on B, p50 / p99;
//!   - event injected through A's API → command frame at an agent on B, p50 / p99;
//!   - events/s through bus and rules with 1, 2 and 3 nodes;
//!   - one workspace's command latency while another floods its rules, on one node;
//!   - CPU and memory of one node with 100 and 1,000 TikTok livestreams at 5 messages/s each;
//!   - lease takeover after `kill -9` of the node holding a livestream (default lease TTL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/fake_tiktok.rs"]
#[allow(dead_code)]
mod fake_tiktok;
#[path = "../tests/support/cluster.rs"]
mod support;

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use fake_tiktok::{FakeTiktok, chat_now, frame};
use futures_util::SinkExt as _;
use livectl::protocol::{Event, EventKind, EventUser};
use serde_json::{Value, json};
use support::*;
use tokio_tungstenite::tungstenite::Message;

fn percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: p50 {:.2?}, p99 {:.2?}, max {:.2?} ({} samples)",
        p(0.5),
        p(0.99),
        samples[samples.len() - 1],
        samples.len()
    );
}

async fn put(http: &reqwest::Client, url: String, token: &str, body: Value) {
    let answer = http
        .put(&url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{url}: {}", answer.status());
}

/// An owner (the platform admin: the first account) with a token.
async fn owner(node: &Node, http: &reqwest::Client, email: &str) -> String {
    let login = json!({"email": email, "password": "a long password"});
    call(http, node.api("/auth/register"), None, login.clone()).await;
    call(http, node.api("/auth/login"), None, login).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A workspace on the unlimited plan with an agent device (commands: GO) and `rules`, and a
/// livestream (`target`: TikTok; none: a simulator left unconnected, for injected events).
struct Tenant {
    ws: String,
    livestream: String,
    device_token: String,
}

async fn tenant(
    node: &Node,
    http: &reqwest::Client,
    token: &str,
    rules: &[Value],
    target: Option<&str>,
) -> Tenant {
    let t = Some(token);
    let name = format!("bench {}", ulid::Ulid::new());
    let ws = call(http, node.api("/workspaces"), t, json!({"name": name})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    put(
        http,
        node.api(&format!("/admin/workspaces/{ws}/plan")),
        token,
        json!({"plan": "unlimited"}),
    )
    .await;
    let device = call(
        http,
        node.api(&format!("/workspaces/{ws}/devices")),
        t,
        json!({"name": "Board", "transport": "agent", "allowed_commands": ["GO"], "max_commands_per_minute": 6000}),
    )
    .await;
    for rule in rules {
        call(
            http,
            node.api(&format!("/workspaces/{ws}/rules")),
            t,
            rule.clone(),
        )
        .await;
    }
    let body = match target {
        Some(target) => json!({"target": target}),
        None => json!({"target": "bench", "source": "simulator"}),
    };
    let livestream = call(
        http,
        node.api(&format!("/workspaces/{ws}/livestreams")),
        t,
        body,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    if target.is_some() {
        call(
            http,
            node.api(&format!(
                "/workspaces/{ws}/livestreams/{livestream}/connect"
            )),
            t,
            json!({}),
        )
        .await;
    }
    Tenant {
        ws,
        livestream,
        device_token: device["agent_token"].as_str().unwrap().to_owned(),
    }
}

fn go_rule() -> Value {
    json!({"name": "Go", "when": {"event": "comment", "contains": "go"}, "then": {"command": "GO", "duration": 100}})
}

async fn inject(node: &Node, http: &reqwest::Client, token: &str, t: &Tenant, text: &str) {
    call(
        http,
        node.api(&format!(
            "/workspaces/{}/livestreams/{}/events",
            t.ws, t.livestream
        )),
        Some(token),
        json!({"event_type": "comment", "payload": {"text": text}}),
    )
    .await;
}

async fn ack(socket: &mut Socket, frame: &Value) {
    let ack = json!({"type": "ack", "id": frame["id"], "status": "done"});
    socket.send(Message::text(ack.to_string())).await.unwrap();
}

/// The next frame of `kind`.
async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = next_frame(socket).await.expect("a frame");
        if frame["type"] == kind {
            return frame;
        }
    }
}

/// CPU time a process has used so far, in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// A counter of a node's /metrics.
async fn metric(node: &Node, http: &reqwest::Client, name: &str) -> f64 {
    let Ok(answer) = http.get(node.url("/metrics")).send().await else {
        return 0.0;
    };
    let text = answer.text().await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn handled(nodes: &[&Node], http: &reqwest::Client) -> u64 {
    let mut sum = 0.0;
    for node in nodes {
        sum += metric(node, http, "livectl_rule_events_total").await;
    }
    sum as u64
}

/// Events written straight into the livestreams' Redis streams, as fast as the nodes take them
/// (at most 20,000 ahead): events/s through bus and rules.
async fn throughput(
    redis: &Redis,
    nodes: &[&Node],
    http: &reqwest::Client,
    tenants: &[Tenant],
    total: u64,
) -> f64 {
    let mut conn = redis.connection().await.unwrap();
    let base = handled(nodes, http).await;
    let pids: Vec<u32> = nodes.iter().map(|n| n.child.id()).collect();
    let cpu = || {
        (
            pids.iter().map(|p| cpu_ticks(*p)).sum::<u64>(),
            cpu_ticks(redis.child.id()),
            cpu_ticks(std::process::id()),
        )
    };
    let cpu_before = cpu();
    let start = Instant::now();
    let mut sent = 0u64;
    let mut done = 0u64;
    while sent < total {
        if sent - done > 20_000 {
            done = handled(nodes, http).await - base;
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        let mut pipe = redis::pipe();
        for _ in 0..1000 {
            let t = &tenants[(sent % tenants.len() as u64) as usize];
            let event = Event {
                id: format!("evt_bench{}_{sent}", nodes.len()),
                workspace_id: t.ws.clone(),
                stream_id: t.livestream.clone(),
                // One in ten meets a rule with an `every` counter: state shared in Redis.
                kind: EventKind::Comment {
                    text: if sent.is_multiple_of(10) {
                        "please spin".into()
                    } else {
                        "just chatting with everyone here".into()
                    },
                    user: EventUser {
                        id: format!("{}", sent % 5000),
                        unique_id: format!("viewer{}", sent % 5000),
                        nickname: "Viewer".into(),
                    },
                },
                ts: livectl::ids::now_ms(),
                simulated: true,
            };
            pipe.cmd("XADD")
                .arg(format!("stream:tiktok:{}", t.livestream))
                .arg("MAXLEN")
                .arg("~")
                .arg(100_000)
                .arg("*")
                .arg("data")
                .arg(serde_json::to_string(&event).unwrap())
                .ignore();
            sent += 1;
        }
        pipe.query_async::<()>(&mut conn).await.unwrap();
    }
    while handled(nodes, http).await - base < total {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let rate = total as f64 / seconds;
    let cpu_after = cpu();
    let percent = |after: u64, before: u64| (after - before) as f64 / seconds;
    println!(
        "{} node(s): {rate:.0} events/s through bus + rules (10 workspaces × 10 rules, {total} events); CPU: nodes {:.0} %, Redis {:.0} %, load generator {:.0} % (100 % = one core)",
        nodes.len(),
        percent(cpu_after.0, cpu_before.0),
        percent(cpu_after.1, cpu_before.1),
        percent(cpu_after.2, cpu_before.2),
    );
    rate
}

/// Ten workspaces with ten rules each that chatter never fires, their streams registered.
async fn chatter_tenants(node: &Node, http: &reqwest::Client, token: &str) -> Vec<Tenant> {
    let rules: Vec<Value> = (0..10)
        .map(|r| {
            let when = match r % 5 {
                0 => json!({"event": "comment", "contains": format!("fire{r}")}),
                1 => json!({"event": "comment", "regex": format!("^!cmd{r}\\s+\\w+$")}),
                2 => json!({"event": "comment", "any_of": ["red", "green", "blue"]}),
                3 => json!({"event": "comment", "starts_with": "please", "every": 50}),
                _ => json!({"event": "comment", "equals": format!("go{r}")}),
            };
            json!({"name": format!("r{r}"), "when": when, "then": {"command": "GO"}})
        })
        .collect();
    let mut tenants = Vec::new();
    for _ in 0..10 {
        let t = tenant(node, http, token, &rules, None).await;
        // The first event creates the stream and every node's consumer group on it.
        inject(node, http, token, &t, "hello").await;
        tenants.push(t);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    tenants
}

async fn across_nodes(tiktok: &FakeTiktok, redis: &Redis) {
    let installation = installation(redis, tiktok, &[]);
    let http = installation.http.clone();
    let a = installation.node().await;
    let token = owner(&a, &http, "nodes@example.com").await;
    let tenants = chatter_tenants(&a, &http, &token).await;
    let one = throughput(redis, &[&a], &http, &tenants, 100_000).await;
    let b = installation.node().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let two = throughput(redis, &[&a, &b], &http, &tenants, 100_000).await;
    let c = installation.node().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let three = throughput(redis, &[&a, &b, &c], &http, &tenants, 100_000).await;
    println!(
        "scaling: 2 nodes {:.2}× one node, 3 nodes {:.2}× (this machine has {} cores for nodes, Redis and this load generator together)",
        two / one,
        three / one,
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    // Latencies across nodes: the agent is on B, everything is done through A.
    let t = tenant(&a, &http, &token, &[go_rule()], None).await;
    let mut agent_b = agent(&b, &t.device_token).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut kills = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        put_kill(&a, &http, &token, &t.ws, true).await;
        assert_eq!(next_of(&mut agent_b, "kill").await["engaged"], true);
        kills.push(start.elapsed());
        put_kill(&a, &http, &token, &t.ws, false).await;
        assert_eq!(next_of(&mut agent_b, "kill").await["engaged"], false);
    }
    percentiles(
        "kill switch through A → kill frame at the agent on B (HTTP request included)",
        kills,
    );
    let mut commands = Vec::new();
    for _ in 0..1000 {
        let start = Instant::now();
        inject(&a, &http, &token, &t, "go").await;
        let frame = next_of(&mut agent_b, "command").await;
        commands.push(start.elapsed());
        ack(&mut agent_b, &frame).await;
    }
    percentiles(
        "event injected through A's API → command frame at the agent on B (HTTP request included)",
        commands,
    );
}

async fn put_kill(node: &Node, http: &reqwest::Client, token: &str, ws: &str, engaged: bool) {
    call(
        http,
        node.api(&format!("/workspaces/{ws}/kill-switch")),
        Some(token),
        json!({"engaged": engaged, "reason": "bench"}),
    )
    .await;
}

/// A new installation whose nodes log warnings only, with `env` on top.
fn installation(redis: &Redis, tiktok: &FakeTiktok, env: &[(&str, &str)]) -> Installation {
    let mut installation = Installation::new(redis, tiktok);
    installation.env = [("RUST_LOG", "warn")]
        .iter()
        .chain(env)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    installation
}

/// One node; a quiet workspace's command latency, alone and while another workspace floods its
/// twenty regex rules with long comments from TikTok.
async fn fairness(redis: &Redis) {
    let tiktok = FakeTiktok::start().await;
    let installation = installation(redis, &tiktok, &[("LIVECTL_BUS__KIND", "memory")]);
    let http = installation.http.clone();
    let node = installation.node().await;
    let token = owner(&node, &http, "fair@example.com").await;
    let quiet = tenant(&node, &http, &token, &[go_rule()], None).await;
    let heavy: Vec<Value> = (0..20)
        .map(|r| json!({"name": format!("heavy {r}"), "when": {"event": "comment", "regex": format!("(a|b|c)+x{r}(y|z)*$")}, "then": {"command": "GO"}}))
        .collect();
    tenant(&node, &http, &token, &heavy, Some("@flood")).await;
    let mut agent_q = agent(&node, &quiet.device_token).await;
    until(
        "the flooding livestream is connected",
        Duration::from_secs(10),
        async || tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let measure = async |agent_q: &mut Socket| {
        let mut samples = Vec::new();
        for _ in 0..300 {
            let start = Instant::now();
            inject(&node, &http, &token, &quiet, "go").await;
            let frame = next_of(agent_q, "command").await;
            samples.push(start.elapsed());
            ack(agent_q, &frame).await;
        }
        samples
    };
    percentiles(
        "quiet workspace, event → command at its agent, alone",
        measure(&mut agent_q).await,
    );
    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let text = "ab".repeat(240);
    let pusher = {
        let flooding = flooding.clone();
        let control = tiktok.control.clone();
        actix_web::rt::spawn(async move {
            let mut n = 1_000_000i64;
            while flooding.load(SeqCst) {
                let messages = (0..50).map(|i| chat_now(n + i, &text)).collect();
                control.push(frame(n as u64, messages));
                n += 50;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let before = metric(&node, &http, "livectl_rule_events_total").await;
    let started = Instant::now();
    let flooded = measure(&mut agent_q).await;
    let rate = (metric(&node, &http, "livectl_rule_events_total").await - before)
        / started.elapsed().as_secs_f64();
    flooding.store(false, SeqCst);
    let _ = pusher.await;
    percentiles(
        &format!(
            "quiet workspace, event → command at its agent, while another floods ({rate:.0} events/s of 480-character comments on 20 regex rules)"
        ),
        flooded,
    );
}

/// One node with `count` TikTok livestreams, each sent 5 messages/s: its CPU and memory.
async fn connector_load(redis: &Redis, count: usize) {
    let tiktok = FakeTiktok::start().await;
    // The fake sign server has no limit: the budget is set past what 1,000 connections need.
    let installation = installation(
        redis,
        &tiktok,
        &[
            ("LIVECTL_BUS__KIND", "memory"),
            ("LIVECTL_TIKTOK__SIGN_CALLS_PER_MINUTE", "100000"),
        ],
    );
    let http = installation.http.clone();
    let node = installation.node().await;
    let token = owner(&node, &http, "load@example.com").await;
    let t = Some(token.as_str());
    let ws = call(&http, node.api("/workspaces"), t, json!({"name": "load"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    put(
        &http,
        node.api(&format!("/admin/workspaces/{ws}/plan")),
        &token,
        json!({"plan": "unlimited"}),
    )
    .await;
    for i in 0..count {
        let ls = call(
            &http,
            node.api(&format!("/workspaces/{ws}/livestreams")),
            t,
            json!({"target": format!("@streamer{i}")}),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        call(
            &http,
            node.api(&format!("/workspaces/{ws}/livestreams/{ls}/connect")),
            t,
            json!({}),
        )
        .await;
    }
    until(
        "every livestream connected",
        Duration::from_secs(120),
        async || tiktok.control.open.load(SeqCst) as usize == count,
    )
    .await;
    let pid = node.child.id();
    let cpu = || cpu_ticks(pid);
    let rss_mb = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse::<f64>().ok())
            .unwrap()
            / 1024.0
    };
    let events_before = metric(&node, &http, "livectl_live_events_total").await;
    let ticks_before = cpu();
    let start = Instant::now();
    let mut n = 1i64;
    while start.elapsed() < Duration::from_secs(10) {
        tiktok
            .control
            .push(frame(n as u64, vec![chat_now(n, "hello everyone")]));
        n += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let ticks = cpu() - ticks_before;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = metric(&node, &http, "livectl_live_events_total").await - events_before;
    println!(
        "{count} TikTok livestreams at 5 messages/s each on one node: CPU {:.1} % of one core, RSS {:.0} MB, {:.0} events/s decoded",
        ticks as f64 / seconds, // clock ticks are 1/100 s: ticks per second = percent
        rss_mb(),
        events / seconds
    );
}

async fn takeover(redis: &Redis) {
    let tiktok = FakeTiktok::start().await;
    let installation = installation(redis, &tiktok, &[("LIVECTL_REDIS__LEASE_TTL_MS", "5000")]);
    let http = installation.http.clone();
    let a = installation.node().await;
    let b = installation.node().await;
    let token = owner(&a, &http, "takeover@example.com").await;
    tenant(&a, &http, &token, &[go_rule()], Some("@someone")).await;
    until(
        "one socket at TikTok",
        Duration::from_secs(10),
        async || tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let (holder, _other) = if a.livestreams(&http).await == 1 {
        (a, b)
    } else {
        (b, a)
    };
    holder.signal(libc::SIGKILL);
    let killed = Instant::now();
    until("taken over", Duration::from_secs(20), async || {
        tiktok.control.sockets.load(SeqCst) == 2 && tiktok.control.open.load(SeqCst) == 1
    })
    .await;
    println!(
        "lease takeover after kill -9 of the holding node (lease TTL 5 s, the default): {:.2?}",
        killed.elapsed()
    );
    drop(holder);
}

/// Whether a part is to run: all of them, or those named in `LIVECTL_BENCH_ONLY` (for example
/// `nodes,fairness`).
fn wanted(part: &str) -> bool {
    std::env::var("LIVECTL_BENCH_ONLY")
        .map_or(true, |only| only.split(',').any(|p| p.trim() == part))
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        let redis = Redis::start().await;
        let tiktok = FakeTiktok::start().await;
        if wanted("nodes") {
            across_nodes(&tiktok, &redis).await;
        }
        if wanted("fairness") {
            fairness(&redis).await;
        }
        if wanted("connector") {
            connector_load(&redis, 100).await;
            connector_load(&redis, 1000).await;
        }
        if wanted("takeover") {
            takeover(&redis).await;
        }
    });
}
