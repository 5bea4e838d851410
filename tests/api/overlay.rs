//! The viewer overlay's tokens and page: made once, listed without the token, the page shows
//! what each gift or word does, the games and the last actions, and a revoked token is 404.

use serde_json::json;

use crate::rules::setup;

#[actix_web::test]
async fn an_overlay_token_opens_a_read_only_page_until_it_is_revoked() {
    let mut s = setup().await;
    s.app
        .post(
            &format!("/workspaces/{}/rules", s.ws),
            &s.owner.token,
            json!({"name": "Rose", "when": {"event": "gift", "gift_name": "Rose"}, "then": {"device_id": s.dev, "command": "LAMP_ON", "duration_ms": 3000}}),
        )
        .await
        .expect(201);
    let game = s
        .app
        .post(
            &format!("/workspaces/{}/presets", s.ws),
            &s.owner.token,
            json!({"kind": "goal", "name": "Like race", "unit": "likes", "target": 100, "device_id": s.dev, "command": "CONFETTI"}),
        )
        .await
        .expect(201);
    let created = s
        .app
        .post(
            &format!("/workspaces/{}/overlay-tokens", s.ws),
            &s.owner.token,
            json!({"name": "OBS"}),
        )
        .await
        .expect(201);
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ovl_"));
    assert_eq!(created["url"], format!("/overlay/{token}"));
    let listed = s
        .app
        .get(
            &format!("/workspaces/{}/overlay-tokens", s.ws),
            &s.owner.token,
        )
        .await
        .expect(200);
    assert_eq!(listed[0]["name"], "OBS");
    assert!(
        !listed.to_string().contains(&token),
        "listed without the token"
    );

    // No login: the token opens the page.
    let (client, address) = (s.app.client.clone(), s.app.address.clone());
    let page = |path: String| {
        let (client, url) = (client.clone(), format!("{address}{path}"));
        async move { client.get(url).send().await.unwrap() }
    };
    let answer = page(format!("/overlay/{token}")).await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(html.contains("id=\"overlay\""));
    assert!(html.contains("🎁 Rose"), "{html}");
    assert!(html.contains("LAMP_ON · 3 s"));
    assert!(html.contains(&format!(
        "data-preset-id=\"{}\"",
        game["id"].as_str().unwrap()
    )));

    // An action shows in the panel.
    s.inject(json!({"event_type": "gift", "payload": {"gift_id": 5655, "gift_name": "Rose", "diamond_count": 1, "repeat_count": 1, "total_diamonds": 1}})).await;
    s.expect_command().await;
    // The command's row is written a moment after its frame leaves: wait for it.
    let panel_url = format!("/overlay/{token}/panel");
    let panel = crate::helpers::eventually("the action on the panel", || {
        let answer = page(panel_url.clone());
        async move {
            let panel = answer.await.text().await.ok()?;
            panel.contains("id=\"overlay-actions\"").then_some(panel)
        }
    })
    .await;
    assert!(panel.contains("LAMP_ON"), "{panel}");

    // Members who may not manage rules make no token; a revoked token is 404 at once.
    let viewer = s.app.user("viewer").await;
    s.app.add_member(&s.ws, &s.owner, &viewer, "viewer").await;
    s.app
        .post(
            &format!("/workspaces/{}/overlay-tokens", s.ws),
            &viewer.token,
            json!({"name": "Mine"}),
        )
        .await
        .expect(403);
    s.app
        .delete(
            &format!(
                "/workspaces/{}/overlay-tokens/{}",
                s.ws,
                created["id"].as_str().unwrap()
            ),
            &s.owner.token,
        )
        .await
        .expect(204);
    assert_eq!(page(format!("/overlay/{token}")).await.status(), 404);
    assert_eq!(page(format!("/overlay/{token}/panel")).await.status(), 404);
    assert_eq!(page("/overlay/ovl_nothing".to_owned()).await.status(), 404);
}
