//! The reference firmware itself, built for the ATmega328P by `scripts/test` and run in simavr
//! (`firmware/arduino/sim/simboard`, paced to wall-clock time) with its UART on a pty, driven
//! by the real agent and the real server. simboard prints every output pin change, so the
//! tests see the board switch its outputs on and off by itself.

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::agents::{request, wait_command};
use crate::helpers::{TestApp, TestUser, eventually, spawn_app};

const SECOND: Duration = Duration::from_secs(1);

/// A pin change: Arduino pin, level, simulated ms since the board's reset.
#[derive(Debug, Clone, Copy)]
struct Pin {
    pin: u8,
    on: bool,
    at_ms: f64,
}

struct SimBoard {
    child: Child,
    port: String,
    pins: mpsc::UnboundedReceiver<Pin>,
    _dir: tempfile::TempDir,
}

impl Drop for SimBoard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn env_path(name: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("{name} is not set: run the suite with scripts/test, which builds the firmware and simavr's simboard")
    })
}

impl SimBoard {
    fn start() -> SimBoard {
        let dir = tempfile::tempdir().unwrap();
        let port = dir.path().join("uno").display().to_string();
        let mut child = Command::new(env_path("LIVECTL_TEST_SIMBOARD"))
            .arg(env_path("LIVECTL_TEST_FIRMWARE"))
            .arg(&port)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("simboard");
        let stdout = child.stdout.take().unwrap();
        let (tx, pins) = mpsc::unbounded_channel();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let words: Vec<&str> = line.split(' ').collect();
                match words.as_slice() {
                    ["READY", _] => {
                        let _ = ready_tx.send(());
                    }
                    ["PIN", pin, level, at] => {
                        let _ = tx.send(Pin {
                            pin: pin.parse().unwrap(),
                            on: *level == "1",
                            at_ms: at.parse().unwrap(),
                        });
                    }
                    _ => {}
                }
            }
        });
        ready.recv_timeout(5 * SECOND).expect("simboard is ready");
        SimBoard {
            child,
            port,
            pins,
            _dir: dir,
        }
    }

    /// The next change of `pin` to `on`.
    async fn expect(&mut self, pin: u8, on: bool, within: Duration) -> Pin {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.pins.recv()).await {
                Ok(Some(p)) if p.pin == pin && p.on == on => return p,
                Ok(Some(_)) => {}
                Ok(None) => panic!("simboard stopped"),
                Err(_) => panic!(
                    "pin {pin} did not turn {} within {within:?}",
                    if on { "on" } else { "off" }
                ),
            }
        }
    }
}

async fn setup() -> (TestApp, TestUser, String, String, String, SimBoard) {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Uno").await;
    let created = app
        .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": "Uno", "transport": "agent", "allowed_commands": ["LED_ON", "RELAY_ON"], "max_duration_ms": 60000}))
        .await
        .expect(201);
    let dev = created["device"]["id"].as_str().unwrap().to_owned();
    let token = created["agent_token"].as_str().unwrap().to_owned();
    (app, owner, ws, dev, token, SimBoard::start())
}

async fn wait_firmware(app: &TestApp, owner: &TestUser, ws: &str, dev: &str) {
    eventually("the firmware's HELLO reaching the server", || async move {
        let v = app
            .get(&format!("/workspaces/{ws}/devices/{dev}"), &owner.token)
            .await
            .expect(200);
        (v["firmware"] == "livectl-uno 1.0" && v["serial"] == "open").then_some(())
    })
    .await
}

#[actix_web::test]
async fn the_firmware_runs_a_comment_for_its_duration_and_obeys_stop() {
    let (app, owner, ws, dev, token, mut board) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let kill_file = dir.path().join("KILL");
    let _agent = livectl::agent::start(&livectl::agent::config::AgentConfig {
        kill_file: kill_file.clone(),
        safe_stop_after: 5 * SECOND,
        status_addr: None,
        ..livectl::agent::config::AgentConfig::new(
            app.address.clone(),
            vec![livectl::agent::config::Binding::new(
                token,
                board.port.clone(),
            )],
        )
    })
    .unwrap();
    wait_firmware(&app, &owner, &ws, &dev).await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "led", "when": {"event": "comment", "contains": "led"}, "then": {"command": "LED_ON", "duration": 300}}))
        .await
        .expect(201);
    app.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": "led please"}}),
    )
    .await
    .expect(202);
    let on = board.expect(13, true, 3 * SECOND).await;
    let off = board.expect(13, false, 2 * SECOND).await;
    let lit = off.at_ms - on.at_ms;
    assert!(
        (295.0..=320.0).contains(&lit),
        "the board timed {lit} ms for a 300 ms command"
    );
    // A long command, then the local kill switch: STOP switches it off at once.
    let mut long = request(&ws, &dev, "RELAY_ON");
    long.duration_ms = 30_000;
    let id = app.state.router.dispatch(long);
    assert_eq!(wait_command(&app, &owner, &ws, &id).await["status"], "done");
    let relay_on = board.expect(7, true, SECOND).await;
    std::fs::write(&kill_file, "").unwrap();
    let relay_off = board.expect(7, false, SECOND).await;
    assert!(relay_off.at_ms - relay_on.at_ms < 1_000.0);
}

#[actix_web::test]
async fn the_firmware_stops_by_itself_when_the_agent_dies() {
    let (app, owner, ws, dev, token, mut board) = setup().await;
    let mut agent = Command::new(env!("CARGO_BIN_EXE_livectl"))
        .args([
            "agent",
            "--server",
            &app.address,
            "--serial",
            &board.port,
            "--kill-file",
            "/nonexistent/KILL",
        ])
        .env("LIVECTL_AGENT_TOKEN", &token)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_firmware(&app, &owner, &ws, &dev).await;
    let mut long = request(&ws, &dev, "RELAY_ON");
    long.duration_ms = 60_000;
    let id = app.state.router.dispatch(long);
    assert_eq!(wait_command(&app, &owner, &ws, &id).await["status"], "done");
    let on = board.expect(7, true, SECOND).await;
    // The agent is killed outright: no STOP, no more PINGs.
    agent.kill().unwrap();
    let _ = agent.wait();
    let off = board.expect(7, false, 5 * SECOND).await;
    let ran = off.at_ms - on.at_ms;
    assert!((2_900.0..4_500.0).contains(&ran), "dead-man after {ran} ms");
}
