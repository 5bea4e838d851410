//! Benchmarks of the dashboard (issue "Dashboard I"). Run with `cargo bench --bench dashboard`
//! (release; needs Debian's `chromium` and `chromium-driver`, which `scripts/test` installs).
//! Prints:
//!   - the control room's answer time with 100 rules and 50 devices, p50/p99 (target p99 < 20 ms);
//!   - bytes a cold control-room load transfers: the page and every file it loads (< 150 KB);
//!   - event published on the bus → its row in the browser's `#feed`, p50/p99 at 100 events/s
//!     (target p99 < 100 ms), with the page tracing every rule on every event;
//!   - the commands and audit pages with 10,000 rows in each history, p50/p99 (target p99 < 30 ms).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/browser/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use livectl::protocol::{Event, EventKind, EventUser};
use serde_json::{Value, json};

fn percentiles(label: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "{label}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as f64
        / 1000.0
}

/// `n` commands (a tenth of them blocked) and `n` audit entries (a tenth of them kill-switch
/// changes), written straight to the table as the recorder would.
async fn seed_history(app: &helpers::TestApp, ws: &str, device: &str, n: usize) {
    use diesel::prelude::*;
    use livectl::db::schema::{audit_log, commands};
    let (ws, device) = (ws.to_owned(), device.to_owned());
    app.state
        .db
        .transaction(move |conn| {
            let now = livectl::ids::now_ms() - n as i64;
            for i in 0..n {
                let at = now + i as i64;
                let blocked = i % 10 == 0;
                diesel::insert_into(commands::table)
                    .values((
                        commands::id.eq(livectl::ids::new_id("cmd")),
                        commands::workspace_id.eq(&ws),
                        commands::device_id.eq(&device),
                        commands::cmd.eq("LED_ON"),
                        commands::duration_ms.eq(500),
                        commands::params.eq("{}"),
                        commands::status.eq(if blocked { "blocked" } else { "done" }),
                        commands::detail.eq(blocked.then_some("the kill switch is engaged")),
                        commands::event_at.eq(Some(at - 3)),
                        commands::issued_at.eq(at),
                        commands::expires_at.eq(at + 2_000),
                        commands::acked_at.eq((!blocked).then_some(at + 20)),
                    ))
                    .execute(conn)?;
                let kind = if i % 10 == 0 {
                    "kill_switch.engaged"
                } else {
                    "rule.updated"
                };
                diesel::insert_into(audit_log::table)
                    .values((
                        audit_log::id.eq(livectl::ids::new_id("aud")),
                        audit_log::workspace_id.eq(Some(&ws)),
                        audit_log::actor_type.eq("system"),
                        audit_log::category.eq(kind.split('.').next().unwrap()),
                        audit_log::kind.eq(kind),
                        audit_log::details.eq("{}"),
                        audit_log::created_at.eq(at),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        let app = helpers::spawn_app_with(|s| {
            s.tiktok.simulator_interval_ms = 3_600_000;
            s.server.workers = 2;
        })
        .await;
        let owner = app.user("bench").await;
        let ws = app.workspace(&owner, "Bench studio").await;
        let ls = app.simulator_livestream(&owner, &ws).await;
        for d in 0..50 {
            let created = app
                .post(&format!("/workspaces/{ws}/devices"), &owner.token, json!({"name": format!("board {d}"), "transport": "agent", "allowed_commands": ["MOTOR_SPIN", "LED_ON"], "max_duration_ms": 3000}))
                .await
                .expect(201);
            let dev = created["device"]["id"].as_str().unwrap().to_owned();
            for r in 0..2 {
                app.post(&format!("/workspaces/{ws}/rules"), &owner.token, json!({"name": format!("rule {d}-{r}"), "when": {"event": "comment", "contains": format!("go{d}x{r}")}, "then": {"device_id": dev, "command": "LED_ON", "duration_ms": 500}}))
                    .await
                    .expect(201);
            }
        }

        // A browser session's cookies, through the login form.
        // No automatic decompression: a body's length is what travelled.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .build()
            .unwrap();
        let login = http
            .post(format!("{}/login", app.address))
            .form(&[("email", owner.email.as_str()), ("password", helpers::PASSWORD)])
            .send()
            .await
            .unwrap();
        let cookie = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("; ");
        let page = format!("{}/w/{ws}", app.address);

        // 1. The control room's answer time.
        let get = || http.get(&page).header("cookie", &cookie).send();
        for _ in 0..50 {
            get().await.unwrap().bytes().await.unwrap();
        }
        let mut samples = Vec::new();
        for _ in 0..1000 {
            let started = Instant::now();
            let res = get().await.unwrap();
            assert_eq!(res.status().as_u16(), 200);
            res.bytes().await.unwrap();
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        percentiles("control room render (100 rules, 50 devices), HTTP answer", samples);

        // 2. A cold load: the page and every file it names, as a browser transfers them (gzip
        // accepted: bytes on the wire) and uncompressed.
        let html = get().await.unwrap().text().await.unwrap();
        let fetch = |path: String, gzip: bool| {
            let mut req = http.get(format!("{}{path}", app.address)).header("cookie", &cookie);
            req = req.header("accept-encoding", if gzip { "gzip" } else { "identity" });
            async move { req.send().await.unwrap().bytes().await.unwrap().len() }
        };
        let mut paths = vec![format!("/w/{ws}"), "/favicon.ico".to_owned()];
        for piece in html.split("\"/static/").skip(1) {
            paths.push(format!("/static/{}", piece.split('"').next().unwrap()));
        }
        let (mut wire, mut plain) = (0, 0);
        let mut files = Vec::new();
        for path in paths {
            let (w, p) = (fetch(path.clone(), true).await, fetch(path.clone(), false).await);
            wire += w;
            plain += p;
            files.push(format!("{path}: {w} B ({p} B)"));
        }
        println!(
            "cold control room load: {:.1} KB transferred with gzip, {:.1} KB uncompressed: {files:?}",
            wire as f64 / 1024.0,
            plain as f64 / 1024.0
        );

        // 3. Event on the bus → row in the browser's #feed, at 100 events/s.
        let b = harness::Browser::start("bench").await;
        b.sign_in(&app, &owner.email).await;
        b.open(&app, &format!("/w/{ws}")).await;
        b.wait_live().await;
        b.eval(
            "window.__rows = [];
             new MutationObserver(ms => {
               const t = performance.timeOrigin + performance.now();
               for (const m of ms) for (const n of m.addedNodes)
                 if (n.dataset && n.dataset.kind === 'event') window.__rows.push([n.querySelector('.what').textContent, t]);
             }).observe(document.getElementById('feed'), {childList: true});
             return true;",
        )
        .await;
        let events = 1000;
        let mut published = Vec::with_capacity(events);
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        for n in 0..events {
            tick.tick().await;
            published.push(now_ms());
            app.state.bus.publish(Arc::new(Event {
                id: format!("evt_bench{n}"),
                workspace_id: ws.clone(),
                stream_id: ls.clone(),
                kind: EventKind::Comment {
                    text: format!("b{n}"),
                    user: EventUser {
                        id: "1".into(),
                        unique_id: "bench".into(),
                        nickname: "Bench".into(),
                    },
                },
                ts: published[n] as i64,
                simulated: true,
            }));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let rows = loop {
            let rows = b.eval("return window.__rows").await;
            if rows.as_array().unwrap().len() >= events || Instant::now() > deadline {
                break rows;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let mut latencies = Vec::new();
        for row in rows.as_array().unwrap() {
            let text = row[0].as_str().unwrap();
            let n: usize = text.trim_matches(['“', '”']).trim_start_matches('b').parse().unwrap();
            latencies.push(row[1].as_f64().unwrap() - published[n]);
        }
        println!("rows seen: {} of {events}", latencies.len());
        percentiles("event on the bus → row in #feed at 100 events/s", latencies);
        let _: Value = b.eval("return true").await;
        b.close().await;

        // 4. The history pages with 10,000 commands and 10,000 audit entries.
        let dev = app
            .get(&format!("/workspaces/{ws}/devices"), &owner.token)
            .await
            .expect(200)[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        seed_history(&app, &ws, &dev, 10_000).await;
        for (label, path) in [
            ("commands page (10,000 in history), first page", format!("/w/{ws}/commands")),
            ("commands page, filtered by status", format!("/w/{ws}/commands?status=blocked")),
            ("audit page (10,000 entries), first page", format!("/w/{ws}/audit")),
            ("audit page, safety filter", format!("/w/{ws}/audit?kind=kill_switch")),
        ] {
            let url = format!("{}{path}", app.address);
            let get = || http.get(&url).header("cookie", &cookie).send();
            for _ in 0..20 {
                get().await.unwrap().bytes().await.unwrap();
            }
            let mut samples = Vec::new();
            for _ in 0..300 {
                let started = Instant::now();
                let res = get().await.unwrap();
                assert_eq!(res.status().as_u16(), 200, "{path}");
                res.bytes().await.unwrap();
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            percentiles(label, samples);
        }
    });
}
