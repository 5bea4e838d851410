//! `/me`: the signed-in user's own account: name and preferences, password change, and the
//! sign-ins that can still renew (each can be ended, or all of them at once).
//!
//! A password change ends every other sign-in (their refresh tokens are revoked and their access
//! tokens denied on every node), keeping the one that made the change.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::auth::password;
use crate::auth::preferences::{Preferences, parse_shortcut};
use crate::auth::refresh::{self, SignIn};
use crate::auth::routes::deny_sign_in;
use crate::auth::users::{User, UserView};
use crate::context::AppState;
use crate::db::schema::users;
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::now_ms;
use crate::text::Name;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    pub name: Option<String>,
    /// The whole preferences object (a field left out takes its default).
    pub preferences: Option<Preferences>,
}

/// Changes the caller's name or dashboard preferences.
#[utoipa::path(tag = "accounts", request_body = UpdateAccount,
    responses((status = 200, body = UserView), (status = 422, description = "VALIDATION_FAILED: `name` or `kill_shortcut`")),
    security(("bearer" = [])))]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<UpdateAccount>,
) -> AppResult<web::Json<UserView>> {
    let user = update(&state, &caller, body.0).await?;
    Ok(web::Json(UserView::from(&user)))
}

/// Checks and stores an account change; the updated user.
pub async fn update(state: &AppState, caller: &Caller, changes: UpdateAccount) -> AppResult<User> {
    let user_id = caller.user_id()?.to_owned();
    let name = changes
        .name
        .as_deref()
        .map(|raw| Name::parse("name", raw))
        .transpose()?;
    let preferences = match changes.preferences {
        Some(mut preferences) => {
            preferences.kill_shortcut = preferences
                .kill_shortcut
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(parse_shortcut)
                .transpose()?;
            Some(Json::new(preferences)?)
        }
        None => None,
    };
    state
        .db
        .run(move |conn| {
            let now = now_ms();
            if let Some(name) = name {
                diesel::update(users::table.find(&user_id))
                    .set((
                        users::name.eq(String::from(name)),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            if let Some(preferences) = preferences {
                diesel::update(users::table.find(&user_id))
                    .set((
                        users::preferences.eq(preferences),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            User::existing(conn, &user_id)
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's password and ends every other sign-in.
#[utoipa::path(tag = "accounts", request_body = ChangePassword,
    responses((status = 204), (status = 422, description = "VALIDATION_FAILED: `current_password` is wrong or `new_password` is too short or too long"), (status = 429)),
    security(("bearer" = [])))]
#[post("/me/password")]
pub async fn change_password_route(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ChangePassword>,
) -> AppResult<HttpResponse> {
    change_password(&state, &caller, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Verifies the current password (paced like a sign-in), stores the new one and ends every
/// sign-in but the caller's; the number of sign-ins ended.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    body: ChangePassword,
) -> AppResult<usize> {
    let user_id = caller.user_id()?.to_owned();
    if let Err(err) = password::validate(&body.new_password) {
        return Err(rename_field(err, "password", "new_password"));
    }
    let user = User::load(state, &user_id).await?;
    if let Err(retry_after_s) = state.limits.sign_in(&user.email, "password-change").await {
        return Err(AppError::RateLimited { retry_after_s });
    }
    let cost = state.settings.auth.bcrypt_cost;
    if !password::verify(body.current_password, Some(user.password_hash), cost).await? {
        state
            .limits
            .sign_in_failed(&user.email, "password-change")
            .await;
        return Err(AppError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = password::hash(body.new_password, cost).await?;
    let keep = caller.sign_in().map(str::to_owned);
    let ended = state
        .db
        .transaction(move |conn| {
            diesel::update(users::table.find(&user_id))
                .set((
                    users::password_hash.eq(hash),
                    users::updated_at.eq(now_ms()),
                ))
                .execute(conn)?;
            refresh::revoke_all_of_user(conn, &user_id, keep.as_deref())
        })
        .await?;
    let count = ended.len();
    for family in ended {
        deny_sign_in(state, family).await?;
    }
    tracing::info!(ended = count, "password changed; other sign-ins ended");
    Ok(count)
}

fn rename_field(err: AppError, from: &str, to: &str) -> AppError {
    match err {
        AppError::Validation {
            message,
            mut fields,
        } => {
            if let Some(reason) = fields.remove(from) {
                fields.insert(to.to_owned(), reason);
            }
            AppError::Validation {
                message: message.replacen(from, to, 1),
                fields,
            }
        }
        other => other,
    }
}

/// The caller's sign-ins that can still renew, newest first.
#[utoipa::path(tag = "accounts", responses((status = 200, body = Vec<SignIn>)), security(("bearer" = [])))]
#[get("/me/sign-ins")]
pub async fn list_sign_ins(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<web::Json<Vec<SignIn>>> {
    Ok(web::Json(sign_ins(&state, &caller).await?))
}

pub async fn sign_ins(state: &AppState, caller: &Caller) -> AppResult<Vec<SignIn>> {
    let user_id = caller.user_id()?.to_owned();
    let current = caller.sign_in().map(str::to_owned);
    state
        .db
        .run(move |conn| refresh::live_sign_ins(conn, &user_id, current.as_deref()))
        .await
}

/// Ends one sign-in: its refresh token stops working and its access tokens are refused.
#[utoipa::path(tag = "accounts", responses((status = 204), (status = 404, description = "no such sign-in of this account")), security(("bearer" = [])))]
#[delete("/me/sign-ins/{id}")]
pub async fn end_sign_in_route(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    end_sign_in(&state, &caller, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn end_sign_in(state: &AppState, caller: &Caller, id: &str) -> AppResult<()> {
    let live = sign_ins(state, caller).await?;
    if !live.iter().any(|s| s.id == id) {
        return Err(AppError::not_found("sign-in"));
    }
    let user_id = caller.user_id()?.to_owned();
    let family = id.to_owned();
    state
        .db
        .run(move |conn| refresh::revoke_family_of_user(conn, &user_id, &family))
        .await?;
    deny_sign_in(state, id.to_owned()).await
}

/// Signs the account out everywhere, this sign-in included.
#[utoipa::path(tag = "accounts", responses((status = 204)), security(("bearer" = [])))]
#[delete("/me/sign-ins")]
pub async fn end_all_sign_ins_route(
    state: web::Data<AppState>,
    caller: Caller,
) -> AppResult<HttpResponse> {
    end_all_sign_ins(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn end_all_sign_ins(state: &AppState, caller: &Caller) -> AppResult<()> {
    let user_id = caller.user_id()?.to_owned();
    let ended = state
        .db
        .transaction(move |conn| refresh::revoke_all_of_user(conn, &user_id, None))
        .await?;
    for family in ended {
        deny_sign_in(state, family).await?;
    }
    Ok(())
}
