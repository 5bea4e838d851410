//! `/auth/*` and `/me`.

use std::sync::atomic::Ordering;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, AuditEntry};
use crate::auth::caller::Caller;
use crate::auth::denylist::DenyList;
use crate::auth::password;
use crate::auth::refresh::{self, Rotation};
use crate::auth::users::{self, User, UserView};
use crate::config::RegistrationMode;
use crate::db::schema::{invites, users as users_table};
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, parse_json};
use crate::startup::AppState;
use crate::workspaces::model::{self as ws_model, WorkspaceSummary};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserEnvelope {
    pub user: UserView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    pub workspaces: Vec<WorkspaceSummary>,
}

/// Creates an account. The first account of an instance becomes its platform admin.
#[utoipa::path(tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = UserEnvelope), (status = 403, description = "registration closed or not invited"), (status = 409, description = "email taken")))]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    body: ApiJson<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let email = users::normalise_email(&body.email)?;
    password::validate(&body.password)?;
    let name = match body.name.as_deref() {
        Some(name) => users::normalise_name("name", name)?,
        None => email.split('@').next().unwrap_or_default().to_owned(),
    };
    let mode = state.settings.auth.registration;
    if mode == RegistrationMode::Closed {
        return Err(AppError::forbidden(
            "registration is closed on this instance; ask its administrator for an account",
        ));
    }
    let hash = password::hash(body.password, state.settings.auth.bcrypt_cost).await?;
    let user = state
        .db
        .transaction(move |conn| {
            let no_users: i64 = users_table::table.count().get_result(conn)?;
            if mode == RegistrationMode::Invite && no_users > 0 {
                let removed = diesel::delete(invites::table.find(&email)).execute(conn)?;
                if removed == 0 {
                    return Err(AppError::NotInvited);
                }
            }
            let user = User::create(conn, User::new(email, name, hash), false)?;
            audit::record(
                conn,
                AuditEntry::platform(("user", &user.id), "user.registered")
                    .target(&user.id)
                    .details(serde_json::json!({"platform_admin": user.is_platform_admin})),
            )?;
            Ok(user)
        })
        .await?;
    tracing::info!(user_id = %user.id, platform_admin = user.is_platform_admin, "account registered");
    Ok(HttpResponse::Created().json(UserEnvelope {
        user: UserView::from(&user),
    }))
}

/// The client address used for rate limiting.
fn client_address(req: &HttpRequest, state: &AppState) -> String {
    if state.settings.server.trust_forwarded_for
        && let Some(addr) = req.connection_info().realip_remote_addr()
    {
        return addr.to_owned();
    }
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

/// Exchanges email and password for an access and a refresh token.
#[utoipa::path(tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, description = "INVALID_CREDENTIALS"), (status = 429, description = "RATE_LIMITED")))]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<LoginRequest>,
) -> AppResult<web::Json<TokenPair>> {
    let body = body.0;
    let email = body.email.trim().to_lowercase();
    let address = client_address(&req, &state);
    let limited = state
        .login_by_address
        .hit(&address)
        .and_then(|()| state.login_by_account.hit(&email));
    if let Err(retry_after_s) = limited {
        state
            .metrics
            .logins_rate_limited
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%address, "login rate limit reached");
        return Err(AppError::RateLimited { retry_after_s });
    }
    let lookup = email.clone();
    let user = state
        .db
        .run(move |conn| User::find_by_email(conn, &lookup))
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !password::verify(body.password, stored, state.settings.auth.bcrypt_cost).await? {
        state.metrics.logins_failed.fetch_add(1, Ordering::Relaxed);
        return Err(AppError::InvalidCredentials);
    }
    let user = user.ok_or(AppError::InvalidCredentials)?;
    issue_pair(&state, user.id).await.map(web::Json)
}

async fn issue_pair(state: &AppState, user_id: String) -> AppResult<TokenPair> {
    let access = state.jwt.issue(&user_id)?;
    let ttl = state.settings.auth.refresh_ttl_s;
    let refresh_token = state
        .db
        .run(move |conn| refresh::issue(conn, &user_id, None, ttl))
        .await?;
    Ok(TokenPair {
        access_token: access.token,
        refresh_token,
        token_type: "Bearer",
        expires_in: access.expires_in,
    })
}

/// Rotates a refresh token: the presented one stops working, a new pair is returned.
#[utoipa::path(tag = "accounts", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, description = "UNAUTHENTICATED or TOKEN_REUSED")))]
#[post("/auth/refresh")]
pub async fn refresh_tokens(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> AppResult<web::Json<TokenPair>> {
    let presented = body.0.refresh_token;
    let ttl = state.settings.auth.refresh_ttl_s;
    // The family's revocation must be committed even though the answer is an error.
    let rotation = state
        .db
        .transaction(move |conn| refresh::rotate(conn, &presented, ttl))
        .await?;
    match rotation {
        Rotation::Rotated { user_id, token } => {
            let access = state.jwt.issue(&user_id)?;
            Ok(web::Json(TokenPair {
                access_token: access.token,
                refresh_token: token,
                token_type: "Bearer",
                expires_in: access.expires_in,
            }))
        }
        Rotation::Reused => {
            tracing::warn!("refresh token reused: its family was revoked");
            Err(AppError::TokenReused)
        }
    }
}

/// Revokes the refresh token (and its family) and denies the access token until it expires.
#[utoipa::path(tag = "accounts", request_body(content = LogoutRequest, description = "optional"),
    responses((status = 204), (status = 401)), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let Caller::User { user_id, jti, exp } = caller else {
        return Err(AppError::forbidden("API keys cannot log out"));
    };
    let request: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        parse_json(&body)?
    };
    let denied_jti = jti.clone();
    state
        .db
        .transaction(move |conn| {
            DenyList::persist(conn, &denied_jti, exp)?;
            if let Some(token) = request.refresh_token {
                refresh::revoke_for_user(conn, &user_id, &token)?;
            }
            Ok(())
        })
        .await?;
    state.denylist.insert(jti, exp);
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's account and workspaces.
#[utoipa::path(tag = "accounts", responses((status = 200, body = MeResponse), (status = 401)), security(("bearer" = [])))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> AppResult<web::Json<MeResponse>> {
    let user_id = caller.user_id()?.to_owned();
    let (user, workspaces) = state
        .db
        .run(move |conn| {
            let user = User::find(conn, &user_id)?
                .ok_or_else(|| AppError::Unauthenticated("account no longer exists".into()))?;
            let workspaces = ws_model::list_for_user(conn, &user_id)?;
            Ok((user, workspaces))
        })
        .await?;
    Ok(web::Json(MeResponse {
        user: UserView::from(&user),
        workspaces,
    }))
}
