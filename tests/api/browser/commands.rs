//! The command history page: outcomes in words, live arrival on the first page, filters, and
//! the same 404 as everywhere for a stranger.

use serde_json::json;

use super::Browser;
use crate::agents::{connect_agent, device, next_json, send_json};
use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_history_shows_outcomes_in_words_and_new_rows_arrive_live() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let stranger = app.user("stranger").await;
    let ws = app.workspace(&owner, "History").await;
    app.add_member(&ws, &owner, &viewer, "viewer").await;
    let ls = app.simulator_livestream(&owner, &ws).await;
    let (_dev, token) = device(&app, &owner, &ws, "Desk lamp", &["LED_ON"]).await;
    let mut agent = connect_agent(&app, &token).await.expect("agent");
    let rule = app
        .post(
            &format!("/workspaces/{ws}/rules"),
            &owner.token,
            json!({"name": "Light", "when": {"event": "comment", "contains": "light"}, "then": {"command": "LED_ON", "duration_ms": 500}}),
        )
        .await
        .expect(201);
    let comment = |text: &'static str| {
        let (app, ws, ls, token) = (&app, ws.clone(), ls.clone(), owner.token.clone());
        async move {
            app.post(
                &format!("/workspaces/{ws}/livestreams/{ls}/events"),
                &token,
                json!({"event_type": "comment", "payload": {"text": text}}),
            )
            .await
            .expect(202);
        }
    };
    // One command done.
    comment("light please").await;
    let frame = next_json(&mut agent.socket).await.unwrap();
    send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": frame["id"], "status": "done"}),
    )
    .await;
    let done_id = frame["id"].as_str().unwrap().to_owned();
    crate::agents::wait_command(&app, &owner, &ws, &done_id).await;

    let v = Browser::start("commands").await;
    v.sign_in(&app, &viewer.email).await;
    v.open(&app, &format!("/w/{ws}/commands")).await;
    v.wait_live().await;
    let done = format!("[data-command-id='{done_id}']");
    v.wait_attr(&done, "data-status", "done").await;
    assert!(v.text(&format!("{done} .outcome")).await.contains("done"));
    assert!(v.text(&done).await.contains("Desk lamp"));
    assert!(v.text(&done).await.contains("Light"));
    assert!(v.text("#latency-strip").await.contains("p50"));
    assert!(
        v.exists("#at-most-once").await,
        "the page says why there is no re-run"
    );
    v.check("commands").await;

    // The kill switch engaged: the next command arrives blocked, live, on the open page.
    app.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": true, "reason": "test"}),
    )
    .await
    .expect(200);
    comment("light again").await;
    v.wait_until(
        "a blocked command row, without a reload",
        "document.querySelector(\"#command-history tr[data-status='blocked']\") !== null",
    )
    .await;
    assert!(
        v.text("#command-history tr[data-status='blocked'] .outcome")
            .await
            .contains("blocked: kill switch engaged")
    );
    v.check("commands-blocked").await;

    // Filtering by status keeps only those rows (a GET form: the URL is the filter).
    v.open(&app, &format!("/w/{ws}/commands?status=done")).await;
    v.find(&done).await;
    assert!(!v.exists("tr[data-status='blocked']").await);
    assert!(v.text("#history-title").await.contains("filtered"));

    // Each row links to why its event fired the rule, as the engine decided then (kept: the
    // rule may have changed since).
    app.call(
        reqwest::Method::PUT,
        &format!("/workspaces/{ws}/rules/{}", rule["id"].as_str().unwrap()),
        Some(&owner.token),
        Some(json!({"name": "Renamed light", "when": {"event": "comment", "contains": "nothing"}, "then": {"command": "LED_ON", "duration_ms": 500}})),
    )
    .await
    .expect(200);
    // The engine writes the traces of fired events once a second, with its counters.
    let cookies = v.cookie_header().await;
    let why = format!(
        "{}/w/{ws}/events/{}/why",
        app.address,
        frame["event_id"].as_str().unwrap()
    );
    crate::helpers::eventually("the event's kept decision", || async {
        let res = app
            .client
            .get(&why)
            .header("cookie", &cookies)
            .send()
            .await
            .unwrap();
        (res.status() == 200).then_some(())
    })
    .await;
    v.click(&format!("{done} a.why-link")).await;
    v.find("#why-trace").await;
    let rule_line = format!(
        "#why-trace li[data-trace-rule='{}']",
        rule["id"].as_str().unwrap()
    );
    assert_eq!(
        v.attr(&rule_line, "data-matched").await.as_deref(),
        Some("true")
    );
    assert!(v.text(&rule_line).await.contains("Renamed light"));
    assert!(v.text(&rule_line).await.contains(&done_id));
    v.check("commands-why").await;
    v.close().await;

    // A stranger gets the same 404 as a missing workspace.
    let s = Browser::start("commands-stranger").await;
    s.sign_in(&app, &stranger.email).await;
    let res = app
        .client
        .get(format!("{}/w/{ws}/commands", app.address))
        .header("cookie", s.cookie_header().await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    s.close().await;
}
