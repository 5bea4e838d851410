//! The members page: adding, changing and removing members and handing the workspace over, by
//! form, for the roles that may; every control the others cannot use says why; a removed
//! member's open page stops at once.

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn owners_and_admins_run_the_team_and_the_others_see_why_not() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ada = app.user("ada").await;
    let olu = app.user("olu").await;
    let newbie = app.user("newbie").await;
    let ws = app.workspace(&owner, "Team studio").await;
    app.add_member(&ws, &owner, &ada, "admin").await;
    app.add_member(&ws, &owner, &olu, "operator").await;

    // The operator's view: nothing to change, each refusal in words; the control room is open.
    let op = Browser::start("members-operator").await;
    op.sign_in(&app, &olu.email).await;
    op.open(&app, &format!("/w/{ws}/members")).await;
    assert!(
        !op.enabled("#add-why ~ button, button[aria-describedby=add-why]")
            .await
    );
    assert!(op.text("#add-why").await.contains("cannot manage members"));
    assert!(op.text("#transfer-why").await.contains("Only the owner"));
    assert!(!op.exists("select[name=role]").await);
    op.check("members-operator").await;
    op.open(&app, &format!("/w/{ws}")).await;
    op.wait_live().await;

    // The admin adds an account (a wrong email first: the reason, the value kept).
    let admin = Browser::start("members-admin").await;
    admin.sign_in(&app, &ada.email).await;
    admin.open(&app, &format!("/w/{ws}/members")).await;
    let owner_row = format!("tr[data-member-id='{}']", owner.id);
    assert!(
        admin
            .text(&format!("{owner_row} .why"))
            .await
            .contains("only owner")
            || admin
                .text(&format!("{owner_row} .why"))
                .await
                .contains("transfer ownership first"),
        "the owner's row says why the admin cannot touch it"
    );
    let offered = admin
        .eval("return [...document.querySelectorAll('#member-role option')].map(o => o.value)")
        .await;
    assert_eq!(offered, serde_json::json!(["admin", "operator", "viewer"]));
    admin.fill("#member-email", "nobody-here@example.com").await;
    admin.click("#add-member button[type=submit]").await;
    assert!(admin.text("#form-error").await.contains("no account"));
    admin.drain_expected_refusal(422).await;
    assert_eq!(
        admin.attr("#member-email", "value").await.as_deref(),
        Some("nobody-here@example.com")
    );
    admin.fill("#member-email", &newbie.email).await;
    admin
        .find("#member-role")
        .await
        .select_by_value("viewer")
        .await
        .expect("select");
    admin.click("#add-member button[type=submit]").await;
    let newbie_row = format!("tr[data-member-id='{}']", newbie.id);
    admin.wait_attr(&newbie_row, "data-role", "viewer").await;
    admin.check("members-admin").await;
    admin.close().await;

    // The owner promotes the newcomer and removes the operator, whose open page stops.
    let b = Browser::start("members-owner").await;
    b.sign_in(&app, &owner.email).await;
    b.open(&app, &format!("/w/{ws}/members")).await;
    b.find(&format!("#role-{}", newbie.id))
        .await
        .select_by_value("operator")
        .await
        .expect("select");
    b.click(&format!("{newbie_row} form[action$='/role'] button"))
        .await;
    b.wait_attr(&newbie_row, "data-role", "operator").await;
    // The only owner cannot be removed, and says why.
    assert!(!b.enabled(&format!("{owner_row} button")).await);
    assert!(
        b.text(&format!("{owner_row} .why"))
            .await
            .contains("transfer ownership first")
    );
    let olu_row = format!("tr[data-member-id='{}']", olu.id);
    b.click(&format!("{olu_row} form[action$='/remove'] button"))
        .await;
    b.click("#confirm-yes").await;
    b.wait_until(
        "the operator's row is gone",
        &format!("!document.querySelector(\"{olu_row}\")"),
    )
    .await;
    op.wait_attr("#conn", "data-state", "offline").await;
    op.close().await;

    // Handing over: the name must be typed; then the owner is an admin.
    b.fill("#transfer-confirm", "Team").await;
    b.find("#transfer-to")
        .await
        .select_by_value(&ada.id)
        .await
        .expect("select");
    b.click("#transfer button[type=submit]").await;
    assert!(
        b.text("#transfer-confirm-error")
            .await
            .contains("does not match")
    );
    b.drain_expected_refusal(422).await;
    b.find("#transfer-to")
        .await
        .select_by_value(&ada.id)
        .await
        .expect("select");
    b.fill("#transfer-confirm", "Team studio").await;
    b.click("#transfer button[type=submit]").await;
    b.wait_attr(
        &format!("tr[data-member-id='{}']", ada.id),
        "data-role",
        "owner",
    )
    .await;
    assert_eq!(
        b.attr(&owner_row, "data-role").await.as_deref(),
        Some("admin")
    );
    b.check("members-owner").await;
    b.close().await;
}
