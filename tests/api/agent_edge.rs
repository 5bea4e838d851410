//! The agent a streamer installs, end to end with the real binary: its local status page and
//! STOP while the server is down, auto-update to a signed build (and the refusals and the
//! rollback), the one-line installer, and the service files.
//!
//! Every test works on its own copy of the binary in a temporary folder (an update replaces
//! the executable it runs from), with `HOME` pointing there.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::agents::{device, request, wait_command};
use crate::board::{Board, PtyPair};
use crate::helpers::{TestApp, TestUser, spawn_app_with};
use livectl::release::folder::ReleaseFolder;
use livectl::release::{SigningKey, sha256_of_file, this_platform};

const SECOND: Duration = Duration::from_secs(1);
/// Updates hash, download and start builds of a debug binary (about 170 MB).
pub(crate) const UPDATE_LIMIT: Duration = Duration::from_secs(90);
pub(crate) const NEW_VERSION: &str = "0.1.1-test";

pub(crate) async fn within<T, Fut: std::future::Future<Output = Option<T>>>(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> Fut,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "never happened within {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn key() -> SigningKey {
    SigningKey::from_pem(&SigningKey::generate().unwrap()).unwrap()
}

/// This test's own copy of the binary, in `dir/bin`.
pub(crate) fn binary_in(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("livectl");
    std::fs::copy(env!("CARGO_BIN_EXE_livectl"), &exe).unwrap();
    exe
}

/// Another build of the same program: the binary with bytes appended (it runs the same, its
/// hash differs), signed into the server's releases folder as `version`.
pub(crate) fn sign_build(releases: &Path, key: &SigningKey, version: &str, marker: &str) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let build = scratch.path().join("livectl");
    std::fs::copy(env!("CARGO_BIN_EXE_livectl"), &build).unwrap();
    if !marker.is_empty() {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&build)
            .unwrap();
        file.write_all(marker.as_bytes()).unwrap();
    }
    ReleaseFolder::new(releases.to_path_buf())
        .add(key, &build, version, &this_platform())
        .unwrap()
        .sha256
}

pub(crate) struct Rig {
    pub(crate) app: TestApp,
    pub(crate) owner: TestUser,
    pub(crate) ws: String,
    pub(crate) dev: String,
    pub(crate) token: String,
    pub(crate) pty: PtyPair,
    pub(crate) board: Board,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) releases: tempfile::TempDir,
}

pub(crate) async fn rig(recommended: &str) -> Rig {
    let releases = tempfile::tempdir().unwrap();
    let dir = releases.path().to_path_buf();
    let recommended = recommended.to_owned();
    let app = spawn_app_with(move |s| {
        s.agents.releases_dir = dir.display().to_string();
        s.agents.recommended_version = recommended;
    })
    .await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Studio").await;
    let (dev, token) = device(&app, &owner, &ws, "Desk board", &["LED_ON"]).await;
    let pty = PtyPair::new();
    let board = Board::start(&pty.board_end(), &["LED_ON"]).await;
    Rig {
        app,
        owner,
        ws,
        dev,
        token,
        pty,
        board,
        dir: tempfile::tempdir().unwrap(),
        releases,
    }
}

impl Rig {
    pub(crate) fn agent_toml(&self, server: &str, release_key: &str, confirm_s: u64) -> PathBuf {
        let path = self.dir.path().join("agent.toml");
        std::fs::write(
            &path,
            format!(
                "server = \"{server}\"\nrelease_key = \"{release_key}\"\nstatus_addr = \"\"\n\
                 update_confirm_s = {confirm_s}\nkill_file = \"{}\"\n\n[[binding]]\n\
                 token = \"{}\"\nserial = \"{}\"\n",
                self.dir.path().join("KILL").display(),
                self.token,
                self.pty.agent_end()
            ),
        )
        .unwrap();
        path
    }

    pub(crate) fn spawn(&self, exe: &Path, config: &Path) -> Running {
        let log = std::fs::File::create(self.dir.path().join("agent.out")).unwrap();
        Running(
            Command::new(exe)
                .args(["agent", "--config"])
                .arg(config)
                .env("HOME", self.dir.path())
                .env("RUST_LOG", "info")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    }

    async fn view(&self) -> Value {
        self.app
            .get(
                &format!("/workspaces/{}/devices/{}", self.ws, self.dev),
                &self.owner.token,
            )
            .await
            .expect(200)
    }

    /// Waits until the device's update state satisfies `ok`.
    pub(crate) async fn update_state(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let ok = &ok;
        within(UPDATE_LIMIT, what, || async move {
            let view = self.view().await;
            let state = view["agent_update"].as_str().unwrap_or_default().to_owned();
            (view["online"] == true && ok(&state)).then_some(state)
        })
        .await
    }

    pub(crate) async fn command_reaches_the_board(&mut self) {
        let deadline = Instant::now() + UPDATE_LIMIT;
        loop {
            let v = self.view().await;
            // A restarted agent reopens the port: a real Arduino resets and says HELLO again,
            // the emulator just answers; either way the board answers its pings.
            if v["online"] == true && v["serial"] == "open" && v["serial_detail"].is_null() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the board never answered: {v}\nagent log:\n{}",
                self.agent_log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.board.clear();
        let id = self
            .app
            .state
            .router
            .dispatch(request(&self.ws, &self.dev, "LED_ON"));
        assert_eq!(
            wait_command(&self.app, &self.owner, &self.ws, &id).await["status"],
            "done"
        );
        self.board.expect("CMD", SECOND).await;
    }

    fn agent_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.out")).unwrap_or_default()
    }
}

/// An agent process that is stopped (Ctrl-C, as a person would) when the test ends, also when
/// it fails: a failed test must not leave an agent running.
pub(crate) struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

pub(crate) fn stop(child: Running) {
    drop(child);
}

pub(crate) fn update_record(dir: &Path) -> Value {
    std::fs::read(dir.join("update.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

#[actix_web::test]
async fn the_agent_switches_to_a_signed_build_and_keeps_driving_the_board() {
    let mut r = rig(NEW_VERSION).await;
    let key = key();
    let new_sha = sign_build(
        r.releases.path(),
        &key,
        NEW_VERSION,
        "\nlivectl test build 2\n",
    );
    let exe = binary_in(r.dir.path());
    let config = r.agent_toml(&r.app.address, &key.public().text(), 60);
    let started = Instant::now();
    let child = r.spawn(&exe, &config);
    let state = r
        .update_state("the agent updated and connected", |s| {
            s.starts_with("updated from")
        })
        .await;
    let took = started.elapsed();
    assert_eq!(
        state,
        format!("updated from 0.1.0 to {NEW_VERSION}"),
        "{}",
        r.agent_log()
    );
    assert_eq!(sha256_of_file(&exe).unwrap(), new_sha);
    assert!(exe.with_file_name("livectl.previous").exists());
    assert_eq!(update_record(r.dir.path())["phase"], "confirmed");
    r.command_reaches_the_board().await;
    eprintln!(
        "update: download, verify, swap, restart and reconnect took {} ms",
        took.as_millis()
    );
    stop(child);
}

#[actix_web::test]
async fn a_build_signed_with_another_key_is_refused_and_the_agent_keeps_its_own() {
    let mut r = rig(NEW_VERSION).await;
    let (pinned, servers) = (key(), key());
    sign_build(
        r.releases.path(),
        &servers,
        NEW_VERSION,
        "\nsigned elsewhere\n",
    );
    let exe = binary_in(r.dir.path());
    let own_sha = sha256_of_file(&exe).unwrap();
    let config = r.agent_toml(&r.app.address, &pinned.public().text(), 60);
    let child = r.spawn(&exe, &config);
    let state = r
        .update_state("the update refused", |s| s.contains("failed"))
        .await;
    assert!(
        state.contains("signature does not match the pinned release key"),
        "{state}"
    );
    assert_eq!(
        sha256_of_file(&exe).unwrap(),
        own_sha,
        "the executable is untouched"
    );
    assert!(!exe.with_file_name(".livectl.download").exists());
    r.command_reaches_the_board().await;
    stop(child);
}

/// A TCP relay in front of the server that the test can cut and restore on the same port.
struct Relay {
    port: u16,
    target: String,
    accept: Option<tokio::task::JoinHandle<()>>,
    links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(target: &str, last_after_download: bool) -> Relay {
        let mut relay = Relay {
            port: 0,
            target: target.trim_start_matches("http://").to_owned(),
            accept: None,
            links: Arc::default(),
        };
        relay.open(last_after_download).await;
        relay
    }

    /// Relays every connection. With `last_after_download`, the connection that asks for a
    /// build is the last one let through (the listener closes behind it): whatever connects
    /// afterwards, the new build first, finds nothing, however late the test looks.
    async fn open(&mut self, last_after_download: bool) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.port = listener.local_addr().unwrap().port();
        let (target, links) = (self.target.clone(), self.links.clone());
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                const DOWNLOAD: &[u8] = b"GET /agent/releases/";
                let mut first = [0u8; 64];
                let mut seen = 0;
                // The request line may come in pieces: look until it is long enough.
                for _ in 0..100 {
                    seen = inbound.peek(&mut first).await.unwrap_or(0);
                    if seen >= DOWNLOAD.len() || seen == 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                let download = first[..seen].starts_with(DOWNLOAD);
                let target = target.clone();
                links.lock().push(tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
                if last_after_download && download {
                    return;
                }
            }
        }));
    }

    fn cut(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        for link in self.links.lock().drain(..) {
            link.abort();
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

#[actix_web::test]
async fn a_new_build_that_cannot_reach_the_server_is_rolled_back_and_not_tried_again() {
    let mut r = rig(NEW_VERSION).await;
    let key = key();
    let new_sha = sign_build(r.releases.path(), &key, NEW_VERSION, "\nunlucky build\n");
    let exe = binary_in(r.dir.path());
    let own_sha = sha256_of_file(&exe).unwrap();
    let mut relay = Relay::start(&r.app.address, true).await;
    let config = r.agent_toml(&relay.url(), &key.public().text(), 3);
    let child = r.spawn(&exe, &config);
    // The old build downloads the new one (the relay lets nothing through after that), puts
    // it in place and restarts into it: the new build cannot say hello.
    within(UPDATE_LIMIT, "the new build on trial", || async {
        (update_record(r.dir.path())["phase"] == "trial").then_some(())
    })
    .await;
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", relay.port)).is_err(),
        "nothing gets through after the download"
    );
    relay.cut();
    within(UPDATE_LIMIT, "the rollback", || async {
        (update_record(r.dir.path())["phase"] == "rolled_back").then_some(())
    })
    .await;
    assert_eq!(
        sha256_of_file(&exe).unwrap(),
        own_sha,
        "the previous build is back"
    );
    assert!(exe.with_file_name("livectl.failed").exists());
    let record = update_record(r.dir.path());
    assert_eq!(record["refused"], json!([new_sha]));
    relay.open(false).await;
    let state = r
        .update_state("the previous build back online", |s| {
            s.starts_with("rolled back")
        })
        .await;
    assert_eq!(
        state,
        format!("rolled back from {NEW_VERSION}: it could not reach the server within 3 s")
    );
    r.command_reaches_the_board().await;
    assert_eq!(
        sha256_of_file(&exe).unwrap(),
        own_sha,
        "the refused build is not tried again"
    );
    stop(child);
}

// ---- the status page ---------------------------------------------------------------------

#[actix_web::test]
async fn the_status_page_stops_the_board_while_the_server_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let pty = PtyPair::new();
    let mut board = Board::start(&pty.board_end(), &["LED_ON"]).await;
    // Nothing listens on the server's address: the agent keeps trying, the page works.
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("http://{}", nothing.local_addr().unwrap());
    drop(nothing);
    let kill_file = dir.path().join("KILL");
    let config = livectl::agent::config::AgentConfig {
        kill_file: kill_file.clone(),
        // Longer than the test: the STOP it sees is the page's, not the safe stop's.
        safe_stop_after: Duration::from_secs(600),
        status_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..livectl::agent::config::AgentConfig::new(
            server,
            vec![livectl::agent::config::Binding::new(
                "lat_x",
                pty.agent_end(),
            )],
        )
    };
    let agent = livectl::agent::start(&config).unwrap();
    let addr = agent.status_addr.expect("the page listens");
    let page = format!("http://{addr}");
    livectl::live::client::ensure_crypto_provider();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let body = within(
        Duration::from_secs(10),
        "the board open on the page",
        || async {
            let body = client
                .get(format!("{page}/"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            body.contains("data-state=\"open\"").then_some(body)
        },
    )
    .await;
    assert!(body.contains("id=\"agent-stop\""));
    assert!(body.contains("data-state=\"released\""));
    board.clear();

    // Another site's page, and a DNS name rebound to 127.0.0.1, are refused.
    let cross = client
        .post(format!("{page}/stop"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let rebound = client
        .post(format!("{page}/stop"))
        .header("host", format!("evil.example:{}", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    board.expect_none("STOP", Duration::from_millis(300)).await;
    assert!(!kill_file.exists());

    // The page's own STOP: the board hears it at once, and it holds.
    let stop = client
        .post(format!("{page}/stop"))
        .header("origin", &page)
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), 303);
    board.expect("STOP", SECOND).await;
    assert!(kill_file.exists());
    let panel = client
        .get(format!("{page}/panel"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(panel.contains("data-state=\"engaged\""), "{panel}");
    assert!(panel.contains("id=\"agent-release\""));
    let release = client
        .post(format!("{page}/release"))
        .header("origin", &page)
        .send()
        .await
        .unwrap();
    assert_eq!(release.status(), 303);
    assert!(!kill_file.exists());
    within(Duration::from_secs(5), "the page released", || async {
        let panel = client
            .get(format!("{page}/panel"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        panel.contains("data-state=\"released\"").then_some(())
    })
    .await;
    agent.shutdown("test over").await;
}

// ---- the one-line installer --------------------------------------------------------------

/// Runs `curl -fsSL {from}/install.sh | sh -s -- --serial {serial}` in `home`.
pub(crate) fn run_installer(
    from: &str,
    server_env: Option<&str>,
    home: &Path,
    serial: &str,
) -> Child {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"curl -fsSL "$FROM/install.sh" | sh -s -- --serial "$SERIAL""#)
        .env("FROM", from)
        .env("SERIAL", serial)
        .env("HOME", home)
        .env("LIVECTL_NO_SERVICE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(server) = server_env {
        command.env("LIVECTL_SERVER", server);
    }
    command.spawn().unwrap()
}

/// Reads a child's output as it comes.
pub(crate) fn collect(child: &mut Child) -> Arc<Mutex<String>> {
    let seen = Arc::new(Mutex::new(String::new()));
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let seen = seen.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut all = seen.lock();
                all.push_str(&line);
                all.push('\n');
            }
        });
    }
    seen
}

/// What the installer took: to show its code, and to the first command done at the board.
pub(crate) struct Installed {
    pub(crate) code_shown: Duration,
    pub(crate) first_command: Duration,
}

/// Runs `install.sh` on the rig (its own version signed with `key`), approves the code the
/// moment it shows, starts the installed agent as the service would, and waits for a command
/// to be done at the board.
pub(crate) async fn install_to_first_command(r: &mut Rig, key: &SigningKey) -> Installed {
    let home = r.dir.path().to_path_buf();
    let started = Instant::now();
    let mut child = run_installer(&r.app.address, None, &home, &r.pty.agent_end());
    let out = collect(&mut child);
    let code = within(UPDATE_LIMIT, "the installer showing a code", || async {
        let text = out.lock().clone();
        text.split("Pairing code: ")
            .nth(1)
            .map(|rest| rest.chars().take(9).collect::<String>())
    })
    .await;
    let code_shown = started.elapsed();
    assert!(out.lock().contains("signature checked"), "{}", out.lock());
    let paired = r
        .app
        .post(
            &format!("/workspaces/{}/pairings", r.ws),
            &r.owner.token,
            json!({"code": code, "device_id": r.dev}),
        )
        .await
        .expect(200);
    assert_eq!(paired["id"], r.dev.as_str());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{}", out.lock());
    let exe = home.join(".livectl/bin/livectl");
    let config = home.join(".livectl/agent.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains(&format!("release_key = \"{}\"", key.public().text())));
    // The installed agent, as the service would run it.
    let log = std::fs::File::create(home.join("agent.out")).unwrap();
    let agent = Running(
        Command::new(&exe)
            .args(["agent", "--status-addr", "", "--config"])
            .arg(&config)
            .env("HOME", &home)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    r.command_reaches_the_board().await;
    let first_command = started.elapsed();
    stop(agent);
    Installed {
        code_shown,
        first_command,
    }
}

#[actix_web::test]
async fn install_sh_downloads_a_verified_agent_pairs_it_and_the_first_command_runs() {
    let mut r = rig("").await;
    let key = key();
    sign_build(r.releases.path(), &key, env!("CARGO_PKG_VERSION"), "");
    let took = install_to_first_command(&mut r, &key).await;
    assert!(took.code_shown <= took.first_command);
}

#[actix_web::test]
async fn install_sh_refuses_a_build_its_key_did_not_sign() {
    let r = rig("").await;
    sign_build(r.releases.path(), &key(), env!("CARGO_PKG_VERSION"), "");
    // Another server with its own key, whose builds this installer's key did not sign.
    let other = rig("").await;
    sign_build(other.releases.path(), &key(), env!("CARGO_PKG_VERSION"), "");
    let home = r.dir.path().to_path_buf();
    let mut child = run_installer(&r.app.address, Some(&other.app.address), &home, "/dev/ttyX");
    let out = collect(&mut child);
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success());
    assert!(
        out.lock()
            .contains("does not match this server's release signature"),
        "{}",
        out.lock()
    );
    assert!(!home.join(".livectl/bin/livectl").exists());
    // A server with no release key says so instead of serving a script.
    let bare = crate::helpers::spawn_app().await;
    let answer = bare
        .client
        .get(format!("{}/install.sh", bare.address))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("livectl release sign")
    );
}

// ---- the service ---------------------------------------------------------------------------

#[actix_web::test]
async fn install_writes_a_valid_systemd_user_unit_and_uninstall_removes_it() {
    let home = tempfile::tempdir().unwrap();
    let exe = binary_in(home.path());
    let config = home.path().join("agent.toml");
    std::fs::write(
        &config,
        "server = \"https://live.example.com\"\n[[binding]]\ntoken = \"lat_x\"\nserial = \"/dev/ttyACM0\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(&exe)
            .args(args)
            .env("HOME", home.path())
            .env_remove("XDG_CONFIG_HOME")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, said) = run(&["agent", "status"]);
    assert!(ok && said.contains("not installed"), "{said}");
    let (ok, said) = run(&["agent", "install", "--config", config.to_str().unwrap()]);
    assert!(ok, "{said}");
    let unit = home
        .path()
        .join(".config/systemd/user/livectl-agent.service");
    assert!(said.contains(&unit.display().to_string()), "{said}");
    let text = std::fs::read_to_string(&unit).unwrap();
    let config = std::fs::canonicalize(&config).unwrap();
    assert!(
        text.contains(&format!(
            "ExecStart=\"{}\" agent --config \"{}\"",
            exe.display(),
            config.display()
        )),
        "{text}"
    );
    for line in [
        "Restart=on-failure",
        "WantedBy=default.target",
        "KillSignal=SIGINT",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(text.contains(&format!(
        "StandardOutput=append:{}",
        home.path().join(".livectl/agent.log").display()
    )));
    if let Ok(verify) = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
    {
        let complaints = String::from_utf8_lossy(&verify.stderr);
        assert!(
            verify.status.success() && complaints.trim().is_empty(),
            "systemd-analyze verify: {complaints}"
        );
    }
    let (ok, said) = run(&["agent", "status"]);
    assert!(ok && said.contains("installed:"), "{said}");
    let (ok, said) = run(&["agent", "uninstall"]);
    assert!(ok && said.contains("removed"), "{said}");
    assert!(!unit.exists());
    let (_, said) = run(&["agent", "install", "--config", "/nonexistent/agent.toml"]);
    assert!(said.contains("fix it first"), "{said}");
}
