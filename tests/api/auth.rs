//! Accounts: registration modes, login, rate limits, refresh rotation and reuse, logout, /me.

use base64::Engine as _;
use livectl::config::RegistrationMode;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

#[actix_web::test]
async fn first_account_is_platform_admin_and_later_ones_are_not() {
    let app = spawn_app().await;
    let first = app.register("first@example.com").await;
    assert_eq!(first["user"]["is_platform_admin"], true);
    assert!(
        first["user"]["id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("usr_")
    );
    assert!(first["user"].get("password_hash").is_none());
    let second = app.register("second@example.com").await;
    assert_eq!(second["user"]["is_platform_admin"], false);
}

#[actix_web::test]
async fn registration_rejects_duplicates_and_bad_passwords() {
    let app = spawn_app().await;
    app.register("dup@example.com").await;
    app.call(
        Method::POST,
        "/auth/register",
        None,
        Some(json!({"email": " DUP@example.com ", "password": PASSWORD})),
    )
    .await
    .expect_error(409, "CONFLICT");
    let short = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"email": "s@example.com", "password": "1234567"})),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
    assert!(short["details"]["fields"]["password"].is_string());
    // 72 bytes is the longest accepted; 73 is refused, never truncated.
    let max = "é".repeat(36);
    assert_eq!(max.len(), 72);
    app.call(
        Method::POST,
        "/auth/register",
        None,
        Some(json!({"email": "m@example.com", "password": max})),
    )
    .await
    .expect(201);
    let over = format!("{max}x");
    app.call(
        Method::POST,
        "/auth/register",
        None,
        Some(json!({"email": "o@example.com", "password": over})),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    app.call(
        Method::POST,
        "/auth/register",
        None,
        Some(json!({"email": "not-an-email", "password": PASSWORD})),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
}

#[actix_web::test]
async fn login_gives_the_same_answer_for_unknown_email_and_wrong_password() {
    let app = spawn_app().await;
    app.register("who@example.com").await;
    let tokens = app.login("WHO@example.com").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let wrong = app
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": "who@example.com", "password": "wrong password"})),
        )
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    let unknown = app
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": "nobody@example.com", "password": PASSWORD})),
        )
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    assert_eq!(wrong["message"], unknown["message"]);
}

#[actix_web::test]
async fn login_is_rate_limited_per_account_with_retry_after() {
    let app = spawn_app_with(|s| s.auth.login_attempts_per_account = 3).await;
    app.register("limited@example.com").await;
    for _ in 0..3 {
        app.call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": "limited@example.com", "password": "nope-nope"})),
        )
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    }
    let limited = app
        .call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": "limited@example.com", "password": PASSWORD})),
        )
        .await;
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
    limited.expect_error(429, "RATE_LIMITED");
    // Another account from the same address is not affected by this account's limit.
    app.register("other@example.com").await;
    app.login("other@example.com").await;
}

/// Security review L3: ten wrong passwords from a stranger's address used to lock the owner
/// out everywhere. The lock-out is per (account, address) and grows with each one.
#[actix_web::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let app = spawn_app_with(|s| {
        s.auth.login_attempts_per_account = 3;
        s.server.trusted_proxies =
            livectl::http::client_ip::TrustedProxies::try_from(vec!["127.0.0.1".to_owned()])
                .unwrap();
    })
    .await;
    app.register("owner@example.com").await;
    let stranger = [("x-forwarded-for", "203.0.113.66")];
    for _ in 0..3 {
        app.login_with_headers("owner@example.com", "wrong guess", &stranger)
            .await
            .expect_error(401, "INVALID_CREDENTIALS");
    }
    app.login_with_headers("owner@example.com", PASSWORD, &stranger)
        .await
        .expect_error(429, "RATE_LIMITED");
    // The owner, from another address, signs in as always.
    app.login_with_headers(
        "owner@example.com",
        PASSWORD,
        &[("x-forwarded-for", "198.51.100.5")],
    )
    .await
    .expect(200);
}

/// Security review M4: with a proxy in front, a client that writes its own
/// `X-Forwarded-For` (or `Forwarded`) must not get a fresh address for every attempt.
#[actix_web::test]
async fn spoofed_forwarded_headers_do_not_escape_the_address_limit() {
    for trusted in [vec![], vec!["127.0.0.1".to_owned()]] {
        let app = spawn_app_with(|s| {
            s.auth.login_attempts_per_address = 5;
            s.server.trusted_proxies =
                livectl::http::client_ip::TrustedProxies::try_from(trusted.clone()).unwrap();
        })
        .await;
        let mut limited = 0;
        for i in 0..12 {
            // The proxy (this test, on 127.0.0.1) appends the real client last.
            let spoofed = format!("203.0.113.{i}, 198.51.100.7");
            let forwarded = format!("for=192.0.2.{i}");
            let answer = app
                .login_with_headers(
                    &format!("u{i}@example.com"),
                    PASSWORD,
                    &[("x-forwarded-for", &spoofed), ("forwarded", &forwarded)],
                )
                .await;
            if answer.status == 429 {
                limited += 1;
            }
        }
        assert_eq!(limited, 7, "trusted proxies {trusted:?}");
    }
}

#[actix_web::test]
async fn login_is_rate_limited_per_address() {
    let app = spawn_app_with(|s| s.auth.login_attempts_per_address = 2).await;
    for i in 0..2 {
        app.call(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": format!("u{i}@example.com"), "password": PASSWORD})),
        )
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    }
    app.call(
        Method::POST,
        "/auth/login",
        None,
        Some(json!({"email": "u9@example.com", "password": PASSWORD})),
    )
    .await
    .expect_error(429, "RATE_LIMITED");
}

#[actix_web::test]
async fn me_lists_the_account_and_its_workspaces() {
    let app = spawn_app().await;
    let user = app.user("me").await;
    let ws = app.workspace(&user, "Mine").await;
    let me = app.get("/me", &user.token).await.expect(200);
    assert_eq!(me["user"]["email"], user.email.as_str());
    assert_eq!(
        me["workspaces"],
        json!([{"id": ws, "name": "Mine", "role": "owner"}])
    );
    app.call(Method::GET, "/me", None, None)
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

#[actix_web::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_family() {
    // No grace window: the replay below comes at once (the window has a test of its own).
    let app = spawn_app_with(|s| s.auth.refresh_reuse_grace_ms = 0).await;
    let user = app.user("rot").await;
    let first = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await
        .expect(200);
    let second_refresh = first["refresh_token"].as_str().expect("rt").to_owned();
    assert_ne!(second_refresh, user.refresh);
    app.get("/me", first["access_token"].as_str().expect("at"))
        .await
        .expect(200);

    // The old token again: reuse. The whole family dies, including the newest token.
    app.call(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": user.refresh})),
    )
    .await
    .expect_error(401, "TOKEN_REUSED");
    app.call(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": second_refresh})),
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
    // The access tokens of that sign-in die at once too, not 15 minutes later (security
    // review L1): the one the thief got, and the one the sign-in started with.
    for token in [first["access_token"].as_str().expect("at"), &user.token] {
        app.get("/me", token)
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
    // Another login (another family) is unaffected.
    let fresh = app.login(&user.email).await;
    app.call(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": fresh["refresh_token"]})),
    )
    .await
    .expect(200);
    app.call(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": "garbage"})),
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
}

#[actix_web::test]
async fn logout_revokes_the_refresh_token_and_denies_the_access_token() {
    let app = spawn_app().await;
    let user = app.user("bye").await;
    app.call(
        Method::POST,
        "/auth/logout",
        Some(&user.token),
        Some(json!({"refresh_token": user.refresh})),
    )
    .await
    .expect(204);
    app.get("/me", &user.token)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.call(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": user.refresh})),
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
    // Logout with no body at all works too, and ends the whole sign-in: an access token
    // renewed from it (another tab's) stops working as well.
    let again = app.login(&user.email).await;
    let token = again["access_token"].as_str().expect("at");
    let renewed = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": again["refresh_token"]})),
        )
        .await
        .expect(200);
    app.call(Method::POST, "/auth/logout", Some(token), None)
        .await
        .expect(204);
    for token in [token, renewed["access_token"].as_str().expect("at")] {
        app.get("/me", token)
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
}

#[actix_web::test]
async fn denied_tokens_stay_denied_after_a_restart_of_the_state() {
    let app = spawn_app().await;
    let user = app.user("persist").await;
    app.call(Method::POST, "/auth/logout", Some(&user.token), None)
        .await
        .expect(204);
    // A second server on the same database and secret loads the deny list.
    let second = app.sibling(|_| {}).await;
    second
        .get("/me", &user.token)
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

fn forge(secret: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("encode")
}

#[actix_web::test]
async fn expired_forged_and_unsigned_tokens_are_refused() {
    let app = spawn_app().await;
    let user = app.user("tok").await;
    let now = chrono::Utc::now().timestamp();
    let secret = app.jwt_secret();
    let expired = forge(
        &secret,
        json!({"sub": user.id, "jti": "j1", "iat": now - 2000, "exp": now - 1000, "typ": "access", "iss": "livectl", "aud": "livectl"}),
    );
    app.get("/me", &expired)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    let wrong_key = forge(
        "another secret entirely, 32 bytes+",
        json!({"sub": user.id, "jti": "j2", "iat": now, "exp": now + 600, "typ": "access", "iss": "livectl", "aud": "livectl"}),
    );
    app.get("/me", &wrong_key)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    let not_access = forge(
        &secret,
        json!({"sub": user.id, "jti": "j3", "iat": now, "exp": now + 600, "typ": "refresh", "iss": "livectl", "aud": "livectl"}),
    );
    app.get("/me", &not_access)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(
            json!({"sub": user.id, "jti": "j4", "iat": now, "exp": now + 600, "typ": "access"})
                .to_string()
        )
    );
    app.get("/me", &none)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.get("/me", "not.a.jwt")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    // Signed with the right key but naming no issuer or audience, another audience, a
    // lifetime past the configured one, or issued in the future: all refused.
    let base = json!({"sub": user.id, "jti": "j5", "iat": now, "exp": now + 600, "typ": "access", "iss": "livectl", "aud": "livectl"});
    let with = |changes: serde_json::Value| {
        let mut claims = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        forge(&secret, claims)
    };
    for changes in [
        json!({"iss": null}),
        json!({"aud": null}),
        json!({"aud": "another-service"}),
        json!({"iss": "someone-else"}),
        json!({"exp": now + 86_400 * 365}),
        json!({"iat": now + 3600, "exp": now + 4000}),
    ] {
        app.get("/me", &with(changes.clone()))
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
    // The same claims, untouched, are accepted: the refusals above are for what changed.
    app.get("/me", &with(json!({}))).await.expect(200);
    let res = app
        .client
        .get(app.url("/me"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 401);
    // The good token still works.
    app.get("/me", &user.token).await.expect(200);
}

#[actix_web::test]
async fn invite_only_registration() {
    let app = spawn_app_with(|s| s.auth.registration = RegistrationMode::Invite).await;
    // The very first account bootstraps the instance.
    let admin = app.user("admin").await;
    app.call(
        Method::POST,
        "/auth/register",
        None,
        Some(json!({"email": "guest@example.com", "password": PASSWORD})),
    )
    .await
    .expect_error(403, "NOT_INVITED");
    app.post(
        "/admin/invites",
        &admin.token,
        json!({"email": "Guest@example.com"}),
    )
    .await
    .expect(201);
    app.post(
        "/admin/invites",
        &admin.token,
        json!({"email": "guest@example.com"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    let list = app.get("/admin/invites", &admin.token).await.expect(200);
    assert_eq!(list[0]["email"], "guest@example.com");
    app.register("guest@example.com").await;
    // The invite was used up.
    assert_eq!(
        app.get("/admin/invites", &admin.token).await.expect(200),
        json!([])
    );
    app.post(
        "/admin/invites",
        &admin.token,
        json!({"email": "x@example.com"}),
    )
    .await
    .expect(201);
    app.delete("/admin/invites/x@example.com", &admin.token)
        .await
        .expect(204);
    app.delete("/admin/invites/x@example.com", &admin.token)
        .await
        .expect_error(404, "NOT_FOUND");
    let guest = app.login("guest@example.com").await;
    app.get(
        "/admin/invites",
        guest["access_token"].as_str().expect("at"),
    )
    .await
    .expect_error(403, "FORBIDDEN");
}

#[actix_web::test]
async fn closed_registration_refuses_everyone() {
    let app = spawn_app_with(|s| s.auth.registration = RegistrationMode::Closed).await;
    app.call(
        Method::POST,
        "/auth/register",
        None,
        Some(json!({"email": "a@example.com", "password": PASSWORD})),
    )
    .await
    .expect_error(403, "FORBIDDEN");
}

#[actix_web::test]
async fn a_refresh_token_replayed_within_the_grace_window_revokes_nothing() {
    let app = spawn_app().await;
    let user = app.user("grace").await;
    let first = app
        .call(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await
        .expect(200);
    // Another tab presents the same token a moment later: refused, but nothing is revoked.
    app.call(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": user.refresh})),
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
    app.call(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": first["refresh_token"]})),
    )
    .await
    .expect(200);
}

#[actix_web::test]
async fn registration_is_rate_limited_per_address() {
    let app = spawn_app_with(|s| s.auth.registrations_per_address = 2).await;
    for n in 0..2 {
        app.register(&format!("r{n}@example.com")).await;
    }
    let res = app
        .call(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"email": "r3@example.com", "password": PASSWORD})),
        )
        .await;
    assert!(res.headers.contains_key("retry-after"));
    res.expect_error(429, "RATE_LIMITED");
}

#[actix_web::test]
async fn blank_passwords_and_invisible_characters_are_refused() {
    let app = spawn_app().await;
    let register =
        |body: serde_json::Value| app.call(Method::POST, "/auth/register", None, Some(body));
    for (body, field) in [
        (
            json!({"email": "a@example.com", "password": "          "}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": "long enough\u{0}pw"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "name": "admin\u{202E}nimda"}),
            "name",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "name": "zero\u{200B}width"}),
            "name",
        ),
        (
            json!({"email": "a\u{200B}@example.com", "password": PASSWORD}),
            "email",
        ),
    ] {
        let err = register(body).await.expect_error(422, "VALIDATION_FAILED");
        assert!(err["details"]["fields"][field].is_string(), "{err}");
    }
    // A taken email is refused before any hashing, with the same answer as before.
    app.register("taken@example.com").await;
    register(json!({"email": "taken@example.com", "password": PASSWORD}))
        .await
        .expect_error(409, "CONFLICT");
}
