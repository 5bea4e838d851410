//! The audit log page: who did what in words, the safety filter, and the CSV export of the
//! filtered log (with text that looks like a formula kept as text).

use serde_json::json;

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_audit_log_filters_safety_and_exports_csv() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let ws = app.workspace(&owner, "Audited").await;
    app.add_member(&ws, &owner, &viewer, "viewer").await;
    app.post(
        &format!("/workspaces/{ws}/devices"),
        &owner.token,
        json!({"name": "=HYPERLINK(\"x\")", "transport": "agent", "allowed_commands": ["LED_ON"]}),
    )
    .await
    .expect(201);
    for engaged in [true, false] {
        app.post(
            &format!("/workspaces/{ws}/kill-switch"),
            &owner.token,
            json!({"engaged": engaged, "reason": "drill"}),
        )
        .await
        .expect(200);
    }

    let v = Browser::start("audit").await;
    v.sign_in(&app, &viewer.email).await;
    v.open(&app, &format!("/w/{ws}/audit")).await;
    v.find("tr[data-kind='kill_switch.engaged']").await;
    v.find("tr[data-kind='kill_switch.released']").await;
    v.find("tr[data-kind='device.created']").await;
    assert!(
        v.text("tr[data-kind='kill_switch.engaged']")
            .await
            .contains(owner.email.split('@').next().unwrap()),
        "the actor is named"
    );
    v.check("audit").await;

    // The safety filter keeps the kill switch's engagements and releases only.
    v.open(&app, &format!("/w/{ws}/audit?kind=kill_switch"))
        .await;
    v.find("tr[data-kind='kill_switch.released']").await;
    assert!(!v.exists("tr[data-kind='device.created']").await);
    assert!(v.text("#log-title").await.contains("filtered"));
    v.check("audit-safety").await;

    // The export carries the same filter and keeps a formula-like name as text.
    let href = v.attr("#csv-export", "href").await.unwrap();
    assert!(href.ends_with("audit.csv?kind=kill_switch"), "{href}");
    let all = app
        .client
        .get(format!("{}/w/{ws}/audit.csv", app.address))
        .header("cookie", v.cookie_header().await)
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 200);
    assert!(
        all.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = all.text().await.unwrap();
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("id,time,actor_type,actor_id,actor,kind,target,details")
    );
    assert!(body.contains("kill_switch.engaged"));
    assert!(body.contains("device.created"));
    assert!(
        body.contains("\"{\"\"name\"\":\"\"=HYPERLINK"),
        "details are quoted JSON: {body}"
    );
    let safety = app
        .client
        .get(format!("{}{href}", app.address))
        .header("cookie", v.cookie_header().await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        safety.lines().count(),
        3,
        "header and two entries: {safety}"
    );
    v.close().await;
}
