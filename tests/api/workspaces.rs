//! Workspaces, members, API keys, audit, suspension, plans and tenant isolation.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn workspace_lifecycle() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let created = app
        .post("/workspaces", &owner.token, json!({"name": "Studio"}))
        .await
        .expect(201);
    assert_eq!(created["role"], "owner");
    assert_eq!(created["plan"], "unlimited");
    assert_eq!(created["kill_switch"]["engaged"], false);
    let ws = created["id"].as_str().expect("id").to_owned();
    assert!(ws.starts_with("ws_"));
    app.post("/workspaces", &owner.token, json!({"name": "Studio"}))
        .await
        .expect_error(409, "CONFLICT");

    let list = app.get("/workspaces", &owner.token).await.expect(200);
    assert_eq!(list, json!([{"id": ws, "name": "Studio", "role": "owner"}]));
    let renamed = app
        .patch(
            &format!("/workspaces/{ws}"),
            &owner.token,
            json!({"name": "Studio 2", "settings": {"theme": "dark"}}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["name"], "Studio 2");
    assert_eq!(renamed["settings"]["theme"], "dark");
    app.patch(
        &format!("/workspaces/{ws}"),
        &owner.token,
        json!({"settings": [1]}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");

    let usage = app
        .get(&format!("/workspaces/{ws}/usage"), &owner.token)
        .await
        .expect(200);
    assert_eq!(usage["plan"], "unlimited");
    assert_eq!(
        usage["usage"],
        json!({"livestreams": 0, "rules": 0, "devices": 0, "members": 1, "commands_last_minute": 0})
    );
    assert!(usage["limits"]["members"].is_null());

    app.delete(&format!("/workspaces/{ws}"), &owner.token)
        .await
        .expect(204);
    app.get(&format!("/workspaces/{ws}"), &owner.token)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn members_roles_and_the_last_owner() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let admin = app.user("admin").await;
    let viewer = app.user("viewer").await;
    let ws = app.workspace(&owner, "Team").await;
    app.add_member(&ws, &owner, &admin, "admin").await;
    app.add_member(&ws, &admin, &viewer, "viewer").await;
    app.post(
        &format!("/workspaces/{ws}/members"),
        &owner.token,
        json!({"email": viewer.email, "role": "viewer"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    app.post(
        &format!("/workspaces/{ws}/members"),
        &owner.token,
        json!({"email": "ghost@example.com", "role": "viewer"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");

    let members = app
        .get(&format!("/workspaces/{ws}/members"), &viewer.token)
        .await
        .expect(200);
    assert_eq!(members.as_array().expect("list").len(), 3);

    // Admins cannot grant, change or remove the owner role.
    app.patch(
        &format!("/workspaces/{ws}/members/{}", viewer.id),
        &admin.token,
        json!({"role": "owner"}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    app.patch(
        &format!("/workspaces/{ws}/members/{}", owner.id),
        &admin.token,
        json!({"role": "viewer"}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    app.delete(
        &format!("/workspaces/{ws}/members/{}", owner.id),
        &admin.token,
    )
    .await
    .expect_error(403, "FORBIDDEN");
    let changed = app
        .patch(
            &format!("/workspaces/{ws}/members/{}", viewer.id),
            &admin.token,
            json!({"role": "operator"}),
        )
        .await
        .expect(200);
    assert_eq!(changed["role"], "operator");

    // The last owner can neither step down nor leave.
    app.patch(
        &format!("/workspaces/{ws}/members/{}", owner.id),
        &owner.token,
        json!({"role": "admin"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    app.delete(
        &format!("/workspaces/{ws}/members/{}", owner.id),
        &owner.token,
    )
    .await
    .expect_error(409, "CONFLICT");

    // Transfer: the admin becomes owner, the old owner admin.
    app.post(
        &format!("/workspaces/{ws}/transfer"),
        &owner.token,
        json!({"user_id": admin.id}),
    )
    .await
    .expect(200);
    let me = app
        .get(&format!("/workspaces/{ws}"), &owner.token)
        .await
        .expect(200);
    assert_eq!(me["role"], "admin");
    let them = app
        .get(&format!("/workspaces/{ws}"), &admin.token)
        .await
        .expect(200);
    assert_eq!(them["role"], "owner");

    // Anyone may leave.
    app.delete(
        &format!("/workspaces/{ws}/members/{}", viewer.id),
        &viewer.token,
    )
    .await
    .expect(204);
    app.get(&format!("/workspaces/{ws}"), &viewer.token)
        .await
        .expect_error(404, "NOT_FOUND");

    let audit = app
        .get(&format!("/workspaces/{ws}/audit?kind=member"), &admin.token)
        .await
        .expect(200);
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "member.left",
            "member.role_changed",
            "member.added",
            "member.added"
        ]
    );
    let item = &audit["items"][0];
    assert_eq!(item["actor"], json!({"type": "user", "id": viewer.id}));
    assert_eq!(item["target"], viewer.id.as_str());
}

#[actix_web::test]
async fn audit_pages_newest_first() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Audited").await;
    for i in 0..5 {
        app.patch(
            &format!("/workspaces/{ws}"),
            &owner.token,
            json!({"name": format!("N{i}")}),
        )
        .await
        .expect(200);
    }
    let first = app
        .get(&format!("/workspaces/{ws}/audit?limit=2"), &owner.token)
        .await
        .expect(200);
    assert_eq!(first["items"].as_array().expect("items").len(), 2);
    assert_eq!(first["items"][0]["details"]["name"], "N4");
    let before = first["next_before"].as_str().expect("cursor");
    let second = app
        .get(
            &format!("/workspaces/{ws}/audit?limit=2&before={before}"),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(second["items"][0]["details"]["name"], "N2");
    let exact = app
        .get(
            &format!("/workspaces/{ws}/audit?kind=workspace.created"),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(exact["items"].as_array().expect("items").len(), 1);
    app.get(&format!("/workspaces/{ws}/audit?limit=0"), &owner.token)
        .await
        .expect_error(422, "VALIDATION_FAILED");
}

#[actix_web::test]
async fn api_keys_are_shown_once_scoped_and_revocable() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Keys").await;
    let other_ws = app.workspace(&owner, "Other").await;
    let created = app
        .post(
            &format!("/workspaces/{ws}/api-keys"),
            &owner.token,
            json!({"name": "ci", "scopes": ["read"]}),
        )
        .await
        .expect(201);
    let key = created["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("pk_") && key.len() >= 35);
    let list = app
        .get(&format!("/workspaces/{ws}/api-keys"), &owner.token)
        .await
        .expect(200);
    assert!(
        !list.to_string().contains(&key),
        "the key is shown once only"
    );
    assert_eq!(list[0]["scopes"], json!(["read"]));

    // Read scope: reads, nothing else; another workspace does not exist for it.
    app.get(&format!("/workspaces/{ws}"), &key)
        .await
        .expect(200);
    app.get(&format!("/workspaces/{ws}/members"), &key)
        .await
        .expect(200);
    app.patch(&format!("/workspaces/{ws}"), &key, json!({"name": "x"}))
        .await
        .expect_error(403, "FORBIDDEN");
    app.get(&format!("/workspaces/{other_ws}"), &key)
        .await
        .expect_error(404, "NOT_FOUND");
    // Never above admin: no owner actions even with every scope.
    let all = app
        .post(
            &format!("/workspaces/{ws}/api-keys"),
            &owner.token,
            json!({"name": "all", "scopes": ["read", "events:write", "rules:write", "livestreams:write"]}),
        )
        .await
        .expect(201);
    let all_key = all["key"].as_str().expect("key");
    app.get(&format!("/workspaces/{ws}/api-keys"), all_key)
        .await
        .expect_error(403, "FORBIDDEN");
    app.delete(&format!("/workspaces/{ws}"), all_key)
        .await
        .expect_error(403, "FORBIDDEN");
    app.get("/me", all_key).await.expect_error(403, "FORBIDDEN");

    let id = created["id"].as_str().expect("id");
    app.delete(&format!("/workspaces/{ws}/api-keys/{id}"), &owner.token)
        .await
        .expect(204);
    app.get(&format!("/workspaces/{ws}"), &key)
        .await
        .expect_error(401, "INVALID_API_KEY");
    app.get(&format!("/workspaces/{ws}"), "pk_nonsense")
        .await
        .expect_error(401, "INVALID_API_KEY");
    app.post(
        &format!("/workspaces/{ws}/api-keys"),
        &owner.token,
        json!({"name": "x", "scopes": ["root"]}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
    app.post(
        &format!("/workspaces/{ws}/api-keys"),
        &owner.token,
        json!({"name": "x", "scopes": []}),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
}

#[actix_web::test]
async fn suspension_locks_members_out_until_lifted() {
    let app = spawn_app().await;
    let platform = app.user("platform").await; // first account: platform admin
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner, "Naughty").await;
    app.post(
        &format!("/admin/workspaces/{ws}/suspend"),
        &owner.token,
        json!({"reason": "x"}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    let suspended = app
        .post(
            &format!("/admin/workspaces/{ws}/suspend"),
            &platform.token,
            json!({"reason": "unpaid"}),
        )
        .await
        .expect(200);
    assert_eq!(suspended["suspended"]["reason"], "unpaid");
    for path in [
        format!("/workspaces/{ws}"),
        format!("/workspaces/{ws}/members"),
        format!("/workspaces/{ws}/audit"),
    ] {
        app.get(&path, &owner.token)
            .await
            .expect_error(403, "WORKSPACE_SUSPENDED");
    }
    app.delete(&format!("/workspaces/{ws}"), &owner.token)
        .await
        .expect_error(403, "WORKSPACE_SUSPENDED");
    // A stranger still learns nothing.
    let stranger = app.user("stranger").await;
    app.get(&format!("/workspaces/{ws}"), &stranger.token)
        .await
        .expect_error(404, "NOT_FOUND");
    app.call(
        Method::POST,
        &format!("/admin/workspaces/{ws}/unsuspend"),
        Some(&platform.token),
        None,
    )
    .await
    .expect(200);
    let view = app
        .get(&format!("/workspaces/{ws}"), &owner.token)
        .await
        .expect(200);
    assert!(view["suspended"].is_null());
    app.post(
        "/admin/workspaces/ws_00000000000000000000000000/suspend",
        &platform.token,
        json!({}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

/// Security review L6: on an instance whose new workspaces are free, one account cannot add
/// up many free workspaces into a bigger plan. The platform admin is not limited.
#[actix_web::test]
async fn the_default_plan_caps_the_workspaces_an_account_creates() {
    let app = spawn_app_with(|s| s.plans.default = livectl::workspaces::plans::Plan::Free).await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    app.workspace(&owner, "First").await;
    let refused = app
        .post("/workspaces", &owner.token, json!({"name": "Second"}))
        .await
        .expect_error(402, "PLAN_LIMIT_REACHED");
    assert_eq!(refused["details"]["limit"], 1);
    assert_eq!(refused["details"]["current"], 1);
    assert_eq!(refused["details"]["plan"], "free");
    let listed = app.get("/workspaces", &owner.token).await.expect(200);
    assert_eq!(listed.as_array().expect("list").len(), 1);
    app.workspace(&platform, "Ops one").await;
    app.workspace(&platform, "Ops two").await;
    let usage = app
        .get(
            &format!("/workspaces/{}/usage", listed[0]["id"].as_str().unwrap()),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(usage["limits"]["workspaces"], 1);
}

/// Security review L10: adding a member says whether an email has an account; anyone can own
/// a workspace, so the answers are paced per account.
#[actix_web::test]
async fn probing_emails_through_add_member_is_paced() {
    let app = spawn_app_with(|s| s.auth.member_adds_per_minute = 3).await;
    let prober = app.user("prober").await;
    let ws = app.workspace(&prober, "Probe").await;
    for i in 0..3 {
        app.post(
            &format!("/workspaces/{ws}/members"),
            &prober.token,
            json!({"email": format!("guess{i}@example.com"), "role": "viewer"}),
        )
        .await
        .expect_error(404, "NOT_FOUND");
    }
    let limited = app
        .post(
            &format!("/workspaces/{ws}/members"),
            &prober.token,
            json!({"email": "guess9@example.com", "role": "viewer"}),
        )
        .await;
    assert!(limited.headers.contains_key("retry-after"));
    limited.expect_error(429, "RATE_LIMITED");
}

#[actix_web::test]
async fn plan_limits_members_with_details() {
    let app = spawn_app().await;
    let platform = app.user("platform").await;
    let owner = app.user("owner").await;
    let second = app.user("second").await;
    let third = app.user("third").await;
    let ws = app.workspace(&owner, "Free").await;
    let plan = app
        .call(
            Method::PUT,
            &format!("/admin/workspaces/{ws}/plan"),
            Some(&platform.token),
            Some(json!({"plan": "free"})),
        )
        .await
        .expect(200);
    assert_eq!(plan["plan"], "free");
    app.add_member(&ws, &owner, &second, "viewer").await;
    let refused = app
        .post(
            &format!("/workspaces/{ws}/members"),
            &owner.token,
            json!({"email": third.email, "role": "viewer"}),
        )
        .await
        .expect_error(402, "PLAN_LIMIT_REACHED");
    assert_eq!(refused["details"]["limit"], 2);
    assert_eq!(refused["details"]["current"], 2);
    assert_eq!(refused["details"]["plan"], "free");
    // Nothing was written by the refused call.
    let members = app
        .get(&format!("/workspaces/{ws}/members"), &owner.token)
        .await
        .expect(200);
    assert_eq!(members.as_array().expect("list").len(), 2);
    let audit = app
        .get(
            &format!("/workspaces/{ws}/audit?kind=member.added"),
            &owner.token,
        )
        .await
        .expect(200);
    assert_eq!(audit["items"].as_array().expect("items").len(), 1);
    let usage = app
        .get(&format!("/workspaces/{ws}/usage"), &owner.token)
        .await
        .expect(200);
    assert_eq!(usage["limits"]["members"], 2);
    assert_eq!(usage["limits"]["commands_per_minute"], 60);
    app.call(
        Method::PUT,
        &format!("/admin/workspaces/{ws}/plan"),
        Some(&platform.token),
        Some(json!({"plan": "gold"})),
    )
    .await
    .expect_error(422, "VALIDATION_FAILED");
}

/// A member of A asking for anything of B gets 404, never B's data.
#[actix_web::test]
async fn tenants_are_isolated() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a = app.workspace(&alice, "A").await;
    let b = app.workspace(&bob, "B").await;
    let b_key = app
        .post(
            &format!("/workspaces/{b}/api-keys"),
            &bob.token,
            json!({"name": "k", "scopes": ["read"]}),
        )
        .await
        .expect(201);
    let b_key_id = b_key["id"].as_str().expect("id");
    let b_ls = app
        .post(
            &format!("/workspaces/{b}/livestreams"),
            &bob.token,
            json!({"target": "bobs"}),
        )
        .await
        .expect(201);
    let b_ls = b_ls["id"].as_str().expect("id");
    let b_dev = app
        .post(
            &format!("/workspaces/{b}/devices"),
            &bob.token,
            json!({"name": "bobs board", "transport": "agent", "allowed_commands": ["A"]}),
        )
        .await
        .expect(201);
    let b_dev = b_dev["device"]["id"].as_str().expect("id");
    let b_rule = app
        .post(
            &format!("/workspaces/{b}/rules"),
            &bob.token,
            json!({"name": "bobs rule", "when": {"event": "comment"}, "then": {"command": "A"}}),
        )
        .await
        .expect(201);
    let b_rule = b_rule["id"].as_str().expect("id");
    let probes: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/workspaces/{b}"), None),
        (
            Method::PATCH,
            format!("/workspaces/{b}"),
            Some(json!({"name": "pwned"})),
        ),
        (Method::DELETE, format!("/workspaces/{b}"), None),
        (Method::GET, format!("/workspaces/{b}/usage"), None),
        (Method::GET, format!("/workspaces/{b}/members"), None),
        (
            Method::POST,
            format!("/workspaces/{b}/members"),
            Some(json!({"email": alice.email, "role": "owner"})),
        ),
        (
            Method::PATCH,
            format!("/workspaces/{b}/members/{}", bob.id),
            Some(json!({"role": "viewer"})),
        ),
        (
            Method::DELETE,
            format!("/workspaces/{b}/members/{}", bob.id),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/transfer"),
            Some(json!({"user_id": alice.id})),
        ),
        (Method::GET, format!("/workspaces/{b}/api-keys"), None),
        (
            Method::POST,
            format!("/workspaces/{b}/api-keys"),
            Some(json!({"name": "x", "scopes": ["read"]})),
        ),
        (
            Method::DELETE,
            format!("/workspaces/{b}/api-keys/{b_key_id}"),
            None,
        ),
        (Method::GET, format!("/workspaces/{b}/audit"), None),
        (Method::GET, format!("/workspaces/{b}/livestreams"), None),
        (
            Method::POST,
            format!("/workspaces/{b}/livestreams"),
            Some(json!({"target": "x1"})),
        ),
        (
            Method::GET,
            format!("/workspaces/{b}/livestreams/{b_ls}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/workspaces/{b}/livestreams/{b_ls}"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/livestreams/{b_ls}/connect"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/livestreams/{b_ls}/disconnect"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/livestreams/{b_ls}/events"),
            Some(json!({"event_type": "comment", "payload": {"text": "x"}})),
        ),
        (Method::GET, format!("/workspaces/{b}/devices"), None),
        (
            Method::GET,
            format!("/workspaces/{b}/devices/{b_dev}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/workspaces/{b}/devices/{b_dev}"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/devices/{b_dev}/token"),
            None,
        ),
        (
            Method::DELETE,
            format!("/workspaces/{b}/devices/{b_dev}/token"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/devices"),
            Some(json!({"name": "x", "transport": "agent", "allowed_commands": ["A"]})),
        ),
        (Method::GET, format!("/workspaces/{b}/rules"), None),
        (Method::GET, format!("/workspaces/{b}/rules/{b_rule}"), None),
        (
            Method::PUT,
            format!("/workspaces/{b}/rules/{b_rule}"),
            Some(json!({"name": "x", "when": {"event": "comment"}, "then": {"command": "A"}})),
        ),
        (
            Method::DELETE,
            format!("/workspaces/{b}/rules/{b_rule}"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/rules/{b_rule}/disable"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{b}/rules/test"),
            Some(json!({"event": {"event_type": "comment", "payload": {"text": "x"}}})),
        ),
        (Method::GET, format!("/workspaces/{a}/rules/{b_rule}"), None),
        (
            Method::POST,
            format!("/workspaces/{a}/rules/{b_rule}/enable"),
            None,
        ),
        (Method::GET, format!("/workspaces/{b}/kill-switch"), None),
        (
            Method::POST,
            format!("/workspaces/{b}/kill-switch"),
            Some(json!({"engaged": true})),
        ),
        (Method::GET, format!("/workspaces/{b}/commands"), None),
        (
            Method::GET,
            format!("/workspaces/{a}/devices/{b_dev}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/workspaces/{a}/devices/{b_dev}/token"),
            None,
        ),
        // Alice's own workspace path with Bob's livestream id: still not found.
        (
            Method::GET,
            format!("/workspaces/{a}/livestreams/{b_ls}"),
            None,
        ),
        (
            Method::POST,
            format!("/workspaces/{a}/livestreams/{b_ls}/events"),
            Some(json!({"event_type": "comment", "payload": {"text": "x"}})),
        ),
    ];
    for (method, path, body) in probes {
        let res = app
            .call(method.clone(), &path, Some(&alice.token), body)
            .await;
        let text = res.body.to_string();
        res.expect_error(404, "NOT_FOUND");
        assert!(
            !text.contains("\"B\"") && !text.contains("bobs"),
            "{method} {path} leaked: {text}"
        );
    }
    // Alice's own workspace is unaffected, Bob's still intact.
    app.get(&format!("/workspaces/{a}"), &alice.token)
        .await
        .expect(200);
    let still = app
        .get(&format!("/workspaces/{b}"), &bob.token)
        .await
        .expect(200);
    assert_eq!(still["name"], "B");
    let bob_key = b_key["key"].as_str().expect("key");
    app.get(&format!("/workspaces/{b}"), bob_key)
        .await
        .expect(200);
}

#[actix_web::test]
async fn an_api_key_stops_when_its_creator_is_no_longer_the_owner() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let heir = app.user("heir").await;
    let ws = app.workspace(&owner, "Keys").await;
    app.add_member(&ws, &owner, &heir, "admin").await;
    let key = app
        .post(
            &format!("/workspaces/{ws}/api-keys"),
            &owner.token,
            json!({"name": "overlay", "scopes": ["read"]}),
        )
        .await
        .expect(201)["key"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&format!("/workspaces/{ws}"), &key)
        .await
        .expect(200);
    // The owner hands the workspace over and stays as an admin: the key dies with the role.
    app.post(
        &format!("/workspaces/{ws}/transfer"),
        &owner.token,
        json!({"user_id": heir.id}),
    )
    .await
    .expect(200);
    app.get(&format!("/workspaces/{ws}"), &key)
        .await
        .expect_error(401, "INVALID_API_KEY");
}

#[actix_web::test]
async fn the_platform_admin_lists_every_workspace_with_its_owner_and_usage() {
    let app = spawn_app().await;
    let root = app.user("root").await; // the first account: platform admin
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let studio = app.workspace(&ana, "Ana studio").await;
    app.add_member(&studio, &ana, &bob, "operator").await;
    app.simulator_livestream(&ana, &studio).await;
    crate::agents::device(&app, &ana, &studio, "Lamp", &["LED_ON"]).await;
    let other = app.workspace(&bob, "Bob corner").await;

    let all = app.get("/admin/workspaces", &root.token).await.expect(200);
    let row = |id: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id)
            .cloned()
            .unwrap()
    };
    let s = row(&studio);
    assert_eq!(s["owner"], ana.email.as_str());
    assert_eq!(
        s["usage"],
        json!({"livestreams": 1, "rules": 0, "devices": 1, "members": 2})
    );
    assert_eq!(row(&other)["usage"]["members"], 1);
    // Newest first, a page at a time, and searchable by the owner's email.
    assert_eq!(all[0]["id"], other.as_str());
    let page = app
        .get(
            &format!("/admin/workspaces?limit=1&before={other}"),
            &root.token,
        )
        .await
        .expect(200);
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["id"], studio.as_str());
    let found = app
        .get(
            &format!("/admin/workspaces?q={}", &ana.email[..8]),
            &root.token,
        )
        .await
        .expect(200);
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["id"] == studio.as_str())
    );
    app.get("/admin/workspaces", &ana.token)
        .await
        .expect_error(403, "FORBIDDEN");
}
