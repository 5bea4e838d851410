//! Several real `livectl serve` processes on one PostgreSQL and one Redis, as a host runs them:
//! a node killed with `kill -9` mid-stream, Redis restarted mid-stream, a node stopped with
//! SIGTERM while agents and livestreams are on it. TikTok is the fake of the API tests,
//! speaking the real wire protocol. `scripts/test` provides PostgreSQL and redis-server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/fake_tiktok.rs"]
#[allow(dead_code)]
mod fake_tiktok;

#[path = "support/cluster.rs"]
mod support;

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use fake_tiktok::FakeTiktok;
use futures_util::StreamExt as _;
use serde_json::json;
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[actix_web::test]
async fn a_node_killed_mid_stream_hands_its_livestream_over_and_nothing_fires_twice_or_late() {
    let Pair {
        tiktok,
        redis,
        installation,
        http,
        a,
        b,
        studio,
    } = Pair::start().await;
    // One node holds the livestream (one socket at TikTok); the agent is on the other.
    let (mut holder, other) = if a.livestreams(&http).await == 1 {
        (a, b)
    } else {
        (b, a)
    };
    let mut agent = agent(&other, &studio.device_token).await;
    online_everywhere(&[&holder, &other], &http, &studio).await;
    let mut events = Vec::new();
    for n in 1..=5 {
        comment(&tiktok, n);
        events.push(next_command(&mut agent).await["event_id"].clone());
    }

    // (The outcomes are recorded by the node that issued them; wait for them first, or the
    // kill could take the last one with it.)
    until(
        "five commands recorded",
        Duration::from_secs(5),
        async || commands_by_event(&other, &http, &studio).await.len() == 5,
    )
    .await;

    // kill -9 of the holder: the other node takes the livestream over, within 10 s.
    holder.signal(libc::SIGKILL);
    let killed = Instant::now();
    until("the holder is gone", Duration::from_secs(5), async || {
        holder.exited()
    })
    .await;
    until(
        "the other node reconnected to TikTok",
        Duration::from_secs(10),
        async || tiktok.control.sockets.load(SeqCst) == 2 && tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let takeover = killed.elapsed();
    assert!(
        takeover < Duration::from_secs(10),
        "takeover took {takeover:?}"
    );
    assert_eq!(other.livestreams(&http).await, 1);
    for n in 6..=10 {
        comment(&tiktok, n);
        events.push(next_command(&mut agent).await["event_id"].clone());
    }

    // Whatever the dead node had taken and not acknowledged is taken over now; then one more
    // comment: once its command is in, every earlier event has been decided.
    nothing_pending(&redis, &installation, &studio.livestream).await;
    comment(&tiktok, 11);
    events.push(next_command(&mut agent).await["event_id"].clone());
    until(
        "eleven commands recorded",
        Duration::from_secs(5),
        async || commands_by_event(&other, &http, &studio).await.len() >= 11,
    )
    .await;
    let by_event = commands_by_event(&other, &http, &studio).await;
    assert_eq!(by_event.len(), 11, "{by_event:?}");
    assert!(by_event.values().all(|n| *n == 1), "{by_event:?}");
    let distinct: std::collections::HashSet<_> = events.iter().collect();
    assert_eq!(distinct.len(), 11);
    eprintln!("lease takeover after kill -9: {takeover:?}");
}

#[actix_web::test]
async fn a_redis_restart_mid_stream_is_survived_and_nothing_fires_twice() {
    let Pair {
        tiktok,
        redis,
        installation,
        http,
        a,
        b,
        studio,
    } = Pair::start().await;
    let mut agent = agent(&b, &studio.device_token).await;
    online_everywhere(&[&a, &b], &http, &studio).await;
    comment(&tiktok, 1);
    next_command(&mut agent).await;

    let redis = redis.restart().await;
    for node in [&a, &b] {
        until(
            "the node is ready again",
            Duration::from_secs(10),
            async || {
                http.get(node.url("/readyz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            },
        )
        .await;
    }
    // Comments go through again once the nodes have registered their streams and found each
    // other anew (one sent before is lost, never fired late): three in a row, then.
    let (mut n, mut in_a_row) = (2, 0);
    while in_a_row < 3 {
        assert!(
            n < 40,
            "commands did not get through again after Redis restarted"
        );
        comment(&tiktok, n);
        n += 1;
        match tokio::time::timeout(Duration::from_secs(2), next_command(&mut agent)).await {
            Ok(_) => in_a_row += 1,
            Err(_) => in_a_row = 0,
        }
    }
    // Still one livestream socket, and the control plane works: a kill switch through A
    // reaches the agent on B.
    assert_eq!(tiktok.control.open.load(SeqCst), 1);
    kill_reaches(&http, &a, &studio, &mut agent, "after the restart").await;
    nothing_pending(&redis, &installation, &studio.livestream).await;
    let by_event = commands_by_event(&a, &http, &studio).await;
    assert!(by_event.values().all(|n| *n == 1), "{by_event:?}");
}

#[actix_web::test]
async fn sigterm_hands_agents_and_livestreams_to_the_other_nodes_within_seconds() {
    let tiktok = FakeTiktok::start().await;
    let redis = Redis::start().await;
    let installation = Installation::new(&redis, &tiktok);
    let http = installation.http.clone();
    // A alone takes the livestream; B and C join after.
    let mut a = installation.node().await;
    let studio = studio(&a, &http).await;
    until(
        "A runs the livestream",
        Duration::from_secs(10),
        async || tiktok.control.open.load(SeqCst) == 1,
    )
    .await;
    let b = installation.node().await;
    let c = installation.node().await;
    let mut agent_on_a = agent(&a, &studio.device_token).await;
    comment(&tiktok, 1);
    online_everywhere(&[&a], &http, &studio).await;
    next_command(&mut agent_on_a).await;

    let stopped = Instant::now();
    a.signal(libc::SIGTERM);
    // The agent is told "going away" and reconnects to another node.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), agent_on_a.next())
            .await
            .expect("a close frame in time")
        {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1001));
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    }
    until("A exits", Duration::from_secs(5), async || a.exited()).await;
    assert!(stopped.elapsed() < Duration::from_secs(5));
    let mut agent_on_b = agent(&b, &studio.device_token).await;
    online_everywhere(&[&b, &c], &http, &studio).await;
    until(
        "B or C runs the livestream",
        Duration::from_secs(10),
        async || {
            tiktok.control.open.load(SeqCst) == 1
                && b.livestreams(&http).await + c.livestreams(&http).await == 1
        },
    )
    .await;
    comment(&tiktok, 2);
    let command = next_command(&mut agent_on_b).await;
    assert_eq!(command["cmd"], "LED_ON");

    // The kill switch through C reaches the agent on B.
    kill_reaches(&http, &c, &studio, &mut agent_on_b, "through C").await;
}

#[actix_web::test]
async fn counters_and_cooldowns_are_exact_over_both_nodes_and_a_revocation_closes_the_other_nodes_socket()
 {
    let Pair {
        tiktok: _tiktok,
        redis,
        installation,
        http,
        a,
        b,
        studio,
    } = Pair::start().await;
    let t = Some(studio.token.as_str());
    for rule in [
        json!({"name": "every 3", "when": {"event": "comment", "equals": "count", "every": 3}, "then": {"command": "LED_ON"}}),
        json!({"name": "cooldown", "when": {"event": "comment", "equals": "cool"}, "then": {"command": "LED_ON"}, "cooldown_ms": 60000}),
    ] {
        call(
            &http,
            a.api(&format!("/workspaces/{}/rules", studio.ws)),
            t,
            rule,
        )
        .await;
    }
    let mut agent = agent(&b, &studio.device_token).await;
    online_everywhere(&[&a, &b], &http, &studio).await;
    // Test events through both nodes' APIs: 9 "count" (every 3: three commands) and 4 "cool"
    // (a 60 s cooldown: one command).
    let inject = |node: &Node, text: &str| {
        let url = node.api(&format!(
            "/workspaces/{}/livestreams/{}/events",
            studio.ws, studio.livestream
        ));
        let body = json!({"event_type": "comment", "payload": {"text": text}});
        let http = http.clone();
        async move { call(&http, url, t, body).await }
    };
    for i in 0..9 {
        inject(if i % 2 == 0 { &a } else { &b }, "count").await;
    }
    for i in 0..4 {
        inject(if i % 2 == 0 { &b } else { &a }, "cool").await;
    }
    for _ in 0..4 {
        next_command(&mut agent).await;
    }
    // Every event has been decided once nothing is pending and a last one came through.
    nothing_pending(&redis, &installation, &studio.livestream).await;
    call(
        &http,
        a.api(&format!("/workspaces/{}/rules", studio.ws)),
        t,
        json!({"name": "marker", "when": {"event": "comment", "equals": "last"}, "then": {"command": "LED_ON"}}),
    )
    .await;
    until("B knows the last rule", Duration::from_secs(5), async || {
        let answer = http
            .post(b.api(&format!("/workspaces/{}/rules/test", studio.ws)))
            .bearer_auth(&studio.token)
            .json(&json!({"livestream_id": studio.livestream, "event": {"event_type": "comment", "payload": {"text": "last"}}}))
            .send()
            .await
            .unwrap();
        let lines: serde_json::Value = answer.json().await.unwrap();
        lines.as_array().is_some_and(|l| l.iter().filter(|x| x["matched"] == true).count() == 1)
    })
    .await;
    inject(&a, "last").await;
    inject(&b, "last").await;
    next_command(&mut agent).await;
    next_command(&mut agent).await;
    until(
        "every command recorded",
        Duration::from_secs(5),
        async || commands_by_event(&a, &http, &studio).await.len() >= 6,
    )
    .await;
    assert_eq!(commands_by_event(&a, &http, &studio).await.len(), 6);

    // The device's token revoked through A: its socket on B is told and closed.
    let revoked = http
        .delete(a.api(&format!(
            "/workspaces/{}/devices/{}/token",
            studio.ws, studio.device_id
        )))
        .bearer_auth(&studio.token)
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    loop {
        match next_frame(&mut agent).await {
            Some(frame) if frame["type"] == "revoked" => break,
            Some(_) => {}
            None => panic!("the socket closed without a revoked frame"),
        }
    }
    assert!(
        next_frame(&mut agent).await.is_none(),
        "the socket stays open"
    );
}
