//! `/workspaces` and `/workspaces/{ws}`: create, list, read, update, delete, transfer, usage.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, AuditEntry};
use crate::auth::Caller;
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::{commands, members, users, workspaces};
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::text::Name;
use crate::workspaces::access::{access_changed, authorize};
use crate::workspaces::model::{self, Counts, Workspace, WorkspaceSummary, WorkspaceView};
use crate::workspaces::permissions::{Action, Role};
use crate::workspaces::plans::{Limits, Plan, Resource};
use crate::workspaces::scope::{Note, WorkspaceScope};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspace {
    /// 1 to 100 characters once trimmed.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// Creates a workspace; the caller becomes its owner.
#[utoipa::path(tag = "workspaces", request_body = CreateWorkspace, responses((status = 201, body = WorkspaceView), (status = 409)), security(("bearer" = [])))]
#[post("/workspaces")]
pub async fn create_workspace(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateWorkspace>,
) -> AppResult<HttpResponse> {
    let workspace = create(&state, &caller, body.0).await?;
    Ok(HttpResponse::Created().json(workspace.view(Role::Owner)))
}

/// Creates a workspace owned by the caller (API and dashboard).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    body: CreateWorkspace,
) -> AppResult<Workspace> {
    let user_id = caller.user_id()?.to_owned();
    let name = String::from(Name::parse("name", &body.name)?);
    let plan = state.settings.plans.default;
    let workspace = state
        .db
        .transaction(move |conn| {
            // The platform admin sets plans anyway; everyone else gets as many workspaces as
            // the default plan allows. Touching the account's row first serialises two
            // creations by one account (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE).
            diesel::update(users::table.find(&user_id))
                .set(users::updated_at.eq(now_ms()))
                .execute(conn)?;
            let is_admin = users::table
                .find(&user_id)
                .select(users::is_platform_admin)
                .first::<bool>(conn)?;
            if !is_admin {
                let created: i64 = workspaces::table
                    .filter(workspaces::created_by.eq(&user_id))
                    .count()
                    .get_result(conn)?;
                plan.check(Resource::Workspaces, created)?;
            }
            let taken: i64 = workspaces::table
                .filter(workspaces::created_by.eq(&user_id))
                .filter(workspaces::name.eq(&name))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                return Err(AppError::Conflict(
                    "you already have a workspace with this name".into(),
                ));
            }
            let now = now_ms();
            let ws = Workspace::new(new_id(prefix::WORKSPACE), name, plan, user_id.clone(), now);
            diesel::insert_into(workspaces::table)
                .values(&ws)
                .execute(conn)?;
            model::add_member(conn, &ws.id, &user_id, Role::Owner)?;
            audit::record(
                conn,
                AuditEntry::workspace(&ws.id, ("user", &user_id), "workspace.created")
                    .target(&ws.id)
                    .details(serde_json::json!({"name": ws.name, "plan": ws.plan})),
            )?;
            Ok(ws)
        })
        .await?;
    state
        .control
        .emit(ControlEvent::PlanSet {
            workspace_id: workspace.id.clone(),
            plan: workspace.plan(),
        })
        .await;
    Ok(workspace)
}

/// The caller's workspaces with their role in each.
#[utoipa::path(tag = "workspaces", responses((status = 200, body = Vec<WorkspaceSummary>)), security(("bearer" = [])))]
#[get("/workspaces")]
pub async fn list_workspaces(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<web::Json<Vec<WorkspaceSummary>>> {
    let user_id = caller.user_id()?.to_owned();
    let list = state
        .db
        .run(move |conn| model::list_for_user(conn, &user_id))
        .await?;
    Ok(web::Json(list))
}

/// One workspace, with the kill switch's state and the caller's role.
#[utoipa::path(tag = "workspaces", responses((status = 200, body = WorkspaceView), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}")]
pub async fn get_workspace(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<WorkspaceView>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    Ok(web::Json(access.workspace.view(access.role)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkspace {
    /// 1 to 100 characters once trimmed.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Free-form settings object (replaces the stored one).
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// Renames the workspace or replaces its settings (owner only).
#[utoipa::path(tag = "workspaces", request_body = UpdateWorkspace, responses((status = 200, body = WorkspaceView), (status = 409, description = "another workspace of the caller has this name")), security(("bearer" = [])))]
#[patch("/workspaces/{ws}")]
pub async fn update_workspace(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<UpdateWorkspace>,
) -> AppResult<web::Json<WorkspaceView>> {
    let (updated, role) = update(&state, &caller, &path, body.0).await?;
    Ok(web::Json(updated.view(role)))
}

/// Renames the workspace or replaces its settings; the workspace as it is now, and the
/// caller's role.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    body: UpdateWorkspace,
) -> AppResult<(Workspace, Role)> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageSettings).await?;
    let name = body
        .name
        .as_deref()
        .map(|n| Name::parse("name", n).map(String::from))
        .transpose()?;
    let settings = match body.settings {
        Some(value @ serde_json::Value::Object(_)) => Some(value.to_string()),
        Some(_) => return Err(AppError::invalid("settings", "must be a JSON object")),
        None => None,
    };
    let created_by = scope.access.workspace.created_by.clone();
    let updated = scope
        .act("workspace.updated", move |conn, ws_id| {
            if let Some(name) = &name {
                let taken: i64 = workspaces::table
                    .filter(workspaces::created_by.eq(&created_by))
                    .filter(workspaces::name.eq(name))
                    .filter(workspaces::id.ne(ws_id))
                    .count()
                    .get_result(conn)?;
                if taken > 0 {
                    return Err(AppError::Conflict(
                        "a workspace with this name already exists".into(),
                    ));
                }
                diesel::update(workspaces::table.find(ws_id))
                    .set(workspaces::name.eq(name))
                    .execute(conn)?;
            }
            if let Some(settings) = &settings {
                diesel::update(workspaces::table.find(ws_id))
                    .set(workspaces::settings.eq(settings))
                    .execute(conn)?;
            }
            Workspace::lock(conn, ws_id)?;
            let note = Note::on(ws_id)
                .details(serde_json::json!({"name": name, "settings_changed": settings.is_some()}));
            let updated =
                Workspace::find(conn, ws_id)?.ok_or_else(|| AppError::not_found("workspace"))?;
            Ok((updated, note))
        })
        .await?;
    Ok((updated, scope.access.role))
}

/// Deletes the workspace and everything in it (owner only).
#[utoipa::path(tag = "workspaces", responses((status = 204)), security(("bearer" = [])))]
#[delete("/workspaces/{ws}")]
pub async fn delete_workspace(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    delete(&state, &caller, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes the workspace and everything in it; its livestreams stop, its agents are cut off.
pub async fn delete(state: &AppState, caller: &Caller, ws: &str) -> AppResult<()> {
    let access = authorize(state, caller, ws, Action::DeleteWorkspace).await?;
    let user_id = caller.user_id()?.to_owned();
    let ws = access.workspace;
    let workspace_id = ws.id.clone();
    let _ = state
        .live
        .send(crate::live::registry::DisconnectWorkspace(ws.id.clone()))
        .await;
    state
        .db
        .transaction(move |conn| {
            diesel::delete(workspaces::table.find(&ws.id)).execute(conn)?;
            audit::record(
                conn,
                AuditEntry::workspace(&ws.id, ("user", &user_id), "workspace.deleted")
                    .target(&ws.id)
                    .details(serde_json::json!({"name": ws.name})),
            )
        })
        .await?;
    // Nothing of it may act any more: its agents are disconnected (their tokens are gone with
    // the devices), the router forgets its devices, the engine its rules.
    state
        .control
        .emit(ControlEvent::WorkspaceDeleted { workspace_id })
        .await;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferOwnership {
    /// A member who becomes owner; the caller becomes admin.
    pub user_id: String,
}

/// Hands the workspace to another member (owner only).
#[utoipa::path(tag = "workspaces", request_body = TransferOwnership, responses((status = 200, body = WorkspaceView)), security(("bearer" = [])))]
#[post("/workspaces/{ws}/transfer")]
pub async fn transfer_ownership(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<TransferOwnership>,
) -> AppResult<web::Json<WorkspaceView>> {
    let workspace = transfer(&state, &caller, &path, body.0.user_id).await?;
    Ok(web::Json(workspace.view(Role::Admin)))
}

/// Makes member `to` the owner and the caller an admin.
pub async fn transfer(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    to: String,
) -> AppResult<Workspace> {
    let access = authorize(state, caller, ws, Action::TransferOwnership).await?;
    let from = caller.user_id()?.to_owned();
    if to == from {
        return Err(AppError::invalid(
            "user_id",
            "you already own this workspace",
        ));
    }
    let ws = access.workspace.id.clone();
    state
        .db
        .transaction(move |conn| {
            Workspace::lock(conn, &ws)?;
            if model::member_role(conn, &ws, &to)?.is_none() {
                return Err(AppError::not_found("member"));
            }
            for (user, role) in [(&to, Role::Owner), (&from, Role::Admin)] {
                diesel::update(members::table.find((&ws, user)))
                    .set(members::role.eq(role.as_str()))
                    .execute(conn)?;
            }
            audit::record(
                conn,
                AuditEntry::workspace(&ws, ("user", &from), "workspace.ownership_transferred")
                    .target(&to),
            )
        })
        .await?;
    access_changed(state, &access.workspace.id).await;
    Ok(access.workspace)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageCounts {
    pub livestreams: i64,
    pub rules: i64,
    pub devices: i64,
    pub members: i64,
    pub commands_last_minute: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub plan: Plan,
    /// `null` means unlimited.
    pub limits: Limits,
    pub usage: UsageCounts,
}

/// The plan's limits and how much of each the workspace uses.
#[utoipa::path(tag = "workspaces", responses((status = 200, body = Usage)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/usage")]
pub async fn usage(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Usage>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    Ok(web::Json(load_usage(&state, &access.workspace).await?))
}

/// The workspace's plan, its limits and what it uses now (API and dashboard).
pub async fn load_usage(state: &AppState, workspace: &Workspace) -> AppResult<Usage> {
    let ws = workspace.id.clone();
    let (counts, commands_last_minute): (Counts, i64) = state
        .db
        .run(move |conn| {
            let counts = model::counts(conn, &ws)?;
            let recent = commands::table
                .filter(commands::workspace_id.eq(&ws))
                .filter(commands::issued_at.gt(now_ms() - 60_000))
                .count()
                .get_result(conn)?;
            Ok((counts, recent))
        })
        .await?;
    let plan = workspace.plan();
    Ok(Usage {
        plan,
        limits: plan.limits(),
        usage: UsageCounts {
            livestreams: counts.livestreams,
            rules: counts.rules,
            devices: counts.devices,
            members: counts.members,
            commands_last_minute,
        },
    })
}
