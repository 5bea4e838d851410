//! The account page: name, password (the change signs another browser out), sign-ins one by one
//! and everywhere, preferences (language, confirm before stop, the kill-switch shortcut).

use super::Browser;
use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn a_password_change_signs_the_other_browser_out_and_preferences_apply() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let ws = app.workspace(&ana, "Ana's studio").await;

    let other = Browser::start("account-other").await;
    other.sign_in(&app, &ana.email).await;
    other.open(&app, &format!("/w/{ws}")).await;
    other.wait_live().await;

    let b = Browser::start("account").await;
    b.sign_in(&app, &ana.email).await;
    b.open(&app, "/account").await;
    // Both browsers and the API client's sign-in are listed; this one says so.
    b.wait_until(
        "three sign-ins listed",
        "document.querySelectorAll('#sign-ins tbody tr').length === 3",
    )
    .await;
    assert_eq!(
        b.eval("return document.querySelectorAll('#sign-ins tr[data-current=true]').length")
            .await,
        1
    );
    assert!(
        b.text("#sign-ins tr[data-current=true]")
            .await
            .contains("Chrome")
    );

    b.fill("#account-name", "Ana Trần").await;
    b.click("#name-form button[type=submit]").await;
    assert!(b.text("#done").await.contains("name is saved"));
    assert_eq!(b.text(".account .who").await, "Ana Trần");

    // A wrong current password: the reason beside the field.
    b.fill("#current-password", "not the password").await;
    b.fill("#new-password", "a brand new password").await;
    b.click("#password-form button[type=submit]").await;
    assert!(
        b.text("#current-password-error")
            .await
            .contains("not your current password")
    );
    b.drain_expected_refusal(422).await;
    b.fill("#current-password", PASSWORD).await;
    b.fill("#new-password", "a brand new password").await;
    b.click("#password-form button[type=submit]").await;
    assert!(b.text("#done").await.contains("password is changed"));
    assert_eq!(
        b.eval("return document.querySelectorAll('#sign-ins tbody tr').length")
            .await,
        1
    );
    // The other browser's feed is cut and its next page asks it to sign in.
    other.wait_attr("#conn", "data-state", "offline").await;
    other.open(&app, &format!("/w/{ws}")).await;
    other.wait_path("/login").await;
    other.close().await;

    // Preferences: Vietnamese, confirm before stop, a shortcut.
    b.fill("#pref-shortcut", "S").await;
    b.click("#preferences-form button[type=submit]").await;
    assert!(b.text("#pref-shortcut-error").await.contains("Ctrl"));
    b.drain_expected_refusal(422).await;
    b.find("#pref-language")
        .await
        .select_by_value("vi")
        .await
        .expect("select");
    b.click("#pref-confirm").await;
    b.fill("#pref-shortcut", "ctrl+shift+s").await;
    b.click("#preferences-form button[type=submit]").await;
    assert!(b.text("#done").await.contains("Đã lưu"));
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("vi"));
    assert_eq!(
        b.attr("#pref-shortcut", "value").await.as_deref(),
        Some("Ctrl+Shift+S")
    );
    b.check("account-vi").await;

    // In the control room the shortcut stops the hardware, after the asked confirmation.
    b.open(&app, &format!("/w/{ws}")).await;
    b.wait_live().await;
    assert_eq!(
        b.attr("body", "data-kill-shortcut").await.as_deref(),
        Some("Ctrl+Shift+S")
    );
    b.eval(
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'S', code: 'KeyS', ctrlKey: true, shiftKey: true, bubbles: true}))",
    )
    .await;
    b.click("#confirm-yes").await;
    b.wait_attr("#kill-switch", "data-state", "engaged").await;

    // Sign out everywhere: this browser too.
    b.open(&app, "/account").await;
    b.click("#end-all button[type=submit]").await;
    b.click("#confirm-yes").await;
    b.wait_path("/login").await;
    b.close().await;
}
