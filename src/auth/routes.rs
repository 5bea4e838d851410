//! `/auth/*` and `/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, AuditEntry};
use crate::auth::caller::Caller;
use crate::auth::denylist::DenyList;
use crate::auth::password;
use crate::auth::refresh::{self, Rotation};
use crate::auth::users::{User, UserView};
use crate::config::RegistrationMode;
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::{invites, users as users_table};
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, parse_json};
use crate::text::{Email, Name};
use crate::workspaces::model::{self as ws_model, WorkspaceSummary};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 8 to 72 bytes (UTF-8), not only spaces, no NUL.
    #[schema(max_length = 72)]
    pub password: String,
    /// Up to 100 characters once trimmed; absent, empty or only spaces: the email's local
    /// part (the dashboard's form sends an empty field when left blank).
    #[serde(default)]
    #[schema(max_length = 100)]
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
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let address = client_address(&req, &state);
    let user = register_account(&state, body.0, &address).await?;
    Ok(HttpResponse::Created().json(UserEnvelope {
        user: UserView::from(&user),
    }))
}

/// Creates an account (API and dashboard). The first account becomes the platform admin.
pub async fn register_account(
    state: &AppState,
    body: RegisterRequest,
    address: &str,
) -> AppResult<User> {
    let email = String::from(Email::parse(&body.email)?);
    password::validate(&body.password)?;
    let name = match body.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => Name::parse("name", name)?.into(),
        None => email.split('@').next().unwrap_or_default().to_owned(),
    };
    let mode = state.settings.auth.registration;
    if mode == RegistrationMode::Closed {
        return Err(AppError::forbidden(
            "registration is closed on this instance; ask its administrator for an account",
        ));
    }
    if let Err(retry_after_s) = state.limits.registration(address).await {
        tracing::warn!(%address, "registration rate limit reached");
        return Err(AppError::RateLimited { retry_after_s });
    }
    // A taken email is answered before the (slow) hash; the insert still checks it too.
    let lookup = email.clone();
    if state
        .db
        .run(move |conn| User::find_by_email(conn, &lookup))
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            "an account with this email already exists".into(),
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
            let user = User::create(conn, User::new(email, name, hash)?, false)?;
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
    Ok(user)
}

/// Where a request comes from, as a new sign-in records it.
pub fn origin(req: &HttpRequest, state: &AppState) -> refresh::Origin {
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    refresh::Origin {
        client: agent
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect(),
        address: client_address(req, state),
    }
}

/// The client address used for rate limiting.
pub fn client_address(req: &HttpRequest, state: &AppState) -> String {
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    match req.peer_addr() {
        Some(peer) => state
            .settings
            .server
            .trusted_proxies
            .client_of(peer.ip(), forwarded)
            .to_string(),
        None => "unknown".to_owned(),
    }
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
    let signed_in = sign_in(&state, body.0, origin(&req, &state)).await?;
    Ok(web::Json(signed_in.pair))
}

/// A new sign-in: the token pair and the refresh family it started.
pub struct SignedIn {
    pub pair: TokenPair,
    pub user_id: String,
    pub family_id: String,
    /// When the access token expires (Unix seconds).
    pub access_expires_at: i64,
}

/// Checks email and password (rate limited per account and per client address) and starts a
/// new refresh family: nothing from before the sign-in is reused.
pub async fn sign_in(
    state: &AppState,
    body: LoginRequest,
    origin: refresh::Origin,
) -> AppResult<SignedIn> {
    let address = origin.address.as_str();
    let email = body.email.trim().to_lowercase();
    if let Err(retry_after_s) = state.limits.sign_in(&email, address).await {
        state.metrics.logins_rate_limited.inc();
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
        state.metrics.logins_failed.inc();
        state.limits.sign_in_failed(&email, address).await;
        return Err(AppError::InvalidCredentials);
    }
    state.limits.sign_in_succeeded(&email, address).await;
    let user = user.ok_or(AppError::InvalidCredentials)?;
    let ttl = state.settings.auth.refresh_ttl_s;
    let user_id = user.id;
    let owner = user_id.clone();
    let refresh = state
        .db
        .run(move |conn| refresh::issue(conn, &owner, refresh::Family::New(origin), ttl))
        .await?;
    pair_for(state, user_id, refresh.family_id, refresh.token)
}

fn pair_for(
    state: &AppState,
    user_id: String,
    family_id: String,
    refresh_token: String,
) -> AppResult<SignedIn> {
    let access = state.jwt.issue(&user_id, Some(&family_id))?;
    Ok(SignedIn {
        pair: TokenPair {
            access_token: access.token,
            refresh_token,
            token_type: "Bearer",
            expires_in: access.expires_in,
        },
        user_id,
        family_id,
        access_expires_at: access.expires_at,
    })
}

pub enum Renewal {
    Renewed(SignedIn),
    /// Another request renewed with this token a moment ago: refused, nothing revoked.
    AlreadyRenewed,
}

/// Rotates a refresh token. A token reused after the grace window revokes its family and
/// fails with `TOKEN_REUSED`.
pub async fn renew(state: &AppState, presented: String) -> AppResult<Renewal> {
    let ttl = state.settings.auth.refresh_ttl_s;
    let grace = state.settings.auth.refresh_reuse_grace_ms;
    // The family's revocation must be committed even though the answer is an error.
    let rotation = state
        .db
        .transaction(move |conn| refresh::rotate(conn, &presented, ttl, grace))
        .await?;
    match rotation {
        Rotation::Rotated {
            user_id,
            family_id,
            token,
        } => pair_for(state, user_id, family_id, token).map(Renewal::Renewed),
        Rotation::JustRotated => Ok(Renewal::AlreadyRenewed),
        Rotation::Reused { family_id } => {
            tracing::warn!("refresh token reused: its sign-in was revoked, access tokens included");
            deny_sign_in(state, family_id).await?;
            Err(AppError::TokenReused)
        }
    }
}

/// Refuses every access token of a sign-in (refresh family) from now until the last one it
/// may have been issued expires.
pub async fn deny_sign_in(state: &AppState, family_id: String) -> AppResult<()> {
    let ttl_s = i64::try_from(state.settings.auth.access_ttl_s).unwrap_or(i64::MAX / 2);
    let until = (crate::ids::now_ms() / 1000)
        .saturating_add(ttl_s)
        .saturating_add(60);
    let denied = family_id.clone();
    state
        .db
        .run(move |conn| DenyList::persist(conn, &denied, until))
        .await?;
    state
        .control
        .emit(ControlEvent::Denied {
            id: family_id,
            until_s: until,
        })
        .await;
    Ok(())
}

/// Rotates a refresh token: the presented one stops working, a new pair is returned.
#[utoipa::path(tag = "accounts", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, description = "UNAUTHENTICATED or TOKEN_REUSED")))]
#[post("/auth/refresh")]
pub async fn refresh_tokens(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> AppResult<web::Json<TokenPair>> {
    match renew(&state, body.0.refresh_token).await? {
        Renewal::Renewed(signed_in) => Ok(web::Json(signed_in.pair)),
        Renewal::AlreadyRenewed => Err(AppError::Unauthenticated(
            "this refresh token was renewed a moment ago by another request; use the newer one"
                .into(),
        )),
    }
}

/// Revokes the refresh token (and its family) and denies the access token until it expires.
#[utoipa::path(tag = "accounts", request_body(content = Option<LogoutRequest>, description = "optional: `{refresh_token}` also revokes that sign-in"),
    responses((status = 204), (status = 401)), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let Caller::User {
        user_id,
        jti,
        exp,
        sid,
    } = caller
    else {
        return Err(AppError::forbidden("API keys cannot log out"));
    };
    let request: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        parse_json(&body)?
    };
    let ending = request.refresh_token.map(SignInToEnd::RefreshToken);
    sign_out(&state, user_id, (jti, exp, sid), ending).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which sign-in a logout ends besides denying the access token.
pub enum SignInToEnd {
    /// The family of this refresh token (API clients send it).
    RefreshToken(String),
    /// This family (browser sessions know it from their access token).
    Family(String),
}

/// Denies the access token (`jti`, `exp`) until it expires and every access token of its
/// sign-in (`sid`, when it names one), and revokes the refresh family `ending` names.
pub async fn sign_out(
    state: &AppState,
    user_id: String,
    access: (String, i64, Option<String>),
    ending: Option<SignInToEnd>,
) -> AppResult<()> {
    let (jti, exp, sign_in) = access;
    let denied_jti = jti.clone();
    state
        .db
        .transaction(move |conn| {
            DenyList::persist(conn, &denied_jti, exp)?;
            match ending {
                Some(SignInToEnd::RefreshToken(token)) => {
                    refresh::revoke_for_user(conn, &user_id, &token)
                }
                Some(SignInToEnd::Family(family)) => {
                    refresh::revoke_family_of_user(conn, &user_id, &family)
                }
                None => Ok(()),
            }
        })
        .await?;
    state
        .control
        .emit(ControlEvent::Denied {
            id: jti,
            until_s: exp,
        })
        .await;
    // Every access token of this sign-in (another tab's, a renewed one) ends with it.
    if let Some(sign_in) = sign_in {
        deny_sign_in(state, sign_in).await?;
    }
    Ok(())
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
