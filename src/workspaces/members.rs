//! `/workspaces/{ws}/members`: list, add, change role, remove.
//!
//! Admins manage members but cannot grant or remove the owner role; a workspace always keeps
//! at least one owner; anyone may leave a workspace (but its last owner).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::audit::{self, AuditEntry};
use crate::auth::Caller;
use crate::auth::users::User;
use crate::context::AppState;
use crate::db::DbConnection;
use crate::db::schema::members;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::text::Email;
use crate::workspaces::access::{Access, access_changed, authorize};
use crate::workspaces::model::{self, MemberView, Workspace};
use crate::workspaces::permissions::{Action, Role};
use crate::workspaces::plans::Resource;

/// Lists the workspace's members.
#[utoipa::path(tag = "members", responses((status = 200, body = Vec<MemberView>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<MemberView>>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    let ws = access.workspace.id;
    let members = state
        .db
        .run(move |conn| model::list_members(conn, &ws))
        .await?;
    Ok(web::Json(members))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The email of an existing account.
    pub email: String,
    pub role: Role,
}

fn ensure_may_touch_owner(access: &Access, involves_owner: bool) -> AppResult<()> {
    if involves_owner && access.role != Role::Owner {
        return Err(AppError::forbidden(
            "only an owner can grant or remove the owner role",
        ));
    }
    Ok(())
}

fn find_member(conn: &mut DbConnection, ws: &str, user_id: &str) -> AppResult<MemberView> {
    model::list_members(conn, ws)?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or_else(|| AppError::not_found("member"))
}

/// Adds an existing account to the workspace.
#[utoipa::path(tag = "members", request_body = AddMember, responses((status = 201, body = MemberView), (status = 402), (status = 404, description = "no such account"), (status = 409), (status = 429, description = "over auth.member_adds_per_minute for this account")), security(("bearer" = [])))]
#[post("/workspaces/{ws}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<AddMember>,
) -> AppResult<HttpResponse> {
    let member = add(&state, &caller, &path, body.0).await?;
    Ok(HttpResponse::Created().json(member))
}

/// Adds an existing account (paced per acting account: each answer tells whether an email
/// has an account).
pub async fn add(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    body: AddMember,
) -> AppResult<MemberView> {
    let access = authorize(state, caller, ws, Action::ManageMembers).await?;
    ensure_may_touch_owner(&access, body.role == Role::Owner)?;
    let email = String::from(Email::parse(&body.email)?);
    let actor = caller.user_id()?.to_owned();
    // Each answer says whether an email has an account here: paced per account, so nobody
    // lists the instance's users through a workspace of their own.
    if let Err(retry_after_s) = state.limits.member_add(&actor).await {
        return Err(AppError::RateLimited { retry_after_s });
    }
    let ws = access.workspace.id.clone();
    let access_ws = ws.clone();
    let plan = access.workspace.plan();
    let member = state
        .db
        .transaction(move |conn| {
            Workspace::lock(conn, &ws)?;
            let user = User::find_by_email(conn, &email)?
                .ok_or_else(|| AppError::NotFound("no account with this email".into()))?;
            if model::member_role(conn, &ws, &user.id)?.is_some() {
                return Err(AppError::Conflict(
                    "already a member of this workspace".into(),
                ));
            }
            plan.check(Resource::Members, model::count_members(conn, &ws)?)?;
            model::add_member(conn, &ws, &user.id, body.role)?;
            audit::record(
                conn,
                AuditEntry::workspace(&ws, ("user", &actor), "member.added")
                    .target(&user.id)
                    .details(serde_json::json!({"role": body.role, "email": user.email})),
            )?;
            find_member(conn, &ws, &user.id)
        })
        .await?;
    access_changed(state, &access_ws).await;
    Ok(member)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    pub role: Role,
}

/// Changes a member's role.
#[utoipa::path(tag = "members", request_body = ChangeRole, responses((status = 200, body = MemberView), (status = 409, description = "would leave no owner")), security(("bearer" = [])))]
#[patch("/workspaces/{ws}/members/{user_id}")]
pub async fn change_role(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<ChangeRole>,
) -> AppResult<web::Json<MemberView>> {
    let (ws, target) = path.into_inner();
    Ok(web::Json(
        change(&state, &caller, &ws, target, body.0.role).await?,
    ))
}

/// Gives member `target` the role `new_role` (only an owner grants or takes the owner role;
/// the last owner keeps it).
pub async fn change(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    target: String,
    new_role: Role,
) -> AppResult<MemberView> {
    let access = authorize(state, caller, ws, Action::ManageMembers).await?;
    let actor = caller.user_id()?.to_owned();
    let ws = access.workspace.id.clone();
    let member_ws = ws.clone();
    let member = state
        .db
        .transaction(move |conn| {
            Workspace::lock(conn, &ws)?;
            let current = model::member_role(conn, &ws, &target)?
                .ok_or_else(|| AppError::not_found("member"))?;
            ensure_may_touch_owner(&access, current == Role::Owner || new_role == Role::Owner)?;
            if current == Role::Owner
                && new_role != Role::Owner
                && model::count_owners(conn, &ws)? <= 1
            {
                return Err(AppError::Conflict(
                    "a workspace needs an owner: transfer ownership first".into(),
                ));
            }
            diesel::update(members::table.find((&ws, &target)))
                .set(members::role.eq(new_role.as_str()))
                .execute(conn)?;
            audit::record(
                conn,
                AuditEntry::workspace(&ws, ("user", &actor), "member.role_changed")
                    .target(&target)
                    .details(serde_json::json!({"from": current, "to": new_role})),
            )?;
            find_member(conn, &ws, &target)
        })
        .await?;
    access_changed(state, &member_ws).await;
    Ok(member)
}

/// Removes a member (or lets a member leave).
#[utoipa::path(tag = "members", responses((status = 204), (status = 409, description = "would leave no owner")), security(("bearer" = [])))]
#[delete("/workspaces/{ws}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, target) = path.into_inner();
    remove(&state, &caller, &ws, target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes member `target`, or lets the caller leave when `target` is the caller.
pub async fn remove(state: &AppState, caller: &Caller, ws: &str, target: String) -> AppResult<()> {
    let actor = caller.user_id()?.to_owned();
    let leaving = actor == target;
    let action = if leaving {
        Action::View
    } else {
        Action::ManageMembers
    };
    let access = authorize(state, caller, ws, action).await?;
    let ws = access.workspace.id.clone();
    let changed_ws = ws.clone();
    state
        .db
        .transaction(move |conn| {
            Workspace::lock(conn, &ws)?;
            let current = model::member_role(conn, &ws, &target)?
                .ok_or_else(|| AppError::not_found("member"))?;
            if !leaving {
                ensure_may_touch_owner(&access, current == Role::Owner)?;
            }
            if current == Role::Owner && model::count_owners(conn, &ws)? <= 1 {
                return Err(AppError::Conflict(
                    "a workspace needs an owner: transfer ownership or delete the workspace".into(),
                ));
            }
            diesel::delete(members::table.find((&ws, &target))).execute(conn)?;
            let kind = if leaving {
                "member.left"
            } else {
                "member.removed"
            };
            audit::record(
                conn,
                AuditEntry::workspace(&ws, ("user", &actor), kind)
                    .target(&target)
                    .details(serde_json::json!({"role": current})),
            )
        })
        .await?;
    access_changed(state, &changed_ws).await;
    Ok(())
}
