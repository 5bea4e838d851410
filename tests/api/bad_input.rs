//! Bad input of every kind gets its contract error: never a 500, never a partial write.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn malformed_wrong_typed_unknown_and_empty_bodies() {
    let app = spawn_app().await;
    let user = app.user("bad").await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{\"name\":".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            "application/json",
            b"not json at all".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            "application/json",
            b"{\"name\":\"a\"} trailing".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        ("application/json", b"".to_vec(), 400, "BAD_REQUEST"),
        ("application/json", b"   ".to_vec(), 400, "BAD_REQUEST"),
        (
            "text/plain",
            b"{\"name\":\"a\"}".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            "application/json",
            b"{\"name\":42}".to_vec(),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "application/json",
            b"{\"name\":null}".to_vec(),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "application/json",
            b"[1,2,3]".to_vec(),
            422,
            "VALIDATION_FAILED",
        ),
        ("application/json", b"{}".to_vec(), 422, "VALIDATION_FAILED"),
        (
            "application/json",
            b"{\"name\":\"a\",\"owner\":\"me\"}".to_vec(),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "application/json",
            b"{\"name\":\"\"}".to_vec(),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "application/json",
            b"{\"name\":\"   \"}".to_vec(),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "application/json",
            b"{\"name\":\"a\\u0000b\"}".to_vec(),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "application/json",
            "{\"name\":\"\u{1F600}\"}".as_bytes().to_vec(),
            201,
            "",
        ),
        (
            "application/json",
            format!("{{\"name\":\"{}\"}}", "x".repeat(101)).into_bytes(),
            422,
            "VALIDATION_FAILED",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let res = app
            .raw(
                Method::POST,
                "/workspaces",
                Some(&user.token),
                content_type,
                body,
            )
            .await;
        assert_eq!(
            res.status.as_u16(),
            status,
            "{content_type} {shown}: {}",
            res.body
        );
        if !code.is_empty() {
            assert_eq!(res.code(), code, "{shown}");
        }
    }
    let fields = app
        .raw(
            Method::POST,
            "/workspaces",
            Some(&user.token),
            "application/json",
            b"{\"name\":42}".to_vec(),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
    assert!(fields["details"]["fields"]["name"].is_string(), "{fields}");
    // Only the one valid workspace exists.
    let list = app.get("/workspaces", &user.token).await.expect(200);
    assert_eq!(list.as_array().expect("list").len(), 1);
}

#[actix_web::test]
async fn oversize_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let user = app.user("big").await;
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(10 * 1024 * 1024));
    app.raw(
        Method::POST,
        "/workspaces",
        Some(&user.token),
        "application/json",
        huge.into_bytes(),
    )
    .await
    .expect_error(413, "PAYLOAD_TOO_LARGE");
    let just_over = format!("{{\"name\":\"{}\"}}", "x".repeat(64 * 1024));
    app.raw(
        Method::POST,
        "/auth/login",
        None,
        "application/json",
        just_over.into_bytes(),
    )
    .await
    .expect_error(413, "PAYLOAD_TOO_LARGE");
    // The server is still fine.
    app.get("/me", &user.token).await.expect(200);
}

#[actix_web::test]
async fn sql_metacharacters_and_unicode_are_just_text() {
    let app = spawn_app().await;
    let user = app.user("sql").await;
    let names = [
        "'; DROP TABLE workspaces; --",
        "Robert\"); DELETE FROM users; --",
        "% _ \\ LIKE",
        "Ｗｏｒｋｓｐａｃｅ 工作区 🚀",
        "\u{FDFA} ﷺ",
    ];
    for name in names {
        let created = app
            .post("/workspaces", &user.token, json!({"name": name}))
            .await
            .expect(201);
        assert_eq!(created["name"], name.trim());
    }
    let list = app.get("/workspaces", &user.token).await.expect(200);
    assert_eq!(list.as_array().expect("list").len(), names.len());
    // A name that reads as another (a bidi override) is refused.
    app.post(
        "/workspaces",
        &user.token,
        json!({"name": "\u{202E}reversed"}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    // Emails with quotes cannot log anyone in.
    app.call(
        Method::POST,
        "/auth/login",
        None,
        Some(json!({"email": "' OR '1'='1", "password": PASSWORD})),
    )
    .await
    .expect_error(401, "INVALID_CREDENTIALS");
    app.call(
        Method::POST,
        "/auth/register",
        None,
        Some(json!({"email": "x'--@example.com", "password": PASSWORD})),
    )
    .await
    .expect(201);
    // Path segments with junk are simply not found.
    for path in [
        "/workspaces/'%20OR%201=1",
        "/workspaces/ws_%27%3B",
        "/workspaces/%F0%9F%9A%80",
    ] {
        app.get(path, &user.token)
            .await
            .expect_error(404, "NOT_FOUND");
    }
}

#[actix_web::test]
async fn negative_huge_and_wrong_numbers_in_queries() {
    let app = spawn_app().await;
    let user = app.user("num").await;
    let ws = app.workspace(&user, "Numbers").await;
    for query in [
        "limit=-1",
        "limit=0",
        "limit=201",
        "limit=99999999999999999999999",
        "limit=abc",
        "unknown=1",
    ] {
        app.get(&format!("/workspaces/{ws}/audit?{query}"), &user.token)
            .await
            .expect_error(422, "VALIDATION_FAILED");
    }
    app.get(&format!("/workspaces/{ws}/audit?limit=200"), &user.token)
        .await
        .expect(200);
}

#[actix_web::test]
async fn revoked_api_keys_and_garbage_headers() {
    let app = spawn_app().await;
    let user = app.user("hdr").await;
    let ws = app.workspace(&user, "H").await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/workspaces/{ws}")))
        .header("x-api-key", "pk_".to_owned() + &"a".repeat(500))
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .get(app.url(&format!("/api/v1/workspaces/{ws}")))
        .header("authorization", "Bearer ")
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 401);
}

#[actix_web::test]
async fn concurrent_refreshes_of_one_token_let_at_most_one_through() {
    let app = spawn_app().await;
    let user = app.user("race").await;
    let calls = (0..8).map(|_| {
        app.call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
    });
    let answers = futures_util::future::join_all(calls).await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    assert!(ok <= 1, "{ok} refreshes succeeded");
    for a in &answers {
        assert!(matches!(a.status.as_u16(), 200 | 401), "{}", a.body);
    }
}
