//! `POST /language`: the language switcher in every page's header. The choice is kept in a
//! cookie (for this browser, signed in or not) and, for a signed-in user, in their account
//! (so every browser they sign in with speaks it).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{LOCATION, REFERER};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::account::{UpdateAccount, update};
use crate::auth::users::User;
use crate::context::AppState;
use crate::error::AppError;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::web::page::{PageResult, safe_next};
use crate::web::session::{self, PublicForm};

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    _csrf: String,
}

pub async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: PublicForm<LanguageForm>,
) -> PageResult {
    let form = form.0;
    let lang = Lang::parse(&form.lang)
        .ok_or_else(|| AppError::invalid("lang", "must be one of: en, vi"))?;
    // The account keeps it only when the form is this sign-in's own (its CSRF token).
    if let Some(session) = session::current(&req, &state)
        && state.csrf.verify(&session.sign_in, &form._csrf)
    {
        let caller = session.caller();
        let user = User::load(&state, &session.user_id).await?;
        let mut preferences = user.preferences.get().clone();
        preferences.language = Some(lang);
        update(
            &state,
            &caller,
            UpdateAccount {
                name: None,
                preferences: Some(preferences),
            },
        )
        .await?;
    }
    let back = req
        .headers()
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.find("://").map(|i| &url[i + 3..]))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned());
    Ok(HttpResponse::SeeOther()
        .cookie(cookie(Some(lang)))
        .insert_header((LOCATION, safe_next(&back).to_owned()))
        .finish())
}

/// The cookie that makes this browser speak `lang`; `None` removes it (follow the browser).
pub fn cookie(lang: Option<Lang>) -> Cookie<'static> {
    let max_age = if lang.is_some() { 365 } else { 0 };
    Cookie::build(LANG_COOKIE, lang.map_or("", Lang::as_str))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(max_age))
        .finish()
}
