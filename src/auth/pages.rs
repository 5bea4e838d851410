//! The dashboard's sign-in pages: `/login`, `/register`, `POST /logout`, and the silent
//! renewal routes under `/auth/session/` (the only paths the refresh cookie is sent to).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use crate::auth::routes::{
    LoginRequest, RegisterRequest, Renewal, SignInToEnd, SignedIn, client_address, origin,
    register_account, renew, sign_in, sign_out,
};
use crate::config::RegistrationMode;
use crate::context::AppState;
use crate::error::AppError;
use crate::web::csrf::check_same_origin;
use crate::web::layout::Layout;
use crate::web::page::{PageResult, encode, html, safe_next, see_other, sign_in_url};
use crate::web::session::{self, NoFields, PageForm, PublicForm};

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    reason: String,
    /// Renewal hops so far (two tabs renewing at once may bounce once).
    #[serde(default)]
    hop: u8,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    next_encoded: String,
    email: String,
    error: String,
    notice: String,
    registration_open: bool,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
struct RegisterPage {
    layout: Layout,
    next: String,
    next_encoded: String,
    name: String,
    email: String,
    error: String,
    field_errors: BTreeMap<String, String>,
    invite_only: bool,
}

fn login_page(
    state: &AppState,
    next: &str,
    email: String,
    error: String,
    notice: String,
) -> LoginPage {
    let next = safe_next(next).to_owned();
    LoginPage {
        layout: Layout::public("page-sign-in"),
        next_encoded: encode(&next),
        next,
        email,
        error,
        notice,
        registration_open: state.settings.auth.registration != RegistrationMode::Closed,
    }
}

/// Where to go once signed in.
fn landing(next: &str) -> &str {
    match safe_next(next) {
        "/" | "/login" | "/register" => "/",
        other => other,
    }
}

pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> PageResult {
    if session::current(&req, &state).is_some() {
        return Ok(see_other(landing(&query.next)));
    }
    let notice = match query.reason.as_str() {
        "expired" => crate::i18n::t("login-expired"),
        "signed_out" => crate::i18n::t("login-signed-out"),
        "reused" => crate::i18n::t("login-reused"),
        _ => "".into(),
    };
    html(
        StatusCode::OK,
        &login_page(
            &state,
            &query.next,
            String::new(),
            String::new(),
            notice.into_owned(),
        ),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: PublicForm<LoginForm>,
) -> PageResult {
    let form = form.0;
    let request = LoginRequest {
        email: form.email.clone(),
        password: form.password,
    };
    match sign_in(&state, request, origin(&req, &state)).await {
        Ok(signed_in) => signed_in_response(&state, &signed_in, landing(&form.next)).await,
        Err(err) => {
            let message = match &err {
                AppError::RateLimited { retry_after_s } => {
                    crate::i18n::t1("login-too-many", "seconds", retry_after_s).into_owned()
                }
                AppError::InvalidCredentials => crate::i18n::t("login-wrong").into_owned(),
                AppError::Internal(_) => return Err(err.into()),
                other => other.to_string(),
            };
            html(
                err.status_code(),
                &login_page(&state, &form.next, form.email, message, String::new()),
            )
        }
    }
}

/// The session's cookies, and the account's language for this browser (so that every part of
/// every page speaks it, whatever the browser asks for).
async fn signed_in_response(state: &AppState, signed_in: &SignedIn, to: &str) -> PageResult {
    let user_id = signed_in.user_id.clone();
    let language = state
        .db
        .run(move |conn| crate::auth::users::User::find(conn, &user_id))
        .await?
        .and_then(|user| user.preferences.language);
    let mut res = HttpResponse::SeeOther();
    session::set_cookies(&mut res, state, signed_in);
    if let Some(lang) = language {
        res.cookie(crate::web::language::cookie(Some(lang)));
    }
    Ok(res
        .insert_header((actix_web::http::header::LOCATION, to))
        .finish())
}

pub async fn register_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> PageResult {
    if session::current(&req, &state).is_some() {
        return Ok(see_other(landing(&query.next)));
    }
    let mode = state.settings.auth.registration;
    if mode == RegistrationMode::Closed {
        return Err(AppError::forbidden(crate::i18n::t("register-closed")).into());
    }
    html(
        StatusCode::OK,
        &register_page(mode, &query.next, String::new(), String::new()),
    )
}

fn register_page(mode: RegistrationMode, next: &str, name: String, email: String) -> RegisterPage {
    let next = safe_next(next).to_owned();
    RegisterPage {
        layout: Layout::public("page-register"),
        next_encoded: encode(&next),
        next,
        name,
        email,
        error: String::new(),
        field_errors: BTreeMap::new(),
        invite_only: mode == RegistrationMode::Invite,
    }
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: PublicForm<RegisterForm>,
) -> PageResult {
    let form = form.0;
    let mode = state.settings.auth.registration;
    let request = RegisterRequest {
        email: form.email.clone(),
        password: form.password.clone(),
        name: Some(form.name.clone()),
    };
    let failed = |err: AppError| -> PageResult {
        if let AppError::Internal(_) = err {
            return Err(err.into());
        }
        let mut page = register_page(mode, &form.next, form.name.clone(), form.email.clone());
        match &err {
            AppError::Validation { fields, .. } => page.field_errors = fields.clone(),
            other => page.error = other.to_string(),
        }
        html(err.status_code(), &page)
    };
    let address = client_address(&req, &state);
    if let Err(err) = register_account(&state, request, &address).await {
        return failed(err);
    }
    let login = LoginRequest {
        email: form.email.clone(),
        password: form.password.clone(),
    };
    match sign_in(&state, login, origin(&req, &state)).await {
        Ok(signed_in) => signed_in_response(&state, &signed_in, landing(&form.next)).await,
        Err(err) => failed(err),
    }
}

pub async fn logout(state: web::Data<AppState>, form: PageForm<NoFields>) -> PageResult {
    let session = form.session;
    sign_out(
        &state,
        session.user_id,
        (session.jti, session.exp, Some(session.sign_in.clone())),
        Some(SignInToEnd::Family(session.sign_in)),
    )
    .await?;
    let mut res = HttpResponse::SeeOther();
    session::clear_cookies(&mut res, &state);
    Ok(res
        .insert_header((
            actix_web::http::header::LOCATION,
            "/login?reason=signed_out",
        ))
        .finish())
}

/// `GET /auth/session/refresh?next=…`: a page found its access cookie gone; renew with the
/// refresh cookie and go back, or on to the login form.
pub async fn renew_and_return(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> PageResult {
    let next = safe_next(&query.next).to_owned();
    let Some(token) = session::refresh_cookie(&req, &state) else {
        return Ok(signed_out(&state, &next, "expired"));
    };
    match renew(&state, token).await {
        Ok(Renewal::Renewed(signed_in)) => signed_in_response(&state, &signed_in, &next).await,
        // Another tab renewed with the same token a moment ago; its cookies are (or are about
        // to be) in this browser's jar. Go back once; a second bounce gives up.
        Ok(Renewal::AlreadyRenewed) if query.hop < 2 => Ok(see_other(&format!(
            "{}&hop={}",
            sign_in_url(&next, true),
            query.hop + 1
        ))),
        Ok(Renewal::AlreadyRenewed) => Ok(signed_out(&state, &next, "expired")),
        Err(AppError::TokenReused) => Ok(signed_out(&state, &next, "reused")),
        Err(AppError::Unauthenticated(_)) => Ok(signed_out(&state, &next, "expired")),
        Err(other) => Err(other.into()),
    }
}

fn signed_out(state: &AppState, next: &str, reason: &str) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    session::clear_cookies(&mut res, state);
    res.insert_header((
        actix_web::http::header::LOCATION,
        format!("{}&reason={reason}", sign_in_url(next, false)),
    ))
    .finish()
}

/// `POST /auth/session/refresh`: the page's script renews before the access cookie runs out.
/// Answers `{"expires_at"}` (Unix seconds) with new cookies, or 401 with `{"error"}`.
/// `already_renewed` means another tab won the race: the cookies in the jar are fresh.
pub async fn renew_in_background(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Err(err) = check_same_origin(&req, &state.settings.server.public_url) {
        return err.error_response();
    }
    let Some(token) = session::refresh_cookie(&req, &state) else {
        return HttpResponse::Unauthorized().json(json!({"error": "UNAUTHENTICATED"}));
    };
    match renew(&state, token).await {
        Ok(Renewal::Renewed(signed_in)) => {
            let mut res = HttpResponse::Ok();
            session::set_cookies(&mut res, &state, &signed_in);
            res.json(json!({"expires_at": signed_in.access_expires_at}))
        }
        Ok(Renewal::AlreadyRenewed) => {
            HttpResponse::Conflict().json(json!({"error": "ALREADY_RENEWED"}))
        }
        Err(err) => {
            if let AppError::Internal(_) = err {
                return err.error_response();
            }
            let mut res = HttpResponse::Unauthorized();
            session::clear_cookies(&mut res, &state);
            res.json(json!({"error": err.code().as_str()}))
        }
    }
}
