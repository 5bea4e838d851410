//! The usage page: every limit of the plan against what the workspace uses, and commands per
//! minute updating as commands happen; the history pages on a phone.

use serde_json::json;

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn usage_shows_every_limit_and_counts_commands_live() {
    let app = spawn_app().await;
    // The first account is the platform admin: it may set the plan.
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Small studio").await;
    app.set_plan(&owner, &ws, "free").await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    crate::agents::device(&app, &owner, &ws, "Lamp", &["LED_ON"]).await;
    app.post(
        &format!("/workspaces/{ws}/rules"),
        &owner.token,
        json!({"name": "Light", "when": {"event": "comment", "contains": "light"}, "then": {"command": "LED_ON", "duration_ms": 500}}),
    )
    .await
    .expect(201);

    let b = Browser::start("usage").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/usage")).await;
    b.wait_live().await;
    assert_eq!(b.text("#plan-name").await, "free");
    assert!(b.text("#usage-devices").await.contains("1 of 2"));
    assert!(b.text("#usage-livestreams").await.contains("1 of 1"));
    assert!(
        b.text("#usage-livestreams").await.contains("limit reached"),
        "a full limit says so in words"
    );
    assert_eq!(
        b.attr("#usage-commands", "data-used").await.as_deref(),
        Some("0")
    );
    b.check("usage").await;

    // A command (the lamp is offline: "not sent", but issued) counts at once.
    app.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": "light"}}),
    )
    .await
    .expect(202);
    b.wait_attr("#usage-commands", "data-used", "1").await;

    // A form refused by the plan's limit says so and links here.
    crate::agents::device(&app, &owner, &ws, "Fan", &["FAN_ON"]).await;
    b.open(&app, &format!("/w/{ws}/devices/new")).await;
    b.fill("#dev-name", "Third board").await;
    b.fill("#dev-commands", "LED_ON").await;
    b.click("form[action$='/devices'] button[type=submit]")
        .await;
    assert!(b.text("#form-error").await.contains("allows 2 device"));
    b.click("#form-error a[href$='/usage']").await;
    b.wait_path(&format!("/w/{ws}/usage")).await;
    assert!(b.text("#usage-devices").await.contains("2 of 2"));
    b.close().await;

    // On a phone: each page fits, with the kill switch first on a workspace's pages.
    let phone = Browser::phone("history-phone").await;
    phone.sign_in(&app, &owner.email).await;
    let pages = [
        "usage",
        "commands",
        "audit",
        "members",
        "api-keys",
        "settings",
        "presets",
        "devices/pair",
        "overlay",
    ]
    .map(|page| format!("/w/{ws}/{page}"))
    .into_iter()
    .chain(["/account".to_owned(), "/admin".to_owned()]);
    for path in pages {
        phone.open(&app, &path).await;
        if path.starts_with("/w/") {
            phone.find("#kill-switch").await;
        } else {
            phone.find("main h1").await;
        }
        let page = path
            .split_once("/w/")
            .map_or(path.as_str(), |(_, rest)| {
                rest.split_once('/').map_or(rest, |(_, p)| p)
            })
            .trim_start_matches('/')
            .replace('/', "-");
        let overflow = phone
            .eval("return document.documentElement.scrollWidth > window.innerWidth")
            .await;
        assert_eq!(overflow, false, "{page} scrolls sideways on a phone");
        phone.check(&page).await;
    }
    phone.close().await;
}
