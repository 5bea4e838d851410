//! Device modes (`games.md` § Device modes) end to end: set through the API, applied by the
//! router to commands at a real agent socket.

use livectl::commands::router::Request;
use livectl::protocol::EventUser;
use serde_json::{Value, json};

use crate::agents::{next_json, request, send_json, wait_command};
use crate::rules::{Setup, setup};

impl Setup {
    async fn modes(&self, body: Value) -> Value {
        self.app
            .patch(
                &format!("/workspaces/{}/devices/{}", self.ws, self.dev),
                &self.owner.token,
                body,
            )
            .await
            .expect(200)
    }

    fn send(&self, cmd: &str, duration_ms: i64, viewer: Option<&str>) -> String {
        self.app.state.router.dispatch(Request {
            duration_ms,
            viewer: viewer.map(|v| EventUser {
                id: v.into(),
                unique_id: v.into(),
                nickname: v.into(),
            }),
            ..request(&self.ws, &self.dev, cmd)
        })
    }

    async fn status(&self, id: &str) -> Value {
        wait_command(&self.app, &self.owner, &self.ws, id).await
    }

    /// The next command frame, left unanswered for now.
    async fn frame(&mut self) -> Value {
        let frame = next_json(&mut self.agent.socket).await.expect("a command");
        assert_eq!(frame["type"], "command");
        frame
    }

    async fn ack(&mut self, frame: &Value) {
        send_json(
            &mut self.agent.socket,
            json!({"type": "ack", "id": frame["id"], "status": "done"}),
        )
        .await;
    }
}

#[actix_web::test]
async fn modes_have_defaults_are_checked_and_audited() {
    let s = setup().await;
    let device = s
        .app
        .get(
            &format!("/workspaces/{}/devices/{}", s.ws, s.dev),
            &s.owner.token,
        )
        .await
        .expect(200);
    assert_eq!(
        (
            &device["concurrency"],
            &device["max_queue"],
            &device["fair_share_pct"]
        ),
        (&json!("queued"), &json!(16), &json!(100))
    );
    let path = format!("/workspaces/{}/devices/{}", s.ws, s.dev);
    for (body, field) in [
        (json!({"max_queue": 0}), "max_queue"),
        (json!({"max_queue": 17}), "max_queue"),
        (json!({"fair_share_pct": 101}), "fair_share_pct"),
        (json!({"max_duration_ms": -1}), "max_duration_ms"),
        (json!({"name": " "}), "name"),
    ] {
        let refused = s
            .app
            .patch(&path, &s.owner.token, body.clone())
            .await
            .expect_error(422, "VALIDATION_FAILED");
        assert!(
            refused["details"]["fields"].get(field).is_some(),
            "{body}: {refused}"
        );
    }
    s.app
        .patch(&path, &s.owner.token, json!({"concurrency": "sometimes"}))
        .await
        .expect(422);
    let changed = s
        .modes(json!({"concurrency": "single", "fair_share_pct": 30}))
        .await;
    assert_eq!(changed["concurrency"], "single");
    assert_eq!(changed["max_queue"], 16, "what was not given stays");
    assert_eq!(changed["fair_share_pct"], 30);
    let audit = s
        .app
        .get(&format!("/workspaces/{}/audit", s.ws), &s.owner.token)
        .await
        .expect(200);
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "device.updated"),
        "{audit}"
    );
}

#[actix_web::test]
async fn queued_commands_wait_their_turn_and_the_line_has_a_maximum() {
    let mut s = setup().await;
    s.modes(json!({"concurrency": "queued", "max_queue": 1}))
        .await;
    // Taken before the first is sent, so that the bound below holds however slow the machine.
    let before_first = std::time::Instant::now();
    let first = s.send("MOTOR_SPIN", 800, None);
    let running = s.frame().await;
    s.ack(&running).await;
    let second = s.send("LAMP_ON", 100, None);
    let third = s.send("LAMP_ON", 100, None);
    // One may wait; the next is turned away at once.
    let refused = s.status(&third).await;
    assert_eq!(refused["status"], "busy");
    assert!(
        refused["detail"].as_str().unwrap().contains("max_queue"),
        "{refused}"
    );
    // The waiting one goes once the first has run its 800 ms, not before.
    let waited = s.frame().await;
    assert_eq!(waited["id"], second.as_str());
    assert!(
        before_first.elapsed().as_millis() >= 800,
        "{:?}",
        before_first.elapsed()
    );
    s.ack(&waited).await;
    assert_eq!(s.status(&first).await["status"], "done");
    assert_eq!(s.status(&second).await["status"], "done");
}

#[actix_web::test]
async fn single_drops_a_command_for_a_running_device() {
    let mut s = setup().await;
    s.modes(json!({"concurrency": "single"})).await;
    s.send("MOTOR_SPIN", 3_000, None);
    let running = s.frame().await;
    s.ack(&running).await;
    let dropped = s.send("LAMP_ON", 100, None);
    let refused = s.status(&dropped).await;
    assert_eq!(refused["status"], "busy");
    assert!(
        refused["detail"].as_str().unwrap().contains("single"),
        "{refused}"
    );
}

#[actix_web::test]
async fn restart_replaces_what_waits_and_parallel_never_waits() {
    let mut s = setup().await;
    s.modes(json!({"max_duration_ms": 60_000})).await;
    s.send("MOTOR_SPIN", 60_000, None);
    let running = s.frame().await;
    s.ack(&running).await;
    // Queued behind a minute of motor time…
    let waiting = s.send("LAMP_ON", 100, None);
    // …until the device restarts: the waiting one is dropped, the new one goes now.
    s.modes(json!({"concurrency": "restart"})).await;
    let now = s.send("CAMERA", 100, None);
    let sent = s.frame().await;
    assert_eq!(sent["id"], now.as_str());
    s.ack(&sent).await;
    let replaced = s.status(&waiting).await;
    assert_eq!(replaced["status"], "busy");
    assert!(
        replaced["detail"].as_str().unwrap().contains("restart"),
        "{replaced}"
    );
    // Parallel: beside a running minute-long command, another goes at once.
    s.modes(json!({"concurrency": "parallel"})).await;
    s.send("MOTOR_SPIN", 60_000, None);
    let long = s.frame().await;
    s.ack(&long).await;
    let beside = s.send("CONFETTI", 100, None);
    let sent = s.frame().await;
    assert_eq!(sent["id"], beside.as_str());
    s.ack(&sent).await;
    assert_eq!(s.status(&beside).await["status"], "done");
}

#[actix_web::test]
async fn one_viewer_holds_the_device_at_most_their_share_of_a_minute() {
    let mut s = setup().await;
    // 10 % of a minute: 6 s, in parallel so that nothing waits.
    s.modes(json!({"concurrency": "parallel", "fair_share_pct": 10}))
        .await;
    for _ in 0..2 {
        s.send("MOTOR_SPIN", 3_000, Some("alice"));
        let frame = s.frame().await;
        s.ack(&frame).await;
    }
    let third = s.send("MOTOR_SPIN", 3_000, Some("alice"));
    let refused = s.status(&third).await;
    assert_eq!(refused["status"], "rate_limited");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("fair share 10 %"),
        "{refused}"
    );
    assert_eq!(
        refused["viewer"], "alice",
        "the history names who caused it"
    );
    // Another viewer is not held back by alice.
    let bob = s.send("MOTOR_SPIN", 3_000, Some("bob"));
    let frame = s.frame().await;
    assert_eq!(frame["id"], bob.as_str());
    s.ack(&frame).await;
    assert_eq!(s.status(&bob).await["viewer"], "bob");
}
