//! Platform administration: invites, suspensions and plans.

use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, post, put, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, AuditEntry};
use crate::auth::Caller;
use crate::auth::users::User;
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::{invites, members, users, workspaces};
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{has_prefix, now_ms, prefix};
use crate::text::Email;
use crate::workspaces::model::{self, Counts, SuspensionView, Workspace};
use crate::workspaces::permissions::Role;
use crate::workspaces::plans::Plan;

/// The caller's user id, if the caller is a platform admin; 403 otherwise.
pub async fn require_platform_admin(state: &AppState, caller: &Caller) -> AppResult<String> {
    let user_id = caller.user_id()?.to_owned();
    let lookup = user_id.clone();
    let user = state.db.run(move |conn| User::find(conn, &lookup)).await?;
    match user {
        Some(user) if user.is_platform_admin => Ok(user_id),
        Some(_) => Err(AppError::forbidden("platform administrators only")),
        None => Err(AppError::Unauthenticated("account no longer exists".into())),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable)]
pub struct Invite {
    pub email: String,
    pub invited_by: String,
    pub created_at: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    pub email: String,
}

/// Lists invited emails (registration mode `invite`).
#[utoipa::path(tag = "platform admin", responses((status = 200, body = Vec<Invite>)), security(("bearer" = [])))]
#[get("/admin/invites")]
pub async fn list_invites(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<web::Json<Vec<Invite>>> {
    Ok(web::Json(invites_of(&state, &caller).await?))
}

/// Every invitation, newest first.
pub async fn invites_of(state: &AppState, caller: &Caller) -> AppResult<Vec<Invite>> {
    require_platform_admin(state, caller).await?;
    state
        .db
        .run(|conn| {
            Ok(invites::table
                .order(invites::created_at.desc())
                .load::<Invite>(conn)?)
        })
        .await
}

/// Invites an email address to register.
#[utoipa::path(tag = "platform admin", request_body = CreateInvite, responses((status = 201, body = Invite), (status = 409)), security(("bearer" = [])))]
#[post("/admin/invites")]
pub async fn create_invite(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateInvite>,
) -> AppResult<HttpResponse> {
    let invite = invite(&state, &caller, &body.0.email).await?;
    Ok(HttpResponse::Created().json(invite))
}

/// Invites `email` to register (409 when it already is).
pub async fn invite(state: &AppState, caller: &Caller, email: &str) -> AppResult<Invite> {
    let admin = require_platform_admin(state, caller).await?;
    let email = String::from(Email::parse(email)?);
    let invite = Invite {
        email,
        invited_by: admin,
        created_at: now_ms(),
    };
    let (email, by, at) = (
        invite.email.clone(),
        invite.invited_by.clone(),
        invite.created_at,
    );
    state
        .db
        .transaction(move |conn| {
            diesel::insert_into(invites::table)
                .values((
                    invites::email.eq(&email),
                    invites::invited_by.eq(&by),
                    invites::created_at.eq(at),
                ))
                .execute(conn)
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict(_) => {
                        AppError::Conflict("this email is already invited".into())
                    }
                    other => other,
                })?;
            audit::record(
                conn,
                AuditEntry::platform(("user", &by), "invite.created").target(&email),
            )
        })
        .await?;
    Ok(invite)
}

/// Withdraws an invitation.
#[utoipa::path(tag = "platform admin", responses((status = 204), (status = 404)), security(("bearer" = [])))]
#[delete("/admin/invites/{email}")]
pub async fn delete_invite(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    withdraw_invite(&state, &caller, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Withdraws the invitation of `email` (404 when there is none).
pub async fn withdraw_invite(state: &AppState, caller: &Caller, email: &str) -> AppResult<()> {
    let admin = require_platform_admin(state, caller).await?;
    let email = email.trim().to_lowercase();
    state
        .db
        .transaction(move |conn| {
            if diesel::delete(invites::table.find(&email)).execute(conn)? == 0 {
                return Err(AppError::not_found("invite"));
            }
            audit::record(
                conn,
                AuditEntry::platform(("user", &admin), "invite.deleted").target(&email),
            )
        })
        .await
}

/// A workspace as platform admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminWorkspaceView {
    pub id: String,
    pub name: String,
    pub plan: Plan,
    pub suspended: Option<SuspensionView>,
}

impl From<Workspace> for AdminWorkspaceView {
    fn from(ws: Workspace) -> Self {
        AdminWorkspaceView {
            plan: ws.plan(),
            suspended: ws.suspended_at.map(|at| SuspensionView {
                suspended_at: at,
                reason: ws.suspended_reason.clone(),
            }),
            id: ws.id,
            name: ws.name,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Changes a workspace row as a platform admin and records it in its audit log.
async fn admin_update(
    state: &AppState,
    caller: &Caller,
    ws: String,
    kind: &'static str,
    details: serde_json::Value,
    change: impl FnOnce(&mut crate::db::DbConnection, &str) -> AppResult<()> + Send + 'static,
) -> AppResult<AdminWorkspaceView> {
    let admin = require_platform_admin(state, caller).await?;
    if !has_prefix(&ws, prefix::WORKSPACE) {
        return Err(AppError::not_found("workspace"));
    }
    let updated = state
        .db
        .transaction(move |conn| {
            Workspace::lock(conn, &ws)?;
            change(conn, &ws)?;
            audit::record(
                conn,
                AuditEntry::workspace(&ws, ("user", &admin), kind)
                    .target(&ws)
                    .details(details),
            )?;
            Workspace::find(conn, &ws)?.ok_or_else(|| AppError::not_found("workspace"))
        })
        .await?;
    tracing::info!(workspace_id = %updated.id, kind, "platform admin changed a workspace");
    Ok(updated.into())
}

/// Suspends a workspace: every call to it answers 403 `WORKSPACE_SUSPENDED`.
#[utoipa::path(tag = "platform admin", request_body = SuspendRequest, responses((status = 200, body = AdminWorkspaceView)), security(("bearer" = [])))]
#[post("/admin/workspaces/{ws}/suspend")]
pub async fn suspend(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<SuspendRequest>,
) -> AppResult<web::Json<AdminWorkspaceView>> {
    let reason = body
        .0
        .reason
        .map(|r| r.chars().take(500).collect::<String>());
    Ok(web::Json(
        set_suspension(&state, &caller, path.into_inner(), Some(reason)).await?,
    ))
}

/// Lifts a suspension.
#[utoipa::path(tag = "platform admin", responses((status = 200, body = AdminWorkspaceView)), security(("bearer" = [])))]
#[post("/admin/workspaces/{ws}/unsuspend")]
pub async fn unsuspend(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<AdminWorkspaceView>> {
    Ok(web::Json(
        set_suspension(&state, &caller, path.into_inner(), None).await?,
    ))
}

/// Suspends the workspace (`Some`, with its reason) or lifts its suspension (`None`): recorded,
/// then applied on every node (a suspended workspace streams nothing and moves nothing).
pub async fn set_suspension(
    state: &AppState,
    caller: &Caller,
    ws: String,
    suspension: Option<Option<String>>,
) -> AppResult<AdminWorkspaceView> {
    let suspended = suspension.is_some();
    let (kind, details) = match &suspension {
        Some(reason) => (
            "workspace.suspended",
            serde_json::json!({ "reason": reason }),
        ),
        None => ("workspace.unsuspended", serde_json::json!({})),
    };
    let view = admin_update(state, caller, ws, kind, details, move |conn, ws| {
        diesel::update(workspaces::table.find(ws))
            .set((
                workspaces::suspended_at.eq(suspended.then(now_ms)),
                workspaces::suspended_reason.eq(suspension.flatten()),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    state
        .control
        .emit(ControlEvent::Suspended {
            workspace_id: view.id.clone(),
            suspended,
        })
        .await;
    Ok(view)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPlan {
    pub plan: Plan,
}

/// Sets a workspace's plan. Resources already over the new plan's limits stay; new ones are refused.
#[utoipa::path(tag = "platform admin", request_body = SetPlan, responses((status = 200, body = AdminWorkspaceView)), security(("bearer" = [])))]
#[put("/admin/workspaces/{ws}/plan")]
pub async fn set_plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<SetPlan>,
) -> AppResult<web::Json<AdminWorkspaceView>> {
    Ok(web::Json(
        change_plan(&state, &caller, path.into_inner(), body.0.plan).await?,
    ))
}

/// Gives workspace `ws` the plan `plan`, on every node.
pub async fn change_plan(
    state: &AppState,
    caller: &Caller,
    ws: String,
    plan: Plan,
) -> AppResult<AdminWorkspaceView> {
    let details = serde_json::json!({ "plan": plan });
    let view = admin_update(
        state,
        caller,
        ws,
        "workspace.plan_changed",
        details,
        move |conn, ws| {
            diesel::update(workspaces::table.find(ws))
                .set(workspaces::plan.eq(plan.as_str()))
                .execute(conn)?;
            Ok(())
        },
    )
    .await?;
    state
        .control
        .emit(ControlEvent::PlanSet {
            workspace_id: view.id.clone(),
            plan,
        })
        .await;
    Ok(view)
}

/// A workspace in the platform admin's overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceOverview {
    pub id: String,
    pub name: String,
    pub plan: Plan,
    /// The owner's email (the first owner, when there are several).
    pub owner: Option<String>,
    pub usage: Counts,
    pub kill_switch_engaged: bool,
    pub suspended: Option<SuspensionView>,
    pub created_at: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct OverviewQuery {
    /// Part of the name, the id or the owner's email.
    #[serde(default)]
    pub q: Option<String>,
    /// Only workspaces created before this id (the previous page's last id).
    #[serde(default)]
    pub before: Option<String>,
    /// 1 to 200, default 50.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Every workspace of the instance, newest first, with its owner, plan, usage and state.
#[utoipa::path(tag = "platform admin", params(OverviewQuery), responses((status = 200, body = Vec<WorkspaceOverview>)), security(("bearer" = [])))]
#[get("/admin/workspaces")]
pub async fn list_workspaces(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<OverviewQuery>,
) -> AppResult<web::Json<Vec<WorkspaceOverview>>> {
    Ok(web::Json(
        overview(&state, &caller, query.into_inner()).await?,
    ))
}

pub async fn overview(
    state: &AppState,
    caller: &Caller,
    query: OverviewQuery,
) -> AppResult<Vec<WorkspaceOverview>> {
    require_platform_admin(state, caller).await?;
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    state
        .db
        .run(move |conn| {
            let mut rows = workspaces::table
                .order(workspaces::id.desc())
                .select(Workspace::as_select())
                .limit(limit)
                .into_boxed();
            if let Some(before) = query.before.as_deref().filter(|b| !b.is_empty()) {
                rows = rows.filter(workspaces::id.lt(before.to_owned()));
            }
            if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                let pattern = format!("%{}%", q.replace(['%', '_'], ""));
                let owned_by: Vec<String> = members::table
                    .inner_join(users::table)
                    .filter(members::role.eq(Role::Owner))
                    .filter(users::email.like(pattern.clone()))
                    .select(members::workspace_id)
                    .load(conn)?;
                rows = rows.filter(
                    workspaces::name
                        .like(pattern.clone())
                        .or(workspaces::id.like(pattern))
                        .or(workspaces::id.eq_any(owned_by)),
                );
            }
            let found: Vec<Workspace> = rows.load(conn)?;
            // A few grouped queries for the whole page, not a few per row.
            let ids: Vec<String> = found.iter().map(|ws| ws.id.clone()).collect();
            let mut usage = model::counts_of(conn, &ids)?;
            let mut owners: HashMap<String, String> = HashMap::new();
            let listed: Vec<(String, String)> = members::table
                .inner_join(users::table)
                .filter(members::workspace_id.eq_any(&ids))
                .filter(members::role.eq(Role::Owner))
                .order(members::created_at.asc())
                .select((members::workspace_id, users::email))
                .load(conn)?;
            for (ws, email) in listed {
                // The first owner, when there are several.
                owners.entry(ws).or_insert(email);
            }
            found
                .into_iter()
                .map(|ws| {
                    Ok(WorkspaceOverview {
                        usage: usage.remove(&ws.id).ok_or_else(|| {
                            AppError::internal(anyhow::anyhow!("no counts for {}", ws.id))
                        })?,
                        owner: owners.remove(&ws.id),
                        plan: ws.plan(),
                        kill_switch_engaged: ws.kill_switch_engaged,
                        suspended: ws.suspended_at.map(|at| SuspensionView {
                            suspended_at: at,
                            reason: ws.suspended_reason.clone(),
                        }),
                        created_at: ws.created_at,
                        id: ws.id,
                        name: ws.name,
                    })
                })
                .collect()
        })
        .await
}
