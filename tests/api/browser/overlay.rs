//! The viewer overlay in Chromium: transparent, updated live as actions happen, emptied once
//! its token is revoked.

use serde_json::json;

use super::Browser;

#[actix_web::test]
async fn the_overlay_updates_live_and_goes_blank_when_revoked() {
    let mut s = crate::rules::setup().await;
    s.app
        .post(
            &format!("/workspaces/{}/rules", s.ws),
            &s.owner.token,
            json!({"name": "Spin", "when": {"event": "comment", "contains": "spin"}, "then": {"device_id": s.dev, "command": "MOTOR_SPIN", "duration_ms": 1000}}),
        )
        .await
        .expect(201);
    let created = s
        .app
        .post(
            &format!("/workspaces/{}/overlay-tokens", s.ws),
            &s.owner.token,
            json!({"name": "OBS"}),
        )
        .await
        .expect(201);
    let b = Browser::start("overlay").await;
    b.open(&s.app, created["url"].as_str().unwrap()).await;
    assert!(b.text("#overlay-mappings").await.contains("spin"));
    assert_eq!(
        b.eval("return getComputedStyle(document.body).backgroundColor")
            .await,
        json!("rgba(0, 0, 0, 0)")
    );
    assert!(!b.exists("#overlay-actions").await);
    s.comment("please spin", "mai").await;
    s.expect_command().await;
    b.wait_until(
        "the action on the overlay",
        "!!document.querySelector('#overlay-actions li')",
    )
    .await;
    let actions = b.text("#overlay-actions").await;
    assert!(
        actions.contains("MOTOR_SPIN") && actions.contains("mai"),
        "who caused it: {actions}"
    );
    assert!(b.exists("#overlay-devices li").await, "the device's state");
    b.check("live").await;
    s.app
        .delete(
            &format!(
                "/workspaces/{}/overlay-tokens/{}",
                s.ws,
                created["id"].as_str().unwrap()
            ),
            &s.owner.token,
        )
        .await
        .expect(204);
    b.wait_until(
        "the overlay emptied",
        "document.getElementById('overlay').children.length === 0",
    )
    .await;
    // The refresh that found the token revoked logged its 404: expected.
    let errors = b.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("404")), "{errors:#?}");
    b.close().await;
}

/// An owner makes a vote on the presets page and an overlay address on the overlay page, then
/// the overlay shows the vote live: its counts, then its winner.
#[actix_web::test]
async fn an_owner_sets_up_a_vote_and_its_overlay_and_viewers_see_it_live() {
    let mut s = crate::rules::setup().await;
    let b = Browser::start("overlay-vote").await;
    b.sign_in(&s.app, &s.owner.email).await;
    b.open(&s.app, &format!("/w/{}/presets", s.ws)).await;
    b.fill("#vote-name", "Lights").await;
    b.fill("#vote-window", "3").await;
    b.fill("#vote-game input[name=word_1]", "lamp").await;
    b.fill("#vote-game input[name=command_1]", "LAMP_ON").await;
    b.fill("#vote-game input[name=word_2]", "camera").await;
    b.fill("#vote-game input[name=command_2]", "CAMERA").await;
    b.click("#vote-game button[type=submit]").await;
    b.find("#games li[data-preset-id]").await;
    b.check("vote-made").await;
    b.click("#overlay-link").await;
    b.wait_path(&format!("/w/{}/overlay", s.ws)).await;
    b.fill("#overlay-name", "OBS main").await;
    b.click("#make-overlay").await;
    let address = b.text("#overlay-url").await;
    assert!(address.contains("/overlay/ovl_"), "{address}");
    b.find("#overlay-tokens tr[data-overlay-token-id]").await;
    b.check("overlay-made").await;
    let path = b
        .attr("#overlay-open", "href")
        .await
        .expect("the overlay's link");

    b.open(&s.app, &path).await;
    b.find("#overlay section.game[data-preset-id]").await;
    s.comment("lamp", "mai").await;
    s.comment("camera", "lan").await;
    s.comment("lamp", "hoa").await;
    b.wait_until(
        "the vote's counts on the overlay",
        "(document.querySelector('#overlay section.game .now') || {}).textContent?.includes('“lamp” 2')",
    )
    .await;
    b.check("vote-open").await;
    assert_eq!(s.expect_command().await["cmd"], "LAMP_ON");
    b.wait_until(
        "the winner on the overlay",
        "(document.querySelector('#overlay section.game .now') || {}).textContent?.includes('won')",
    )
    .await;
    b.check("vote-won").await;
    b.close().await;
}
