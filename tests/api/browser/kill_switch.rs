//! The kill switch from the keyboard alone, seen at once in another member's browser; an
//! operator can stop but not release; a phone sees it without scrolling.

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::json;

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn engaged_by_keyboard_flips_every_tab_and_only_the_owner_releases() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let operator = app.user("operator").await;
    let ws = app.workspace(&owner, "Kill studio").await;
    app.add_member(&ws, &owner, &operator, "operator").await;

    let a = Browser::start("kill-owner").await;
    let b = Browser::start("kill-operator").await;
    a.sign_in(&app, &owner.email).await;
    b.sign_in(&app, &operator.email).await;
    a.open(&app, &format!("/w/{ws}")).await;
    b.open(&app, &format!("/w/{ws}")).await;
    a.wait_live().await;
    b.wait_live().await;
    assert_eq!(
        b.attr("#kill-switch", "data-state").await.as_deref(),
        Some("released")
    );
    assert!(
        !b.exists("#kill-release").await,
        "no release control while running"
    );

    // Keyboard only: the skip link, then the kill switch, then Enter.
    let body = a.find("body").await;
    body.send_keys(&Key::Tab.to_string()).await.unwrap();
    let first = a.client.active_element().await.unwrap();
    assert_eq!(first.attr("class").await.unwrap().as_deref(), Some("skip"));
    first.send_keys(&Key::Tab.to_string()).await.unwrap();
    let second = a.client.active_element().await.unwrap();
    assert_eq!(
        second.attr("id").await.unwrap().as_deref(),
        Some("kill-switch")
    );
    second.send_keys(&Key::Enter.to_string()).await.unwrap();

    a.wait_attr("#kill-switch", "data-state", "engaged").await;
    let seen_in = b.wait_attr("#kill-switch", "data-state", "engaged").await;
    eprintln!("kill switch seen by the other member's tab {seen_in:?} after the owner's tab");
    assert!(
        seen_in < Duration::from_secs(1),
        "the other tab took {seen_in:?} to show the kill switch"
    );
    assert!(
        app.state.router.kill_engaged(&ws),
        "the server stopped the workspace"
    );
    // The feed frame may flip the switch before the press's own answer retitles the page.
    a.wait_until(
        "the pressing tab's title says STOPPED",
        "document.title.startsWith('STOPPED')",
    )
    .await;
    b.wait_until(
        "the tab title says STOPPED",
        "document.title.startsWith('STOPPED')",
    )
    .await;
    a.check("engaged").await;

    // The operator sees the release control, disabled, and why.
    b.find("#kill-release").await;
    assert!(
        !b.enabled("#kill-release").await,
        "operators cannot release"
    );
    assert!(b.text("#release-why").await.contains("Only the owner"));
    b.check("engaged-operator").await;
    // … and posting anyway is refused, and changes nothing.
    let csrf = b
        .eval("return document.querySelector('meta[name=csrf-token]').content")
        .await;
    let res = app
        .client
        .post(format!("{}/w/{ws}/kill-switch", app.address))
        .header("cookie", b.cookie_header().await)
        .header("origin", &app.address)
        .form(&[
            ("_csrf", csrf.as_str().unwrap()),
            ("engaged", "false"),
            ("reason", "operator tries"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(app.state.router.kill_engaged(&ws));

    // The owner releases through the in-page dialog, with a reason; Cancel has the focus.
    a.click("#kill-release").await;
    a.wait_until(
        "the dialog open",
        "document.querySelector('#release-dialog').open",
    )
    .await;
    let focused = a.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("data-close-dialog").await.unwrap().as_deref(),
        Some("")
    );
    a.check("release-dialog").await;
    // The same release as a page of its own (no script, or a bookmarked link).
    b.open(&app, &format!("/w/{ws}/release")).await;
    assert!(
        b.text("h1").await.contains("Not allowed"),
        "operators get no release page"
    );
    b.console_errors().await;
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_live().await;
    a.click("#release-dialog [data-close-dialog]").await;
    a.open(&app, &format!("/w/{ws}/release")).await;
    a.find("#page-release-reason").await;
    a.check("release-page").await;
    a.open(&app, &format!("/w/{ws}")).await;
    a.wait_live().await;
    a.click("#kill-release").await;
    a.wait_until(
        "the dialog open again",
        "document.querySelector('#release-dialog').open",
    )
    .await;
    a.fill("#release-reason", "motor checked").await;
    a.click("#release-dialog button[type=submit]").await;
    a.wait_attr("#kill-switch", "data-state", "released").await;
    b.wait_attr("#kill-switch", "data-state", "released").await;
    assert!(!app.state.router.kill_engaged(&ws));
    let audit = app
        .get(
            &format!("/workspaces/{ws}/audit?kind=kill_switch.released"),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(
        audit["items"][0]["details"]["reason"],
        json!("motor checked"),
        "{audit}"
    );
    a.assert_clean_console().await;
    b.assert_clean_console().await;
    a.close().await;
    b.close().await;
}

#[actix_web::test]
async fn a_phone_sees_the_kill_switch_without_scrolling() {
    let app = spawn_app().await;
    let owner = app.user("phone").await;
    let ws = app.workspace(&owner, "Phone studio").await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    let _ = ls;
    let p = Browser::phone("phone").await;
    p.sign_in(&app, &owner.email).await;
    p.open(&app, &format!("/w/{ws}")).await;
    p.wait_live().await;
    let wide = p.eval("return [...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 392).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 20)").await;
    assert_eq!(
        p.eval("return window.innerWidth").await,
        json!(390),
        "too wide: {wide}"
    );
    let (_, y, _, h) = p.find("#kill-switch").await.rectangle().await.unwrap();
    assert!(
        y + h <= 844.0,
        "the kill switch is below the fold: y {y}, h {h}"
    );
    // Still there after scrolling: the bar is sticky.
    p.eval("window.scrollTo(0, document.body.scrollHeight); return true")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let top = p
        .eval("return document.querySelector('#kill-switch').getBoundingClientRect().top")
        .await;
    assert!(top.as_f64().unwrap() < 844.0, "scrolled out of view: {top}");
    p.check("control-room").await;
    p.open(&app, &format!("/w/{ws}/dock")).await;
    p.wait_live().await;
    p.check("dock").await;
    p.assert_clean_console().await;
    p.close().await;
}
