//! `livectl agent pair` against the real server: the agent's side is the library's own
//! `pair()` (the binary's is in `agent_edge`), the approver's side the API. Approve, deny,
//! expiry, reuse, rate limits, and a paired agent driving a board emulator.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::agents::{request, wait_command};
use crate::board::{Board, PtyPair};
use crate::helpers::{TestApp, TestUser, eventually, spawn_app};
use livectl::agent::config::AgentConfig;
use livectl::agent::pair::{PairOptions, Paired, pair};
use livectl::pairing::seal::Opener;

/// What `pair()` prints, readable while it runs.
#[derive(Clone, Default)]
pub(crate) struct Screen(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Screen {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Screen {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock()).into_owned()
    }

    /// The code the agent shows.
    pub(crate) async fn code(&self) -> String {
        let screen = self.clone();
        eventually("the agent showing its code", || {
            let text = screen.text();
            async move {
                text.split("Pairing code: ")
                    .nth(1)
                    .map(|rest| rest.chars().take(9).collect::<String>())
            }
        })
        .await
    }
}

pub(crate) struct Pairing {
    pub(crate) screen: Screen,
    task: tokio::task::JoinHandle<anyhow::Result<Paired>>,
}

pub(crate) fn start_pairing(app: &TestApp, dir: &std::path::Path, serial: &str) -> Pairing {
    let config = dir.join("agent.toml");
    let options = PairOptions {
        server: app.address.clone(),
        serial: Some(serial.to_owned()),
        baud: 115_200,
        config,
        insecure: false,
    };
    let screen = Screen::default();
    let mut out = screen.clone();
    let task = actix_web::rt::spawn(async move { pair(&options, &mut out).await });
    Pairing { screen, task }
}

pub(crate) async fn finished(p: Pairing) -> anyhow::Result<Paired> {
    tokio::time::timeout(Duration::from_secs(15), p.task)
        .await
        .expect("pairing ends")
        .unwrap()
}

async fn setup() -> (TestApp, TestUser, String) {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Studio").await;
    (app, owner, ws)
}

#[actix_web::test]
async fn an_approved_code_gives_the_agent_its_token_once_and_it_drives_the_board() {
    let (app, owner, ws) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let pty = PtyPair::new();
    let mut board = Board::start(&pty.board_end(), &["LED_ON"]).await;
    let p = start_pairing(&app, dir.path(), &pty.agent_end());
    let code = p.screen.code().await;
    assert!(p.screen.text().contains(&format!("/pair?code={code}")));

    // The approver sees which computer asks, then approves it onto a new device.
    let seen = app
        .post(
            &format!("/workspaces/{ws}/pairings/lookup"),
            &owner.token,
            json!({"code": code.to_lowercase().replace('-', " ")}),
        )
        .await
        .expect(200);
    assert_eq!(seen["hostname"], livectl::agent::pair::hostname());
    assert_eq!(seen["address"], "127.0.0.1");
    let device = app
        .post(
            &format!("/workspaces/{ws}/pairings"),
            &owner.token,
            json!({"code": code, "device": {"name": "Desk lamp", "allowed_commands": ["LED_ON"]}}),
        )
        .await
        .expect(200);
    let paired = finished(p).await.unwrap();
    assert_eq!(paired.device_id, device["id"].as_str().unwrap());
    assert_eq!(paired.device_name, "Desk lamp");

    // Kept owner-only, with the token and the port; and it works.
    let text = std::fs::read_to_string(&paired.config).unwrap();
    assert!(text.contains("token = \"lat_"), "{text}");
    assert!(text.contains(&format!("device_id = \"{}\"", paired.device_id)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&paired.config)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let mut config = AgentConfig::from_file(&paired.config).unwrap();
    config.status_addr = None;
    config.kill_file = dir.path().join("KILL");
    let _agent = livectl::agent::start(&config).unwrap();
    let path = format!("/workspaces/{ws}/devices/{}", paired.device_id);
    eventually("the paired agent online with its board", || async {
        let view = app.get(&path, &owner.token).await.expect(200);
        (view["online"] == true && view["serial"] == "open" && view["firmware"].is_string())
            .then_some(())
    })
    .await;
    board.clear();
    let id = app
        .state
        .router
        .dispatch(request(&ws, &paired.device_id, "LED_ON"));
    assert_eq!(wait_command(&app, &owner, &ws, &id).await["status"], "done");
    board.expect("CMD", Duration::from_secs(1)).await;

    // The code worked once, and the audit log says who paired what.
    app.post(
        &format!("/workspaces/{ws}/pairings"),
        &owner.token,
        json!({"code": code, "device_id": paired.device_id}),
    )
    .await
    .expect(404);
    let audit = app
        .get(&format!("/workspaces/{ws}/audit?limit=50"), &owner.token)
        .await
        .expect(200);
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "device.agent_paired")
        .expect("an audit entry for the pairing")
        .clone();
    assert_eq!(entry["target"], paired.device_id.as_str());
}

#[actix_web::test]
async fn pairing_an_existing_device_again_signs_its_old_agent_out() {
    let (app, owner, ws) = setup().await;
    let (dev, old_token) = crate::agents::device(&app, &owner, &ws, "Motor", &["MOTOR_SPIN"]).await;
    let dir = tempfile::tempdir().unwrap();
    let p = start_pairing(&app, dir.path(), "/dev/ttyLIVECTL-none");
    let code = p.screen.code().await;
    app.post(
        &format!("/workspaces/{ws}/pairings"),
        &owner.token,
        json!({"code": code, "device_id": dev}),
    )
    .await
    .expect(200);
    let paired = finished(p).await.unwrap();
    assert_eq!(paired.device_id, dev);
    let old = app
        .client
        .get(format!("{}/ws/agent", app.address))
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "the old token stopped working");
}

#[actix_web::test]
async fn a_denied_or_expired_code_ends_the_agents_wait_and_says_why() {
    let (app, owner, ws) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let denied = start_pairing(&app, dir.path(), "/dev/ttyX");
    let code = denied.screen.code().await;
    app.post(
        &format!("/workspaces/{ws}/pairings/deny"),
        &owner.token,
        json!({"code": code}),
    )
    .await
    .expect(204);
    let err = finished(denied).await.unwrap_err();
    assert!(format!("{err:#}").contains("denied"), "{err:#}");
    assert!(!dir.path().join("agent.toml").exists());

    // Ten minutes pass (moved in the database rather than waited for).
    let expired = start_pairing(&app, dir.path(), "/dev/ttyX");
    let code = expired.screen.code().await;
    app.state
        .db
        .run(|conn| {
            use diesel::prelude::*;
            use livectl::db::schema::agent_pairings;
            diesel::update(agent_pairings::table)
                .set(agent_pairings::expires_at.eq(livectl::ids::now_ms() - 1))
                .execute(conn)
                .map_err(livectl::error::AppError::from)
        })
        .await
        .unwrap();
    let refused = app
        .post(
            &format!("/workspaces/{ws}/pairings"),
            &owner.token,
            json!({"code": code, "device": {"name": "Late", "allowed_commands": ["LED_ON"]}}),
        )
        .await
        .expect(404);
    assert!(refused["message"].as_str().unwrap().contains("expire"));
    let err = finished(expired).await.unwrap_err();
    assert!(format!("{err:#}").contains("expired"), "{err:#}");
}

async fn start_raw(app: &TestApp) -> reqwest::Response {
    let key = Opener::new().unwrap().public_key();
    app.client
        .post(app.url("/agent/pairings"))
        .json(&json!({"public_key": key, "hostname": "h"}))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn pairing_is_rate_limited_and_a_poll_needs_its_secret() {
    let app =
        crate::helpers::spawn_app_with(|s| s.agents.pairings_per_address_per_minute = 3).await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Studio").await;
    let first: Value = start_raw(&app).await.json().await.unwrap();
    for _ in 0..2 {
        assert_eq!(start_raw(&app).await.status(), 201);
    }
    let limited = start_raw(&app).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));

    // Polling with the wrong secret looks like no pairing at all.
    let id = first["id"].as_str().unwrap();
    let wrong = app
        .client
        .get(app.url(&format!("/agent/pairings/{id}")))
        .bearer_auth("not-the-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let right: Value = app
        .client
        .get(app.url(&format!("/agent/pairings/{id}")))
        .bearer_auth(first["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(right, json!({"state": "pending"}));

    // Codes cannot be guessed: every try counts, right or wrong.
    let mut statuses = Vec::new();
    for _ in 0..livectl::auth::limits::PAIRING_CODES_PER_MINUTE + 1 {
        let answer = app
            .post(
                &format!("/workspaces/{ws}/pairings/lookup"),
                &owner.token,
                json!({"code": "AAAA-AAAA"}),
            )
            .await;
        statuses.push(answer.status);
    }
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|s| s.as_u16() == 404)
    );
    assert_eq!(statuses.last().map(|s| s.as_u16()), Some(429));

    // A malformed key or code is a 422 naming the field.
    let bad = app
        .client
        .post(app.url("/agent/pairings"))
        .json(&json!({"public_key": "short"}))
        .send()
        .await
        .unwrap();
    assert!(bad.status() == 422 || bad.status() == 429);
}

#[actix_web::test]
async fn only_owners_and_admins_approve_and_never_into_another_workspace() {
    let (app, owner, ws) = setup().await;
    let operator = app.user("operator").await;
    app.add_member(&ws, &owner, &operator, "operator").await;
    let stranger = app.user("stranger").await;
    let elsewhere = app.workspace(&stranger, "Elsewhere").await;
    let dir = tempfile::tempdir().unwrap();
    let p = start_pairing(&app, dir.path(), "/dev/ttyX");
    let code = p.screen.code().await;
    app.post(
        &format!("/workspaces/{ws}/pairings"),
        &operator.token,
        json!({"code": code, "device": {"name": "X", "allowed_commands": ["LED_ON"]}}),
    )
    .await
    .expect(403);
    app.post(
        &format!("/workspaces/{ws}/pairings"),
        &stranger.token,
        json!({"code": code, "device": {"name": "X", "allowed_commands": ["LED_ON"]}}),
    )
    .await
    .expect(404);
    // An MQTT device cannot take an agent, and the code stays usable after a refusal.
    let mqtt = app
        .post(
            &format!("/workspaces/{ws}/devices"),
            &owner.token,
            json!({"name": "ESP", "transport": "mqtt", "allowed_commands": ["LED_ON"]}),
        )
        .await
        .expect(201);
    let refused = app
        .post(
            &format!("/workspaces/{ws}/pairings"),
            &owner.token,
            json!({"code": code, "device_id": mqtt["device"]["id"]}),
        )
        .await
        .expect(422);
    assert!(refused["details"]["fields"]["device_id"].is_string());
    let _ = elsewhere;
    app.post(
        &format!("/workspaces/{ws}/pairings"),
        &owner.token,
        json!({"code": code, "device": {"name": "Fine", "allowed_commands": ["LED_ON"]}}),
    )
    .await
    .expect(200);
    finished(p).await.unwrap();
}
