//! The livestreams API with the simulator source: create, list, connect, inject, disconnect,
//! delete, plan limits, resume after restart, suspension, and 1,000 streams at once.

use std::time::Duration;

use livectl::protocol::EventKind;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, eventually, spawn_app, spawn_app_with};

async fn wait_status(app: &TestApp, user: &TestUser, ws: &str, id: &str, status: &str) -> Value {
    eventually(
        format!("livestream {id} reaching {status}"),
        || async move {
            let ls = app
                .get(&format!("/workspaces/{ws}/livestreams/{id}"), &user.token)
                .await
                .expect(200);
            (ls["status"] == status).then_some(ls)
        },
    )
    .await
}

#[actix_web::test]
async fn simulator_livestream_lifecycle() {
    let app = spawn_app_with(|s| s.tiktok.simulator_interval_ms = 20).await;
    let mut bus = app.state.bus.subscribe("test", 10_000);
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Sim").await;
    let created = app
        .post(&format!("/workspaces/{ws}/livestreams"), &owner.token, json!({"target": "https://www.tiktok.com/@Demo.Account/live", "source": "simulator", "name": "Demo"}))
        .await
        .expect(201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ls_"));
    assert_eq!(created["unique_id"], "demo.account");
    assert_eq!(created["source"], "simulator");
    assert_eq!(created["stats"]["events"], 0);
    app.post(
        &format!("/workspaces/{ws}/livestreams"),
        &owner.token,
        json!({"target": "@demo.account", "source": "simulator"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    app.post(
        &format!("/workspaces/{ws}/livestreams"),
        &owner.token,
        json!({"target": "not a handle!"}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    app.post(
        &format!("/workspaces/{ws}/livestreams"),
        &owner.token,
        json!({"target": "x1", "source": "youtube"}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");

    app.call(
        Method::POST,
        &format!("/workspaces/{ws}/livestreams/{id}/connect"),
        Some(&owner.token),
        None,
    )
    .await
    .expect(202);
    let live = wait_status(&app, &owner, &ws, &id, "live").await;
    assert_eq!(live["room_id"], "simulated");
    // The simulator makes traffic; it reaches the bus marked simulated.
    let event = tokio::time::timeout(Duration::from_secs(5), bus.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.stream_id, id);
    assert!(event.simulated);

    // An injected event goes through the actor (counted) and the bus.
    let injected = app
        .post(&format!("/workspaces/{ws}/livestreams/{id}/events"), &owner.token, json!({"event_type": "gift", "payload": {"gift_id": 5655, "gift_name": "Rose", "diamond_count": 1, "repeat_count": 10, "total_diamonds": 10}}))
        .await
        .expect(202);
    let event_id = injected["event_id"].as_str().unwrap().to_owned();
    assert!(event_id.starts_with("evt_"));
    loop {
        let e = tokio::time::timeout(Duration::from_secs(5), bus.recv())
            .await
            .unwrap()
            .unwrap();
        if e.id == event_id {
            assert!(e.simulated);
            assert!(matches!(
                &e.kind,
                EventKind::Gift {
                    repeat_count: 10,
                    ..
                }
            ));
            break;
        }
    }
    app.post(
        &format!("/workspaces/{ws}/livestreams/{id}/events"),
        &owner.token,
        json!({"event_type": "teleport", "payload": {}}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    app.post(
        &format!("/workspaces/{ws}/livestreams/{id}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": 5}}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    let list = app
        .get(&format!("/workspaces/{ws}/livestreams"), &owner.token)
        .await
        .expect(200);
    assert!(list[0]["stats"]["diamonds"].as_i64().unwrap() >= 10);

    app.call(
        Method::POST,
        &format!("/workspaces/{ws}/livestreams/{id}/disconnect"),
        Some(&owner.token),
        None,
    )
    .await
    .expect(202);
    // The last counters reach the table a moment after the actor stops (the saver batches):
    // wait for them rather than for the status alone.
    let (app_ref, owner_ref, ws_ref, id_ref) = (&app, &owner, &ws, &id);
    eventually("counters kept after the disconnect", || async move {
        let idle = wait_status(app_ref, owner_ref, ws_ref, id_ref, "idle").await;
        (idle["stats"]["events"].as_i64().unwrap() >= 2).then_some(())
    })
    .await;
    app.delete(&format!("/workspaces/{ws}/livestreams/{id}"), &owner.token)
        .await
        .expect(204);
    app.get(&format!("/workspaces/{ws}/livestreams/{id}"), &owner.token)
        .await
        .expect_error(404, "NOT_FOUND");
    let audit = app
        .get(
            &format!("/workspaces/{ws}/audit?kind=livestream"),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn injecting_into_a_stream_that_is_not_connected_still_reaches_the_bus() {
    let app = spawn_app().await;
    let mut bus = app.state.bus.subscribe("test", 100);
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Offline").await;
    let ls = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "quiet"}),
        )
        .await
        .expect(201);
    let id = ls["id"].as_str().unwrap();
    let injected = app
        .post(&format!("/workspaces/{ws}/livestreams/{id}/events"), &owner.token, json!({"event_type": "comment", "payload": {"text": "spin", "user": {"unique_id": "tester"}}}))
        .await
        .expect(202);
    let event = bus.recv().await.unwrap();
    assert_eq!(event.id, injected["event_id"].as_str().unwrap());
    assert_eq!(event.workspace_id, ws);
    match &event.kind {
        EventKind::Comment { text, user } => {
            assert_eq!((text.as_str(), user.unique_id.as_str()), ("spin", "tester"))
        }
        other => panic!("{other:?}"),
    }
}

#[actix_web::test]
async fn plan_limit_on_livestreams() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Free").await;
    app.set_plan(&platform, &ws, "free").await;
    app.post(
        &format!("/workspaces/{ws}/livestreams"),
        &owner.token,
        json!({"target": "first"}),
    )
    .await
    .expect(201);
    let refused = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "second"}),
        )
        .await
        .expect_error(402, "PLAN_LIMIT_REACHED");
    assert_eq!(refused["details"]["limit"], 1);
    let usage = app
        .get(&format!("/workspaces/{ws}/usage"), &owner.token)
        .await
        .expect(200);
    assert_eq!(usage["usage"]["livestreams"], 1);
}

#[actix_web::test]
async fn connected_livestreams_come_back_after_a_restart() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Persistent").await;
    let ls = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "always", "source": "simulator"}),
        )
        .await
        .expect(201);
    let id = ls["id"].as_str().unwrap().to_owned();
    app.call(
        Method::POST,
        &format!("/workspaces/{ws}/livestreams/{id}/connect"),
        Some(&owner.token),
        None,
    )
    .await
    .expect(202);
    wait_status(&app, &owner, &ws, &id, "live").await;
    // The first server stops as on SIGTERM (with Redis, it gives the livestream's lease up),
    // and a second one on the same database and data folder reconnects the stream by itself.
    app.state
        .live
        .send(livectl::live::registry::StopAll)
        .await
        .unwrap();
    let second = app.sibling(|_| {}).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let count = second
            .state
            .live
            .send(livectl::live::registry::Count)
            .await
            .unwrap();
        if count == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never resumed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    wait_status(&second, &owner, &ws, &id, "live").await;
}

#[actix_web::test]
async fn suspension_stops_the_workspace_livestreams() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Suspended").await;
    let ls = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "s1", "source": "simulator"}),
        )
        .await
        .expect(201);
    let id = ls["id"].as_str().unwrap().to_owned();
    app.call(
        Method::POST,
        &format!("/workspaces/{ws}/livestreams/{id}/connect"),
        Some(&owner.token),
        None,
    )
    .await
    .expect(202);
    wait_status(&app, &owner, &ws, &id, "live").await;
    app.post(
        &format!("/admin/workspaces/{ws}/suspend"),
        &platform.token,
        json!({"reason": "test"}),
    )
    .await
    .expect(200);
    for _ in 0..100 {
        if app
            .state
            .live
            .send(livectl::live::registry::Count)
            .await
            .unwrap()
            == 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the suspended workspace's livestream still runs");
}

#[actix_web::test]
async fn a_suspended_workspace_keeps_its_livestreams_down_across_a_restart_and_can_still_stop() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let (bad, good) = (
        app.workspace(&owner, "Suspended").await,
        app.workspace(&owner, "Fine").await,
    );
    for ws in [&bad, &good] {
        let id = app.simulator_livestream(&owner, ws).await;
        app.call(
            Method::POST,
            &format!("/workspaces/{ws}/livestreams/{id}/connect"),
            Some(&owner.token),
            None,
        )
        .await
        .expect(202);
        wait_status(&app, &owner, ws, &id, "live").await;
    }
    app.post(
        &format!("/admin/workspaces/{bad}/suspend"),
        &platform.token,
        json!({"reason": "unpaid"}),
    )
    .await
    .expect(200);
    // Stopping hardware is never refused, suspended or not; releasing is.
    app.post(
        &format!("/workspaces/{bad}/kill-switch"),
        &owner.token,
        json!({"engaged": true, "reason": "safety first"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/workspaces/{bad}/kill-switch"),
        &owner.token,
        json!({"engaged": false, "reason": "x"}),
    )
    .await
    .expect_error(403, "WORKSPACE_SUSPENDED");

    // A restart reconnects the healthy workspace's livestream, and only that one.
    let restarted = app.sibling(|_| {}).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let running = restarted
            .state
            .live
            .send(livectl::live::registry::Count)
            .await
            .unwrap();
        if running >= 1 {
            assert_eq!(running, 1, "the suspended workspace's livestream came back");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "nothing reconnected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
