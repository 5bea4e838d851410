//! Sessions in the browser: two tabs renewing at the same moment both stay signed in.

use diesel::prelude::*;
use livectl::db::schema::refresh_tokens;

use super::Browser;
use crate::helpers::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn two_tabs_renewing_at_once_stay_signed_in() {
    // Access tokens of 63 s: each tab renews 60 s before expiry, so within seconds, and the
    // two tabs of one browser (one cookie jar) at the same moment.
    let app = spawn_app_with(|s| s.auth.access_ttl_s = 63).await;
    let owner = app.user("tabs").await;
    let ws = app.workspace(&owner, "Tabs").await;
    let b = Browser::start("tabs").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_live().await;
    let first_tab = b.client.window().await.unwrap();
    let signed_in_with = b.cookie("livectl_at").await.expect("the access cookie");
    let second = b.client.new_window(true).await.unwrap();
    b.client.switch_to_window(second.handle).await.unwrap();
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_live().await;

    b.wait_until(
        "a renewal",
        "Number(localStorage.getItem('livectl.session_expires')) > 0",
    )
    .await;
    let deadline = std::time::Instant::now() + super::PATIENCE;
    while b.cookie("livectl_at").await.as_ref() == Some(&signed_in_with) {
        assert!(
            std::time::Instant::now() < deadline,
            "the access cookie was never renewed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Both tabs go on: reload each, both are still signed in and live.
    for tab in [first_tab, b.client.window().await.unwrap()] {
        b.client.switch_to_window(tab).await.unwrap();
        b.client.refresh().await.unwrap();
        b.wait_path(&format!("/w/{ws}")).await;
        b.wait_live().await;
    }
    let user = owner.id.clone();
    let revoked: i64 = app
        .state
        .db
        .run(move |conn| {
            Ok(refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(&user))
                .filter(refresh_tokens::revoked_at.is_not_null())
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(revoked, 0, "a renewal race revoked the sign-in");
    b.check("after-renewal").await;
    b.assert_clean_console().await;
    b.close().await;
}

#[actix_web::test]
async fn the_feed_survives_a_server_restart_and_shows_no_stale_state() {
    let app = spawn_app().await;
    let owner = app.user("restart").await;
    let ws = app.workspace(&owner, "Restart").await;
    let b = Browser::start("restart").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_live().await;
    assert_eq!(
        b.attr("#kill-switch", "data-state").await.as_deref(),
        Some("released")
    );

    // The server goes away: the page says so, and says its state is the last one confirmed.
    app.server.stop(false).await;
    b.wait_until(
        "the page to notice",
        "document.querySelector('#conn').getAttribute('data-state') !== 'live'",
    )
    .await;
    b.wait_until(
        "the stale mark",
        "document.querySelector('#safety').getAttribute('data-stale') === 'true'",
    )
    .await;
    assert!(b.text("#conn").await.contains("state as of"));
    b.shot("server-down").await;
    // Meanwhile the workspace was stopped (no frame can tell this page).
    let id = ws.clone();
    app.state
        .db
        .run(move |conn| {
            use diesel::prelude::*;
            use livectl::db::schema::workspaces as w;
            diesel::update(w::table.find(&id))
                .set((
                    w::kill_switch_engaged.eq(true),
                    w::kill_switch_reason.eq("while away"),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();

    // The server comes back on the same port: the page reconnects and re-reads the truth.
    let _restarted = app.restart().await;
    b.wait_live().await;
    b.wait_attr("#kill-switch", "data-state", "engaged").await;
    assert!(b.text("#safety").await.contains("while away"));
    b.shot("reconnected").await;
    b.assert_accessible("reconnected").await;
    // The only console lines are the browser's notes of the refused reconnection attempts.
    let errors = b.console_errors().await;
    assert!(
        errors
            .iter()
            .all(|e| e.contains("WebSocket") || e.contains("ERR_CONNECTION_REFUSED")),
        "{errors:?}"
    );
    b.close().await;
}
