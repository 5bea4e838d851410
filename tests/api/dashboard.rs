//! The dashboard over plain HTTP: headers, cookies, CSRF and origin checks, the renewal race,
//! and the feed socket's cookie authentication. (What a browser shows is in `browser`.)

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::agents::next_json;
use crate::helpers::{PASSWORD, TestApp, TestUser, spawn_app, spawn_app_with};

/// A browser-like cookie jar over a client that does not follow redirects.
struct Visitor {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    base: String,
}

impl Visitor {
    fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            base: app.address.clone(),
        }
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(res.headers());
        res
    }

    async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        self.keep(res.headers());
        res
    }

    async fn sign_in(&mut self, email: &str) {
        let res = self
            .post(
                "/login",
                &[("email", email), ("password", PASSWORD), ("next", "/w")],
                &[],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(res.headers()["location"], "/w");
    }

    /// The CSRF token the pages carry.
    async fn csrf(&mut self, page: &str) -> String {
        let html = self.get(page).await.text().await.unwrap();
        let start = html
            .find("name=\"csrf-token\" content=\"")
            .expect("csrf meta")
            + 27;
        html[start..start + 64].to_owned()
    }
}

async fn owner_with_workspace(app: &TestApp) -> (TestUser, String) {
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Dash").await;
    (owner, ws)
}

#[actix_web::test]
async fn pages_carry_strict_headers_and_files_are_cached_forever() {
    let app = spawn_app().await;
    let (owner, ws) = owner_with_workspace(&app).await;
    let mut v = Visitor::new(&app);
    let login = v.get("/login").await;
    assert!(login.headers().contains_key("content-security-policy"));
    v.sign_in(&owner.email).await;
    for path in ["/w", &format!("/w/{ws}"), "/no/such/page"] {
        let res = v.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert!(h["vary"].to_str().unwrap().contains("HX-Request"));
    }
    let html = v.get(&format!("/w/{ws}")).await.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains(" style="),
        "no inline script or style"
    );
    let script = html
        .split("src=\"")
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(script.starts_with("/static/app."), "{script}");
    let res = v.get(&script).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(v.get("/favicon.ico").await.status().as_u16(), 200);
    assert_eq!(
        v.get("/static/app.0000000000.js").await.status().as_u16(),
        404
    );
    // The unknown-route answer stays JSON for API clients.
    let api = v.get("/api/v1/nope").await;
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

/// The `Set-Cookie` lines of a sign-in through the login form.
async fn login_set_cookies(app: &TestApp, email: &str) -> Vec<String> {
    let res = Visitor::new(app)
        .http
        .post(format!("{}/login", app.address))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn session_cookies_are_http_only_and_the_api_ignores_them() {
    let app = spawn_app().await;
    let owner = app.user("cookie").await;
    let v = Visitor::new(&app);
    let set = login_set_cookies(&app, &owner.email).await;
    let access = set
        .iter()
        .find(|c| c.starts_with("livectl_at="))
        .expect("access cookie");
    let refresh = set
        .iter()
        .find(|c| c.starts_with("livectl_rt="))
        .expect("refresh cookie");
    for c in [access, refresh] {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(!c.contains("Secure"), "no Secure flag on plain http: {c}");
    }
    assert!(
        access.contains("Path=/;") || access.ends_with("Path=/"),
        "{access}"
    );
    assert!(refresh.contains("Path=/auth/"), "{refresh}");
    let token = access
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("livectl_at=");
    let me = v
        .http
        .get(format!("{}/api/v1/me", app.address))
        .header("cookie", format!("livectl_at={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 401, "/api/v1 accepts only headers");

    // On https the cookies carry the prefixes and Secure.
    let secure = spawn_app_with(|s| s.server.public_url = "https://live.example.com".into()).await;
    let owner = secure.user("tls").await;
    let set = login_set_cookies(&secure, &owner.email).await;
    assert!(
        set.iter()
            .any(|c| c.starts_with("__Host-livectl_at=") && c.contains("Secure")),
        "{set:?}"
    );
    assert!(
        set.iter()
            .any(|c| c.starts_with("__Secure-livectl_rt=") && c.contains("Secure")),
        "{set:?}"
    );
}

#[actix_web::test]
async fn forged_and_cross_site_posts_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let (owner, ws) = owner_with_workspace(&app).await;
    let mut v = Visitor::new(&app);
    v.sign_in(&owner.email).await;
    let csrf = v.csrf(&format!("/w/{ws}")).await;
    let path = format!("/w/{ws}/kill-switch");
    // No token, then a made-up one.
    for form in [
        &[("engaged", "true")][..],
        &[("engaged", "true"), ("reason", "forged"), ("_csrf", "0000")][..],
    ] {
        let res = v.post(&path, form, &[]).await;
        assert_eq!(res.status().as_u16(), 403);
    }
    let good = [
        ("engaged", "true"),
        ("reason", "real"),
        ("_csrf", csrf.as_str()),
    ];
    for headers in [
        &[("origin", "http://evil.example")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("origin", "null")][..],
    ] {
        let res = v.post(&path, &good, headers).await;
        assert_eq!(res.status().as_u16(), 403, "{headers:?}");
    }
    assert!(!app.state.router.kill_engaged(&ws), "nothing changed");
    // The header form of the token (htmx) and a same-origin browser pass.
    let res = v
        .post(
            &path,
            &[("engaged", "true"), ("reason", "htmx")],
            &[
                ("x-csrf-token", csrf.as_str()),
                ("sec-fetch-site", "same-origin"),
                ("hx-request", "true"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.text().await.unwrap().contains("id=\"safety\""),
        "htmx gets the fragment"
    );
    assert!(app.state.router.kill_engaged(&ws));
    // Another user's token does not work for this session.
    let other = app.user("other").await;
    let mut w = Visitor::new(&app);
    w.sign_in(&other.email).await;
    let res = w
        .post("/w", &[("name", "x"), ("_csrf", csrf.as_str())], &[])
        .await;
    assert_eq!(res.status().as_u16(), 403);
    // Login from another site is refused too.
    let res = Visitor::new(&app)
        .post(
            "/login",
            &[("email", owner.email.as_str()), ("password", PASSWORD)],
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
}

#[actix_web::test]
async fn signed_out_pages_go_to_login_and_expired_sessions_renew_silently() {
    let app = spawn_app().await;
    let (owner, ws) = owner_with_workspace(&app).await;
    let mut v = Visitor::new(&app);
    let res = v.get(&format!("/w/{ws}/rules?x=1")).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/login?next=/w/{ws}/rules%3Fx%3D1")
    );
    v.sign_in(&owner.email).await;
    // The access cookie ran out (the browser dropped it): the marker sends through a renewal.
    v.cookies.remove("livectl_at");
    let res = v.get(&format!("/w/{ws}")).await;
    assert_eq!(res.status().as_u16(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/auth/session/refresh?next=/w/{ws}"));
    // Browsers send the refresh cookie to /auth/ only; this jar sends everything.
    let res = v.get(&to).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], format!("/w/{ws}"));
    assert!(v.cookies.contains_key("livectl_at"));
    assert_eq!(v.get(&format!("/w/{ws}")).await.status().as_u16(), 200);
    // htmx requests are told where to go instead of getting a login page swapped in.
    v.cookies.remove("livectl_at");
    v.cookies.remove("livectl_in");
    let res = v
        .http
        .get(format!("{}/w/{ws}/part/rules", app.address))
        .header("hx-request", "true")
        .header("hx-current-url", format!("{}/w/{ws}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["hx-redirect"], format!("/login?next=/w/{ws}"));
    // Signing out ends the sign-in: its refresh token no longer renews.
    let mut v = Visitor::new(&app);
    v.sign_in(&owner.email).await;
    let refresh = v.cookies["livectl_rt"].clone();
    let csrf = v.csrf("/w").await;
    let res = v.post("/logout", &[("_csrf", csrf.as_str())], &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(!v.cookies.contains_key("livectl_at") && !v.cookies.contains_key("livectl_rt"));
    app.call(
        reqwest::Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
}

#[actix_web::test]
async fn two_renewals_at_once_keep_the_sign_in_and_a_late_replay_revokes_it() {
    let app = spawn_app().await;
    let owner = app.user("race").await;
    let mut v = Visitor::new(&app);
    v.sign_in(&owner.email).await;
    let cookie = v.cookie_header();
    let renew = || {
        v.http
            .post(format!("{}/auth/session/refresh", app.address))
            .header("cookie", cookie.clone())
            .header("sec-fetch-site", "same-origin")
            .send()
    };
    let (a, b) = tokio::join!(renew(), renew());
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 409],
        "one renews, the other is told it lost the race"
    );
    // The winner's pair works: the sign-in was not revoked.
    let user = owner.id.clone();
    let live: i64 = app
        .state
        .db
        .run(move |conn| {
            use diesel::prelude::*;
            use livectl::db::schema::refresh_tokens as rt;
            Ok(rt::table
                .filter(rt::user_id.eq(&user))
                .filter(rt::revoked_at.is_null())
                .filter(rt::rotated_at.is_null())
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(live, 2, "the API login's token and the winner's new one");
    // From another site, renewal is refused.
    let res = v
        .http
        .post(format!("{}/auth/session/refresh", app.address))
        .header("cookie", cookie.clone())
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // Without a grace window, the replay is reuse: the sign-in is revoked.
    let strict = spawn_app_with(|s| s.auth.refresh_reuse_grace_ms = 0).await;
    let user = strict.user("strict").await;
    let first = strict
        .call(
            reqwest::Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await
        .expect(200);
    strict
        .call(
            reqwest::Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await
        .expect_error(401, "TOKEN_REUSED");
    strict
        .call(
            reqwest::Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": first["refresh_token"]})),
        )
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

#[actix_web::test]
async fn the_feed_takes_the_cookie_only_from_this_site() {
    let app = spawn_app().await;
    let (owner, ws) = owner_with_workspace(&app).await;
    let mut v = Visitor::new(&app);
    v.sign_in(&owner.email).await;
    let url = app.address.replace("http://", "ws://") + &format!("/ws/workspaces/{ws}/feed");
    let open = |origin: Option<&str>, query: &str| {
        let mut request = format!("{url}{query}").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("cookie", v.cookie_header().parse().unwrap());
        if let Some(o) = origin {
            request.headers_mut().insert("origin", o.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    let status = |r: Result<_, tokio_tungstenite::tungstenite::Error>| match r {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(other) => panic!("{other}"),
    };
    assert_eq!(
        status(open(Some("http://evil.example"), "").await.map(|_| ())),
        403
    );
    assert_eq!(
        status(open(None, "").await.map(|_| ())),
        403,
        "a cookie needs an Origin"
    );
    // The old URL credential is gone.
    let bare =
        tokio_tungstenite::connect_async(format!("{url}?access_token={}", owner.token)).await;
    assert_eq!(status(bare.map(|_| ())), 401);

    let (mut socket, _) = open(Some(&app.address), "")
        .await
        .expect("our own pages may");
    app.post(
        &format!("/workspaces/{ws}/kill-switch"),
        &owner.token,
        json!({"engaged": true, "reason": "feed"}),
    )
    .await
    .expect(200);
    let frame = next_json(&mut socket).await.expect("a frame");
    assert_eq!(frame["type"], "kill_switch", "{frame}");
    assert_eq!(frame["engaged"], true);
    assert_eq!(frame["reason"], "feed");
    assert_eq!(frame["changed_by"], owner.id);
}

#[actix_web::test]
async fn api_answers_are_never_cached_and_https_pins_itself() {
    let app = spawn_app().await;
    let owner = app.user("headers").await;
    let res = app
        .call(
            reqwest::Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": owner.email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        res.headers["cache-control"], "no-store",
        "token answers are not cached"
    );
    assert_eq!(res.headers["x-content-type-options"], "nosniff");
    assert_eq!(res.headers["referrer-policy"], "same-origin");
    assert!(
        !res.headers.contains_key("strict-transport-security"),
        "no HSTS on plain http"
    );
    let secure = spawn_app_with(|s| s.server.public_url = "https://live.example.com".into()).await;
    let res = secure
        .call(reqwest::Method::GET, "/healthz", None, None)
        .await;
    assert_eq!(res.headers["strict-transport-security"], "max-age=31536000");
}

#[actix_web::test]
async fn metrics_with_a_token_need_the_token() {
    let app =
        spawn_app_with(|s| s.metrics.token = livectl::config::Secret::new("a-metrics-token")).await;
    let url = app.url("/metrics");
    assert_eq!(
        app.client.get(&url).send().await.unwrap().status().as_u16(),
        401
    );
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = app
        .client
        .get(&url)
        .bearer_auth("a-metrics-token")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
}
