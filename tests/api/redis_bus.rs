//! The Redis Streams bus against a real redis-server: streams named by the contract, a length
//! cap, and a consumer killed mid-stream whose events are taken over and handled once.

use std::time::Duration;

use redis::AsyncCommands as _;
use reqwest::Method;
use serde_json::json;

use crate::agents::{connect_agent, device, next_json, send_json};
use crate::helpers::{eventually, redis_url, spawn_app_with, use_redis};

async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[actix_web::test]
async fn events_travel_through_redis_streams_to_the_rules() {
    let app = spawn_app_with(|s| {
        use_redis(s);
        s.redis.stream_maxlen = 100;
    })
    .await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Redis").await;
    let ls = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "redis", "source": "simulator"}),
        )
        .await
        .expect(201);
    let ls = ls["id"].as_str().unwrap().to_owned();
    let (_dev, token) = device(&app, &owner, &ws, "board", &["MOTOR_SPIN"]).await;
    let mut agent = connect_agent(&app, &token).await.unwrap();
    app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "spin", "when": {"event": "comment", "contains": "spin"}, "then": {"command": "MOTOR_SPIN"}})).await.expect(201);
    let event = app
        .post(
            &format!("/workspaces/{ws}/livestreams/{ls}/events"),
            &owner.token,
            json!({"event_type": "comment", "payload": {"text": "spin"}}),
        )
        .await
        .expect(202);
    let frame = next_json(&mut agent.socket).await.unwrap();
    assert_eq!(frame["event_id"], event["event_id"]);
    send_json(
        &mut agent.socket,
        json!({"type": "ack", "id": frame["id"], "status": "done"}),
    )
    .await;

    let mut conn = redis().await;
    let key = format!("stream:tiktok:{ls}");
    let len: usize = conn.xlen(&key).await.unwrap();
    assert!(len >= 1, "events are on {key}");
    // The cap: many more events than MAXLEN leave about MAXLEN (approximate trimming works on
    // whole nodes, so it is checked with room).
    for i in 0..600 {
        app.state
            .bus
            .publish(std::sync::Arc::new(livectl::protocol::Event {
                id: format!("evt_cap{i}"),
                workspace_id: ws.clone(),
                stream_id: ls.clone(),
                kind: livectl::protocol::EventKind::Like {
                    count: 1,
                    total: i,
                    user: Default::default(),
                },
                ts: i,
                simulated: true,
            }));
    }
    // The bus writes in the background: wait until the last event is on the stream.
    let conn_ref = &conn;
    let key_ref = key.as_str();
    eventually("the 600th event written to the stream", || async move {
        let mut conn = conn_ref.clone();
        let newest: redis::Value = redis::cmd("XREVRANGE")
            .arg(key_ref)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut conn)
            .await
            .unwrap();
        format!("{newest:?}").contains("evt_cap599").then_some(())
    })
    .await;
    let len: usize = conn.xlen(&key).await.unwrap();
    assert!(len < 400, "stream length {len} is capped");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("livectl_bus_events_published_total"),
        "{metrics}"
    );
    app.call(Method::GET, "/readyz", None, None)
        .await
        .expect(200);
}

/// A consumer that read events and died before acknowledging them: after `claim_idle_ms` a
/// live node takes them over, and the rule fires once.
#[actix_web::test]
async fn a_consumer_killed_mid_stream_loses_nothing() {
    let setup = spawn_app_with(|_| {}).await; // memory bus: it only writes the database
    let owner = setup.user("owner").await;
    let ws = setup.workspace(&owner, "Crash").await;
    let ls = setup
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &owner.token,
            json!({"target": "crash", "source": "simulator"}),
        )
        .await
        .expect(201);
    let ls = ls["id"].as_str().unwrap().to_owned();
    let (dev, _) = device(&setup, &owner, &ws, "board", &["MOTOR_SPIN"]).await;
    setup.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": "spin", "when": {"event": "comment", "contains": "spin"}, "then": {"command": "MOTOR_SPIN"}})).await.expect(201);

    // A node of namespace `ns` read two events and died without acknowledging them.
    let ns = format!("crash{}", ulid::Ulid::new().to_string().to_lowercase());
    let group = format!("{ns}:rules");
    let key = format!("stream:tiktok:{ls}");
    let mut conn = redis().await;
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&key)
        .arg(&group)
        .arg("$")
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = conn.sadd(format!("{ns}:streams"), &key).await.unwrap();
    let _: () = conn.sadd(format!("{ns}:groups"), &group).await.unwrap();
    for (i, text) in ["spin once", "spin twice"].iter().enumerate() {
        let event = json!({"id": format!("evt_dead{i}"), "workspace_id": ws, "stream_id": ls, "event_type": "comment",
            "payload": {"text": text, "user": {"id": "1", "unique_id": "v", "nickname": "V"}}, "ts": 1, "simulated": false});
        let _: String = conn
            .xadd(&key, "*", &[("data", event.to_string())])
            .await
            .unwrap();
    }
    let taken: redis::streams::StreamReadReply = conn
        .xread_options(
            &[&key],
            &[">"],
            &redis::streams::StreamReadOptions::default()
                .group(&group, "dead-node")
                .count(10),
        )
        .await
        .unwrap();
    assert_eq!(
        taken.keys[0].ids.len(),
        2,
        "the dead node holds both, unacknowledged"
    );

    // A live node of the same installation starts.
    let dir = setup.data_dir.path().to_path_buf();
    let url = setup.state.settings.database_url();
    let ns2 = ns.clone();
    // Each step has a limit: a step that never ends fails here, saying which, instead of
    // being ended by the runner without a word.
    let step = Duration::from_secs(30);
    let node = tokio::time::timeout(
        step,
        spawn_app_with(move |s| {
            s.server.data_dir = dir;
            s.database.url = url;
            use_redis(s);
            s.redis.namespace = ns2;
            s.redis.claim_idle_ms = 300;
        }),
    )
    .await
    .expect("the second node starts");
    let token = tokio::time::timeout(
        step,
        node.call(
            Method::POST,
            &format!("/workspaces/{ws}/devices/{dev}/token"),
            Some(&owner.token),
            None,
        ),
    )
    .await
    .expect("the token is rotated")
    .expect(201);
    let mut agent = tokio::time::timeout(
        step,
        connect_agent(&node, token["agent_token"].as_str().unwrap()),
    )
    .await
    .expect("the agent connects")
    .unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        let frame = next_json(&mut agent.socket)
            .await
            .expect("the taken-over events fire the rule");
        got.push(frame["event_id"].as_str().unwrap().to_owned());
        send_json(
            &mut agent.socket,
            json!({"type": "ack", "id": frame["id"], "status": "done"}),
        )
        .await;
    }
    got.sort();
    assert_eq!(got, ["evt_dead0", "evt_dead1"]);
    // Once each: nothing more arrives, and nothing is left pending.
    assert!(
        tokio::time::timeout(Duration::from_millis(800), next_json(&mut agent.socket))
            .await
            .is_err()
    );
    let pending: redis::streams::StreamPendingReply =
        tokio::time::timeout(step, conn.xpending(&key, &group))
            .await
            .expect("Redis answers")
            .unwrap();
    assert_eq!(pending.count(), 0);
}

/// A private redis-server of this test's own, stopped and started again.
struct OwnRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl OwnRedis {
    fn start_on(port: u16, dir: tempfile::TempDir) -> OwnRedis {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "no", "--dir"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/test installs it)");
        OwnRedis { port, dir, child }
    }

    async fn answering(&self) {
        let url = format!("redis://127.0.0.1:{}", self.port);
        for _ in 0..200 {
            if let Ok(client) = redis::Client::open(url.as_str())
                && let Ok(mut conn) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("redis-server never answered");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn readiness(app: &crate::helpers::TestApp) -> (u16, serde_json::Value) {
    let answer = app.call(Method::GET, "/readyz", None, None).await;
    (answer.status.as_u16(), answer.body)
}

/// `/readyz` asks Redis itself: an outage while nothing is written still reads "not ready",
/// naming the bus, and ready again once Redis is back.
#[actix_web::test]
async fn readiness_follows_redis_itself() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = OwnRedis::start_on(port, tempfile::tempdir().unwrap());
    redis.answering().await;
    let app = spawn_app_with(|s| {
        use_redis(s);
        s.redis.url = livectl::config::Secret::new(format!("redis://127.0.0.1:{port}"));
    })
    .await;
    assert_eq!(readiness(&app).await.0, 200);
    let _ = redis.child.kill();
    let _ = redis.child.wait();
    let mut seen = (0, serde_json::Value::Null);
    for _ in 0..300 {
        seen = readiness(&app).await;
        if seen.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen.0, 503, "{}", seen.1);
    assert_eq!(seen.1["details"]["failing"], json!(["bus"]));
    let dir = std::mem::replace(&mut redis.dir, tempfile::tempdir().unwrap());
    let redis = OwnRedis::start_on(port, dir);
    redis.answering().await;
    for _ in 0..300 {
        if readiness(&app).await.0 == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never ready again after Redis came back");
}
