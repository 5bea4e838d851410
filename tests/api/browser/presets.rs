//! The preset games page: a gift game and a goal made by form, a refused form saying which
//! field, the game's rules working, a game removed; a viewer told why they cannot.

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn an_owner_makes_and_removes_games_and_a_viewer_sees_why_not() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let ws = app.workspace(&owner, "Game studio").await;
    app.add_member(&ws, &owner, &viewer, "viewer").await;
    crate::agents::device(&app, &owner, &ws, "Lamp", &["LED_ON", "MOTOR_SPIN"]).await;

    let b = Browser::start("presets").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/rules")).await;
    b.click("#presets-link").await;
    b.wait_path(&format!("/w/{ws}/presets")).await;
    b.find("#no-games").await;
    b.check("empty").await;

    // A command the device does not accept: refused, naming the gift's row.
    b.fill("#gift-name", "Lamp game").await;
    b.fill("input[name=gift_1]", "Rose").await;
    b.fill("input[name=command_1]", "CONFETTI").await;
    b.click("#gift-game button[type=submit]").await;
    let errors = b.text("#preset-errors").await;
    assert!(errors.contains("gifts[0]"), "{errors}");
    b.drain_expected_refusal(422).await;
    assert_eq!(
        b.attr("#gift-name", "value").await.as_deref(),
        Some("Lamp game")
    );
    b.fill("input[name=command_1]", "LED_ON").await;
    b.click("#gift-game button[type=submit]").await;
    b.find("#games li[data-preset-id]").await;

    b.fill("#goal-name", "Like race").await;
    b.fill("#goal-target", "500").await;
    b.fill("#goal-command", "MOTOR_SPIN").await;
    b.click("#goal-game button[type=submit]").await;
    b.wait_until(
        "two games listed",
        "document.querySelectorAll('#games li[data-preset-id]').length === 2",
    )
    .await;
    b.check("two-games").await;
    let rules = app
        .get(&format!("/workspaces/{ws}/rules"), &owner.token)
        .await
        .expect(200);
    let names: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Lamp game: Rose") && names.contains(&"Like race: goal"));

    // Removing the first game, after its consequence.
    b.click("#games li:first-child form button").await;
    b.click("#confirm-yes").await;
    b.wait_until(
        "one game left",
        "document.querySelectorAll('#games li[data-preset-id]').length === 1",
    )
    .await;
    let presets = app
        .get(&format!("/workspaces/{ws}/presets"), &owner.token)
        .await
        .expect(200);
    assert_eq!(presets["presets"].as_array().unwrap().len(), 1);
    b.close().await;

    let v = Browser::start("presets-viewer").await;
    v.sign_in(&app, &viewer.email).await;
    v.open(&app, &format!("/w/{ws}/presets")).await;
    v.find("#presets-why-not").await;
    assert!(!v.exists("#gift-game").await);
    assert!(!v.exists("#games form").await);
    v.check("viewer").await;
    v.close().await;
}

/// The rule builder's stream options: a rule armed with the livestream within hours of a time
/// zone; hours it cannot read are explained on their field.
#[actix_web::test]
async fn the_builder_arms_a_rule_with_the_livestream_and_explains_bad_hours() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Armed").await;
    crate::agents::device(&app, &owner, &ws, "Lamp", &["LED_ON"]).await;
    let b = Browser::start("rule-options").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/rules/new")).await;
    b.fill("#rule-name", "Evening spin").await;
    b.fill("#rule-contains", "spin").await;
    b.click("#rule-arm_with_live").await;
    b.fill("#rule-arm_hours", "25:00-26:00").await;
    b.click("#save-rule").await;
    let why = b.text("#rule-arm_hours-error").await;
    assert!(why.contains("HH:MM"), "{why}");
    b.drain_expected_refusal(422).await;
    b.check("bad-hours").await;
    b.fill("#rule-arm_hours", "18:00-23:30").await;
    b.fill("#rule-arm_tz", "Asia/Ho_Chi_Minh").await;
    b.click("#save-rule").await;
    // The refused form was already at /w/{ws}/rules: wait for the saved rule's row.
    b.find("[data-rule-id]").await;
    let rules = app
        .get(&format!("/workspaces/{ws}/rules"), &owner.token)
        .await
        .expect(200);
    let rule = &rules[0];
    assert_eq!(rule["arm"]["with_live"], true, "{rule}");
    assert_eq!(rule["arm"]["hours"], "18:00-23:30");
    assert_eq!(rule["arm"]["tz"], "Asia/Ho_Chi_Minh");
    assert_eq!(rule["pause_on_feed_trouble"], true);
    b.close().await;
}
