//! Who is calling: a user with an access token, or an integration with an API key.

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::api_keys::{self, Scope};
use crate::context::AppState;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub enum Caller {
    User {
        user_id: String,
        jti: String,
        /// Expiry of the access token (Unix seconds), kept for logout's deny list.
        exp: i64,
        /// The sign-in (refresh family) the token belongs to, when it says.
        sid: Option<String>,
    },
    ApiKey {
        key_id: String,
        workspace_id: String,
        scopes: Vec<Scope>,
    },
}

impl Caller {
    /// The user id, for endpoints that only people may call.
    pub fn user_id(&self) -> AppResult<&str> {
        match self {
            Caller::User { user_id, .. } => Ok(user_id),
            Caller::ApiKey { .. } => Err(AppError::forbidden(
                "API keys are accepted on workspace routes only; use an access token",
            )),
        }
    }

    /// The sign-in (refresh family) an access token belongs to.
    pub fn sign_in(&self) -> Option<&str> {
        match self {
            Caller::User { sid, .. } => sid.as_deref(),
            Caller::ApiKey { .. } => None,
        }
    }

    /// `(actor_type, actor_id)` for the audit log.
    pub fn actor(&self) -> (&'static str, &str) {
        match self {
            Caller::User { user_id, .. } => ("user", user_id),
            Caller::ApiKey { key_id, .. } => ("api_key", key_id),
        }
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let api_key = req
            .headers()
            .get("x-api-key")
            .map(|v| v.to_str().map(str::to_owned));
        let authorization = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")))?;
            if let Some(key) = api_key {
                let key = key.map_err(|_| AppError::InvalidApiKey)?;
                return api_keys::authenticate(&state, key).await;
            }
            let header = authorization
                .ok_or_else(|| AppError::Unauthenticated("missing access token".into()))?
                .map_err(|_| AppError::Unauthenticated("malformed Authorization header".into()))?;
            let token = header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    AppError::Unauthenticated("expected Authorization: Bearer <token>".into())
                })?;
            user_from_token(&state, token)
        })
    }
}

/// Verifies an access token and checks it was not revoked by a logout.
pub fn user_from_token(state: &AppState, token: &str) -> AppResult<Caller> {
    let claims = state.jwt.verify(token)?;
    if state.denylist.is_denied(&claims.jti, claims.sid.as_deref()) {
        return Err(AppError::Unauthenticated("access token revoked".into()));
    }
    Ok(Caller::User {
        user_id: claims.sub,
        jti: claims.jti,
        exp: claims.exp,
        sid: claims.sid,
    })
}
