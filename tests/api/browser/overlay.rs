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
    assert!(b.text("#overlay-actions").await.contains("MOTOR_SPIN"));
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
