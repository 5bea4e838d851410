//! The whole journey by form, as a streamer does it: register, workspace, a simulator
//! livestream, a device (token shown once, the page waiting for the agent), a rule, a test
//! event from the control room, the command reaching the agent and its outcome in the feed.

use serde_json::json;

use super::{Browser, workspace_of};
use crate::agents::{connect_agent, next_json, send_json};
use crate::helpers::{PASSWORD, spawn_app_with};

#[actix_web::test]
async fn sign_up_to_a_moving_motor_by_form() {
    // The simulator's own made-up comments would fire the rule too: keep it quiet.
    let app = spawn_app_with(|s| s.tiktok.simulator_interval_ms = 3_600_000).await;
    let b = Browser::start("journey").await;

    // Signed out, any page goes to the login form and comes back after.
    b.open(&app, "/w").await;
    b.wait_path("/login").await;
    assert!(b.path().await.contains("next=/w"), "{}", b.path().await);
    b.check("login").await;
    b.click("a[href^='/register']").await;
    b.wait_path("/register").await;
    b.fill("#name", "Ann Streamer").await;
    b.fill("#email", "ann@example.com").await;
    b.fill("#password", PASSWORD).await;
    b.check("register").await;
    b.click("form[action='/register'] button[type=submit]")
        .await;
    b.wait_path("/w").await;
    b.check("workspaces-empty").await;

    b.fill("#ws-name", "Ann's studio").await;
    b.click("form[action='/w'] button[type=submit]").await;
    b.wait_path("/w/ws_").await;
    let ws = workspace_of(&b.path().await);
    b.wait_live().await;
    b.check("control-room-new").await;
    assert_eq!(b.text("#checklist-title").await, "Getting started · 0 of 4");

    // A simulator livestream, connected.
    b.open(&app, &format!("/w/{ws}/livestreams")).await;
    b.fill("#ls-target", "https://www.tiktok.com/@Ann_Live/live")
        .await;
    b.wait_until(
        "the preview of the account",
        "document.querySelector('#ls-target-preview').textContent === 'Will follow @ann_live'",
    )
    .await;
    b.click("input[name=source][value=simulator]").await;
    b.click("form[action$='/livestreams'] button[type=submit]")
        .await;
    b.find("[data-livestream-id]").await;
    b.click("[data-livestream-id] form button").await;
    b.wait_attr("[data-livestream-id]", "data-status", "live")
        .await;
    b.check("livestreams").await;

    // A device: its token shown once, then the page waits for the agent.
    b.open(&app, &format!("/w/{ws}/devices/new")).await;
    b.fill("#dev-name", "Desk motor").await;
    b.fill("#dev-commands", "MOTOR_SPIN, LED_ON").await;
    b.fill("#dev-max", "3000").await;
    b.check("device-new").await;
    b.click("form[action$='/devices'] button[type=submit]")
        .await;
    let token = b.text("#agent-token").await;
    assert!(token.starts_with("lat_"), "{token}");
    assert!(b.text("#agent-command").await.contains(&token));
    b.wait_attr("#device-status", "data-state", "never_connected")
        .await;
    b.wait_live().await;
    b.check("device-token").await;
    let stored = b
        .eval("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
        .await;
    assert!(
        !stored.as_str().unwrap_or_default().contains(&token),
        "a once-shown token reached browser storage"
    );
    let mut agent = connect_agent(&app, &token).await.expect("agent connects");
    send_json(
        &mut agent.socket,
        json!({"type": "status", "serial": "open", "firmware": "livectl-uno 1.0"}),
    )
    .await;
    b.wait_attr("#device-status", "data-state", "online").await;
    b.wait_until(
        "the firmware on the status line",
        "document.querySelector('#device-status').textContent.includes('livectl-uno 1.0')",
    )
    .await;
    b.check("device-connected").await;

    // A rule: comment "spin" → MOTOR_SPIN for 1 s.
    b.open(&app, &format!("/w/{ws}/rules/new")).await;
    b.fill("#rule-name", "Spin on comment").await;
    b.fill("#rule-contains", "spin").await;
    b.find("#rule-command")
        .await
        .select_by_value("MOTOR_SPIN")
        .await
        .unwrap();
    b.fill("#rule-duration_ms", "1000").await;
    // Try the unsaved rule first: nothing moves, nothing is saved.
    b.fill("#try-text", "spin please").await;
    b.click("#try-it").await;
    b.find("#try-result [data-trace-rule=draft][data-matched=true]")
        .await;
    b.check("rule-builder").await;
    b.click("#save-rule").await;
    b.wait_path(&format!("/w/{ws}/rules")).await;
    b.find("[data-rule-id][data-enabled=true]").await;
    b.check("rules").await;

    // The control room: a test event through the rules moves the motor.
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_live().await;
    b.fill("#test-text", "spin!").await;
    b.click("button[name=mode][value=send]").await;
    b.wait_until(
        "the event in the feed",
        "document.querySelector('#feed [data-kind=event]')",
    )
    .await;
    let command = loop {
        let frame = next_json(&mut agent.socket).await.expect("a command");
        if frame["type"] == "command" {
            break frame;
        }
    };
    assert_eq!(command["cmd"], "MOTOR_SPIN");
    assert_eq!(command["duration_ms"], 1000);
    send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": command["id"], "status": "done"}),
    )
    .await;
    let row = format!("#feed [data-command-id={}]", command["id"]);
    b.wait_until(
        "the command done in the feed",
        &format!("document.querySelector('{row}') && document.querySelector('{row}').textContent.includes('done')"),
    )
    .await;
    assert!(
        b.text(&row)
            .await
            .contains("MOTOR_SPIN 1000 ms → Desk motor")
    );
    // Why did it fire? The engine's own trace, for every rule.
    b.click("#feed [data-kind=event] .why-button").await;
    b.wait_until(
        "the why panel",
        "document.querySelector('#why-dialog').open",
    )
    .await;
    b.wait_until(
        "the rule's line",
        "document.querySelector('#why-lines li[data-matched=true]') && document.querySelector('#why-lines').textContent.includes('Spin on comment')",
    )
    .await;
    b.check("why").await;
    b.click("#why-dialog [data-close-dialog]").await;
    // Every step of the checklist was seen by the server: it hides itself.
    b.wait_until(
        "the checklist complete",
        "document.querySelector('#checklist') && document.querySelector('#checklist').hidden",
    )
    .await;
    b.check("control-room").await;

    // The dry run says why, and moves nothing.
    b.fill("#test-text", "hello").await;
    b.click("button[name=mode][value=dry_run]").await;
    b.wait_until(
        "the dry run's answer",
        "document.querySelector('#test-result').textContent.includes('No rule would fire')",
    )
    .await;
    b.check("dry-run").await;

    b.open(&app, &format!("/w/{ws}/dock")).await;
    b.wait_live().await;
    b.check("dock").await;

    // Sign out: the session is gone, pages send to the login form again.
    b.click("form[action='/logout'] button").await;
    b.wait_path("/login").await;
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_path("/login").await;
    b.close().await;
}
