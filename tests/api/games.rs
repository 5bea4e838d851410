//! The games with state (vote, queue, wheel, a growing goal) and the rule options that know
//! the stream (`arm`, `pause_on_feed_trouble`, `price_scaling`), end to end: events injected
//! through the API, commands at a real agent socket, the live state through the API.

use serde_json::{Value, json};

use crate::helpers::eventually;
use crate::rules::{Setup, setup};

fn viewer(name: &str) -> Value {
    json!({"id": format!("id-{name}"), "unique_id": name, "nickname": name})
}

fn rose_from(name: &str) -> Value {
    json!({"event_type": "gift", "payload": {"gift_id": 5655, "gift_name": "Rose", "diamond_count": 1,
        "repeat_count": 1, "total_diamonds": 1, "user": viewer(name)}})
}

fn gift_worth(diamonds: i64) -> Value {
    json!({"event_type": "gift", "payload": {"gift_id": 7, "gift_name": "Box", "diamond_count": diamonds,
        "repeat_count": 1, "total_diamonds": diamonds, "user": viewer("gifter")}})
}

fn status(status: &str) -> Value {
    json!({"event_type": "stream_status", "payload": {"status": status}})
}

impl Setup {
    async fn game(&self, body: Value) -> String {
        let created = self
            .app
            .post(
                &format!("/workspaces/{}/presets", self.ws),
                &self.owner.token,
                body,
            )
            .await
            .expect(201);
        created["id"].as_str().unwrap().to_owned()
    }

    async fn state(&self, id: &str) -> Value {
        self.app
            .get(
                &format!("/workspaces/{}/presets/{id}/state", self.ws),
                &self.owner.token,
            )
            .await
            .expect(200)
    }

    async fn say(&self, text: &str, who: &str) {
        self.inject(
            json!({"event_type": "comment", "payload": {"text": text, "user": viewer(who)}}),
        )
        .await;
    }

    /// Why `rule_id` would or would not fire on `event` now (the rules' dry run).
    async fn why(&self, event: Value, rule_id: &str) -> String {
        let results = self
            .app
            .post(
                &format!("/workspaces/{}/rules/test", self.ws),
                &self.owner.token,
                json!({"livestream_id": self.ls, "event": event}),
            )
            .await
            .expect(200);
        results
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rule_id"] == rule_id)
            .map(|l| l["reason"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no line for {rule_id}: {results}"))
    }
}

#[actix_web::test]
async fn a_vote_runs_the_winner_once_when_its_window_closes() {
    let mut s = setup().await;
    let id = s
        .game(
            json!({"kind": "vote", "name": "Lights", "window_s": 2, "options": [
            {"word": "Lamp", "device_id": s.dev, "command": "LAMP_ON", "duration_ms": 100},
            {"word": "camera", "device_id": s.dev, "command": "CAMERA", "duration_ms": 100}]}),
        )
        .await;
    let before = s.state(&id).await;
    assert_eq!(before["vote"]["open"], false);
    assert_eq!(before["vote"]["options"][0]["word"], "lamp");
    s.say("camera", "ann").await;
    s.say("lamp", "bob").await;
    s.say("camera", "cid").await;
    s.say("LAMP", "dee").await;
    // Ann changes her mind: one viewer, one vote, the last one counts.
    s.say("lamp", "ann").await;
    let open = s.state(&id).await;
    assert_eq!(open["vote"]["open"], true, "{open}");
    assert_eq!(open["vote"]["options"][0]["votes"], 3, "{open}");
    assert_eq!(open["vote"]["options"][1]["votes"], 1, "{open}");
    // Nothing runs during the window; the winner runs once when it closes.
    let frame = s.expect_command().await;
    assert_eq!(frame["cmd"], "LAMP_ON");
    s.expect_nothing().await;
    let closed = s.state(&id).await;
    assert_eq!(closed["vote"]["open"], false);
    assert_eq!(closed["vote"]["last_winner"], "lamp");
}

#[actix_web::test]
async fn a_queue_serves_viewers_in_turns_and_only_the_player_drives() {
    let mut s = setup().await;
    let id = s
        .game(
            json!({"kind": "queue", "name": "Claw", "ticket": {"gift_name": "Rose"}, "turn_s": 2,
            "controls": [
                {"word": "left", "device_id": s.dev, "command": "LAMP_ON", "duration_ms": 100},
                {"word": "drop", "device_id": s.dev, "command": "CAMERA", "duration_ms": 100}]}),
        )
        .await;
    // No ticket, no play.
    s.say("left", "carl").await;
    s.expect_nothing().await;
    s.inject(rose_from("alice")).await;
    s.inject(rose_from("alice")).await;
    s.inject(rose_from("bob")).await;
    let state = s.state(&id).await;
    assert_eq!(state["queue"]["turn"]["viewer"], "alice", "{state}");
    // Alice's second ticket waits behind Bob's first: turns go round.
    assert_eq!(
        state["queue"]["waiting"],
        json!(["bob", "alice"]),
        "{state}"
    );
    s.say("left", "bob").await;
    s.expect_nothing().await;
    s.say("left", "alice").await;
    let frame = s.expect_command().await;
    assert_eq!(frame["cmd"], "LAMP_ON");
    let (ws, id2) = (s.ws.clone(), id.clone());
    eventually("bob's turn", || {
        let (app, owner, ws, id) = (&s.app, &s.owner, ws.clone(), id2.clone());
        async move {
            let state = app
                .get(
                    &format!("/workspaces/{ws}/presets/{id}/state"),
                    &owner.token,
                )
                .await
                .body;
            (state["queue"]["turn"]["viewer"] == "bob").then_some(())
        }
    })
    .await;
    s.say("left", "alice").await;
    s.expect_nothing().await;
    s.say("drop", "bob").await;
    assert_eq!(s.expect_command().await["cmd"], "CAMERA");
    let done = s.state(&id).await;
    assert_eq!(done["queue"]["waiting"], json!(["alice"]), "{done}");
}

#[actix_web::test]
async fn a_wheel_runs_exactly_one_choice_per_spin() {
    let mut s = setup().await;
    let id = s
        .game(
            json!({"kind": "wheel", "name": "Wheel", "trigger": {"min_diamonds": 1}, "choices": [
            {"weight": 3, "device_id": s.dev, "command": "LAMP_ON", "duration_ms": 0},
            {"weight": 1, "device_id": s.dev, "command": "CAMERA", "duration_ms": 0}]}),
        )
        .await;
    let mut last = String::new();
    for _ in 0..5 {
        s.inject(gift_worth(1)).await;
        let frame = s.expect_command().await;
        last = frame["cmd"].as_str().unwrap().to_owned();
        assert!(last == "LAMP_ON" || last == "CAMERA", "{frame}");
    }
    s.expect_nothing().await;
    assert_eq!(s.state(&id).await["wheel"]["last_choice"], last.as_str());
}

#[actix_web::test]
async fn a_growing_goal_needs_more_each_time() {
    let mut s = setup().await;
    let id = s
        .game(
            json!({"kind": "goal", "name": "Race", "unit": "likes", "target": 10, "then": "grow",
            "grow_pct": 50, "device_id": s.dev, "command": "CONFETTI", "duration_ms": 0}),
        )
        .await;
    let likes = |count: i64| json!({"event_type": "like", "payload": {"count": count, "total": 0}});
    s.inject(likes(10)).await;
    assert_eq!(s.expect_command().await["cmd"], "CONFETTI");
    // The next goal is 15.
    s.inject(likes(10)).await;
    s.expect_nothing().await;
    let state = s.state(&id).await;
    assert_eq!(
        (&state["goal"]["progress"], &state["goal"]["target"]),
        (&json!(10), &json!(15)),
        "{state}"
    );
    s.inject(likes(5)).await;
    assert_eq!(s.expect_command().await["cmd"], "CONFETTI");
    let state = s.state(&id).await;
    assert_eq!(state["goal"]["target"], 23, "{state}");
    assert_eq!(state["goal"]["reached"], 2, "{state}");
}

#[actix_web::test]
async fn an_armed_rule_fires_only_while_live_and_every_rule_pauses_while_the_feed_reconnects() {
    let mut s = setup().await;
    let armed = s
        .rule(
            json!({"name": "Live only", "when": {"event": "gift", "gift_name": "Rose"},
            "then": {"device_id": s.dev, "command": "LAMP_ON", "duration_ms": 0},
            "arm": {"with_live": true}}),
        )
        .await;
    let rule = s
        .app
        .get(
            &format!("/workspaces/{}/rules/{armed}", s.ws),
            &s.owner.token,
        )
        .await
        .expect(200);
    assert_eq!(rule["arm"]["with_live"], true);
    assert_eq!(rule["pause_on_feed_trouble"], true, "the default");
    s.inject(rose_from("ann")).await;
    s.expect_nothing().await;
    assert!(s.why(rose_from("ann"), &armed).await.contains("not armed"));
    s.inject(status("live")).await;
    s.inject(rose_from("ann")).await;
    assert_eq!(s.expect_command().await["cmd"], "LAMP_ON");
    // A stall ends in a reconnect: nothing fires on what arrives meanwhile.
    s.inject(status("reconnecting")).await;
    s.inject(rose_from("ann")).await;
    s.expect_nothing().await;
    assert!(
        s.why(rose_from("ann"), &armed)
            .await
            .contains("reconnecting")
    );
    s.inject(status("live")).await;
    s.inject(rose_from("ann")).await;
    assert_eq!(s.expect_command().await["cmd"], "LAMP_ON");
    // A long armed command runs and another waits its turn when the stream ends: the rule
    // disarms, and what waited is dropped.
    s.rule(
        json!({"name": "Long", "when": {"event": "gift", "gift_name": "Lion"},
        "then": {"device_id": s.dev, "command": "MOTOR_SPIN", "duration_ms": 3000},
        "arm": {"with_live": true}}),
    )
    .await;
    let lion = json!({"event_type": "gift", "payload": {"gift_id": 1, "gift_name": "Lion", "diamond_count": 1,
        "repeat_count": 1, "total_diamonds": 1, "user": viewer("bo")}});
    s.inject(lion.clone()).await;
    assert_eq!(s.expect_command().await["cmd"], "MOTOR_SPIN");
    s.inject(lion).await;
    s.inject(status("ended")).await;
    let dropped = eventually("the waiting command dropped", || async {
        let commands = s
            .app
            .get(
                &format!("/workspaces/{}/commands?limit=50", s.ws),
                &s.owner.token,
            )
            .await
            .body;
        commands.as_array().and_then(|list| {
            list.iter()
                .find(|c| {
                    c["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("livestream ended"))
                })
                .cloned()
        })
    })
    .await;
    assert_eq!(dropped["status"], "busy", "{dropped}");
    s.expect_nothing().await;
    s.inject(rose_from("ann")).await;
    s.expect_nothing().await;

    // Outside its hours (a one-minute window twelve hours away), a rule does not fire.
    let now = chrono::Utc::now() + chrono::Duration::hours(12);
    let hours = format!(
        "{}-{}",
        now.format("%H:%M"),
        (now + chrono::Duration::minutes(1)).format("%H:%M")
    );
    let refused = s
        .app
        .post(
            &format!("/workspaces/{}/rules", s.ws),
            &s.owner.token,
            json!({"name": "Bad hours", "when": {"event": "gift"}, "then": {"device_id": s.dev, "command": "LAMP_ON"},
                "arm": {"with_live": false, "hours": "25:00-26:00"}}),
        )
        .await
        .expect(422);
    assert!(refused["details"]["fields"]["arm.hours"].is_string());
    let later = s
        .rule(json!({"name": "Evening", "when": {"event": "follow"},
            "then": {"device_id": s.dev, "command": "CAMERA", "duration_ms": 0},
            "arm": {"with_live": false, "hours": hours, "tz": "UTC"}}))
        .await;
    let follow = json!({"event_type": "follow", "payload": {"user": viewer("ann")}});
    s.inject(follow.clone()).await;
    s.expect_nothing().await;
    assert!(s.why(follow, &later).await.contains("outside its hours"));
}

#[actix_web::test]
async fn a_rising_price_asks_more_after_each_firing_and_falls_back() {
    let mut s = setup().await;
    let rule = s
        .rule(
            json!({"name": "Pricey", "when": {"event": "gift", "min_diamonds": 10},
            "then": {"device_id": s.dev, "command": "MOTOR_SPIN", "duration_ms": 0},
            "price_scaling": {"step_pct": 100, "decay_s": 1}}),
        )
        .await;
    s.inject(gift_worth(10)).await;
    assert_eq!(s.expect_command().await["cmd"], "MOTOR_SPIN");
    // Now 20 diamonds, for about a second.
    s.inject(gift_worth(10)).await;
    s.expect_nothing().await;
    let why = s.why(gift_worth(10), &rule).await;
    assert!(why.contains("price_scaling"), "{why}");
    s.inject(gift_worth(20)).await;
    assert_eq!(s.expect_command().await["cmd"], "MOTOR_SPIN");
    // The price falls back: a 10-diamond gift fires again once it has (waiting for that, not
    // for a fixed time).
    eventually("the price to fall back", || async {
        let why = s.why(gift_worth(10), &rule).await;
        why.contains("would fire").then_some(())
    })
    .await;
    s.inject(gift_worth(10)).await;
    let frame = s.expect_command().await;
    assert_eq!(frame["cmd"], "MOTOR_SPIN");
}
