//! `/workspaces/{ws}/overlay-tokens` (owner, admin): a token is shown once, listed without it,
//! revoked at once.

use actix_web::{HttpResponse, delete, get, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::auth::secrets::{hash_token, random_alphanumeric};
use crate::context::AppState;
use crate::db::DbConnection;
use crate::db::schema::overlay_tokens;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::text::Name;
use crate::workspaces::permissions::Action;
use crate::workspaces::scope::{Note, WorkspaceScope};

pub const TOKEN_PREFIX: &str = "ovl_";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOverlayToken {
    /// Where it is used, e.g. "OBS main scene".
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOverlayToken {
    pub id: String,
    pub name: String,
    /// Shown this once.
    pub token: String,
    /// The overlay's address, relative to the server: `/overlay/{token}`.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = overlay_tokens)]
pub struct OverlayTokenView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The workspace a live token opens, if any.
pub fn workspace_of(conn: &mut DbConnection, token: &str) -> AppResult<Option<String>> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    Ok(overlay_tokens::table
        .filter(overlay_tokens::token_hash.eq(hash_token(token)))
        .filter(overlay_tokens::revoked_at.is_null())
        .select(overlay_tokens::workspace_id)
        .first(conn)
        .optional()?)
}

/// Makes an overlay token (owner, admin); the token is in the answer only.
#[utoipa::path(tag = "overlay", request_body = CreateOverlayToken,
    responses((status = 201, body = CreatedOverlayToken), (status = 422, description = "VALIDATION_FAILED: `name`")),
    security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/overlay-tokens")]
pub async fn create_overlay_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CreateOverlayToken>,
) -> AppResult<HttpResponse> {
    let created = create(&state, &caller, &path, &body.0.name).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Makes an overlay token (API and dashboard), audited as `overlay.token_created`.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    name: &str,
) -> AppResult<CreatedOverlayToken> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageRules).await?;
    let name = String::from(Name::parse("name", name)?);
    let token = format!("{TOKEN_PREFIX}{}", random_alphanumeric(32));
    let (id, hash) = (new_id(prefix::OVERLAY_TOKEN), hash_token(&token));
    let (row_id, row_name) = (id.clone(), name.clone());
    scope
        .act("overlay.token_created", move |conn, ws| {
            diesel::insert_into(overlay_tokens::table)
                .values((
                    overlay_tokens::id.eq(&row_id),
                    overlay_tokens::workspace_id.eq(ws),
                    overlay_tokens::name.eq(&row_name),
                    overlay_tokens::token_hash.eq(&hash),
                    overlay_tokens::created_at.eq(now_ms()),
                ))
                .execute(conn)?;
            Ok((
                (),
                Note::on(&row_id).details(serde_json::json!({"name": row_name})),
            ))
        })
        .await?;
    Ok(CreatedOverlayToken {
        url: format!("/overlay/{token}"),
        id,
        name,
        token,
    })
}

/// The workspace's overlay tokens, without the tokens.
#[utoipa::path(tag = "overlay", responses((status = 200, body = Vec<OverlayTokenView>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/overlay-tokens")]
pub async fn list_overlay_tokens(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<OverlayTokenView>>> {
    Ok(web::Json(list(&state, &caller, &path).await?))
}

/// The workspace's overlay tokens (API and dashboard), revoked ones included.
pub async fn list(state: &AppState, caller: &Caller, ws: &str) -> AppResult<Vec<OverlayTokenView>> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageRules).await?;
    let ws = scope.workspace_id().to_owned();
    state
        .db
        .run(move |conn| {
            Ok(overlay_tokens::table
                .filter(overlay_tokens::workspace_id.eq(&ws))
                .order(overlay_tokens::created_at.asc())
                .select(OverlayTokenView::as_select())
                .load(conn)?)
        })
        .await
}

/// Revokes an overlay token: its page answers 404 from the next refresh.
#[utoipa::path(tag = "overlay", responses((status = 204), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/workspaces/{ws}/overlay-tokens/{id}")]
pub async fn revoke_overlay_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    revoke(&state, &caller, &ws, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes an overlay token (API and dashboard), audited as `overlay.token_revoked`.
pub async fn revoke(state: &AppState, caller: &Caller, ws: &str, id: String) -> AppResult<()> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageRules).await?;
    scope
        .act("overlay.token_revoked", move |conn, ws| {
            let revoked = diesel::update(
                overlay_tokens::table
                    .filter(overlay_tokens::workspace_id.eq(ws))
                    .filter(overlay_tokens::id.eq(&id))
                    .filter(overlay_tokens::revoked_at.is_null()),
            )
            .set(overlay_tokens::revoked_at.eq(now_ms()))
            .execute(conn)?;
            if revoked == 0 {
                return Err(AppError::not_found("overlay token"));
            }
            Ok(((), Note::on(&id)))
        })
        .await
}
