//! Browser sessions: the API's own access and refresh tokens, in `HttpOnly` cookies.
//!
//! - access cookie (`Path=/`, lives as long as the token): pages accept only this, `/api/v1`
//!   never looks at cookies;
//! - refresh cookie (`Path=/auth/`): only the renewal and sign-out routes ever see it;
//! - a marker cookie without any secret says "a refresh cookie exists", so that a page whose
//!   access cookie has run out renews silently instead of showing the login form.
//!
//! With an `https` `server.public_url` the cookies are `Secure` and carry the `__Host-` /
//! `__Secure-` prefixes; on plain http (a LAN install) they cannot, and do not.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::auth::Caller;
use crate::auth::caller::user_from_token;
use crate::auth::routes::SignedIn;
use crate::context::AppState;
use crate::error::AppError;
use crate::web::csrf::check_same_origin;
use crate::web::page::{PageError, is_htmx};

pub const REFRESH_PATH: &str = "/auth/";

pub struct CookieNames {
    pub access: &'static str,
    pub refresh: &'static str,
    pub marker: &'static str,
    pub secure: bool,
}

impl CookieNames {
    pub fn for_url(public_url: &str) -> Self {
        if public_url.starts_with("https://") {
            Self {
                access: "__Host-livectl_at",
                refresh: "__Secure-livectl_rt",
                marker: "__Host-livectl_in",
                secure: true,
            }
        } else {
            Self {
                access: "livectl_at",
                refresh: "livectl_rt",
                marker: "livectl_in",
                secure: false,
            }
        }
    }
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub jti: String,
    /// Access token expiry, Unix seconds.
    pub exp: i64,
    /// The sign-in (refresh family).
    pub sign_in: String,
}

impl Session {
    pub fn caller(&self) -> Caller {
        Caller::User {
            user_id: self.user_id.clone(),
            jti: self.jti.clone(),
            exp: self.exp,
            sid: Some(self.sign_in.clone()),
        }
    }

    pub fn csrf(&self, state: &AppState) -> String {
        state.csrf.token(&self.sign_in)
    }

    fn from_cookie(req: &HttpRequest, state: &AppState) -> Option<Self> {
        let names = CookieNames::for_url(&state.settings.server.public_url);
        let token = req.cookie(names.access)?;
        match user_from_token(state, token.value()).ok()? {
            Caller::User {
                user_id,
                jti,
                exp,
                sid: Some(sign_in),
            } => Some(Self {
                user_id,
                jti,
                exp,
                sign_in,
            }),
            _ => None,
        }
    }
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")).into())
}

fn sign_in_needed(req: &HttpRequest, state: &AppState) -> PageError {
    let names = CookieNames::for_url(&state.settings.server.public_url);
    let next = if is_htmx(req) {
        // htmx asks for fragments; come back to the page it was on.
        req.headers()
            .get("HX-Current-URL")
            .and_then(|v| v.to_str().ok())
            .and_then(|url| url.find("://").map(|i| &url[i + 3..]))
            .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap_or_else(|| "/".to_owned())
    } else if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned())
    } else {
        // A form posted after the session ran out cannot be replayed by a redirect: start over.
        "/".to_owned()
    };
    PageError::SignIn {
        next,
        renew: req.cookie(names.marker).is_some(),
        htmx: is_htmx(req),
    }
}

impl FromRequest for Session {
    type Error = PageError;
    type Future = std::future::Ready<Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(state_of(req).and_then(|state| {
            Session::from_cookie(req, &state).ok_or_else(|| sign_in_needed(req, &state))
        }))
    }
}

/// The session of this request, if any (pages that also serve visitors: `/`, `/login`).
pub fn current(req: &HttpRequest, state: &AppState) -> Option<Session> {
    Session::from_cookie(req, state)
}

/// Sets the cookies of a new or renewed sign-in.
pub fn set_cookies(res: &mut HttpResponseBuilder, state: &AppState, signed_in: &SignedIn) {
    let names = CookieNames::for_url(&state.settings.server.public_url);
    let access_ttl = i64::try_from(state.settings.auth.access_ttl_s).unwrap_or(900);
    let refresh_ttl = i64::try_from(state.settings.auth.refresh_ttl_s).unwrap_or(2_592_000);
    res.cookie(cookie(
        names.access,
        signed_in.pair.access_token.clone(),
        "/",
        names.secure,
        access_ttl,
    ));
    res.cookie(cookie(
        names.refresh,
        signed_in.pair.refresh_token.clone(),
        REFRESH_PATH,
        names.secure,
        refresh_ttl,
    ));
    res.cookie(cookie(
        names.marker,
        "1".to_owned(),
        "/",
        names.secure,
        refresh_ttl,
    ));
}

/// Removes every session cookie (with the same paths, or nothing is removed).
pub fn clear_cookies(res: &mut HttpResponseBuilder, state: &AppState) {
    let names = CookieNames::for_url(&state.settings.server.public_url);
    for (name, path) in [
        (names.access, "/"),
        (names.refresh, REFRESH_PATH),
        (names.marker, "/"),
    ] {
        res.cookie(cookie(name, String::new(), path, names.secure, 0));
    }
}

fn cookie(
    name: &'static str,
    value: String,
    path: &'static str,
    secure: bool,
    max_age_s: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(max_age_s))
        .finish()
}

/// The refresh token of this browser, if it sent one (only on `/auth/…`).
pub fn refresh_cookie(req: &HttpRequest, state: &AppState) -> Option<String> {
    let names = CookieNames::for_url(&state.settings.server.public_url);
    req.cookie(names.refresh).map(|c| c.value().to_owned())
}

/// A form that is only a button (its CSRF token is all it sends).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A form post by a signed-in browser: same-origin, CSRF token checked, body parsed.
pub struct PageForm<T> {
    pub session: Session,
    pub form: T,
}

/// A form post before sign-in (login, register): same-origin checked, body parsed.
pub struct PublicForm<T>(pub T);

const FORM_LIMIT: usize = 64 * 1024;

async fn read_form<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<(T, Option<String>), PageError> {
    let bytes = web::Bytes::from_request(req, payload)
        .await
        .map_err(|e| AppError::BadRequest(format!("reading the form: {e}")))?;
    if bytes.len() > FORM_LIMIT {
        return Err(AppError::PayloadTooLarge(Some(FORM_LIMIT)).into());
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| AppError::BadRequest(format!("not a form: {e}")))?;
    let token = pairs
        .into_iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v)
        .or_else(|| {
            req.headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    let form = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| AppError::BadRequest(format!("the form is incomplete: {e}")))?;
    Ok((form, token))
}

impl<T: DeserializeOwned + 'static> FromRequest for PageForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let state = state_of(&req)?;
            check_same_origin(&req, &state.settings.server.public_url)?;
            let session =
                Session::from_cookie(&req, &state).ok_or_else(|| sign_in_needed(&req, &state))?;
            let (form, token) = read_form::<T>(&req, &mut payload).await?;
            match token {
                Some(token) if state.csrf.verify(&session.sign_in, &token) => {
                    Ok(PageForm { session, form })
                }
                _ => Err(AppError::forbidden(
                    "this form is out of date or was not sent by this dashboard; reload the page and try again",
                )
                .into()),
            }
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PublicForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let state = state_of(&req)?;
            check_same_origin(&req, &state.settings.server.public_url)?;
            let (form, _) = read_form::<T>(&req, &mut payload).await?;
            Ok(PublicForm(form))
        })
    }
}
