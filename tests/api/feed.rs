//! The dashboard feed socket: a workspace's events, statuses and command results, to its
//! members only.

use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::agents::{connect_agent, device, next_json, send_json};
use crate::helpers::{TestApp, spawn_app};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_feed(
    app: &TestApp,
    ws: &str,
    token: Option<&str>,
    in_query: bool,
) -> Result<Socket, u16> {
    let mut url = app.address.replace("http://", "ws://") + &format!("/ws/workspaces/{ws}/feed");
    if in_query && let Some(t) = token {
        url += &format!("?access_token={t}");
    }
    let mut request = url.into_client_request().unwrap();
    if !in_query && let Some(t) = token {
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(other) => panic!("{other}"),
    }
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame in time")
            .unwrap()
            .unwrap()
        {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            _ => continue,
        }
    }
}

#[actix_web::test]
async fn members_see_their_workspace_live_and_nothing_else() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let stranger = app.user("stranger").await;
    let ws = app.workspace(&owner, "Feed").await;
    let other = app.workspace(&stranger, "Other").await;
    app.add_member(&ws, &owner, &viewer, "viewer").await;
    let ls = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "feedme", "source": "simulator"}),
        )
        .await
        .expect(201);
    let ls = ls["id"].as_str().unwrap().to_owned();
    let other_ls = app
        .post(
            &format!("/workspaces/{other}/livestreams"),
            &stranger.token,
            json!({"target": "elsewhere"}),
        )
        .await
        .expect(201);
    let (_dev, token) = device(&app, &owner, &ws, "board", &["MOTOR_SPIN"]).await;
    let mut agent = connect_agent(&app, &token).await.unwrap();
    app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "spin", "when": {"event": "comment", "contains": "spin"}, "then": {"command": "MOTOR_SPIN"}})).await.expect(201);

    assert_eq!(open_feed(&app, &ws, None, false).await.err(), Some(401));
    assert_eq!(
        open_feed(&app, &ws, Some(&stranger.token), false)
            .await
            .err(),
        Some(404)
    );
    let mut feed = open_feed(&app, &ws, Some(&viewer.token), false)
        .await
        .unwrap();
    // The feed subscribes before it answers the upgrade: nothing published after this is missed.
    let mut stranger_feed = open_feed(&app, &other, Some(&stranger.token), false)
        .await
        .unwrap();

    // Another workspace's event first: our feed must skip it.
    app.post(
        &format!(
            "/workspaces/{other}/livestreams/{}/events",
            other_ls["id"].as_str().unwrap()
        ),
        &stranger.token,
        json!({"event_type": "comment", "payload": {"text": "theirs"}}),
    )
    .await
    .expect(202);
    app.post(
        &format!("/workspaces/{ws}/livestreams/{ls}/events"),
        &owner.token,
        json!({"event_type": "comment", "payload": {"text": "spin"}}),
    )
    .await
    .expect(202);
    let frame = next(&mut feed).await;
    assert_eq!(frame["type"], "event");
    assert_eq!(frame["event"]["payload"]["text"], "spin");
    assert_eq!(frame["event"]["workspace_id"], ws.as_str());
    let theirs = next(&mut stranger_feed).await;
    assert_eq!(theirs["event"]["payload"]["text"], "theirs");

    let command = next_json(&mut agent.socket).await.unwrap();
    send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": command["id"], "status": "done"}),
    )
    .await;
    let frame = next(&mut feed).await;
    assert_eq!(frame["type"], "command");
    assert_eq!(frame["command"]["id"], command["id"]);
    assert_eq!(frame["command"]["status"], "done");
    // The stranger's feed never sees our command.
    let quiet = tokio::time::timeout(Duration::from_millis(300), next(&mut stranger_feed)).await;
    assert!(quiet.is_err(), "{quiet:?}");

    // Livestream status changes arrive as stream_status events.
    app.call(
        reqwest::Method::POST,
        &format!("/workspaces/{ws}/livestreams/{ls}/connect"),
        Some(&owner.token),
        None,
    )
    .await
    .expect(202);
    loop {
        let frame = next(&mut feed).await;
        if frame["event"]["event_type"] == "stream_status" {
            assert_eq!(frame["event"]["payload"]["status"], "live");
            break;
        }
    }
}

#[actix_web::test]
async fn a_removed_member_or_a_suspension_closes_the_feed_at_once() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let ws = app.workspace(&owner, "Closing").await;
    app.add_member(&ws, &owner, &viewer, "viewer").await;
    let mut feed = open_feed(&app, &ws, Some(&viewer.token), false)
        .await
        .expect("a member may watch");
    let mut owners_feed = open_feed(&app, &ws, Some(&owner.token), false)
        .await
        .expect("the owner may watch");
    app.delete(
        &format!("/workspaces/{ws}/members/{}", viewer.id),
        &owner.token,
    )
    .await
    .expect(204);
    assert_eq!(crate::agents::close_code(&mut feed).await, Some(4003));
    // The owner's socket stays; a suspension closes it too.
    app.post(
        &format!("/admin/workspaces/{ws}/suspend"),
        &platform.token,
        json!({"reason": "unpaid"}),
    )
    .await
    .expect(200);
    assert_eq!(
        crate::agents::close_code(&mut owners_feed).await,
        Some(4003)
    );
    assert_eq!(
        open_feed(&app, &ws, Some(&viewer.token), false).await.err(),
        Some(404),
        "and the removed member cannot come back"
    );
}
