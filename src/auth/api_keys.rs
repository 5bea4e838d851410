//! API keys (`pk_…`): belong to one workspace, carry scopes, act with at most admin rights,
//! stored as SHA-256 hashes and shown once.

use actix_web::{HttpResponse, delete, get, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::caller::Caller;
use crate::auth::secrets::{hash_token, random_alphanumeric};
use crate::context::AppState;
use crate::db::schema::api_keys;
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::workspaces::access::authorize;
use crate::workspaces::permissions::Action;
use crate::workspaces::scope::{Note, WorkspaceScope};

const KEY_PREFIX: &str = "pk_";
/// last_used_at is refreshed at most this often, so that reads stay reads.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "events:write")]
    EventsWrite,
    #[serde(rename = "rules:write")]
    RulesWrite,
    #[serde(rename = "livestreams:write")]
    LivestreamsWrite,
}

impl Scope {
    /// Whether this scope covers `action`. Admin-level checks still apply on top.
    pub fn covers(self, action: Action) -> bool {
        match self {
            Scope::Read => action == Action::View,
            Scope::EventsWrite => action == Action::InjectEvents,
            Scope::RulesWrite => matches!(action, Action::ManageRules | Action::ToggleRule),
            Scope::LivestreamsWrite => action == Action::ManageLivestreams,
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    id: String,
    workspace_id: String,
    name: String,
    key_prefix: String,
    scopes: Json<Vec<Scope>>,
    created_by: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl ApiKeyRow {
    fn view(&self) -> ApiKeyView {
        ApiKeyView {
            id: self.id.clone(),
            name: self.name.clone(),
            prefix: self.key_prefix.clone(),
            scopes: self.scopes.get().clone(),
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// Resolves an `x-api-key` header to its caller.
pub async fn authenticate(state: &AppState, key: String) -> AppResult<Caller> {
    if !key.starts_with(KEY_PREFIX) || key.len() > 128 {
        return Err(AppError::InvalidApiKey);
    }
    let hash = hash_token(&key);
    state
        .db
        .run(move |conn| {
            let row: ApiKeyRow = api_keys::table
                .filter(api_keys::key_hash.eq(&hash))
                .filter(api_keys::revoked_at.is_null())
                .select(ApiKeyRow::as_select())
                .first(conn)
                .optional()?
                .ok_or(AppError::InvalidApiKey)?;
            // A key acts for the owner who made it: once they leave or stop being the owner,
            // it stops working (a departed owner's integration must not keep control).
            let role = crate::workspaces::model::member_role(conn, &row.workspace_id, &row.created_by)?;
            if role != Some(crate::workspaces::permissions::Role::Owner) {
                tracing::warn!(key_id = %row.id, workspace_id = %row.workspace_id, "API key refused: its creator is no longer the workspace's owner");
                return Err(AppError::InvalidApiKey);
            }
            let now = now_ms();
            if row
                .last_used_at
                .is_none_or(|t| now - t > LAST_USED_GRANULARITY_MS)
            {
                diesel::update(api_keys::table.find(&row.id))
                    .set(api_keys::last_used_at.eq(now))
                    .execute(conn)?;
            }
            Ok(Caller::ApiKey {
                scopes: row.scopes.into_inner(),
                key_id: row.id,
                workspace_id: row.workspace_id,
            })
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// 1 to 100 characters once trimmed.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: String,
    /// The key itself, shown this once.
    pub key: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
}

/// Creates an API key (owner only). The key is in this answer and nowhere else, ever.
#[utoipa::path(tag = "api keys", request_body = CreateApiKey, responses((status = 201, body = CreatedApiKey)), security(("bearer" = [])))]
#[post("/workspaces/{ws}/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CreateApiKey>,
) -> AppResult<HttpResponse> {
    let created = create(&state, &caller, &path, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Checks and stores a new key; the answer holds the key, in clear, this once.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    body: CreateApiKey,
) -> AppResult<CreatedApiKey> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageApiKeys).await?;
    let name = String::from(crate::text::Name::parse("name", &body.name)?);
    if body.scopes.is_empty() {
        return Err(AppError::invalid("scopes", "name at least one scope"));
    }
    let mut scopes = body.scopes;
    scopes.sort_by_key(|s| *s as u8);
    scopes.dedup();
    let key = format!("{KEY_PREFIX}{}", random_alphanumeric(40));
    let id = new_id(prefix::API_KEY);
    let now = now_ms();
    let created_by = scope.actor.id.clone();
    let scopes_json = Json::new(scopes.clone())?;
    let (row_id, row_name, key_hash, key_prefix) = (
        id.clone(),
        name.clone(),
        hash_token(&key),
        key[..8].to_owned(),
    );
    scope
        .act("api_key.created", move |conn, ws| {
            diesel::insert_into(api_keys::table)
                .values((
                    api_keys::id.eq(&row_id),
                    api_keys::workspace_id.eq(ws),
                    api_keys::name.eq(&row_name),
                    api_keys::key_hash.eq(key_hash),
                    api_keys::key_prefix.eq(key_prefix),
                    api_keys::scopes.eq(&scopes_json),
                    api_keys::created_by.eq(&created_by),
                    api_keys::created_at.eq(now),
                ))
                .execute(conn)?;
            let note = Note::on(&row_id).details(serde_json::json!({"name": row_name}));
            Ok(((), note))
        })
        .await?;
    Ok(CreatedApiKey {
        id,
        key,
        name,
        scopes,
        created_at: now,
    })
}

/// Lists the workspace's live API keys (never the keys themselves).
#[utoipa::path(tag = "api keys", responses((status = 200, body = Vec<ApiKeyView>)), security(("bearer" = [])))]
#[get("/workspaces/{ws}/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<ApiKeyView>>> {
    Ok(web::Json(list(&state, &caller, &path).await?))
}

/// The workspace's live keys, newest first.
pub async fn list(state: &AppState, caller: &Caller, ws: &str) -> AppResult<Vec<ApiKeyView>> {
    let access = authorize(state, caller, ws, Action::ManageApiKeys).await?;
    let ws = access.workspace.id;
    let rows: Vec<ApiKeyRow> = state
        .db
        .run(move |conn| {
            Ok(api_keys::table
                .filter(api_keys::workspace_id.eq(ws))
                .filter(api_keys::revoked_at.is_null())
                .order(api_keys::id.desc())
                .select(ApiKeyRow::as_select())
                .load(conn)?)
        })
        .await?;
    Ok(rows.iter().map(ApiKeyRow::view).collect())
}

/// Revokes an API key at once.
#[utoipa::path(tag = "api keys", responses((status = 204), (status = 404)), security(("bearer" = [])))]
#[delete("/workspaces/{ws}/api-keys/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, key_id) = path.into_inner();
    revoke(&state, &caller, &ws, key_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes a key of the workspace (404 when it has no such live key).
pub async fn revoke(state: &AppState, caller: &Caller, ws: &str, key_id: String) -> AppResult<()> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageApiKeys).await?;
    scope
        .act("api_key.revoked", move |conn, ws| {
            let revoked = diesel::update(
                api_keys::table
                    .filter(api_keys::id.eq(&key_id))
                    .filter(api_keys::workspace_id.eq(ws))
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set(api_keys::revoked_at.eq(now_ms()))
            .execute(conn)?;
            if revoked == 0 {
                return Err(AppError::not_found("API key"));
            }
            Ok(((), Note::on(key_id)))
        })
        .await
}
