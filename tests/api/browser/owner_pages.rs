//! The owner's pages (API keys, settings) and the platform admin's: each main action by form,
//! and refusal for a role that may not.

use serde_json::json;

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn an_owner_issues_and_revokes_keys_renames_and_deletes() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ada = app.user("ada").await;
    let ws = app.workspace(&owner, "Key studio").await;
    app.add_member(&ws, &owner, &ada, "admin").await;

    // An admin is refused the owner's pages, with the reason.
    let admin = Browser::start("owner-pages-admin").await;
    admin.sign_in(&app, &ada.email).await;
    admin.open(&app, &format!("/w/{ws}/api-keys")).await;
    assert!(
        admin
            .text("main")
            .await
            .contains("admins cannot manage API keys")
    );
    admin.drain_expected_refusal(403).await;
    assert!(!admin.exists("nav a[href$='/settings']").await);
    admin.close().await;

    let b = Browser::start("owner-pages").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/api-keys")).await;
    // No scope: refused beside the scopes, the name kept.
    b.fill("#key-name", "Overlay").await;
    b.click("#new-key input[value=read]").await;
    b.click("#new-key button[type=submit]").await;
    assert!(b.text("#scopes-error").await.contains("at least one scope"));
    assert_eq!(
        b.attr("#key-name", "value").await.as_deref(),
        Some("Overlay")
    );
    b.drain_expected_refusal(422).await;
    b.click("#new-key input[value='events:write']").await;
    b.click("#new-key button[type=submit]").await;
    let key = b.text("#api-key").await;
    assert!(key.starts_with("pk_"), "the key is shown once: {key}");
    b.check("api-keys").await;
    // The key works, and is listed without its secret.
    app.call(
        reqwest::Method::GET,
        &format!("/workspaces/{ws}/livestreams"),
        None,
        None,
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
    let listed = reqwest::Client::new()
        .get(app.url(&format!("/workspaces/{ws}/livestreams")))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 403, "events:write alone does not read");
    b.open(&app, &format!("/w/{ws}/api-keys")).await;
    assert!(!b.exists("#api-key").await, "shown once only");
    assert!(b.text("#api-keys").await.contains("events:write"));
    b.click("#api-keys form[action$='/revoke'] button").await;
    b.click("#confirm-yes").await;
    b.find("#no-keys").await;

    // Settings: rename; delete needs the name typed and lists what stops.
    b.open(&app, &format!("/w/{ws}/settings")).await;
    b.fill("#ws-name", "Renamed studio").await;
    b.click("#rename button[type=submit]").await;
    // The answer is a new page: wait for it (the old one's field already shows the new text).
    b.wait_attr("#ws-name", "value", "Renamed studio").await;
    assert!(
        b.text("#delete-consequences")
            .await
            .contains("2 members lose access")
    );
    b.check("settings").await;
    b.fill("#delete-confirm", "Key studio").await;
    b.click("#delete-workspace button[type=submit]").await;
    assert!(
        b.text("#delete-confirm-error")
            .await
            .contains("does not match")
    );
    b.drain_expected_refusal(422).await;
    b.fill("#delete-confirm", "Renamed studio").await;
    b.click("#delete-workspace button[type=submit]").await;
    // Exactly /w: the settings page itself starts with /w.
    b.wait_until("back on the workspace list", "location.pathname === '/w'")
        .await;
    app.get(&format!("/workspaces/{ws}"), &owner.token)
        .await
        .expect_error(404, "NOT_FOUND");
    let log = app.get("/me", &owner.token).await.expect(200);
    assert!(log["workspaces"].as_array().unwrap().is_empty());
    b.close().await;
}

#[actix_web::test]
async fn the_platform_admin_invites_suspends_and_changes_plans() {
    let app = spawn_app().await;
    // The first account is the platform admin.
    let root = app.user("root").await;
    let streamer = app.user("streamer").await;
    let ws = app.workspace(&streamer, "Customer studio").await;
    app.simulator_livestream(&streamer, &ws).await;

    // Somebody else is refused.
    let other = Browser::start("admin-refused").await;
    other.sign_in(&app, &streamer.email).await;
    other.open(&app, "/admin").await;
    assert!(
        other
            .text("main")
            .await
            .contains("platform administrators only")
    );
    other.drain_expected_refusal(403).await;
    other.close().await;

    let b = Browser::start("admin").await;
    b.sign_in(&app, &root.email).await;
    b.open(&app, "/admin").await;
    let row = format!("tr[data-workspace-id='{ws}']");
    assert!(b.text(&row).await.contains(&streamer.email));
    assert!(b.text(&row).await.contains("1 livestreams"));
    // Suspending needs a reason.
    b.click(&format!("{row} form[action$='/suspend'] button"))
        .await;
    b.click("#confirm-yes").await;
    assert!(
        b.text(&format!("#reason-{ws}-error"))
            .await
            .contains("say why")
    );
    b.drain_expected_refusal(422).await;
    b.fill(&format!("#reason-{ws}"), "unpaid invoice").await;
    b.click(&format!("{row} form[action$='/suspend'] button"))
        .await;
    b.click("#confirm-yes").await;
    b.wait_attr(&row, "data-suspended", "true").await;
    assert!(
        b.text(&format!("{row} .state"))
            .await
            .contains("unpaid invoice")
    );
    app.post(
        &format!("/workspaces/{ws}/livestreams"),
        &streamer.token,
        json!({"target": "another", "source": "simulator"}),
    )
    .await
    .expect_error(403, "WORKSPACE_SUSPENDED");
    b.click(&format!("{row} form[action$='/unsuspend'] button"))
        .await;
    b.wait_attr(&row, "data-suspended", "false").await;
    b.find(&format!("#plan-{ws}"))
        .await
        .select_by_value("team")
        .await
        .expect("select");
    b.click(&format!("{row} form[action$='/plan'] button"))
        .await;
    b.wait_attr(&row, "data-plan", "team").await;
    // Invitations.
    b.fill("#invite-email", "guest@example.com").await;
    b.click("#invite-form button[type=submit]").await;
    b.find("li[data-invite='guest@example.com']").await;
    b.check("admin").await;
    // All of it is in the workspace's audit log.
    let audit = app
        .get(&format!("/workspaces/{ws}/audit"), &streamer.token)
        .await
        .expect(200);
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "workspace.suspended",
        "workspace.unsuspended",
        "workspace.plan_changed",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    b.close().await;
}
