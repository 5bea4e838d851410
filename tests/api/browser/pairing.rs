//! Approving an agent's pairing code in the dashboard: the link the agent prints, which
//! computer asks, a refused form that keeps the code usable, approve and deny.

use super::Browser;
use crate::helpers::spawn_app;
use crate::pairing::{finished, start_pairing};

#[actix_web::test]
async fn an_owner_approves_a_code_from_the_agents_link_and_denies_another() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Pairing studio").await;
    let operator = app.user("operator").await;
    app.add_member(&ws, &owner, &operator, "operator").await;
    let dir = tempfile::tempdir().unwrap();

    // An operator follows the link: no workspace where they may add devices, said so.
    let op = Browser::start("pairing-operator").await;
    op.sign_in(&app, &operator.email).await;
    op.open(&app, "/pair?code=ABCD-EFGH").await;
    op.find("#pair-no-workspace").await;
    op.close().await;

    let p = start_pairing(&app, dir.path(), "/dev/ttyLIVECTL-test");
    let code = p.screen.code().await;
    let b = Browser::start("pairing").await;
    b.sign_in(&app, &owner.email).await;
    // The agent's link leads straight to the only workspace where the owner adds devices.
    b.open(&app, &format!("/pair?code={code}")).await;
    b.wait_path(&format!("/w/{ws}/devices/pair")).await;
    let computer = b.text("#pair-computer").await;
    assert!(
        computer.contains(&livectl::agent::pair::hostname()),
        "{computer}"
    );
    assert!(computer.contains("127.0.0.1"));
    assert_eq!(
        b.attr("#pair-code", "value").await.as_deref(),
        Some(code.as_str())
    );
    b.check("approve").await;
    // No name: refused beside the field; the code still works afterwards.
    b.fill("#pair-name", "").await;
    b.click("#pair-approve").await;
    b.find("#pair-name-error").await;
    b.drain_expected_refusal(422).await;
    b.fill("#pair-name", "Desk lamp").await;
    b.click("#pair-approve").await;
    b.find("#pair-result[data-state=approved]").await;
    assert!(b.text("#pair-result").await.contains("Desk lamp"));
    b.check("approved").await;
    let paired = finished(p).await.unwrap();
    assert_eq!(paired.device_name, "Desk lamp");

    // Another computer asks; the owner types its code in the devices section and denies it.
    let other = start_pairing(&app, dir.path(), "/dev/ttyLIVECTL-test");
    let code = other.screen.code().await;
    b.open(&app, &format!("/w/{ws}/devices/new")).await;
    b.click("#pair-instead a").await;
    b.wait_path(&format!("/w/{ws}/devices/pair")).await;
    b.fill("#pair-code", &code.to_lowercase()).await;
    b.click("#pair-deny").await;
    b.find("#pair-result[data-state=denied]").await;
    b.check("denied").await;
    let err = finished(other).await.unwrap_err();
    assert!(format!("{err:#}").contains("denied"));
    b.close().await;
}
