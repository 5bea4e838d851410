//! Real `livectl serve` processes of one installation (one PostgreSQL, one Redis), for
//! `tests/cluster.rs` and `benches/nodes.rs`: starting, signalling and reading nodes, a studio
//! (owner, workspace, agent device, rule, TikTok livestream), agent sockets.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::{Connection as _, RunQueryDsl as _};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::fake_tiktok::{FakeTiktok, chat_now, frame};

pub const BIN: &str = env!("CARGO_BIN_EXE_livectl");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (up to `limit`) until `ok` holds; how long it took.
pub async fn until(what: &str, limit: Duration, mut ok: impl AsyncFnMut() -> bool) -> Duration {
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
pub struct Redis {
    pub port: u16,
    pub child: Child,
}

impl Redis {
    pub async fn start() -> Redis {
        Self::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> Redis {
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

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn connection(&self) -> Option<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()?;
        Some(conn)
    }

    /// Stops it and starts a new one, empty, on the same port.
    pub async fn restart(mut self) -> Redis {
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
pub fn log_file() -> Stdio {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cluster-logs");
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("node-{}.log", ulid::Ulid::new().to_string().to_lowercase());
    eprintln!("node log: {}", dir.join(&name).display());
    Stdio::from(std::fs::File::create(dir.join(name)).unwrap())
}

/// What the nodes of one installation share.
pub struct Installation {
    pub database_url: String,
    pub redis_url: String,
    pub namespace: String,
    pub tiktok_url: String,
    pub http: reqwest::Client,
    /// Settings every node gets on top of the defaults here (`LIVECTL_…` variables).
    pub env: Vec<(String, String)>,
}

impl Installation {
    pub fn new(redis: &Redis, tiktok: &FakeTiktok) -> Installation {
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
            env: Vec::new(),
        }
    }

    /// Starts a node and waits until it is ready.
    pub async fn node(&self) -> Node {
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
            .env("LIVECTL_TIKTOK__WEBCAST_URL", &self.tiktok_url)
            .env("LIVECTL_TIKTOK__SIGN_URL", &self.tiktok_url)
            .env("LIVECTL_TIKTOK__HEARTBEAT_MS", "100")
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
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

pub struct Node {
    pub child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: sends a signal to our own child process; no memory is involved.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
    }

    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Livestreams this node runs (from its metrics).
    pub async fn livestreams(&self, http: &reqwest::Client) -> u64 {
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
pub struct Studio {
    pub token: String,
    pub ws: String,
    pub device_id: String,
    pub device_token: String,
    pub livestream: String,
}

pub async fn call(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
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

pub async fn studio(node: &Node, http: &reqwest::Client) -> Studio {
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
        device_id: device["device"]["id"].as_str().unwrap().to_owned(),
        device_token: device["agent_token"].as_str().unwrap().to_owned(),
        livestream,
    }
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn agent(node: &Node, device_token: &str) -> Socket {
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
pub async fn online_everywhere(nodes: &[&Node], http: &reqwest::Client, studio: &Studio) {
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
pub async fn next_frame(socket: &mut Socket) -> Option<Value> {
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
pub async fn next_command(socket: &mut Socket) -> Value {
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
pub fn comment(tiktok: &FakeTiktok, n: i64) {
    tiktok
        .control
        .push(frame(n as u64, vec![chat_now(n, &format!("go {n}"))]));
}

/// Every command recorded, counted by event: each event fired its rule once at most.
pub async fn commands_by_event(
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
pub async fn nothing_pending(redis: &Redis, installation: &Installation, livestream: &str) {
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

/// Two nodes of a new installation, with a studio whose livestream one of them runs.
pub struct Pair {
    pub tiktok: FakeTiktok,
    pub redis: Redis,
    pub installation: Installation,
    pub http: reqwest::Client,
    pub a: Node,
    pub b: Node,
    pub studio: Studio,
}

impl Pair {
    pub async fn start() -> Pair {
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
            async || {
                tiktok
                    .control
                    .open
                    .load(std::sync::atomic::Ordering::SeqCst)
                    == 1
            },
        )
        .await;
        Pair {
            tiktok,
            redis,
            installation,
            http,
            a,
            b,
            studio,
        }
    }
}

/// Engages the studio's kill switch through `node`, then waits for the `kill` frame at `agent`.
pub async fn kill_reaches(
    http: &reqwest::Client,
    node: &Node,
    studio: &Studio,
    agent: &mut Socket,
    reason: &str,
) {
    call(
        http,
        node.api(&format!("/workspaces/{}/kill-switch", studio.ws)),
        Some(&studio.token),
        json!({"engaged": true, "reason": reason}),
    )
    .await;
    loop {
        let frame = next_frame(agent).await.expect("the kill frame");
        if frame["type"] == "kill" {
            assert_eq!(frame["engaged"], true);
            return;
        }
    }
}
