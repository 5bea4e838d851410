//! `/me`: name, preferences, password change and sign-ins.

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn name_and_preferences_are_kept_and_checked() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let me = app
        .patch(
            "/me",
            &ana.token,
            json!({"name": "Ana Trần", "preferences": {"language": "vi", "confirm_before_stop": true, "kill_shortcut": "shift+ctrl+s", "feed_density": "compact"}}),
        )
        .await
        .expect(200);
    assert_eq!(me["name"], "Ana Trần");
    assert_eq!(me["preferences"]["language"], "vi");
    assert_eq!(me["preferences"]["kill_shortcut"], "Ctrl+Shift+S");
    assert_eq!(me["preferences"]["reduced_motion"], false);
    let read = app.get("/me", &ana.token).await.expect(200);
    assert_eq!(read["user"]["preferences"]["feed_density"], "compact");

    let bad = app
        .patch(
            "/me",
            &ana.token,
            json!({"preferences": {"kill_shortcut": "S"}}),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
    assert!(bad["details"]["fields"]["kill_shortcut"].is_string());
    app.patch("/me", &ana.token, json!({"name": "  "}))
        .await
        .expect_error(422, "VALIDATION_FAILED");
    app.patch(
        "/me",
        &ana.token,
        json!({"preferences": {"language": "fr"}}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
}

#[actix_web::test]
async fn a_password_change_ends_every_other_sign_in() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let other = app.login(&ana.email).await;
    let other_token = other["access_token"].as_str().unwrap().to_owned();
    let sign_ins = app.get("/me/sign-ins", &ana.token).await.expect(200);
    assert_eq!(sign_ins.as_array().unwrap().len(), 2);
    assert_eq!(
        sign_ins
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == true)
            .count(),
        1
    );

    let wrong = app
        .post(
            "/me/password",
            &ana.token,
            json!({"current_password": "not it at all", "new_password": "a new long password"}),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
    assert!(wrong["details"]["fields"]["current_password"].is_string());
    let short = app
        .post(
            "/me/password",
            &ana.token,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await
        .expect_error(422, "VALIDATION_FAILED");
    assert!(short["details"]["fields"]["new_password"].is_string());

    app.post(
        "/me/password",
        &ana.token,
        json!({"current_password": PASSWORD, "new_password": "a new long password"}),
    )
    .await
    .expect(204);
    // The other sign-in is over: its access token and its refresh token both stop working.
    app.get("/me", &other_token)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.post(
        "/auth/refresh",
        "",
        json!({"refresh_token": other["refresh_token"]}),
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
    // This one goes on, and the new password signs in.
    app.get("/me", &ana.token).await.expect(200);
    let sign_ins = app.get("/me/sign-ins", &ana.token).await.expect(200);
    assert_eq!(sign_ins.as_array().unwrap().len(), 1);
    app.call(
        reqwest::Method::POST,
        "/auth/login",
        None,
        Some(json!({"email": ana.email, "password": "a new long password"})),
    )
    .await
    .expect(200);
}

#[actix_web::test]
async fn sign_ins_end_one_by_one_or_all_at_once() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let second = app.login(&ana.email).await;
    let second_token = second["access_token"].as_str().unwrap().to_owned();
    let listed = app.get("/me/sign-ins", &ana.token).await.expect(200);
    let other_id = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .unwrap();
    // Somebody else's sign-in is not found.
    app.delete(&format!("/me/sign-ins/{other_id}"), &bob.token)
        .await
        .expect_error(404, "NOT_FOUND");
    app.delete(&format!("/me/sign-ins/{other_id}"), &ana.token)
        .await
        .expect(204);
    app.get("/me", &second_token)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.get("/me", &ana.token).await.expect(200);

    let third = app.login(&ana.email).await;
    app.delete("/me/sign-ins", &ana.token).await.expect(204);
    app.get("/me", &ana.token)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.get("/me", third["access_token"].as_str().unwrap())
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.get("/me", &bob.token).await.expect(200);
}
