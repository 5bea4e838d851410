//! Health, readiness, metrics, request ids, unknown routes and the OpenAPI document.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};

use crate::helpers::{eventually, spawn_app};

#[actix_web::test]
async fn a_stopping_node_is_not_ready() {
    let app = spawn_app().await;
    app.state
        .stopping
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let ready = app
        .call(Method::GET, "/readyz", None, None)
        .await
        .expect_error(503, "UNAVAILABLE");
    assert_eq!(ready["details"]["checks"]["node"], "stopping");
}

#[actix_web::test]
async fn health_ready_and_metrics_answer() {
    let app = spawn_app().await;
    let health = app
        .call(Method::GET, "/healthz", None, None)
        .await
        .expect(200);
    assert_eq!(health["status"], "ok");
    // On a machine busy with the rest of the suite, the database check can miss its 2 s once
    // (a 503 saying so is right then): wait for readiness rather than demand it at once.
    let app_ref = &app;
    let ready = eventually("/readyz answering 200", || async move {
        let res = app_ref.call(Method::GET, "/readyz", None, None).await;
        (res.status == StatusCode::OK).then_some(res.body)
    })
    .await;
    assert_eq!(ready["checks"]["database"], "ok");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("livectl_http_responses_total{class=\"2xx\"}"),
        "{text}"
    );
    assert!(
        text.contains("livectl_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[actix_web::test]
async fn every_answer_carries_a_request_id_and_errors_repeat_it() {
    let app = spawn_app().await;
    let ok = app.call(Method::GET, "/healthz", None, None).await;
    assert!(ok.headers.get("x-request-id").is_some());

    let res = app
        .client
        .get(app.url("/api/v1/nothing/here"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["x-request-id"], "trace-42");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["error"], "NOT_FOUND");
    assert_eq!(body["request_id"], "trace-42");

    // A header we will not echo (too long, odd characters) is replaced by our own id.
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "a b")
        .send()
        .await
        .expect("request");
    assert!(
        res.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .starts_with("req_")
    );
}

#[actix_web::test]
async fn unknown_routes_and_methods_get_the_error_shape() {
    let app = spawn_app().await;
    app.call(Method::GET, "/api/v2/anything", None, None)
        .await
        .expect_error(404, "NOT_FOUND");
    app.call(Method::GET, "/not-api", None, None)
        .await
        .expect_error(404, "NOT_FOUND");
    // Outside the API, people get the dashboard's 404 page.
    let page = app
        .client
        .get(format!("{}/not-a-page", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // A path of the API asked with another method: 405 and what it does answer.
    let wrong_method = app.call(Method::PUT, "/healthz", None, None).await;
    assert_eq!(wrong_method.headers["allow"], "GET");
    wrong_method.expect_error(405, "METHOD_NOT_ALLOWED");
    let user = app.user("methods").await;
    let ws = app.workspace(&user, "Methods").await;
    let answer = app
        .call(
            Method::PUT,
            &format!("/workspaces/{ws}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(answer.headers["allow"], "GET, DELETE, PATCH");
    // A body that is not an object is refused, even one serde could read field by field.
    app.patch(
        &format!("/workspaces/{ws}"),
        &user.token,
        serde_json::json!([null, null]),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
}

/// Every contract endpoint that exists so far. The document must list exactly these, and every
/// operation it lists must be routed.
const EXPECTED: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/workspaces"),
    ("POST", "/api/v1/workspaces"),
    ("GET", "/api/v1/workspaces/{ws}"),
    ("PATCH", "/api/v1/workspaces/{ws}"),
    ("DELETE", "/api/v1/workspaces/{ws}"),
    ("POST", "/api/v1/workspaces/{ws}/transfer"),
    ("GET", "/api/v1/workspaces/{ws}/usage"),
    ("GET", "/api/v1/workspaces/{ws}/members"),
    ("POST", "/api/v1/workspaces/{ws}/members"),
    ("PATCH", "/api/v1/workspaces/{ws}/members/{user_id}"),
    ("DELETE", "/api/v1/workspaces/{ws}/members/{user_id}"),
    ("GET", "/api/v1/workspaces/{ws}/api-keys"),
    ("POST", "/api/v1/workspaces/{ws}/api-keys"),
    ("DELETE", "/api/v1/workspaces/{ws}/api-keys/{id}"),
    ("GET", "/api/v1/workspaces/{ws}/audit"),
    ("GET", "/api/v1/workspaces/{ws}/livestreams"),
    ("POST", "/api/v1/workspaces/{ws}/livestreams"),
    ("GET", "/api/v1/workspaces/{ws}/livestreams/{id}"),
    ("DELETE", "/api/v1/workspaces/{ws}/livestreams/{id}"),
    ("POST", "/api/v1/workspaces/{ws}/livestreams/{id}/connect"),
    (
        "POST",
        "/api/v1/workspaces/{ws}/livestreams/{id}/disconnect",
    ),
    ("POST", "/api/v1/workspaces/{ws}/livestreams/{id}/events"),
    ("GET", "/api/v1/workspaces/{ws}/devices"),
    ("POST", "/api/v1/workspaces/{ws}/devices"),
    ("GET", "/api/v1/workspaces/{ws}/devices/{id}"),
    ("PATCH", "/api/v1/workspaces/{ws}/devices/{id}"),
    ("DELETE", "/api/v1/workspaces/{ws}/devices/{id}"),
    ("POST", "/api/v1/workspaces/{ws}/devices/{id}/token"),
    ("DELETE", "/api/v1/workspaces/{ws}/devices/{id}/token"),
    ("GET", "/api/v1/workspaces/{ws}/rules"),
    ("POST", "/api/v1/workspaces/{ws}/rules"),
    ("GET", "/api/v1/workspaces/{ws}/rules/{id}"),
    ("PUT", "/api/v1/workspaces/{ws}/rules/{id}"),
    ("DELETE", "/api/v1/workspaces/{ws}/rules/{id}"),
    ("POST", "/api/v1/workspaces/{ws}/rules/{id}/enable"),
    ("POST", "/api/v1/workspaces/{ws}/rules/{id}/disable"),
    ("POST", "/api/v1/workspaces/{ws}/rules/test"),
    ("GET", "/api/v1/workspaces/{ws}/kill-switch"),
    ("POST", "/api/v1/workspaces/{ws}/kill-switch"),
    ("GET", "/api/v1/workspaces/{ws}/commands"),
    ("GET", "/ws/agent"),
    ("GET", "/ws/workspaces/{ws}/feed"),
    ("GET", "/api/v1/admin/invites"),
    ("POST", "/api/v1/admin/invites"),
    ("DELETE", "/api/v1/admin/invites/{email}"),
    ("POST", "/api/v1/admin/workspaces/{ws}/suspend"),
    ("POST", "/api/v1/admin/workspaces/{ws}/unsuspend"),
    ("PUT", "/api/v1/admin/workspaces/{ws}/plan"),
    ("GET", "/api/v1/admin/workspaces"),
    ("PATCH", "/api/v1/me"),
    ("POST", "/api/v1/me/password"),
    ("GET", "/api/v1/me/sign-ins"),
    ("DELETE", "/api/v1/me/sign-ins"),
    ("DELETE", "/api/v1/me/sign-ins/{id}"),
    ("POST", "/api/v1/workspaces/{ws}/devices/{id}/credentials"),
    ("GET", "/api/v1/workspaces/{ws}/tiktok-credentials"),
    ("PUT", "/api/v1/workspaces/{ws}/tiktok-credentials"),
    ("DELETE", "/api/v1/workspaces/{ws}/tiktok-credentials"),
    ("POST", "/api/v1/agent/pairings"),
    ("GET", "/api/v1/agent/pairings/{id}"),
    ("POST", "/api/v1/workspaces/{ws}/pairings"),
    ("POST", "/api/v1/workspaces/{ws}/pairings/lookup"),
    ("POST", "/api/v1/workspaces/{ws}/pairings/deny"),
    ("GET", "/api/v1/agent/releases"),
    ("GET", "/agent/releases/{version}/{platform}/{file}"),
    ("GET", "/install.sh"),
    ("GET", "/api/v1/workspaces/{ws}/presets"),
    ("POST", "/api/v1/workspaces/{ws}/presets"),
    ("DELETE", "/api/v1/workspaces/{ws}/presets/{id}"),
    ("GET", "/api/v1/workspaces/{ws}/presets/{id}/state"),
    ("GET", "/api/v1/gifts"),
    ("POST", "/api/v1/workspaces/{ws}/overlay-tokens"),
    ("GET", "/api/v1/workspaces/{ws}/overlay-tokens"),
    ("DELETE", "/api/v1/workspaces/{ws}/overlay-tokens/{id}"),
    ("GET", "/install.ps1"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

#[actix_web::test]
async fn openapi_document_matches_the_routes() {
    let app = spawn_app().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("operations").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected, "document and routes differ");

    // Each documented operation is routed: it answers something other than "no such route".
    for (method, path) in &documented {
        let concrete = path
            .replace("{ws}", "ws_00000000000000000000000000")
            .replace("{user_id}", "usr_x")
            .replace("{id}", "key_x")
            .replace("{email}", "x@example.com");
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let res = app.call(method.clone(), &concrete, None, None).await;
        assert!(
            res.body["message"] != "no such route",
            "{method} {path} is documented but not routed"
        );
    }
}
