//! `spawn_app()`: the real server on port 0, on a temp SQLite file or, when
//! `LIVECTL_TEST_DATABASE_URL` names a PostgreSQL server, on a fresh database of its own.

use std::sync::LazyLock;

use diesel::{Connection as _, RunQueryDsl as _};
use livectl::config::Settings;
use livectl::context::AppState;
use livectl::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

/// How long [`eventually`] waits for a condition: generous, for a loaded CI machine; a
/// condition that holds returns at once.
pub const POLL_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Polls `check` until it gives `Some`, and returns that; panics naming `what` after
/// [`POLL_LIMIT`]. Tests wait for a condition this way, never for a fixed time.
pub async fn eventually<T, F, Fut>(what: impl std::fmt::Display, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + POLL_LIMIT;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        if std::time::Instant::now() >= deadline {
            panic!("never happened within {POLL_LIMIT:?}: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        livectl::telemetry::init(livectl::config::LogFormat::Text);
    }
});

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: actix_web::web::Data<AppState>,
    pub data_dir: tempfile::TempDir,
    pub server: actix_web::dev::ServerHandle,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The contract's error code, if this is an error body.
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self.body
    }

    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        for key in ["message", "status", "request_id", "timestamp", "details"] {
            assert!(
                self.body.get(key).is_some(),
                "error body lacks {key}: {}",
                self.body
            );
        }
        self.body
    }
}

/// The database URL for a new test: a temp SQLite file, or a new PostgreSQL database.
fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("LIVECTL_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let name = format!("t_{}", ulid::Ulid::new().to_string().to_lowercase());
            let mut conn = diesel::PgConnection::establish(&base)
                .unwrap_or_else(|e| panic!("cannot reach LIVECTL_TEST_DATABASE_URL: {e}"));
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let (server, _db) = base.rsplit_once('/').expect("URL with a database name");
            format!("{server}/{name}")
        }
        _ => format!("sqlite://{}", dir.join("livectl.db").display()),
    }
}

/// The private Redis that `scripts/test` starts.
pub fn redis_url() -> String {
    std::env::var("LIVECTL_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("LIVECTL_TEST_REDIS_URL is not set: run the suite with scripts/test, which starts a private Redis")
}

/// Puts the app on the Redis bus, in a namespace of its own.
pub fn use_redis(settings: &mut Settings) {
    settings.bus.kind = livectl::config::BusKind::Redis;
    settings.redis.url = livectl::config::Secret::new(redis_url());
    settings.redis.namespace = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::defaults().expect("default settings");
    settings.server.http_addr = "127.0.0.1:0".parse().expect("addr");
    settings.server.data_dir = data_dir.path().to_path_buf();
    settings.server.workers = 1;
    settings.mqtt.listen = Some("127.0.0.1:0".parse().expect("addr"));
    settings.mqtt.tls_listen = "127.0.0.1:0".parse().expect("addr");
    settings.auth.bcrypt_cost = 4;
    // Tests register many accounts from one address; the limit has a test of its own.
    settings.auth.registrations_per_address = 10_000;
    settings.auth.member_adds_per_minute = 10_000;
    settings.database.url = livectl::config::Secret::new(database_url(data_dir.path()));
    settings.database.pool_size = 4;
    if std::env::var("LIVECTL_TEST_BUS").as_deref() == Ok("redis") {
        use_redis(&mut settings);
    }
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let server = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        // Idle connections are dropped before the server's keep-alive (5 s) closes them: a
        // request sent on a connection the server is closing at that moment fails with
        // `IncompleteMessage` (seen once after a test's browser part took about 5 s).
        client: reqwest::Client::builder()
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .expect("http client"),
        state,
        data_dir,
        server,
    }
}

/// An account with a live access token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub token: String,
    pub refresh: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api/")
            && !path.starts_with("/healthz")
            && !path.starts_with("/readyz")
            && !path.starts_with("/metrics")
            && !path.starts_with("/ws/")
            // Agent builds and the installers are served at the root (the list of builds is
            // the API's `/agent/releases`).
            && !path.starts_with("/agent/releases/")
            && !path.starts_with("/install.")
        {
            format!("{}/api/v1{path}", self.address)
        } else {
            format!("{}{path}", self.address)
        }
    }

    /// Sends a request; `body` is JSON when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = if token.starts_with("pk_") {
                req.header("x-api-key", token)
            } else {
                req.bearer_auth(token)
            };
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        answer(res).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Sends raw bytes with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        answer(req.send().await.expect("request")).await
    }

    pub async fn register(&self, email: &str) -> Value {
        self.call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await
        .expect(201)
    }

    pub async fn login(&self, email: &str) -> Value {
        self.call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await
        .expect(200)
    }

    /// Registers and logs in a new account.
    pub async fn user(&self, name: &str) -> TestUser {
        let email = format!(
            "{name}-{}@example.com",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let registered = self.register(&email).await;
        let tokens = self.login(&email).await;
        TestUser {
            id: registered["user"]["id"].as_str().expect("id").to_owned(),
            email,
            token: tokens["access_token"].as_str().expect("token").to_owned(),
            refresh: tokens["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }

    /// Creates a workspace owned by `owner` and returns its id.
    pub async fn workspace(&self, owner: &TestUser, name: &str) -> String {
        let ws = self
            .post("/workspaces", &owner.token, json!({"name": name}))
            .await
            .expect(201);
        ws["id"].as_str().expect("ws id").to_owned()
    }

    /// A livestream with the simulator source (for injected events) in `ws`; its id.
    pub async fn simulator_livestream(&self, owner: &TestUser, ws: &str) -> String {
        let ls = self
            .post(
                &format!("/workspaces/{ws}/livestreams"),
                &owner.token,
                json!({"target": "streamer", "source": "simulator"}),
            )
            .await
            .expect(201);
        ls["id"].as_str().expect("livestream id").to_owned()
    }

    pub async fn add_member(&self, ws: &str, by: &TestUser, who: &TestUser, role: &str) {
        self.post(
            &format!("/workspaces/{ws}/members"),
            &by.token,
            json!({"email": who.email, "role": role}),
        )
        .await
        .expect(201);
    }

    /// A second server on this one's database and data folder (a restart, or another node).
    pub async fn sibling(&self, adjust: impl FnOnce(&mut Settings) + 'static) -> TestApp {
        let dir = self.data_dir.path().to_path_buf();
        let url = self.state.settings.database_url();
        spawn_app_with(move |s| {
            s.server.data_dir = dir;
            s.database.url = url;
            adjust(s);
        })
        .await
    }

    /// Stops this server's HTTP side (its sockets close) and starts another on the same port,
    /// database and data folder: a restart, as browsers see it.
    pub async fn restart(&self) -> TestApp {
        let port: u16 = self.address.rsplit(':').next().unwrap().parse().unwrap();
        self.server.stop(false).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "port {port} never came free"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.sibling(move |s| {
            s.server.http_addr = format!("127.0.0.1:{port}").parse().unwrap();
        })
        .await
    }

    /// Sets a workspace's plan as the platform admin `admin`.
    pub async fn set_plan(&self, admin: &TestUser, ws: &str, plan: &str) {
        self.call(
            Method::PUT,
            &format!("/admin/workspaces/{ws}/plan"),
            Some(&admin.token),
            Some(json!({"plan": plan})),
        )
        .await
        .expect(200);
    }

    /// `POST /auth/login` with extra headers (a proxy's `X-Forwarded-For`, say).
    pub async fn login_with_headers(
        &self,
        email: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .client
            .post(self.url("/auth/login"))
            .json(&json!({"email": email, "password": password}));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        answer(req.send().await.expect("request")).await
    }

    /// The JWT secret the server generated in its data folder.
    pub fn jwt_secret(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("jwt_secret")).expect("jwt secret")
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// For the benches: whether a part is to run, all of them or those named in
/// `LIVECTL_BENCH_ONLY` (for example `thousand,memory`).
#[allow(dead_code, reason = "used by the benches, which include this file")]
pub fn bench_wanted(part: &str) -> bool {
    std::env::var("LIVECTL_BENCH_ONLY")
        .map_or(true, |only| only.split(',').any(|p| p.trim() == part))
}
