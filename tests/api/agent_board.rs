//! The edge agent end to end: the real server, the real agent (library or binary), a real
//! pseudo-terminal pair and a board emulator on its far end. Where the test needs a server
//! that misbehaves (crafted commands, a server that vanishes), a local socket server speaking
//! the agent protocol plays it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use livectl::agent::config::{AgentConfig, Binding};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::agents::{device, request, wait_command};
use crate::board::{Board, PtyPair};
use crate::helpers::{TestApp, TestUser, eventually, spawn_app};

const CMDS: &[&str] = &["MOTOR_SPIN", "LED_ON"];
const SECOND: Duration = Duration::from_secs(1);

fn config(
    server: &str,
    bindings: &[(&str, &str)],
    kill_file: PathBuf,
    safe_stop_s: u64,
) -> AgentConfig {
    AgentConfig {
        kill_file,
        safe_stop_after: Duration::from_secs(safe_stop_s),
        status_addr: None,
        ..AgentConfig::new(
            server,
            bindings
                .iter()
                .map(|(token, serial)| Binding::new(*token, *serial))
                .collect(),
        )
    }
}

async fn device_view(app: &TestApp, user: &TestUser, ws: &str, dev: &str) -> Value {
    app.get(&format!("/workspaces/{ws}/devices/{dev}"), &user.token)
        .await
        .expect(200)
}

/// Waits until the device view satisfies `ok`.
async fn wait_device(
    app: &TestApp,
    user: &TestUser,
    ws: &str,
    dev: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let ok = &ok;
    eventually("the device reaching the expected state", || async move {
        let view = device_view(app, user, ws, dev).await;
        ok(&view).then_some(view)
    })
    .await
}

fn board_ready(v: &Value) -> bool {
    v["online"] == true && v["serial"] == "open" && v["firmware"] == "livectl-emulator 1.0"
}

struct Rig {
    app: TestApp,
    owner: TestUser,
    ws: String,
    dev: String,
    token: String,
    pty: PtyPair,
    board: Board,
    kill_file: PathBuf,
}

async fn rig() -> Rig {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Studio").await;
    let (dev, token) = device(&app, &owner, &ws, "Desk board", CMDS).await;
    let pty = PtyPair::new();
    let board = Board::start(&pty.board_end(), CMDS).await;
    let kill_file = pty.dir.path().join("KILL");
    Rig {
        app,
        owner,
        ws,
        dev,
        token,
        pty,
        board,
        kill_file,
    }
}

impl Rig {
    fn agent(&self) -> livectl::agent::AgentHandle {
        livectl::agent::start(&config(
            &self.app.address,
            &[(&self.token, &self.pty.agent_end())],
            self.kill_file.clone(),
            5,
        ))
        .unwrap()
    }

    async fn ready(&self) -> Value {
        wait_device(&self.app, &self.owner, &self.ws, &self.dev, board_ready).await
    }

    async fn dispatch(&self, cmd: &str, duration_ms: i64) -> Value {
        let mut req = request(&self.ws, &self.dev, cmd);
        req.duration_ms = duration_ms;
        let id = self.app.state.router.dispatch(req);
        wait_command(&self.app, &self.owner, &self.ws, &id).await
    }
}

#[actix_web::test]
async fn a_comment_reaches_the_board_in_order_and_its_ack_lands_in_the_audit_log() {
    let mut r = rig().await;
    let _agent = r.agent();
    let view = r.ready().await;
    assert!(
        view["agent_version"]
            .as_str()
            .unwrap()
            .starts_with("livectl-agent/")
    );
    let ws = r.ws.clone();
    let ls = r.app.simulator_livestream(&r.owner, &ws).await;
    for (word, cmd, ms) in [("spin", "MOTOR_SPIN", 1000), ("led", "LED_ON", 250)] {
        r.app
            .post(&format!("/workspaces/{ws}/rules"), &r.owner.token, json!({"name": word, "when": {"event": "comment", "contains": word}, "then": {"command": cmd, "duration": ms}}))
            .await
            .expect(201);
    }
    r.board.clear();
    for text in ["spin please", "led!", "spin again"] {
        r.app
            .post(
                &format!("/workspaces/{ws}/livestreams/{ls}/events"),
                &r.owner.token,
                json!({"event_type": "comment", "payload": {"text": text}}),
            )
            .await
            .expect(202);
    }
    let mut lines = Vec::new();
    for _ in 0..3 {
        let heard = r.board.expect("CMD", 3 * SECOND).await;
        let words: Vec<String> = heard.line.split(' ').map(str::to_owned).collect();
        lines.push(format!("{} {}", words[2], words[3]));
    }
    assert_eq!(
        lines,
        ["MOTOR_SPIN 1000", "LED_ON 250", "MOTOR_SPIN 1000"],
        "in order, with their durations"
    );
    // Every one acknowledged as done, each in the audit log with its latencies.
    let mut audit = Value::Null;
    for _ in 0..100 {
        audit = r
            .app
            .get(&format!("/workspaces/{ws}/audit?limit=50"), &r.owner.token)
            .await
            .expect(200);
        let done = audit.to_string().matches("command.done").count();
        if done >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let entries = audit["items"].as_array().cloned().unwrap_or_default();
    let done: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "command.done")
        .collect();
    assert_eq!(done.len(), 3, "{audit}");
    assert!(
        done.iter()
            .all(|e| e["details"]["issued_to_ack_ms"].is_i64()
                && e["details"]["rule_id"].is_string())
    );
}

#[actix_web::test]
async fn board_errors_and_silence_fail_the_command_and_the_queue_goes_on() {
    let mut r = rig().await;
    let _agent = r.agent();
    r.ready().await;
    r.board.behaviour.lock().fail.insert("MOTOR_SPIN".into());
    let failed = r.dispatch("MOTOR_SPIN", 100).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["detail"].as_str().unwrap().contains("motor jammed"),
        "{failed}"
    );
    r.board.behaviour.lock().mute_commands = true;
    let silent = r.dispatch("LED_ON", 100).await;
    assert_eq!(silent["status"], "failed", "{silent}");
    r.board.behaviour.lock().mute_commands = false;
    let ok = r.dispatch("LED_ON", 100).await;
    assert_eq!(ok["status"], "done", "{ok}");
    // A command the board's firmware never declared does not reach it.
    drop(r.board);
    // The emulator's task lets go of the port once the runtime drops it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    r.board = Board::start(&r.pty.board_end(), &["LED_ON"]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let undeclared = r.dispatch("MOTOR_SPIN", 100).await;
    assert_eq!(undeclared["status"], "rejected", "{undeclared}");
    assert!(
        undeclared["detail"]
            .as_str()
            .unwrap()
            .contains("does not declare")
    );
}

#[actix_web::test]
async fn an_unplugged_board_is_reported_and_reopened() {
    let mut r = rig().await;
    let _agent = r.agent();
    r.ready().await;
    r.pty.unplug();
    drop(std::mem::replace(&mut r.board, Board::idle()));
    let gone = wait_device(&r.app, &r.owner, &r.ws, &r.dev, |v| v["serial"] != "open").await;
    assert_eq!(gone["online"], true, "the agent itself stays connected");
    let meanwhile = r.dispatch("LED_ON", 100).await;
    assert_eq!(meanwhile["status"], "failed", "{meanwhile}");
    r.pty.plug();
    r.board = Board::start(&r.pty.board_end(), CMDS).await;
    r.ready().await;
    let after = r.dispatch("LED_ON", 100).await;
    assert_eq!(after["status"], "done", "{after}");
}

#[actix_web::test]
async fn the_kill_file_stops_every_board_and_refuses_commands() {
    let mut r = rig().await;
    let agent = r.agent();
    r.ready().await;
    r.board.clear();
    std::fs::write(&r.kill_file, "").unwrap();
    let t0 = Instant::now();
    let stop = r.board.expect("STOP", SECOND).await;
    assert!(
        stop.at - t0 < Duration::from_millis(500),
        "STOP took {:?}",
        stop.at - t0
    );
    assert!(agent.local_kill.load(std::sync::atomic::Ordering::SeqCst));
    let refused = r.dispatch("LED_ON", 100).await;
    assert_eq!(refused["status"], "rejected");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("local kill switch"),
        "{refused}"
    );
    r.board.expect_none("CMD", Duration::from_millis(200)).await;
    std::fs::remove_file(&r.kill_file).unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(r.dispatch("LED_ON", 100).await["status"], "done");
}

#[actix_web::test]
async fn the_workspace_kill_switch_stops_the_board() {
    let mut r = rig().await;
    let _agent = r.agent();
    r.ready().await;
    r.board.clear();
    r.app
        .post(
            &format!("/workspaces/{}/kill-switch", r.ws),
            &r.owner.token,
            json!({"engaged": true, "reason": "test"}),
        )
        .await
        .expect(200);
    r.board.expect("STOP", SECOND).await;
    assert_eq!(r.dispatch("LED_ON", 100).await["status"], "blocked");
    r.app
        .post(
            &format!("/workspaces/{}/kill-switch", r.ws),
            &r.owner.token,
            json!({"engaged": false}),
        )
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(r.dispatch("LED_ON", 100).await["status"], "done");
}

#[actix_web::test]
async fn two_workspaces_share_one_board_and_revoking_one_leaves_the_other() {
    let mut r = rig().await;
    let other = r.app.user("other").await;
    let ws_b = r.app.workspace(&other, "Other studio").await;
    let (dev_b, token_b) = device(&r.app, &other, &ws_b, "Same board", &["LED_ON"]).await;
    let _agent = livectl::agent::start(&config(
        &r.app.address,
        &[
            (&r.token, &r.pty.agent_end()),
            (&token_b, &r.pty.agent_end()),
        ],
        r.kill_file.clone(),
        5,
    ))
    .unwrap();
    r.ready().await;
    wait_device(&r.app, &other, &ws_b, &dev_b, board_ready).await;
    r.board.clear();
    assert_eq!(r.dispatch("MOTOR_SPIN", 300).await["status"], "done");
    let id = r
        .app
        .state
        .router
        .dispatch(request(&ws_b, &dev_b, "LED_ON"));
    assert_eq!(
        wait_command(&r.app, &other, &ws_b, &id).await["status"],
        "done"
    );
    r.board.expect("CMD", SECOND).await;
    r.board.expect("CMD", SECOND).await;
    r.app
        .delete(
            &format!("/workspaces/{ws_b}/devices/{dev_b}/token"),
            &other.token,
        )
        .await
        .expect(204);
    wait_device(&r.app, &other, &ws_b, &dev_b, |v| v["online"] == false).await;
    r.board
        .expect_none("STOP", Duration::from_millis(300))
        .await;
    assert_eq!(
        r.dispatch("LED_ON", 100).await["status"],
        "done",
        "the other binding works on"
    );
    assert_eq!(
        device_view(&r.app, &r.owner, &r.ws, &r.dev).await["online"],
        true
    );
}

// ---- a server the test controls ------------------------------------------------------------

type ServerSocket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

struct FakeServer {
    url: String,
    listener: Option<TcpListener>,
}

impl FakeServer {
    async fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        FakeServer {
            url,
            listener: Some(listener),
        }
    }

    /// Accepts the agent and says hello as device `dev_a` of `ws_a`.
    async fn accept(&mut self, per_minute: i64) -> ServerSocket {
        let (stream, _) =
            tokio::time::timeout(5 * SECOND, self.listener.as_ref().unwrap().accept())
                .await
                .expect("the agent connects")
                .unwrap();
        let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
        let hello = json!({"type": "hello", "protocol": 1, "workspace_id": "ws_a", "device_id": "dev_a",
            "device_name": "A", "allowed_commands": ["MOTOR_SPIN", "LED_ON"], "max_duration_ms": 2000,
            "max_commands_per_minute": per_minute, "kill_switch": false, "server_time": now()});
        socket
            .send(Message::Text(hello.to_string().into()))
            .await
            .unwrap();
        socket
    }
}

fn now() -> i64 {
    livectl::ids::now_ms()
}

fn command(id: &str, patch: Value) -> Value {
    let mut c = json!({"type": "command", "id": id, "workspace_id": "ws_a", "device_id": "dev_a", "cmd": "LED_ON",
        "duration_ms": 100, "params": {}, "rule_id": null, "event_id": null, "issued_at": now(), "expires_at": now() + 2000});
    for (k, v) in patch.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// The next ack, skipping status frames.
async fn next_ack(socket: &mut ServerSocket) -> Value {
    loop {
        let msg = tokio::time::timeout(3 * SECOND, socket.next())
            .await
            .expect("an ack in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["type"] == "ack" {
                return v;
            }
        }
    }
}

async fn fake_rig(
    per_minute: i64,
    safe_stop_s: u64,
    binding: impl FnOnce(&mut Binding),
) -> (
    FakeServer,
    ServerSocket,
    PtyPair,
    Board,
    livectl::agent::AgentHandle,
) {
    let mut server = FakeServer::start().await;
    let pty = PtyPair::new();
    let board = Board::start(&pty.board_end(), CMDS).await;
    let mut agent_config = config(
        &server.url,
        &[("lat_fake", &pty.agent_end())],
        pty.dir.path().join("KILL"),
        safe_stop_s,
    );
    binding(&mut agent_config.bindings[0]);
    let agent = livectl::agent::start(&agent_config).unwrap();
    let mut socket = server.accept(per_minute).await;
    // Wait for the board to be up (the agent reports it).
    loop {
        let msg = tokio::time::timeout(5 * SECOND, socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["type"] == "status" && v["firmware"] == "livectl-emulator 1.0" {
                break;
            }
        }
    }
    (server, socket, pty, board, agent)
}

/// Security review M6: the binding's own limits in agent.toml hold whatever the server's
/// hello says (here: both commands, 2 s); the hello can only narrow them.
#[actix_web::test]
async fn local_limits_hold_whatever_the_server_allows() {
    let (_server, mut socket, _pty, mut board, _agent) = fake_rig(100, 5, |b| {
        b.allowed_commands = Some(vec!["LED_ON".into(), "BUZZER".into()]);
        b.max_duration_ms = Some(500);
    })
    .await;
    board.clear();
    for (id, patch, status, why) in [
        (
            "l_cmd",
            json!({"cmd": "MOTOR_SPIN"}),
            "rejected",
            "not allowed",
        ),
        (
            "l_long",
            json!({"duration_ms": 501}),
            "rejected",
            "maximum of 500",
        ),
        (
            "l_buzz",
            json!({"cmd": "BUZZER"}),
            "rejected",
            "not allowed",
        ),
    ] {
        socket
            .send(Message::Text(command(id, patch).to_string().into()))
            .await
            .unwrap();
        let ack = next_ack(&mut socket).await;
        assert_eq!(ack["status"], status, "{ack}");
        assert!(ack["detail"].as_str().unwrap().contains(why), "{ack}");
    }
    board.expect_none("CMD", Duration::from_millis(200)).await;
    socket
        .send(Message::Text(
            command("l_ok", json!({"duration_ms": 500}))
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_ack(&mut socket).await["status"], "done");
    board.expect("CMD", SECOND).await;
}

#[actix_web::test]
async fn every_zero_trust_check_rejects_before_the_board_hears_anything() {
    let (_server, mut socket, _pty, mut board, _agent) = fake_rig(3, 5, |_| {}).await;
    board.clear();
    let cases = [
        (
            "c_ws",
            json!({"workspace_id": "ws_b"}),
            "rejected",
            "workspace",
        ),
        ("c_dev", json!({"device_id": "dev_b"}), "rejected", "device"),
        (
            "c_cmd",
            json!({"cmd": "SELF_DESTRUCT"}),
            "rejected",
            "not allowed",
        ),
        (
            "c_long",
            json!({"duration_ms": 2001}),
            "rejected",
            "maximum",
        ),
        // A second in the past: well beyond how far the agent's estimate of the server's
        // clock (from its hello) can be off on one machine.
        (
            "c_late",
            json!({"expires_at": now() - 1_000}),
            "expired",
            "expires_at",
        ),
        // Security review M6: a server (or a recording of one) cannot send a command that
        // stays valid for a day.
        (
            "c_far",
            json!({"expires_at": now() + 86_400_000}),
            "rejected",
            "too far ahead",
        ),
    ];
    for (id, patch, status, why) in cases {
        socket
            .send(Message::Text(command(id, patch).to_string().into()))
            .await
            .unwrap();
        let ack = next_ack(&mut socket).await;
        assert_eq!(ack["id"], id);
        assert_eq!(ack["status"], status, "{ack}");
        assert!(ack["detail"].as_str().unwrap().contains(why), "{ack}");
    }
    board.expect_none("CMD", Duration::from_millis(200)).await;
    // One good command runs; the same id again is a replay.
    for (id, status) in [("c_ok", "done"), ("c_ok", "rejected")] {
        socket
            .send(Message::Text(command(id, json!({})).to_string().into()))
            .await
            .unwrap();
        let ack = next_ack(&mut socket).await;
        assert_eq!(ack["status"], status, "{ack}");
    }
    board.expect("CMD", SECOND).await;
    board.expect_none("CMD", Duration::from_millis(200)).await;
    // Three a minute: two more pass, the fourth is over the agent's own rate limit.
    for (id, status) in [("r1", "done"), ("r2", "done"), ("r3", "rejected")] {
        socket
            .send(Message::Text(command(id, json!({})).to_string().into()))
            .await
            .unwrap();
        let ack = next_ack(&mut socket).await;
        assert_eq!(ack["status"], status, "{id}: {ack}");
    }
    // A remote kill switch: STOP, and commands refused.
    socket
        .send(Message::Text(
            json!({"type": "kill", "engaged": true}).to_string().into(),
        ))
        .await
        .unwrap();
    board.expect("STOP", SECOND).await;
}

#[actix_web::test]
async fn a_full_board_queue_answers_busy() {
    let (_server, mut socket, _pty, board, _agent) = fake_rig(1000, 5, |_| {}).await;
    board.behaviour.lock().mute_commands = true;
    for i in 0..20 {
        socket
            .send(Message::Text(
                command(&format!("b{i}"), json!({})).to_string().into(),
            ))
            .await
            .unwrap();
    }
    let mut busy = 0;
    for _ in 0..3 {
        let ack = next_ack(&mut socket).await;
        if ack["status"] == "busy" {
            busy += 1;
        }
    }
    assert_eq!(busy, 3, "one in flight, 16 queued, the rest busy");
}

#[actix_web::test]
async fn losing_the_server_stops_the_board_after_safe_stop_after_s() {
    let (mut server, socket, _pty, mut board, _agent) = fake_rig(100, 1, |_| {}).await;
    board.clear();
    server.listener = None;
    drop(socket);
    let lost = Instant::now();
    board.expect("STOP", 3 * SECOND).await;
    let after = lost.elapsed();
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_millis(2000),
        "STOP after {after:?}"
    );
}

// ---- the binary ------------------------------------------------------------------------------

#[actix_web::test]
async fn the_agent_binary_stops_its_board_on_ctrl_c_and_on_stop_all() {
    let mut r = rig().await;
    let bin = env!("CARGO_BIN_EXE_livectl");
    let mut child = std::process::Command::new(bin)
        .args([
            "agent",
            "--server",
            &r.app.address,
            "--serial",
            &r.pty.agent_end(),
            "--status-addr",
            "",
        ])
        .arg("--kill-file")
        .arg(&r.kill_file)
        .env("LIVECTL_AGENT_TOKEN", &r.token)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    r.ready().await;
    assert_eq!(r.dispatch("LED_ON", 100).await["status"], "done");
    r.board.clear();
    let status = std::process::Command::new(bin)
        .args(["agent", "stop-all", "--kill-file"])
        .arg(&r.kill_file)
        .output()
        .unwrap();
    assert!(status.status.success());
    r.board.expect("STOP", SECOND).await;
    std::fs::remove_file(&r.kill_file).unwrap();
    r.board.clear();
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    r.board.expect("STOP", SECOND).await;
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let ports = std::process::Command::new(bin)
        .args(["agent", "list-ports"])
        .output()
        .unwrap();
    assert!(ports.status.success());
}

#[actix_web::test]
async fn a_silent_board_is_reported_and_recovers_when_it_answers_again() {
    let r = rig().await;
    let _agent = r.agent();
    r.ready().await;
    {
        let mut b = r.board.behaviour.lock();
        b.mute_pings = true;
        b.mute_commands = true;
    }
    let silent = wait_device(&r.app, &r.owner, &r.ws, &r.dev, |v| v["serial"] == "error").await;
    assert!(
        silent["serial_detail"]
            .as_str()
            .unwrap()
            .contains("not answering"),
        "{silent}"
    );
    assert_eq!(r.dispatch("LED_ON", 100).await["status"], "failed");
    {
        let mut b = r.board.behaviour.lock();
        b.mute_pings = false;
        b.mute_commands = false;
    }
    wait_device(&r.app, &r.owner, &r.ws, &r.dev, |v| v["serial"] == "open").await;
    assert_eq!(r.dispatch("LED_ON", 100).await["status"], "done");
}
