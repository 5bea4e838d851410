//! The permission matrix of `api.md`, endpoint by endpoint, for every role plus a non-member
//! and an anonymous caller. Each probe runs on a fresh workspace so destructive calls do not
//! disturb the others.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Owner,
    Admin,
    Operator,
    Viewer,
    Stranger,
    Anonymous,
}

struct Team {
    owner: TestUser,
    admin: TestUser,
    operator: TestUser,
    viewer: TestUser,
    target: TestUser,
    outsider: TestUser,
    stranger: TestUser,
}

struct Fixture {
    ws: String,
    key_id: String,
    livestream: String,
    device: String,
    rule: String,
}

async fn fresh_workspace(app: &TestApp, team: &Team) -> Fixture {
    let ws = app
        .workspace(&team.owner, &format!("ws-{}", ulid::Ulid::new()))
        .await;
    for (who, role) in [
        (&team.admin, "admin"),
        (&team.operator, "operator"),
        (&team.viewer, "viewer"),
        (&team.target, "viewer"),
    ] {
        app.add_member(&ws, &team.owner, who, role).await;
    }
    let key = app
        .post(
            &format!("/workspaces/{ws}/api-keys"),
            &team.owner.token,
            json!({"name": "k", "scopes": ["read"]}),
        )
        .await
        .expect(201);
    let livestream = app
        .post(
            &format!("/workspaces/{ws}/livestreams"),
            &team.owner.token,
            json!({"target": "@someone", "source": "simulator"}),
        )
        .await
        .expect(201);
    let device = app
        .post(
            &format!("/workspaces/{ws}/devices"),
            &team.owner.token,
            json!({"name": "board", "transport": "agent", "allowed_commands": ["A"]}),
        )
        .await
        .expect(201);
    let rule = app
        .post(
            &format!("/workspaces/{ws}/rules"),
            &team.owner.token,
            json!({"name": "r", "when": {"event": "comment"}, "then": {"command": "A"}}),
        )
        .await
        .expect(201);
    Fixture {
        rule: rule["id"].as_str().expect("id").to_owned(),
        ws,
        key_id: key["id"].as_str().expect("id").to_owned(),
        livestream: livestream["id"].as_str().expect("id").to_owned(),
        device: device["device"]["id"].as_str().expect("id").to_owned(),
    }
}

type Probe = (
    &'static str,
    Method,
    fn(&Fixture, &Team) -> (String, Option<Value>),
    &'static [Who],
);

const EVERYONE: &[Who] = &[Who::Owner, Who::Admin, Who::Operator, Who::Viewer];
const MANAGERS: &[Who] = &[Who::Owner, Who::Admin];
const OWNER: &[Who] = &[Who::Owner];

fn probes() -> Vec<Probe> {
    vec![
        (
            "view workspace",
            Method::GET,
            |f, _| (format!("/workspaces/{}", f.ws), None),
            EVERYONE,
        ),
        (
            "usage",
            Method::GET,
            |f, _| (format!("/workspaces/{}/usage", f.ws), None),
            EVERYONE,
        ),
        (
            "list members",
            Method::GET,
            |f, _| (format!("/workspaces/{}/members", f.ws), None),
            EVERYONE,
        ),
        (
            "audit log",
            Method::GET,
            |f, _| (format!("/workspaces/{}/audit", f.ws), None),
            EVERYONE,
        ),
        (
            "add member",
            Method::POST,
            |f, t| {
                (
                    format!("/workspaces/{}/members", f.ws),
                    Some(json!({"email": t.outsider.email, "role": "viewer"})),
                )
            },
            MANAGERS,
        ),
        (
            "change role",
            Method::PATCH,
            |f, t| {
                (
                    format!("/workspaces/{}/members/{}", f.ws, t.target.id),
                    Some(json!({"role": "operator"})),
                )
            },
            MANAGERS,
        ),
        (
            "remove member",
            Method::DELETE,
            |f, t| {
                (
                    format!("/workspaces/{}/members/{}", f.ws, t.target.id),
                    None,
                )
            },
            MANAGERS,
        ),
        (
            "settings",
            Method::PATCH,
            |f, _| {
                (
                    format!("/workspaces/{}", f.ws),
                    Some(json!({"name": "renamed"})),
                )
            },
            OWNER,
        ),
        (
            "list api keys",
            Method::GET,
            |f, _| (format!("/workspaces/{}/api-keys", f.ws), None),
            OWNER,
        ),
        (
            "create api key",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/api-keys", f.ws),
                    Some(json!({"name": "n", "scopes": ["read"]})),
                )
            },
            OWNER,
        ),
        (
            "revoke api key",
            Method::DELETE,
            |f, _| (format!("/workspaces/{}/api-keys/{}", f.ws, f.key_id), None),
            OWNER,
        ),
        (
            "transfer",
            Method::POST,
            |f, t| {
                (
                    format!("/workspaces/{}/transfer", f.ws),
                    Some(json!({"user_id": t.target.id})),
                )
            },
            OWNER,
        ),
        (
            "list livestreams",
            Method::GET,
            |f, _| (format!("/workspaces/{}/livestreams", f.ws), None),
            EVERYONE,
        ),
        (
            "view livestream",
            Method::GET,
            |f, _| {
                (
                    format!("/workspaces/{}/livestreams/{}", f.ws, f.livestream),
                    None,
                )
            },
            EVERYONE,
        ),
        (
            "create livestream",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/livestreams", f.ws),
                    Some(json!({"target": "other"})),
                )
            },
            MANAGERS,
        ),
        (
            "connect",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/livestreams/{}/connect", f.ws, f.livestream),
                    None,
                )
            },
            MANAGERS,
        ),
        (
            "disconnect",
            Method::POST,
            |f, _| {
                (
                    format!(
                        "/workspaces/{}/livestreams/{}/disconnect",
                        f.ws, f.livestream
                    ),
                    None,
                )
            },
            MANAGERS,
        ),
        (
            "inject event",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/livestreams/{}/events", f.ws, f.livestream),
                    Some(json!({"event_type": "comment", "payload": {"text": "spin"}})),
                )
            },
            MANAGERS,
        ),
        (
            "delete livestream",
            Method::DELETE,
            |f, _| {
                (
                    format!("/workspaces/{}/livestreams/{}", f.ws, f.livestream),
                    None,
                )
            },
            MANAGERS,
        ),
        (
            "list devices",
            Method::GET,
            |f, _| (format!("/workspaces/{}/devices", f.ws), None),
            EVERYONE,
        ),
        (
            "view device",
            Method::GET,
            |f, _| (format!("/workspaces/{}/devices/{}", f.ws, f.device), None),
            EVERYONE,
        ),
        (
            "register device",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/devices", f.ws),
                    Some(json!({"name": "other", "transport": "agent", "allowed_commands": ["A"]})),
                )
            },
            MANAGERS,
        ),
        (
            "rotate token",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/devices/{}/token", f.ws, f.device),
                    None,
                )
            },
            MANAGERS,
        ),
        (
            "revoke token",
            Method::DELETE,
            |f, _| {
                (
                    format!("/workspaces/{}/devices/{}/token", f.ws, f.device),
                    None,
                )
            },
            MANAGERS,
        ),
        (
            "delete device",
            Method::DELETE,
            |f, _| (format!("/workspaces/{}/devices/{}", f.ws, f.device), None),
            MANAGERS,
        ),
        (
            "list rules",
            Method::GET,
            |f, _| (format!("/workspaces/{}/rules", f.ws), None),
            EVERYONE,
        ),
        (
            "view rule",
            Method::GET,
            |f, _| (format!("/workspaces/{}/rules/{}", f.ws, f.rule), None),
            EVERYONE,
        ),
        (
            "create rule",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/rules", f.ws),
                    Some(
                        json!({"name": "n", "when": {"event": "comment"}, "then": {"command": "A"}}),
                    ),
                )
            },
            MANAGERS,
        ),
        (
            "replace rule",
            Method::PUT,
            |f, _| {
                (
                    format!("/workspaces/{}/rules/{}", f.ws, f.rule),
                    Some(json!({"name": "n", "when": {"event": "like"}, "then": {"command": "A"}})),
                )
            },
            MANAGERS,
        ),
        (
            "delete rule",
            Method::DELETE,
            |f, _| (format!("/workspaces/{}/rules/{}", f.ws, f.rule), None),
            MANAGERS,
        ),
        (
            "enable rule",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/rules/{}/enable", f.ws, f.rule),
                    None,
                )
            },
            &[Who::Owner, Who::Admin, Who::Operator],
        ),
        (
            "disable rule",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/rules/{}/disable", f.ws, f.rule),
                    None,
                )
            },
            &[Who::Owner, Who::Admin, Who::Operator],
        ),
        (
            "test rules",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/rules/test", f.ws),
                    Some(json!({"event": {"event_type": "comment", "payload": {"text": "x"}}})),
                )
            },
            MANAGERS,
        ),
        (
            "view kill switch",
            Method::GET,
            |f, _| (format!("/workspaces/{}/kill-switch", f.ws), None),
            EVERYONE,
        ),
        (
            "engage kill switch",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/kill-switch", f.ws),
                    Some(json!({"engaged": true})),
                )
            },
            &[Who::Owner, Who::Admin, Who::Operator],
        ),
        (
            "release kill switch",
            Method::POST,
            |f, _| {
                (
                    format!("/workspaces/{}/kill-switch", f.ws),
                    Some(json!({"engaged": false})),
                )
            },
            OWNER,
        ),
        (
            "command history",
            Method::GET,
            |f, _| (format!("/workspaces/{}/commands", f.ws), None),
            EVERYONE,
        ),
        (
            "delete workspace",
            Method::DELETE,
            |f, _| (format!("/workspaces/{}", f.ws), None),
            OWNER,
        ),
    ]
}

#[actix_web::test]
async fn every_action_for_every_role() {
    let app = spawn_app().await;
    let team = Team {
        owner: app.user("owner").await,
        admin: app.user("admin").await,
        operator: app.user("operator").await,
        viewer: app.user("viewer").await,
        target: app.user("target").await,
        outsider: app.user("outsider").await,
        stranger: app.user("stranger").await,
    };
    let callers = [
        Who::Owner,
        Who::Admin,
        Who::Operator,
        Who::Viewer,
        Who::Stranger,
        Who::Anonymous,
    ];
    let mut failures = Vec::new();
    for (name, method, build, allowed) in probes() {
        for who in callers {
            let fixture = fresh_workspace(&app, &team).await;
            let (path, body) = build(&fixture, &team);
            let token = match who {
                Who::Owner => Some(&team.owner.token),
                Who::Admin => Some(&team.admin.token),
                Who::Operator => Some(&team.operator.token),
                Who::Viewer => Some(&team.viewer.token),
                Who::Stranger => Some(&team.stranger.token),
                Who::Anonymous => None,
            };
            let res = app
                .call(method.clone(), &path, token.map(String::as_str), body)
                .await;
            let (want_status, want_code) = match who {
                Who::Anonymous => (401, Some("UNAUTHENTICATED")),
                Who::Stranger => (404, Some("NOT_FOUND")),
                _ if allowed.contains(&who) => (0, None),
                _ => (403, Some("FORBIDDEN")),
            };
            let ok = match want_code {
                None => res.status.is_success(),
                Some(code) => res.status.as_u16() == want_status && res.code() == code,
            };
            if !ok {
                failures.push(format!(
                    "{name} as {who:?}: got {} {}",
                    res.status, res.body
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission matrix broken:\n{}",
        failures.join("\n")
    );
}
