//! The audit log: every admin and membership action and every command delivery, with who,
//! when, what and on what. Written in the same transaction as the change it records.

pub mod pages;

use actix_web::{get, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::context::AppState;
use crate::db::DbConnection;
use crate::db::schema::audit_log;
use crate::db::types::Json;
use crate::error::AppResult;
use crate::ids::{new_id, now_ms, prefix};
use crate::workspaces::access::authorize;
use crate::workspaces::permissions::Action;

pub struct AuditEntry<'a> {
    workspace_id: Option<&'a str>,
    actor_type: &'a str,
    actor_id: Option<&'a str>,
    kind: &'a str,
    target: Option<&'a str>,
    details: Value,
}

impl<'a> AuditEntry<'a> {
    /// An action on the instance itself (accounts, invites).
    pub fn platform(actor: (&'a str, &'a str), kind: &'a str) -> Self {
        Self {
            workspace_id: None,
            actor_type: actor.0,
            actor_id: Some(actor.1),
            kind,
            target: None,
            details: Value::Object(Default::default()),
        }
    }

    /// An action inside a workspace, by a user or an API key.
    pub fn workspace(workspace_id: &'a str, actor: (&'a str, &'a str), kind: &'a str) -> Self {
        Self {
            workspace_id: Some(workspace_id),
            ..Self::platform(actor, kind)
        }
    }

    /// Something livectl did on its own (a rule firing, a command's outcome).
    pub fn system(workspace_id: &'a str, kind: &'a str) -> Self {
        Self {
            workspace_id: Some(workspace_id),
            actor_type: "system",
            actor_id: None,
            kind,
            target: None,
            details: Value::Object(Default::default()),
        }
    }

    pub fn target(mut self, target: &'a str) -> Self {
        self.target = Some(target);
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

pub fn record(conn: &mut DbConnection, entry: AuditEntry<'_>) -> AppResult<()> {
    let category = entry.kind.split('.').next().unwrap_or(entry.kind);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id(prefix::AUDIT)),
            audit_log::workspace_id.eq(entry.workspace_id),
            audit_log::actor_type.eq(entry.actor_type),
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::category.eq(category),
            audit_log::kind.eq(entry.kind),
            audit_log::target.eq(entry.target),
            audit_log::details.eq(entry.details.to_string()),
            audit_log::created_at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A row of the audit log as it is read back.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub kind: String,
    pub target: Option<String>,
    pub details: Json<Value>,
    pub created_at: i64,
}

/// Which entries a page of the log shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// A kind (`member.added`) or a whole category (`member`, `kill_switch`).
    pub kind: Option<String>,
    /// Who: a user id, or every `api_key`, or `system`.
    pub actor: Option<String>,
    /// Written at or after (ms).
    pub since: Option<i64>,
    /// An entry id: only older entries (the next page).
    pub before: Option<String>,
}

/// One page of the workspace's log, newest first, by the `(workspace_id, id)` index.
pub fn page(
    conn: &mut DbConnection,
    ws: &str,
    filter: &AuditFilter,
    limit: i64,
) -> AppResult<Vec<AuditRow>> {
    let mut q = audit_log::table
        .filter(audit_log::workspace_id.eq(ws))
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = &filter.before {
        q = q.filter(audit_log::id.lt(before));
    }
    if let Some(kind) = &filter.kind {
        q = if kind.contains('.') {
            q.filter(audit_log::kind.eq(kind))
        } else {
            q.filter(audit_log::category.eq(kind))
        };
    }
    match filter.actor.as_deref() {
        None => {}
        Some(kind @ ("system" | "api_key")) => q = q.filter(audit_log::actor_type.eq(kind)),
        Some(user) => q = q.filter(audit_log::actor_id.eq(user)),
    }
    if let Some(since) = filter.since {
        q = q.filter(audit_log::created_at.ge(since));
    }
    Ok(q.load(conn)?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    pub id: String,
    pub ts: i64,
    pub actor: Actor,
    /// `category.action`, e.g. `member.added`, `command.done`.
    pub kind: String,
    pub target: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditItem>,
    /// Pass as `before` to read the next (older) page; null at the end.
    pub next_before: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// 1..=200, default 50.
    pub limit: Option<i64>,
    /// An item id: only older items are returned.
    pub before: Option<String>,
    /// A kind (`member.added`) or a whole category (`member`).
    pub kind: Option<String>,
}

/// Reads the workspace's audit log, newest first.
#[utoipa::path(tag = "safety and history", params(AuditQuery), responses((status = 200, body = AuditPage)), security(("bearer" = [])))]
#[get("/workspaces/{ws}/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> AppResult<web::Json<AuditPage>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    let query = query.into_inner();
    let limit = crate::http::extract::page_limit(query.limit)?;
    let ws = access.workspace.id;
    let filter = AuditFilter {
        kind: query.kind,
        before: query.before,
        ..AuditFilter::default()
    };
    let rows = state
        .db
        .run(move |conn| page(conn, &ws, &filter, limit))
        .await?;
    let next_before = if rows.len() == usize::try_from(limit).unwrap_or(usize::MAX) {
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| AuditItem {
            details: r.details.into_inner(),
            id: r.id,
            ts: r.created_at,
            actor: Actor {
                kind: r.actor_type,
                id: r.actor_id,
            },
            kind: r.kind,
            target: r.target,
        })
        .collect();
    Ok(web::Json(AuditPage { items, next_before }))
}
