//! The binary itself: a fresh `serve` with no configuration, config precedence, `migrate`,
//! `admin create-user`, `version`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/fake_tiktok.rs"]
#[allow(dead_code)]
mod fake_tiktok;

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_livectl");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `livectl serve` and returns the port it printed.
fn serve(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> (Running, u16) {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .args(args)
        .current_dir(dir)
        .env_remove("LIVECTL_DATABASE__URL")
        .env("LIVECTL_AUTH__BCRYPT_COST", "4")
        // Free ports for the MQTT listeners too, so servers can run side by side.
        .env("LIVECTL_MQTT__LISTEN", "127.0.0.1:0")
        .env("LIVECTL_MQTT__TLS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn livectl serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read line");
    assert!(
        line.contains("Dashboard:"),
        "unexpected first line: {line:?}"
    );
    let port = line
        .rsplit("port ")
        .next()
        .and_then(|p| p.trim().trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    // The printed address is one that reaches this server (not the default's port 8080).
    assert!(
        line.contains(&format!("Dashboard: http://localhost:{port}/")),
        "{line:?}"
    );
    (Running(child), port)
}

fn get(port: u16, path: &str) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status).ok()?;
    status.split(' ').nth(1)?.parse().ok()
}

fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if get(port, "/readyz") == Some(200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} never became ready");
}

#[test]
fn serve_with_no_configuration_starts_a_working_instance() {
    let dir = tempfile::tempdir().unwrap();
    // Only the address is moved off 0.0.0.0:8080 (by environment), so tests can run side by side.
    let (_server, port) = serve(
        dir.path(),
        &[],
        &[("LIVECTL_SERVER__HTTP_ADDR", "127.0.0.1:0")],
    );
    wait_ready(port);
    let data = dir.path().join("data");
    assert!(
        data.join("livectl.db").exists(),
        "SQLite database created in ./data"
    );
    let secret = std::fs::metadata(data.join("jwt_secret")).unwrap();
    assert_eq!(
        secret.permissions().mode() & 0o777,
        0o600,
        "secret readable by owner only"
    );
    let folder = std::fs::metadata(&data).unwrap();
    assert_eq!(folder.permissions().mode() & 0o777, 0o700);
    // The MQTT CA, made on first start, its key for the owner only.
    assert!(data.join("mqtt/ca.pem").exists());
    let ca_key = std::fs::metadata(data.join("mqtt/ca.key")).unwrap();
    assert_eq!(ca_key.permissions().mode() & 0o777, 0o600);
    // The database holds every account: the owner's alone too.
    let db = std::fs::metadata(data.join("livectl.db")).unwrap();
    assert_eq!(db.permissions().mode() & 0o777, 0o600);
    // The dashboard answers: its login page.
    assert_eq!(get(port, "/login"), Some(200));
}

#[test]
fn flags_override_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = serve(
        dir.path(),
        &["--http", "127.0.0.1:0", "--data-dir", "elsewhere"],
        &[
            ("LIVECTL_SERVER__HTTP_ADDR", "127.0.0.1:1"),
            ("LIVECTL_SERVER__DATA_DIR", "ignored"),
        ],
    );
    wait_ready(port);
    assert!(dir.path().join("elsewhere/livectl.db").exists());
    assert!(!dir.path().join("ignored").exists());
}

#[test]
fn a_bad_configuration_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--database-url", "mysql://nope"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );

    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[auth]\nregistration = \"sometimes\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config", file.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("registration"));
}

#[test]
fn migrate_then_create_a_platform_admin_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    let out = Command::new(BIN)
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("{migrations} migration(s) applied")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let again = Command::new(BIN)
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 migration(s) applied"));

    let mut child = Command::new(BIN)
        .args([
            "admin",
            "create-user",
            "--email",
            "Root@Example.com",
            "--password-stdin",
            "--platform-admin",
            "--database-url",
            &url,
        ])
        .env("LIVECTL_AUTH__BCRYPT_COST", "4")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("root@example.com") && text.contains("platform admin"),
        "{text}"
    );

    let mut child = Command::new(BIN)
        .args([
            "admin",
            "create-user",
            "--email",
            "short@example.com",
            "--password-stdin",
            "--database-url",
            &url,
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
}

#[test]
fn version_prints_the_version() {
    let out = Command::new(BIN).arg("version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("livectl {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn agent_configuration_mistakes_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("agent")
            .args(args)
            .env_remove("LIVECTL_AGENT_TOKEN")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(run(&[]).contains("--server, --token and --serial"));
    assert!(
        run(&[
            "--server", "ftp://x", "--token", "lat_a", "--serial", "/dev/x"
        ])
        .contains("http://")
    );
    assert!(
        run(&[
            "--server",
            "http://localhost",
            "--token",
            "nope",
            "--serial",
            "/dev/x"
        ])
        .contains("lat_")
    );
    // The token never travels in clear to another machine unless asked to.
    assert!(
        run(&[
            "--server",
            "http://192.0.2.1:8080",
            "--token",
            "lat_a",
            "--serial",
            "/dev/x"
        ])
        .contains("--insecure")
    );
    let file = dir.path().join("agent.toml");
    std::fs::write(&file, "server = \"http://127.0.0.1:1\"\n[[binding]]\ntoken = \"lat_a\"\nserial = \"/dev/x\"\nspeed = 9600\n").unwrap();
    assert!(run(&["--config", file.to_str().unwrap()]).contains("speed"));
    // stop-all reads the kill file from agent.toml.
    std::fs::write(&file, format!("server = \"http://127.0.0.1:1\"\nkill_file = \"{}\"\n[[binding]]\ntoken = \"lat_a\"\nserial = \"/dev/x\"\n", dir.path().join("KILL").display())).unwrap();
    let out = Command::new(BIN)
        .args(["agent", "stop-all", "--config", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("KILL").exists());
}

#[test]
fn an_unreachable_database_is_one_clear_line_and_a_failed_exit() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--http", "127.0.0.1:0"])
        .args(["--database-url", "postgres://nobody@127.0.0.1:1/none"])
        .current_dir(dir.path())
        .env("LIVECTL_MQTT__LISTEN", "127.0.0.1:0")
        .env("LIVECTL_MQTT__TLS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("livectl: ") && lines[0].contains("database"),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_is_one_clear_line_and_a_failed_exit() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for (http, tls) in [
        (format!("127.0.0.1:{port}"), "127.0.0.1:0".to_owned()),
        ("127.0.0.1:0".to_owned(), format!("127.0.0.1:{port}")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(BIN)
            .arg("serve")
            .current_dir(dir.path())
            .env_remove("LIVECTL_DATABASE__URL")
            .env("LIVECTL_AUTH__BCRYPT_COST", "4")
            .env("LIVECTL_SERVER__HTTP_ADDR", &http)
            .env("LIVECTL_MQTT__LISTEN", "127.0.0.1:0")
            .env("LIVECTL_MQTT__TLS_LISTEN", &tls)
            .env("RUST_LOG", "error")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(
            lines[0].starts_with("livectl: ") && lines[0].contains(&port),
            "{stderr}"
        );
    }
}

/// SIGTERM with an agent connected: the agent is told "going away" (1001) at once, so it
/// reconnects (to another node behind a load balancer), and the process exits within seconds
/// instead of waiting out actix's 30 s drain.
#[tokio::test]
async fn sigterm_tells_agents_to_go_away_and_exits_within_seconds() {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = serve(dir.path(), &["--http", "127.0.0.1:0"], &[]);
    wait_ready(port);
    let api = format!("http://127.0.0.1:{port}/api/v1");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: serde_json::Value| {
        let mut req = http.post(format!("{api}{path}")).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let path = path.to_owned();
        async move {
            let res = req.send().await.unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    let login = serde_json::json!({"email": "stop@example.com", "password": "a long password"});
    post("/auth/register", None, login.clone()).await;
    let token = post("/auth/login", None, login).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let ws = post(
        "/workspaces",
        Some(&token),
        serde_json::json!({"name": "Stop"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let device = post(
        &format!("/workspaces/{ws}/devices"),
        Some(&token),
        serde_json::json!({"name": "Board", "transport": "agent", "allowed_commands": ["LED_ON"]}),
    )
    .await;
    let mut request = format!("ws://127.0.0.1:{port}/ws/agent")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", device["agent_token"].as_str().unwrap())
            .parse()
            .unwrap(),
    );
    let (mut agent, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = agent.next().await.unwrap().unwrap();
    assert!(hello.to_text().unwrap().contains("hello"));

    let stopped_at = Instant::now();
    // SAFETY: sends a signal to our own child process; no memory is involved.
    assert_eq!(
        unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) },
        0
    );
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(3), agent.next())
            .await
            .expect("a close frame in time")
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(close, Some(1001));
    while server.0.try_wait().unwrap().is_none() {
        assert!(
            stopped_at.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `livectl live probe` against the fake TikTok: each step with its timing, and the verdict.
#[actix_web::test]
async fn live_probe_says_each_step_and_where_it_fails() {
    use std::sync::atomic::Ordering;
    let fake = fake_tiktok::FakeTiktok::start().await;
    let dir = tempfile::tempdir().unwrap();
    // Whether the probe succeeded, and what it printed.
    let probe = || {
        let (url, path) = (fake.url.clone(), dir.path().to_owned());
        async move {
            let out = tokio::task::spawn_blocking(move || {
                Command::new(BIN)
                    .args(["live", "probe", "@someone", "--seconds", "2"])
                    .current_dir(path)
                    .env("LIVECTL_TIKTOK__WEB_URL", &url)
                    .env("LIVECTL_TIKTOK__SIGN_URL", &url)
                    .env("LIVECTL_TIKTOK__WEBCAST_URL", &url)
                    .env("RUST_LOG", "error")
                    .output()
                    .unwrap()
            })
            .await
            .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        }
    };
    // A comment arrives while the probe listens.
    let control = fake.control.clone();
    actix_web::rt::spawn(async move {
        while control.open.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        control.push(fake_tiktok::frame(
            1,
            vec![fake_tiktok::chat_now(1, "hello")],
        ));
    });
    let (ok, text) = probe().await;
    assert!(ok, "{text}");
    for step in [
        "lookup",
        "alive",
        "sign",
        "handshake",
        "messages",
        "verdict",
    ] {
        assert!(text.contains(step), "no {step}: {text}");
    }
    assert!(text.contains(fake_tiktok::ROOM_ID), "{text}");
    assert!(text.contains("WebcastChatMessage 1"), "{text}");

    // The sign server refuses the key: the probe says so, and fails.
    fake.control.sign_status.store(401, Ordering::SeqCst);
    let (ok, text) = probe().await;
    assert!(!ok);
    assert!(
        text.contains("SIGN_UNAUTHORIZED") && text.contains("refused the API key"),
        "{text}"
    );

    // TikTok says the account is offline: told apart from a sign server problem.
    fake.control.live.store(false, Ordering::SeqCst);
    let (ok, text) = probe().await;
    assert!(!ok);
    assert!(
        text.contains("USER_OFFLINE") && text.contains("not live right now"),
        "{text}"
    );
}
