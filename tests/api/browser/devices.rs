//! The device pages: the detail page's rotate (with its consequence in an in-page dialog) and
//! an ESP32 registered by form with its ready `config.h`.

use super::Browser;
use crate::agents::{close_code, connect_agent, device};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn rotating_a_token_says_what_happens_and_disconnects_the_agent() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Devices").await;
    let (dev, token) = device(&app, &owner, &ws, "Desk lamp", &["LED_ON"]).await;
    let mut agent = connect_agent(&app, &token).await.expect("agent");
    let b = Browser::start("device").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/devices/{dev}")).await;
    b.wait_live().await;
    b.wait_attr("#device-status", "data-state", "online").await;
    b.check("detail").await;

    b.click("#rotate-token").await;
    b.wait_until(
        "the confirm dialog",
        "document.querySelector('#confirm-dialog').open",
    )
    .await;
    assert!(
        b.text("#confirm-text")
            .await
            .contains("disconnected within a second")
    );
    b.check("rotate-confirm").await;
    b.click("#confirm-yes").await;
    let new_token = b.text("#agent-token").await;
    assert!(new_token.starts_with("lat_") && new_token != token);
    assert_eq!(
        close_code(&mut agent.socket).await,
        Some(4001),
        "the old agent is revoked"
    );
    assert!(
        connect_agent(&app, &token).await.is_err(),
        "the old token is refused"
    );
    b.check("rotated").await;
    b.close().await;
}

#[actix_web::test]
async fn an_esp32_gets_a_ready_config_h() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "ESP").await;
    let b = Browser::start("esp32").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/devices/new")).await;
    b.fill("#dev-name", "Relay board").await;
    b.click("input[name=transport][value=mqtt]").await;
    b.fill("#dev-commands", "RELAY_ON").await;
    b.click("form[action$='/devices'] button[type=submit]")
        .await;
    let config = b.text("#config-h").await;
    let token = b.text("#agent-token").await;
    assert!(
        config.contains(&format!("#define AGENT_TOKEN \"{token}\"")),
        "{config}"
    );
    assert!(config.contains("BEGIN CERTIFICATE") && config.contains("PRIVATE KEY"));
    assert!(config.contains(&format!("#define WORKSPACE_ID \"{ws}\"")));
    // The sketch refuses commands that expire further ahead than the server's TTL allows.
    assert!(config.contains("#define COMMAND_TTL_MS 2000"), "{config}");
    b.check("config-h").await;
    // A new certificate from the device page (the key shown once again).
    let dev = b.attr("#device-status", "data-device-id").await.unwrap();
    b.open(&app, &format!("/w/{ws}/devices/{dev}")).await;
    b.click("#issue-certificate").await;
    let again = b.text("#config-h").await;
    assert!(again.contains("PRIVATE KEY") && again != config);
    b.check("new-certificate").await;
    b.close().await;
}

#[actix_web::test]
async fn the_busy_mode_is_chosen_on_the_device_page() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Modes").await;
    let (dev, _token) = device(&app, &owner, &ws, "Claw", &["LEFT", "RIGHT"]).await;
    let b = Browser::start("device-modes").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/devices/{dev}")).await;
    b.check("modes").await;
    b.eval("document.querySelector('#concurrency').value = 'single'")
        .await;
    b.fill("#fair_share_pct", "30").await;
    b.click("#save-modes").await;
    b.wait_until(
        "the saved notice",
        "!!document.querySelector('#device-modes [role=status]')",
    )
    .await;
    assert!(b.text("#device-mode").await.contains("Single"));
    let saved = app
        .get(&format!("/workspaces/{ws}/devices/{dev}"), &owner.token)
        .await
        .expect(200);
    assert_eq!(
        (&saved["concurrency"], &saved["fair_share_pct"]),
        (&serde_json::json!("single"), &serde_json::json!(30))
    );
    b.check("modes-saved").await;
    b.close().await;
}
