//! What each role sees, what strangers get, and hostile TikTok text.

use serde_json::json;

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_viewer_sees_no_edit_controls_and_a_stranger_gets_404() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let stranger = app.user("stranger").await;
    let ws = app.workspace(&owner, "Roles").await;
    app.add_member(&ws, &owner, &viewer, "viewer").await;
    app.simulator_livestream(&owner, &ws).await;
    let (_device, _token) = crate::agents::device(&app, &owner, &ws, "Lamp", &["LED_ON"]).await;
    app.post(
        &format!("/workspaces/{ws}/rules"),
        &owner.token,
        json!({"name": "Light", "when": {"event": "comment", "contains": "light"}, "then": {"command": "LED_ON", "duration_ms": 500}}),
    )
    .await
    .expect(201);

    let v = Browser::start("viewer").await;
    v.sign_in(&app, &viewer.email).await;
    v.open(&app, &format!("/w/{ws}")).await;
    v.wait_live().await;
    v.find("[data-rule-id]").await;
    assert!(!v.exists("#test-panel").await, "viewers get no test panel");
    assert!(
        !v.exists("[data-rule-id] form").await,
        "viewers get no rule switches"
    );
    assert!(
        !v.exists("[data-livestream-id] form").await,
        "viewers cannot connect"
    );
    v.find("#kill-switch").await;
    assert!(!v.enabled("#kill-switch").await, "viewers cannot engage");
    assert!(
        v.text("#kill-why")
            .await
            .contains("cannot engage the kill switch")
    );
    v.check("control-room").await;
    // Posting anyway is refused, and changes nothing.
    let csrf = v
        .eval("return document.querySelector('meta[name=csrf-token]').content")
        .await;
    let rule_id = v.attr("[data-rule-id]", "data-rule-id").await.unwrap();
    let res = app
        .client
        .post(format!("{}/w/{ws}/rules/{rule_id}/disable", app.address))
        .header("cookie", v.cookie_header().await)
        .form(&[("_csrf", csrf.as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("viewers cannot enable or disable rules")
    );
    let rule = app
        .get(&format!("/workspaces/{ws}/rules/{rule_id}"), &owner.token)
        .await
        .expect(200);
    assert_eq!(rule["enabled"], true);
    v.assert_clean_console().await;
    v.open(&app, &format!("/w/{ws}/rules/new")).await;
    assert!(v.text("h1").await.contains("Not allowed"));
    assert!(
        v.text("[data-error-message]")
            .await
            .contains("viewers cannot create, edit, delete or test rules")
    );
    v.shot("forbidden").await;
    v.assert_accessible("forbidden").await;
    // The only console line is the browser's note of the 403 itself.
    let errors = v.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("403")), "{errors:?}");
    v.close().await;

    let s = Browser::start("stranger").await;
    s.sign_in(&app, &stranger.email).await;
    s.open(&app, &format!("/w/{ws}")).await;
    assert_eq!(s.text("h1").await, "Not found");
    let missing = s.eval("return document.body.innerText").await;
    s.open(&app, "/w/ws_00000000000000000000000000").await;
    assert_eq!(
        s.eval("return document.body.innerText").await,
        missing,
        "the same 404 for missing and foreign"
    );
    s.shot("not-found").await;
    s.assert_accessible("not-found").await;
    let errors = s.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("404")), "{errors:?}");
    s.close().await;
}

#[actix_web::test]
async fn hostile_comments_and_names_show_as_text() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "XSS").await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    let b = Browser::start("xss").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_live().await;
    let hostile = "<img src=x onerror=\"window.__pwned=1\">";
    app.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": hostile, "user": {"id": "1", "unique_id": "x", "nickname": "<b>bold</b><script>window.__pwned=2</script>"}}}),
    )
    .await
    .expect(202);
    b.wait_until(
        "the comment in the feed",
        "document.querySelector('#feed [data-kind=event]')",
    )
    .await;
    let row = b.text("#feed [data-kind=event]").await;
    assert!(row.contains(hostile), "{row}");
    assert!(row.contains("<b>bold</b>"), "{row}");
    assert_eq!(
        b.eval("return document.querySelectorAll('#feed img, #feed b, #feed script').length")
            .await,
        json!(0)
    );
    assert_eq!(
        b.eval("return window.__pwned === undefined").await,
        json!(true)
    );
    b.check("feed").await;
    b.assert_clean_console().await;
    b.close().await;
}
