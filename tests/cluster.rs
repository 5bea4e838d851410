//! Several real `livectl serve` processes on one PostgreSQL and one Redis, as a host runs them:
//! a node killed with `kill -9` mid-stream, Redis restarted mid-stream, a node stopped with
//! SIGTERM while agents and livestreams are on it. TikTok is the fake of the API tests,
//! speaking the real wire protocol. `scripts/test` provides PostgreSQL and redis-server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/fake_tiktok.rs"]
#[allow(dead_code)]
mod fake_tiktok;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use diesel::{Connection as _, RunQueryDsl as _};
use fake_tiktok::{FakeTiktok, chat_now, frame};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const BIN: &str = env!("CARGO_BIN_EXE_livectl");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (up to `limit`) until `ok` holds; how long it took.
async fn until(what: &str, limit: Duration, mut ok: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ok().await {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never within {limit:?}: {what}");
}

/// A redis-server of this test's own (so it can be restarted).
struct Redis {
    port: u16,
    child: Child,
}

impl Redis {
    async fn start() -> Redis {
        Self::start_on(free_port()).await
    }

    async fn start_on(port: u16) -> Redis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (scripts/test installs it)");
        let redis = Redis { port, child };
        until(
            "redis-server answers",
            Duration::from_secs(10),
            async || redis.connection().await.is_some(),
        )
        .await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn connection(&self) -> Option<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()?;
        Some(conn)
    }

    /// Stops it and starts a new one, empty, on the same port.
    async fn restart(mut self) -> Redis {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.port;
        Redis::start_on(port).await
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each node's log, kept in `target/cluster-logs/` to read after a failure.
fn log_file() -> Stdio {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cluster-logs");
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("node-{}.log", ulid::Ulid::new().to_string().to_lowercase());
    eprintln!("node log: {}", dir.join(&name).display());
    Stdio::from(std::fs::File::create(dir.join(name)).unwrap())
}

/// What the nodes of one installation share.
struct Installation {
    database_url: String,
    redis_url: String,
    namespace: String,
    tiktok_url: String,
    http: reqwest::Client,
}

impl Installation {
    fn new(redis: &Redis, tiktok: &FakeTiktok) -> Installation {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = std::env::var("LIVECTL_PG_URL").expect(
            "LIVECTL_PG_URL is not set: run the suite with scripts/test, which starts a private PostgreSQL",
        );
        let name = format!("c_{}", ulid::Ulid::new().to_string().to_lowercase());
        let mut conn = diesel::PgConnection::establish(&base).expect("reach PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let (server, _) = base.rsplit_once('/').unwrap();
        Installation {
            database_url: format!("{server}/{name}"),
            redis_url: redis.url(),
            namespace: name,
            tiktok_url: tiktok.url.clone(),
            http: reqwest::Client::new(),
        }
    }

    /// Starts a node and waits until it is ready.
    async fn node(&self) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--http", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env("LIVECTL_DATABASE__URL", &self.database_url)
            .env("LIVECTL_BUS__KIND", "redis")
            .env("LIVECTL_REDIS__URL", &self.redis_url)
            .env("LIVECTL_REDIS__NAMESPACE", &self.namespace)
            .env("LIVECTL_REDIS__LEASE_TTL_MS", "3000")
            .env("LIVECTL_REDIS__CLAIM_IDLE_MS", "1000")
            .env(
                "LIVECTL_AUTH__JWT_SECRET",
                "the nodes of this installation share this secret",
            )
            .env("LIVECTL_AUTH__BCRYPT_COST", "4")
            .env("LIVECTL_MQTT__ENABLED", "false")
            .env("LIVECTL_TIKTOK__WEB_URL", &self.tiktok_url)
            .env("LIVECTL_TIKTOK__SIGN_URL", &self.tiktok_url)
            .env("LIVECTL_TIKTOK__HEARTBEAT_MS", "100")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log_file())
            .spawn()
            .expect("spawn livectl serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let port: u16 = line
            .rsplit("port ")
            .next()
            .and_then(|p| p.trim().trim_end_matches(')').parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        // Whatever else it prints must not fill the pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let node = Node {
            child,
            port,
            _dir: dir,
        };
        let http = self.http.clone();
        until("the node is ready", Duration::from_secs(20), async || {
            http.get(node.url("/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        node
    }
}

struct Node {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Node {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    fn signal(&self, signal: i32) {
        // SAFETY: sends a signal to our own child process; no memory is involved.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Livestreams this node runs (from its metrics).
    async fn livestreams(&self, http: &reqwest::Client) -> u64 {
        let Ok(answer) = http.get(self.url("/metrics")).send().await else {
            return 0;
        };
        let text = answer.text().await.unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix("livectl_livestreams_connected "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map_or(0, |v| v as u64)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-in owner with a workspace, an agent device and a rule "comment contains go →
/// LED_ON", and a TikTok livestream connected through `node`.
struct Studio {
    token: String,
    ws: String,
    device_token: String,
    livestream: String,
}

async fn call(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(&url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let answer = req.send().await.unwrap();
    let status = answer.status();
    let body = answer.json::<Value>().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {body}");
    body
}

async fn studio(node: &Node, http: &reqwest::Client) -> Studio {
    let login = json!({"email": "owner@example.com", "password": "a long password"});
    call(http, node.api("/auth/register"), None, login.clone()).await;
    let token = call(http, node.api("/auth/login"), None, login).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = Some(token.as_str());
    let ws = call(http, node.api("/workspaces"), t, json!({"name": "Studio"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let device = call(
        http,
        node.api(&format!("/workspaces/{ws}/devices")),
        t,
        json!({"name": "Board", "transport": "agent", "allowed_commands": ["LED_ON"]}),
    )
    .await;
    call(
        http,
        node.api(&format!("/workspaces/{ws}/rules")),
        t,
        json!({"name": "Go", "when": {"event": "comment", "contains": "go"}, "then": {"command": "LED_ON", "duration": 100}}),
    )
    .await;
    let livestream = call(
        http,
        node.api(&format!("/workspaces/{ws}/livestreams")),
        t,
        json!({"target": "@someone"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        http,
        node.api(&format!(
            "/workspaces/{ws}/livestreams/{livestream}/connect"
        )),
        t,
        json!({}),
    )
    .await;
    Studio {
        token,
        ws,
        device_token: device["agent_token"].as_str().unwrap().to_owned(),
        livestream,
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn agent(node: &Node, device_token: &str) -> Socket {
    let mut request = format!("ws://127.0.0.1:{}/ws/agent", node.port)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {device_token}").parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = next_frame(&mut socket).await.expect("hello");
    assert_eq!(hello["type"], "hello");
    socket
}

/// Waits until every node shows the device online: a command issued on any of them reaches
/// the agent (nodes learn where a device is connected from each other's announcements).
async fn online_everywhere(nodes: &[&Node], http: &reqwest::Client, studio: &Studio) {
    for node in nodes {
        until(
            "the device shows online",
            Duration::from_secs(5),
            async || {
                let Ok(answer) = http
                    .get(node.api(&format!("/workspaces/{}/devices", studio.ws)))
                    .bearer_auth(&studio.token)
                    .send()
                    .await
                else {
                    return false;
                };
                let devices: Value = answer.json().await.unwrap_or(Value::Null);
                devices[0]["online"] == true
            },
        )
        .await;
    }
}

/// The next JSON frame, `None` when the socket closed or nothing came within 5 s.
async fn next_frame(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => {
                return None;
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// The next command at the agent: checked not late, acknowledged as done.
async fn next_command(socket: &mut Socket) -> Value {
    loop {
        let frame = next_frame(socket).await.expect("a command frame");
        if frame["type"] != "command" {
            continue;
        }
        let now = livectl::ids::now_ms();
        assert!(
            frame["expires_at"].as_i64().unwrap() > now,
            "a command arrived after its expiry: {frame}"
        );
        let ack = json!({"type": "ack", "id": frame["id"], "status": "done"});
        socket.send(Message::text(ack.to_string())).await.unwrap();
        return frame;
    }
}

/// Sends a TikTok comment "go {n}" (message id `n`) to whichever node holds the livestream.
fn comment(tiktok: &FakeTiktok, n: i64) {
    tiktok
        .control
        .push(frame(n as u64, vec![chat_now(n, &format!("go {n}"))]));
}

/// Every command recorded, counted by event: each event fired its rule once at most.
async fn commands_by_event(
    node: &Node,
    http: &reqwest::Client,
    studio: &Studio,
) -> HashMap<String, usize> {
    let list: Vec<Value> = http
        .get(node.api(&format!("/workspaces/{}/commands?limit=200", studio.ws)))
        .bearer_auth(&studio.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut by_event = HashMap::new();
    for command in list {
        *by_event
            .entry(command["event_id"].as_str().unwrap_or("").to_owned())
            .or_insert(0) += 1;
    }
    by_event
}

/// Waits until nothing is left pending in the rules' consumer group (every event delivered,
/// including those taken over from a dead node).
async fn nothing_pending(redis: &Redis, installation: &Installation, livestream: &str) {
    let key = format!("stream:tiktok:{livestream}");
    let group = format!("{}:rules", installation.namespace);
    until("no event pending", Duration::from_secs(15), async || {
        let Some(mut conn) = redis.connection().await else {
            return false;
        };
        let pending: redis::RedisResult<redis::streams::StreamPendingReply> =
            redis::cmd("XPENDING")
                .arg(&key)
                .arg(&group)
                .query_async(&mut conn)
                .await;
        pending.is_ok_and(|p| p.count() == 0)
    })
    .await;
}

#[actix_web::test]
async fn a_node_killed_mid_stream_hands_its_livestream_over_and_nothing_fires_twice_or_late() {
    let tiktok = FakeTiktok::start().await;
    let redis = Redis::start().await;
    let installation = Installation::new(&redis, &tiktok);
    let http = installation.http.clone();
    let a = installation.node().await;
    let b = installation.node().await;
    let studio = studio(&a, &http).await;

    // One node holds the livestream: one socket at TikTok. The agent is on the other.
    until(
        "one socket at TikTok",
        Duration::from_secs(10),
        async || tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let (mut holder, other) = if a.livestreams(&http).await == 1 {
        (a, b)
    } else {
        (b, a)
    };
    let mut agent = agent(&other, &studio.device_token).await;
    online_everywhere(&[&holder, &other], &http, &studio).await;
    let mut events = Vec::new();
    for n in 1..=5 {
        comment(&tiktok, n);
        events.push(next_command(&mut agent).await["event_id"].clone());
    }

    // (The outcomes are recorded by the node that issued them; wait for them first, or the
    // kill could take the last one with it.)
    until(
        "five commands recorded",
        Duration::from_secs(5),
        async || commands_by_event(&other, &http, &studio).await.len() == 5,
    )
    .await;

    // kill -9 of the holder: the other node takes the livestream over, within 10 s.
    holder.signal(libc::SIGKILL);
    let killed = Instant::now();
    until("the holder is gone", Duration::from_secs(5), async || {
        holder.exited()
    })
    .await;
    until(
        "the other node reconnected to TikTok",
        Duration::from_secs(10),
        async || tiktok.control.sockets.load(SeqCst) == 2 && tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let takeover = killed.elapsed();
    assert!(
        takeover < Duration::from_secs(10),
        "takeover took {takeover:?}"
    );
    assert_eq!(other.livestreams(&http).await, 1);
    for n in 6..=10 {
        comment(&tiktok, n);
        events.push(next_command(&mut agent).await["event_id"].clone());
    }

    // Whatever the dead node had taken and not acknowledged is taken over now; then one more
    // comment: once its command is in, every earlier event has been decided.
    nothing_pending(&redis, &installation, &studio.livestream).await;
    comment(&tiktok, 11);
    events.push(next_command(&mut agent).await["event_id"].clone());
    let by_event = commands_by_event(&other, &http, &studio).await;
    assert_eq!(by_event.len(), 11, "{by_event:?}");
    assert!(by_event.values().all(|n| *n == 1), "{by_event:?}");
    let distinct: std::collections::HashSet<_> = events.iter().collect();
    assert_eq!(distinct.len(), 11);
    eprintln!("lease takeover after kill -9: {takeover:?}");
}

#[actix_web::test]
async fn a_redis_restart_mid_stream_is_survived_and_nothing_fires_twice() {
    let tiktok = FakeTiktok::start().await;
    let redis = Redis::start().await;
    let installation = Installation::new(&redis, &tiktok);
    let http = installation.http.clone();
    let a = installation.node().await;
    let b = installation.node().await;
    let studio = studio(&a, &http).await;
    until(
        "one socket at TikTok",
        Duration::from_secs(10),
        async || tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let mut agent = agent(&b, &studio.device_token).await;
    online_everywhere(&[&a, &b], &http, &studio).await;
    comment(&tiktok, 1);
    next_command(&mut agent).await;

    let redis = redis.restart().await;
    for node in [&a, &b] {
        until(
            "the node is ready again",
            Duration::from_secs(10),
            async || {
                http.get(node.url("/readyz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            },
        )
        .await;
    }
    // Comments go through again once the nodes have registered their streams anew (a comment
    // sent while they had not is lost, never fired late).
    let mut n = 2;
    loop {
        comment(&tiktok, n);
        n += 1;
        let frame = tokio::time::timeout(Duration::from_secs(1), next_command(&mut agent)).await;
        if frame.is_ok() {
            break;
        }
        assert!(n < 30, "no command got through after Redis restarted");
    }
    for _ in 0..3 {
        comment(&tiktok, n);
        n += 1;
        next_command(&mut agent).await;
    }
    // Still one livestream socket, and the control plane works: a kill switch through A
    // reaches the agent on B.
    assert_eq!(tiktok.control.open.load(SeqCst), 1);
    call(
        &http,
        a.api(&format!("/workspaces/{}/kill-switch", studio.ws)),
        Some(&studio.token),
        json!({"engaged": true, "reason": "after the restart"}),
    )
    .await;
    loop {
        let frame = next_frame(&mut agent).await.expect("the kill frame");
        if frame["type"] == "kill" {
            assert_eq!(frame["engaged"], true);
            break;
        }
    }
    nothing_pending(&redis, &installation, &studio.livestream).await;
    let by_event = commands_by_event(&a, &http, &studio).await;
    assert!(by_event.values().all(|n| *n == 1), "{by_event:?}");
}

#[actix_web::test]
async fn sigterm_hands_agents_and_livestreams_to_the_other_nodes_within_seconds() {
    let tiktok = FakeTiktok::start().await;
    let redis = Redis::start().await;
    let installation = Installation::new(&redis, &tiktok);
    let http = installation.http.clone();
    // A alone takes the livestream; B and C join after.
    let mut a = installation.node().await;
    let studio = studio(&a, &http).await;
    until(
        "A runs the livestream",
        Duration::from_secs(10),
        async || tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let b = installation.node().await;
    let c = installation.node().await;
    let mut agent_on_a = agent(&a, &studio.device_token).await;
    comment(&tiktok, 1);
    online_everywhere(&[&a], &http, &studio).await;
    next_command(&mut agent_on_a).await;

    let stopped = Instant::now();
    a.signal(libc::SIGTERM);
    // The agent is told "going away" and reconnects to another node.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), agent_on_a.next())
            .await
            .expect("a close frame in time")
        {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1001));
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    }
    until("A exits", Duration::from_secs(5), async || a.exited()).await;
    assert!(stopped.elapsed() < Duration::from_secs(5));
    let mut agent_on_b = agent(&b, &studio.device_token).await;
    online_everywhere(&[&b, &c], &http, &studio).await;
    until(
        "B or C runs the livestream",
        Duration::from_secs(10),
        async || {
            tiktok.control.open.load(SeqCst) == 1
                && b.livestreams(&http).await + c.livestreams(&http).await == 1
        },
    )
    .await;
    comment(&tiktok, 2);
    let command = next_command(&mut agent_on_b).await;
    assert_eq!(command["cmd"], "LED_ON");

    // The kill switch through C reaches the agent on B.
    call(
        &http,
        c.api(&format!("/workspaces/{}/kill-switch", studio.ws)),
        Some(&studio.token),
        json!({"engaged": true, "reason": "through C"}),
    )
    .await;
    loop {
        let frame = next_frame(&mut agent_on_b).await.expect("the kill frame");
        if frame["type"] == "kill" {
            assert_eq!(frame["engaged"], true);
            break;
        }
    }
}
