//! The rule engine end to end: events injected through the API → rules → router → a command
//! frame at a real agent socket → its ack in the audit log.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::agents::{Agent, connect_agent, device, next_json, send_json, wait_command};
use crate::helpers::{TestApp, TestUser, eventually, spawn_app, spawn_app_with};

pub(crate) struct Setup {
    pub(crate) app: TestApp,
    pub(crate) owner: TestUser,
    pub(crate) ws: String,
    pub(crate) ls: String,
    pub(crate) dev: String,
    pub(crate) agent: Agent,
}

pub(crate) async fn setup_with(adjust: impl FnOnce(&mut livectl::config::Settings)) -> Setup {
    let app = spawn_app_with(adjust).await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Rules").await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    let (dev, token) = device(
        &app,
        &owner,
        &ws,
        "board",
        &["MOTOR_SPIN", "LAMP_ON", "CAMERA", "CONFETTI"],
    )
    .await;
    let agent = connect_agent(&app, &token).await.unwrap();
    Setup {
        app,
        owner,
        ws,
        ls,
        dev,
        agent,
    }
}

pub(crate) async fn setup() -> Setup {
    setup_with(|_| {}).await
}

impl Setup {
    pub(crate) async fn rule(&self, body: Value) -> String {
        let rule = self
            .app
            .post(
                &format!("/workspaces/{}/rules", self.ws),
                &self.owner.token,
                body,
            )
            .await
            .expect(201);
        rule["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn inject(&self, event: Value) -> String {
        let r = self
            .app
            .post(
                &format!("/workspaces/{}/livestreams/{}/events", self.ws, self.ls),
                &self.owner.token,
                event,
            )
            .await
            .expect(202);
        r["event_id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn comment(&self, text: &str, user: &str) -> String {
        self.inject(json!({"event_type": "comment", "payload": {"text": text, "user": {"id": user, "unique_id": user, "nickname": user}}})).await
    }

    /// The next command frame, acknowledged as done.
    pub(crate) async fn expect_command(&mut self) -> Value {
        let frame = next_json(&mut self.agent.socket)
            .await
            .expect("a command frame");
        assert_eq!(frame["type"], "command");
        send_json(
            &mut self.agent.socket,
            json!({"type": "ack", "id": frame["id"], "status": "done"}),
        )
        .await;
        frame
    }

    pub(crate) async fn expect_nothing(&mut self) {
        let more = tokio::time::timeout(
            Duration::from_millis(250),
            next_json(&mut self.agent.socket),
        )
        .await;
        assert!(more.is_err(), "unexpected frame: {more:?}");
    }

    async fn test(&self, event: Value) -> Vec<Value> {
        let r = self
            .app
            .post(
                &format!("/workspaces/{}/rules/test", self.ws),
                &self.owner.token,
                json!({"livestream_id": self.ls, "event": event}),
            )
            .await
            .expect(200);
        r.as_array().unwrap().clone()
    }
}

#[actix_web::test]
async fn the_seed_examples_end_to_end() {
    let mut s = setup().await;
    // The seed's short form: no device_id (one device), "duration".
    let spin = s.rule(json!({"name": "Spin", "when": {"event": "comment", "contains": "spin"}, "then": {"command": "MOTOR_SPIN", "duration": 1000}})).await;
    let rose = s.rule(json!({"name": "Rose", "when": {"event": "gift", "gift_name": "rose"}, "then": {"device_id": s.dev, "command": "LAMP_ON", "duration_ms": 2000}})).await;
    let camera = s.rule(json!({"name": "Camera", "when": {"event": "comment", "every": 100}, "then": {"command": "CAMERA"}})).await;

    let event = s.comment("please SPIN it", "alice").await;
    let frame = s.expect_command().await;
    assert_eq!(
        (frame["cmd"].as_str(), frame["duration_ms"].as_i64()),
        (Some("MOTOR_SPIN"), Some(1000))
    );
    assert_eq!(frame["rule_id"], spin.as_str());
    assert_eq!(frame["event_id"], event.as_str());
    assert_eq!(frame["workspace_id"], s.ws.as_str());
    assert!(frame["expires_at"].as_i64().unwrap() > frame["issued_at"].as_i64().unwrap());
    let done = wait_command(&s.app, &s.owner, &s.ws, frame["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "done");
    assert!(done["latency"]["event_to_issued_ms"].as_i64().unwrap() >= 0);
    let audit = s
        .app
        .get(
            &format!("/workspaces/{}/audit?kind=command.done", s.ws),
            &s.owner.token,
        )
        .await
        .expect(200);
    assert_eq!(audit["items"][0]["details"]["rule_id"], spin.as_str());

    s.inject(json!({"event_type": "gift", "payload": {"gift_id": 5655, "gift_name": "Rose", "diamond_count": 1, "repeat_count": 1, "total_diamonds": 1}})).await;
    let frame = s.expect_command().await;
    assert_eq!(frame["cmd"], "LAMP_ON");
    assert_eq!(frame["rule_id"], rose.as_str());

    // 98 more comments (the "spin" one counted too): nothing; the 100th fires the camera.
    for i in 0..98 {
        s.comment(&format!("hello {i}"), "bob").await;
    }
    s.expect_nothing().await;
    s.comment("one hundred", "bob").await;
    let frame = s.expect_command().await;
    assert_eq!(frame["cmd"], "CAMERA");
    assert_eq!(frame["rule_id"], camera.as_str());
}

#[actix_web::test]
async fn comment_conditions_and_the_test_view() {
    let s = setup().await;
    let rules = [
        s.rule(json!({"name": "contains", "when": {"event": "comment", "contains": "Spin"}, "then": {"command": "MOTOR_SPIN"}})).await,
        s.rule(json!({"name": "equals", "when": {"event": "comment", "equals": "go"}, "then": {"command": "MOTOR_SPIN"}})).await,
        s.rule(json!({"name": "starts", "when": {"event": "comment", "starts_with": "!lamp"}, "then": {"command": "LAMP_ON"}})).await,
        s.rule(json!({"name": "any", "when": {"event": "comment", "any_of": ["red", "blue"]}, "then": {"command": "LAMP_ON"}})).await,
        s.rule(json!({"name": "regex", "when": {"event": "comment", "regex": "^\\d{3}$"}, "then": {"command": "CONFETTI"}})).await,
        s.rule(json!({"name": "user", "when": {"event": "comment", "user": "@VIP"}, "then": {"command": "CONFETTI"}})).await,
    ];
    let cases: Vec<(&str, &str, [bool; 6])> = vec![
        (
            "  SPIN please ",
            "x",
            [true, false, false, false, false, false],
        ),
        (" Go ", "x", [false, true, false, false, false, false]),
        ("!LAMP on", "x", [false, false, true, false, false, false]),
        (
            "I like blue!",
            "x",
            [false, false, false, true, false, false],
        ),
        ("blueberry", "x", [false, false, false, false, false, false]),
        ("123", "x", [false, false, false, false, true, false]),
        ("1234", "vip", [false, false, false, false, false, true]),
    ];
    for (text, user, want) in cases {
        let results = s.test(json!({"event_type": "comment", "payload": {"text": text, "user": {"unique_id": user}}})).await;
        for (rule, want) in rules.iter().zip(want) {
            let r = results
                .iter()
                .find(|r| r["rule_id"] == rule.as_str())
                .unwrap();
            assert_eq!(r["matched"], want, "{text:?} / rule {rule}: {r}");
            assert!(r["reason"].as_str().is_some_and(|x| !x.is_empty()));
        }
    }
    let results = s
        .test(json!({"event_type": "comment", "payload": {"text": "nope"}}))
        .await;
    let contains = results
        .iter()
        .find(|r| r["rule_id"] == rules[0].as_str())
        .unwrap();
    assert!(
        contains["reason"].as_str().unwrap().starts_with("contains"),
        "{contains}"
    );
    let like = s
        .test(json!({"event_type": "like", "payload": {"count": 1, "total": 1}}))
        .await;
    assert!(
        like.iter().all(|r| r["matched"] == false
            && r["reason"].as_str().unwrap().contains("rule wants comment"))
    );
}

#[actix_web::test]
async fn gift_like_and_counter_conditions() {
    let mut s = setup().await;
    let big = s.rule(json!({"name": "big", "when": {"event": "gift", "min_diamonds": 100}, "then": {"command": "CONFETTI"}})).await;
    let by_id = s.rule(json!({"name": "id", "when": {"event": "gift", "gift_id": 5655, "min_count": 5}, "then": {"command": "LAMP_ON"}})).await;
    let likes = s.rule(json!({"name": "likes", "when": {"event": "like", "every": 50, "unit": "likes"}, "then": {"command": "MOTOR_SPIN"}})).await;
    let diamonds = s.rule(json!({"name": "diamonds", "when": {"event": "gift", "every": 30, "unit": "diamonds"}, "then": {"command": "CAMERA"}})).await;
    let gift = |id: i64, unit: i64, n: i64| json!({"event_type": "gift", "payload": {"gift_id": id, "gift_name": "G", "diamond_count": unit, "repeat_count": n, "total_diamonds": unit * n}});

    s.inject(gift(5655, 1, 5)).await; // 5 diamonds: id rule (count 5)
    let f = s.expect_command().await;
    assert_eq!(f["rule_id"], by_id.as_str());
    s.inject(gift(7000, 25, 4)).await; // 100 diamonds: big + diamonds counter (5+100 ≥ 30)
    let mut fired = vec![
        s.expect_command().await["rule_id"]
            .as_str()
            .unwrap()
            .to_owned(),
        s.expect_command().await["rule_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    ];
    fired.sort();
    let mut want = vec![big.clone(), diamonds.clone()];
    want.sort();
    assert_eq!(fired, want);
    for _ in 0..4 {
        s.inject(json!({"event_type": "like", "payload": {"count": 12, "total": 1}}))
            .await;
    }
    s.expect_nothing().await; // 48 likes
    s.inject(json!({"event_type": "like", "payload": {"count": 3, "total": 1}}))
        .await;
    assert_eq!(s.expect_command().await["rule_id"], likes.as_str());
    s.expect_nothing().await;
}

#[actix_web::test]
async fn viewers_threshold_fires_once_and_rearms() {
    let mut s = setup().await;
    let rule = s.rule(json!({"name": "crowd", "when": {"event": "viewer_count", "viewers_at_least": 100}, "then": {"command": "CONFETTI"}})).await;
    let viewers = |n: i64| json!({"event_type": "viewer_count", "payload": {"viewers": n, "total_viewers": n}});
    s.inject(viewers(50)).await;
    s.expect_nothing().await;
    s.inject(viewers(120)).await;
    assert_eq!(s.expect_command().await["rule_id"], rule.as_str());
    s.inject(viewers(150)).await;
    s.expect_nothing().await;
    let why = s.test(viewers(200)).await;
    assert!(
        why[0]["reason"].as_str().unwrap().contains("already fired"),
        "{}",
        why[0]
    );
    s.inject(viewers(90)).await;
    s.inject(viewers(101)).await;
    assert_eq!(s.expect_command().await["rule_id"], rule.as_str());
}

#[actix_web::test]
async fn cooldowns_global_and_per_viewer() {
    let mut s = setup().await;
    let global = s.rule(json!({"name": "global", "when": {"event": "comment", "equals": "a"}, "then": {"command": "MOTOR_SPIN"}, "cooldown_ms": 400})).await;
    s.rule(json!({"name": "per user", "when": {"event": "comment", "equals": "b"}, "then": {"command": "LAMP_ON"}, "per_user_cooldown_ms": 60000})).await;
    s.comment("a", "u1").await;
    assert_eq!(s.expect_command().await["rule_id"], global.as_str());
    s.comment("a", "u2").await;
    s.expect_nothing().await;
    let why = s
        .test(json!({"event_type": "comment", "payload": {"text": "a"}}))
        .await;
    let g = why
        .iter()
        .find(|r| r["rule_id"] == global.as_str())
        .unwrap();
    assert!(g["reason"].as_str().unwrap().starts_with("cooldown"), "{g}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.comment("a", "u2").await;
    assert_eq!(s.expect_command().await["cmd"], "MOTOR_SPIN");

    s.comment("b", "u1").await;
    assert_eq!(s.expect_command().await["cmd"], "LAMP_ON");
    s.comment("b", "u1").await;
    s.expect_nothing().await;
    s.comment("b", "u2").await;
    assert_eq!(s.expect_command().await["cmd"], "LAMP_ON");
    let why = s.test(json!({"event_type": "comment", "payload": {"text": "b", "user": {"id": "u1", "unique_id": "u1"}}})).await;
    assert!(why.iter().any(|r| {
        r["reason"]
            .as_str()
            .unwrap()
            .starts_with("per_user_cooldown")
    }));
}

#[actix_web::test]
async fn priority_livestream_scope_enable_and_disable() {
    let mut s = setup().await;
    let other = s
        .app
        .post(
            &format!("/workspaces/{}/livestreams", s.ws),
            &s.owner.token,
            json!({"target": "other", "source": "simulator"}),
        )
        .await
        .expect(201);
    let other = other["id"].as_str().unwrap().to_owned();
    let low = s.rule(json!({"name": "low", "priority": 1, "when": {"event": "comment", "contains": "x"}, "then": {"command": "LAMP_ON"}})).await;
    let high = s.rule(json!({"name": "high", "priority": 9, "when": {"event": "comment", "contains": "x"}, "then": {"command": "MOTOR_SPIN"}})).await;
    let scoped = s.rule(json!({"name": "scoped", "livestream_id": other, "when": {"event": "comment", "contains": "x"}, "then": {"command": "CONFETTI"}})).await;
    s.comment("x", "u").await;
    assert_eq!(s.expect_command().await["rule_id"], high.as_str());
    assert_eq!(s.expect_command().await["rule_id"], low.as_str());
    s.expect_nothing().await; // the scoped rule is for the other livestream
    let operator = s.app.user("operator").await;
    s.app
        .add_member(&s.ws, &s.owner, &operator, "operator")
        .await;
    let disabled = s
        .app
        .call(
            Method::POST,
            &format!("/workspaces/{}/rules/{high}/disable", s.ws),
            Some(&operator.token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(disabled["enabled"], false);
    s.comment("x", "u").await;
    assert_eq!(s.expect_command().await["rule_id"], low.as_str());
    s.expect_nothing().await;
    s.app
        .call(
            Method::POST,
            &format!("/workspaces/{}/rules/{high}/enable", s.ws),
            Some(&operator.token),
            None,
        )
        .await
        .expect(200);
    // Operators cannot edit rules.
    s.app
        .delete(
            &format!("/workspaces/{}/rules/{scoped}", s.ws),
            &operator.token,
        )
        .await
        .expect_error(403, "FORBIDDEN");
    let listed = s
        .app
        .get(&format!("/workspaces/{}/rules", s.ws), &operator.token)
        .await
        .expect(200);
    assert_eq!(listed[0]["id"], high.as_str(), "highest priority first");
    // Replace and delete.
    let replaced = s
        .app
        .call(Method::PUT, &format!("/workspaces/{}/rules/{low}", s.ws), Some(&s.owner.token), Some(json!({"name": "low2", "when": {"event": "comment", "contains": "zzz"}, "then": {"command": "LAMP_ON"}})))
        .await
        .expect(200);
    assert_eq!(replaced["when"]["contains"], "zzz");
    s.app
        .delete(
            &format!("/workspaces/{}/rules/{high}", s.ws),
            &s.owner.token,
        )
        .await
        .expect(204);
    s.comment("x", "u").await;
    s.expect_nothing().await;
    s.comment("zzz", "u").await;
    assert_eq!(s.expect_command().await["rule_id"], low.as_str());
}

#[actix_web::test]
async fn invalid_rules_are_refused_with_the_field() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Invalid").await;
    let other = app.workspace(&owner, "Other").await;
    let (dev, _) = device(&app, &owner, &ws, "board", &["MOTOR_SPIN"]).await;
    let (foreign, _) = device(&app, &owner, &other, "theirs", &["MOTOR_SPIN"]).await;
    let cases = vec![
        (
            json!({"name": "x", "when": {"event": "dance"}, "then": {"command": "MOTOR_SPIN"}}),
            "when.event",
        ),
        (
            json!({"name": "x", "when": {"event": "comment", "regex": "(unclosed"}, "then": {"command": "MOTOR_SPIN"}}),
            "when.regex",
        ),
        (
            json!({"name": "x", "when": {"event": "comment", "regex": "a{1000}{1000}"}, "then": {"command": "MOTOR_SPIN"}}),
            "when.regex",
        ),
        (
            json!({"name": "x", "when": {"event": "comment", "regex": "a".repeat(600)}, "then": {"command": "MOTOR_SPIN"}}),
            "when.regex",
        ),
        (
            json!({"name": "x", "when": {"event": "comment"}, "then": {"command": "FLY"}}),
            "then.command",
        ),
        (
            json!({"name": "x", "when": {"event": "comment"}, "then": {"command": "MOTOR_SPIN", "duration_ms": 60000}}),
            "then.duration_ms",
        ),
        (
            json!({"name": "x", "when": {"event": "comment"}, "then": {"command": "MOTOR_SPIN", "duration": 60000}}),
            "then.duration",
        ),
        (
            json!({"name": "x", "when": {"event": "comment"}, "then": {"device_id": foreign, "command": "MOTOR_SPIN"}}),
            "then.device_id",
        ),
        (
            json!({"name": "x", "when": {"event": "like", "contains": "a"}, "then": {"command": "MOTOR_SPIN"}}),
            "when.contains",
        ),
        (
            json!({"name": "x", "when": {"event": "comment", "every": 0}, "then": {"command": "MOTOR_SPIN"}}),
            "when.every",
        ),
        (
            json!({"name": "x", "when": {"event": "comment", "every": 5, "unit": "likes"}, "then": {"command": "MOTOR_SPIN"}}),
            "when.unit",
        ),
        (
            json!({"name": "x", "when": {"event": "comment"}, "then": {"command": "MOTOR_SPIN"}, "cooldown_ms": -1}),
            "cooldown_ms",
        ),
        (
            json!({"name": "x", "livestream_id": "ls_nope", "when": {"event": "comment"}, "then": {"command": "MOTOR_SPIN"}}),
            "livestream_id",
        ),
        (
            json!({"name": "x", "when": {"event": "comment", "colour": "red"}, "then": {"command": "MOTOR_SPIN"}}),
            "when",
        ),
    ];
    for (body, field) in cases {
        let err = app
            .post(
                &format!("/workspaces/{ws}/rules"),
                &owner.token,
                body.clone(),
            )
            .await
            .expect_error(422, "VALIDATION_FAILED");
        let fields = err["details"]["fields"].as_object().unwrap();
        assert!(
            fields.keys().any(|k| k.starts_with(field)),
            "{body} → {err}"
        );
    }
    // With two devices, device_id is required.
    device(&app, &owner, &ws, "second", &["MOTOR_SPIN"]).await;
    app.post(
        &format!("/workspaces/{ws}/rules"),
        &owner.token,
        json!({"name": "x", "when": {"event": "comment"}, "then": {"command": "MOTOR_SPIN"}}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "x", "when": {"event": "comment"}, "then": {"device_id": dev, "command": "motor_spin"}}))
        .await
        .expect(201);
}

#[actix_web::test]
async fn plan_limit_on_rules() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Free").await;
    app.set_plan(&platform, &ws, "free").await;
    device(&app, &owner, &ws, "board", &["A"]).await;
    for i in 0..10 {
        app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": format!("r{i}"), "when": {"event": "comment"}, "then": {"command": "A"}})).await.expect(201);
    }
    let refused = app
        .post(
            &format!("/workspaces/{ws}/rules"),
            &owner.token,
            json!({"name": "r10", "when": {"event": "comment"}, "then": {"command": "A"}}),
        )
        .await
        .expect_error(402, "PLAN_LIMIT_REACHED");
    assert_eq!(refused["details"]["limit"], 10);
}

#[actix_web::test]
async fn counters_survive_a_restart() {
    let s = setup().await;
    let rule = s.rule(json!({"name": "third", "when": {"event": "comment", "every": 3}, "then": {"command": "CAMERA"}})).await;
    s.comment("one", "u").await;
    s.comment("two", "u").await;
    // The engine saves counters every second, and at once when asked (as a stopping node
    // does): ask until these two are in the table.
    let (app, rule) = (&s.app, rule.as_str());
    eventually("the counter (2 of 3) saved", || async move {
        app.state
            .rules
            .send(livectl::rules::engine::SaveCounters)
            .await
            .unwrap();
        let counters = app
            .state
            .db
            .run(livectl::rules::model::load_counters)
            .await
            .unwrap();
        counters
            .iter()
            .any(|(id, c)| id == rule && c.value == 2)
            .then_some(())
    })
    .await;
    let second = s.app.sibling(|_| {}).await;
    let token = second
        .call(
            Method::POST,
            &format!("/workspaces/{}/devices/{}/token", s.ws, s.dev),
            Some(&s.owner.token),
            None,
        )
        .await
        .expect(201);
    let mut agent = connect_agent(&second, token["agent_token"].as_str().unwrap())
        .await
        .unwrap();
    second
        .post(
            &format!("/workspaces/{}/livestreams/{}/events", s.ws, s.ls),
            &s.owner.token,
            json!({"event_type": "comment", "payload": {"text": "three"}}),
        )
        .await
        .expect(202);
    let frame = next_json(&mut agent.socket).await.unwrap();
    assert_eq!(
        frame["cmd"], "CAMERA",
        "the third comment fires, counting the two before the restart"
    );
}

#[actix_web::test]
async fn a_gift_streak_from_tiktok_fires_once() {
    use crate::fake_tiktok::{FakeTiktok, frame, gift};
    let fake = FakeTiktok::start().await;
    let url = fake.url.clone();
    let mut s = setup_with(move |c| {
        c.tiktok.web_url = url.clone();
        c.tiktok.webcast_url = url.clone();
        c.tiktok.sign_url = url;
    })
    .await;
    let ls = s
        .app
        .post(
            &format!("/workspaces/{}/livestreams", s.ws),
            &s.owner.token,
            json!({"target": "gifted"}),
        )
        .await
        .expect(201);
    let ls = ls["id"].as_str().unwrap().to_owned();
    s.rule(json!({"name": "rose", "when": {"event": "gift", "gift_name": "Rose"}, "then": {"command": "LAMP_ON"}})).await;
    s.app
        .call(
            Method::POST,
            &format!("/workspaces/{}/livestreams/{ls}/connect", s.ws),
            Some(&s.owner.token),
            None,
        )
        .await
        .expect(202);
    for _ in 0..100 {
        if fake
            .control
            .sockets
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    fake.control
        .push(frame(1, vec![gift(1, 7, 1, false), gift(2, 7, 2, false)]));
    fake.control
        .push(frame(2, vec![gift(3, 7, 3, false), gift(4, 7, 3, true)]));
    let f = s.expect_command().await;
    assert_eq!(f["cmd"], "LAMP_ON");
    s.expect_nothing().await;
    let _ = wait_command(&s.app, &s.owner, &s.ws, f["id"].as_str().unwrap()).await;
}

#[actix_web::test]
async fn an_unsaved_rule_can_be_tried_before_it_is_saved() {
    let s = setup().await;
    let saved = s
        .rule(json!({"name": "Lamp", "when": {"event": "comment", "contains": "lamp"}, "then": {"device_id": s.dev, "command": "LAMP_ON", "duration_ms": 100}}))
        .await;
    let path = format!("/workspaces/{}/rules/test", s.ws);
    let draft = json!({"name": "Spin", "when": {"event": "comment", "contains": "spin"}, "then": {"device_id": s.dev, "command": "MOTOR_SPIN", "duration_ms": 500}, "cooldown_ms": 5000});
    let results = s
        .app
        .post(
            &path,
            &s.owner.token,
            json!({"livestream_id": s.ls, "event": {"event_type": "comment", "payload": {"text": "spin it"}}, "rule": draft}),
        )
        .await
        .expect(200);
    assert_eq!(results[0]["rule_id"], "draft", "{results}");
    assert_eq!(results[0]["matched"], true);
    assert_eq!(results[1]["rule_id"], saved.as_str());
    assert_eq!(results[1]["matched"], false);
    // Nothing was saved and nothing moved.
    let rules = s
        .app
        .get(&format!("/workspaces/{}/rules", s.ws), &s.owner.token)
        .await
        .expect(200);
    assert_eq!(rules.as_array().unwrap().len(), 1);
    // A draft that would not validate says which field, like a create would.
    s.app
        .post(
            &path,
            &s.owner.token,
            json!({"event": {"event_type": "comment", "payload": {"text": "x"}}, "rule": {"name": "Bad", "when": {"event": "comment"}, "then": {"device_id": s.dev, "command": "NOT_ALLOWED"}}}),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
}

/// Security review M3 (the part that is about input): one workspace cannot make every
/// comment cost the shared rule engine a lot: test comments are short, regex rules few.
#[actix_web::test]
async fn huge_comments_and_a_pile_of_regex_rules_are_refused() {
    let app = spawn_app().await;
    let owner = app.user("noisy").await;
    let ws = app.workspace(&owner, "Noisy").await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    let (_dev, _token) = device(&app, &owner, &ws, "Motor", &["MOTOR_SPIN"]).await;
    app.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": "a".repeat(501)}}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    app.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": "a".repeat(500)}}),
    )
    .await
    .expect(202);
    let rule = |n: usize| json!({"name": format!("Regex {n}"), "when": {"event": "comment", "regex": "a(?:a|b){25}c"}, "then": {"command": "MOTOR_SPIN", "duration": 100}});
    for n in 0..livectl::rules::model::MAX_REGEX_RULES as usize {
        app.post(&format!("/workspaces/{ws}/rules"), &owner.token, rule(n))
            .await
            .expect(201);
    }
    let refused = app
        .post(&format!("/workspaces/{ws}/rules"), &owner.token, rule(99))
        .await
        .expect_error(422, "VALIDATION_FAILED");
    assert!(
        refused["details"]["fields"]["when.regex"].is_string(),
        "{refused}"
    );
    // A rule without a regex is still welcome.
    app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "Plain", "when": {"event": "comment", "contains": "spin"}, "then": {"command": "MOTOR_SPIN", "duration": 100}}))
        .await
        .expect(201);
}
