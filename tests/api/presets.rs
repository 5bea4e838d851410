//! Preset games end to end: made through the API, their rules driving a real agent socket,
//! removed with their rules; the refusals name the game's own fields.

use serde_json::{Value, json};

use crate::rules::{Setup, setup, setup_with};

impl Setup {
    async fn preset(&self, body: Value) -> crate::helpers::Answer {
        self.app
            .post(
                &format!("/workspaces/{}/presets", self.ws),
                &self.owner.token,
                body,
            )
            .await
    }
}

fn gift(name: &str, id: i64, diamonds: i64, n: i64) -> Value {
    json!({"event_type": "gift", "payload": {"gift_id": id, "gift_name": name, "diamond_count": diamonds, "repeat_count": n, "total_diamonds": diamonds * n}})
}

#[actix_web::test]
async fn a_gift_action_game_runs_each_gifts_command_and_goes_with_its_rules() {
    let mut s = setup().await;
    let created = s
        .preset(json!({"kind": "gift_action", "name": "Lamp game", "gifts": [
            {"gift_name": "Rose", "device_id": s.dev, "command": "LAMP_ON", "duration_ms": 3000},
            {"gift_id": 5000, "device_id": s.dev, "command": "MOTOR_SPIN", "duration_ms": 1000},
        ]}))
        .await
        .expect(201);
    assert_eq!(created["kind"], "gift_action");
    let rule_ids: Vec<String> = created["rule_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rule_ids.len(), 2);
    let rule = s
        .app
        .get(
            &format!("/workspaces/{}/rules/{}", s.ws, rule_ids[0]),
            &s.owner.token,
        )
        .await
        .expect(200);
    assert_eq!(rule["name"], "Lamp game: Rose");

    s.inject(gift("Rose", 5655, 1, 1)).await;
    let frame = s.expect_command().await;
    assert_eq!(
        (frame["cmd"].as_str(), frame["duration_ms"].as_i64()),
        (Some("LAMP_ON"), Some(3000))
    );
    assert_eq!(frame["rule_id"], rule_ids[0].as_str());
    s.inject(gift("Galaxy", 5000, 1000, 1)).await;
    assert_eq!(s.expect_command().await["cmd"], "MOTOR_SPIN");
    s.inject(gift("Heart", 7934, 1, 1)).await;
    s.expect_nothing().await;

    let listed = s
        .app
        .get(&format!("/workspaces/{}/presets", s.ws), &s.owner.token)
        .await
        .expect(200);
    assert_eq!(listed["presets"][0]["name"], "Lamp game");
    assert_eq!(
        listed["presets"][0]["config"]["gifts"][0]["gift_name"],
        "Rose"
    );
    let kinds: Vec<(String, bool)> = listed["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kind"].as_str().unwrap().to_owned(),
                k["available"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(kinds.contains(&("gift_action".into(), true)));
    for kind in ["goal", "vote", "queue", "wheel"] {
        assert!(kinds.contains(&(kind.into(), true)), "{kinds:?}");
    }

    // Removing the game removes its rules: the rose does nothing any more.
    s.app
        .delete(
            &format!(
                "/workspaces/{}/presets/{}",
                s.ws,
                created["id"].as_str().unwrap()
            ),
            &s.owner.token,
        )
        .await
        .expect(204);
    s.app
        .get(
            &format!("/workspaces/{}/rules/{}", s.ws, rule_ids[0]),
            &s.owner.token,
        )
        .await
        .expect(404);
    s.inject(gift("Rose", 5655, 1, 1)).await;
    s.expect_nothing().await;
    let audit = s
        .app
        .get(
            &format!("/workspaces/{}/audit?kind=preset.deleted", s.ws),
            &s.owner.token,
        )
        .await
        .expect(200);
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_likes_goal_fires_once_per_target_reached() {
    let mut s = setup().await;
    s.preset(
        json!({"kind": "goal", "name": "Like race", "unit": "likes", "target": 10,
        "device_id": s.dev, "command": "CONFETTI", "duration_ms": 500, "then": "reset"}),
    )
    .await
    .expect(201);
    let likes = |count: i64, total: i64| json!({"event_type": "like", "payload": {"count": count, "total": total}});
    s.inject(likes(4, 4)).await;
    s.inject(likes(4, 8)).await;
    s.expect_nothing().await;
    s.inject(likes(4, 12)).await;
    assert_eq!(s.expect_command().await["cmd"], "CONFETTI");
    s.inject(likes(4, 16)).await;
    s.expect_nothing().await;
    s.inject(likes(4, 20)).await;
    assert_eq!(s.expect_command().await["cmd"], "CONFETTI");
    s.expect_nothing().await;
}

#[actix_web::test]
async fn a_game_is_refused_by_its_own_fields_and_made_whole_or_not_at_all() {
    let s = setup_with(|settings| {
        settings.plans.default = livectl::workspaces::plans::Plan::Free;
    })
    .await;
    let refused = s
        .preset(json!({"kind": "gift_action", "name": "Empty", "gifts": []}))
        .await
        .expect(422);
    assert!(refused["details"]["fields"]["gifts"].is_string());
    let refused = s
        .preset(json!({"kind": "gift_action", "name": "Bad", "gifts": [
            {"gift_name": "Rose", "device_id": s.dev, "command": "LAMP_ON"},
            {"gift_name": "Lion", "device_id": "dev_nope", "command": "LAMP_ON"},
        ]}))
        .await
        .expect(422);
    let fields = refused["details"]["fields"].as_object().unwrap();
    assert!(
        fields.keys().any(|k| k.starts_with("gifts[1].")),
        "{refused}"
    );
    let refused = s
        .preset(json!({"kind": "gift_action", "name": "Both", "gifts": [
            {"gift_name": "Rose", "gift_id": 5655, "device_id": s.dev, "command": "LAMP_ON"}]}))
        .await
        .expect(422);
    assert!(refused["details"]["fields"]["gifts[0].gift_name"].is_string());
    let refused = s
        .preset(
            json!({"kind": "goal", "name": "Grow", "unit": "likes", "target": 10,
            "device_id": s.dev, "command": "CONFETTI", "then": "grow"}),
        )
        .await
        .expect(422);
    assert!(
        refused["details"]["fields"]["grow_pct"].is_string(),
        "{refused}"
    );
    let refused = s
        .preset(json!({"kind": "vote", "name": "Vote", "options": [], "window_s": 30}))
        .await
        .expect(422);
    assert!(
        refused["details"]["fields"]["options"].is_string(),
        "{refused}"
    );
    let refused = s
        .preset(
            json!({"kind": "vote", "name": "Vote", "window_s": 30, "options": [
            {"word": "Left", "device_id": s.dev, "command": "LAMP_ON"},
            {"word": "left", "device_id": s.dev, "command": "CAMERA"}]}),
        )
        .await
        .expect(422);
    assert!(
        refused["details"]["fields"]["options[1].word"].is_string(),
        "{refused}"
    );
    let refused = s
        .preset(json!({"kind": "queue", "name": "Claw", "ticket": {"gift_name": "Rose", "min_diamonds": 5},
            "controls": [{"word": "left", "device_id": s.dev, "command": "LAMP_ON"}]}))
        .await
        .expect(422);
    assert!(
        refused["details"]["fields"]["ticket.gift_name"].is_string(),
        "{refused}"
    );
    let refused = s
        .preset(
            json!({"kind": "wheel", "name": "Wheel", "trigger": {"gift_name": "Rose"}, "choices": [
            {"weight": 1, "device_id": s.dev, "command": "LAMP_ON"},
            {"weight": 0, "device_id": s.dev, "command": "CAMERA"}]}),
        )
        .await
        .expect(422);
    assert!(
        refused["details"]["fields"]["choices[1].weight"].is_string(),
        "{refused}"
    );
    // The free plan allows 10 rules: an 11-gift game is refused whole.
    let gifts: Vec<Value> = (0..11)
        .map(|i| json!({"gift_id": 1000 + i, "device_id": s.dev, "command": "LAMP_ON"}))
        .collect();
    s.preset(json!({"kind": "gift_action", "name": "Too big", "gifts": gifts}))
        .await
        .expect(402);
    let rules = s
        .app
        .get(&format!("/workspaces/{}/rules", s.ws), &s.owner.token)
        .await
        .expect(200);
    assert_eq!(rules.as_array().unwrap().len(), 0, "nothing half made");

    // A viewer reads the games but makes none.
    let viewer = s.app.user("viewer").await;
    s.app.add_member(&s.ws, &s.owner, &viewer, "viewer").await;
    s.app
        .get(&format!("/workspaces/{}/presets", s.ws), &viewer.token)
        .await
        .expect(200);
    s.app
        .post(
            &format!("/workspaces/{}/presets", s.ws),
            &viewer.token,
            json!({"kind": "goal", "name": "X", "unit": "likes", "target": 10, "device_id": s.dev, "command": "CONFETTI"}),
        )
        .await
        .expect(403);
}

/// `then.scale`: a streak of roses becomes one longer command, never past its cap (which is
/// never past the device's maximum), instead of one command per rose.
#[actix_web::test]
async fn a_scaled_gift_is_one_command_as_long_as_the_streak_up_to_its_cap() {
    let mut s = setup().await;
    let rule = |scale: Value| {
        json!({"name": "Roses", "when": {"event": "gift", "gift_name": "Rose"},
            "then": {"device_id": s.dev, "command": "LAMP_ON", "scale": scale}})
    };
    let too_long = s
        .app
        .post(
            &format!("/workspaces/{}/rules", s.ws),
            &s.owner.token,
            rule(json!({"per_unit_ms": 500, "unit": "repeat_count", "max_ms": 5000})),
        )
        .await
        .expect(422);
    assert!(too_long["details"]["fields"]["then.scale.max_ms"].is_string());
    let wrong_unit = s
        .app
        .post(
            &format!("/workspaces/{}/rules", s.ws),
            &s.owner.token,
            rule(json!({"per_unit_ms": 500, "unit": "likes", "max_ms": 3000})),
        )
        .await
        .expect(422);
    assert!(wrong_unit["details"]["fields"]["then.scale.unit"].is_string());
    s.app
        .post(
            &format!("/workspaces/{}/rules", s.ws),
            &s.owner.token,
            rule(json!({"per_unit_ms": 500, "unit": "repeat_count", "max_ms": 3000})),
        )
        .await
        .expect(201);
    s.inject(gift("Rose", 5655, 1, 4)).await;
    let frame = s.expect_command().await;
    assert_eq!(frame["duration_ms"], 2000, "4 roses × 500 ms");
    s.expect_nothing().await;
    s.inject(gift("Rose", 5655, 1, 10)).await;
    assert_eq!(s.expect_command().await["duration_ms"], 3000, "capped");
}
