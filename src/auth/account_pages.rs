//! `/account`: the signed-in user's name, password, sign-ins and dashboard preferences.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::account::{
    ChangePassword, UpdateAccount, change_password, end_all_sign_ins, end_sign_in, sign_ins, update,
};
use crate::auth::preferences::{FeedDensity, Preferences};
use crate::auth::refresh::SignIn;
use crate::auth::users::User;
use crate::context::AppState;
use crate::i18n::{self, Lang};
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{self, NoFields, PageForm, Session};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(page))
        .route("/account/name", web::post().to(name_form))
        .route("/account/password", web::post().to(password_form))
        .route("/account/preferences", web::post().to(preferences_form))
        .route("/account/sign-ins/end-all", web::post().to(end_all_form))
        .route("/account/sign-ins/{id}/end", web::post().to(end_form));
}

/// A sign-in as the list shows it.
pub struct SignInLine {
    pub id: String,
    pub client: String,
    pub address: String,
    pub started: String,
    pub last_used: String,
    pub current: bool,
}

impl SignInLine {
    fn of(s: SignIn) -> Self {
        let lang = i18n::current();
        Self {
            client: if s.client.is_empty() {
                i18n::t("account-unknown-client").into_owned()
            } else {
                s.client
            },
            started: i18n::date_time(lang, s.started_at),
            last_used: i18n::date_time(lang, s.last_used_at),
            id: s.id,
            address: s.address,
            current: s.current,
        }
    }
}

/// Which form of the page was sent (its failure shows beside it).
#[derive(PartialEq, Eq, Clone, Copy)]
enum Part {
    None,
    Name,
    Password,
    Preferences,
}

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    layout: Layout,
    user: User,
    sign_ins: Vec<SignInLine>,
    preferences: Preferences,
    part: Part,
    failure: FormFailure,
    /// A line saying what the last form did.
    done: String,
    langs: &'static [Lang],
    densities: &'static [FeedDensity],
}

impl AccountPage {
    fn error_of(&self, part: Part, field: &str) -> Option<&String> {
        if self.part == part {
            self.failure.field(field)
        } else {
            None
        }
    }
}

async fn account_page(
    state: &AppState,
    session: &Session,
    part: Part,
    failure: FormFailure,
    done: String,
    shown: Option<Preferences>,
) -> PageResult {
    let layout = Layout::for_user(state, session, "page-account").await?;
    let user = User::load(state, &session.user_id).await?;
    let sign_ins = sign_ins(state, &session.caller())
        .await?
        .into_iter()
        .map(SignInLine::of)
        .collect();
    html(
        failure.status(),
        &AccountPage {
            preferences: shown.unwrap_or_else(|| user.preferences.get().clone()),
            layout,
            user,
            sign_ins,
            part,
            failure,
            done,
            langs: Lang::ALL,
            densities: FeedDensity::ALL,
        },
    )
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<DoneQuery>,
) -> PageResult {
    let done = match query.done.as_str() {
        "name" => i18n::t("account-done-name").into_owned(),
        "password" => i18n::t("account-done-password").into_owned(),
        "preferences" => i18n::t("account-done-preferences").into_owned(),
        "signed-out" => i18n::t("account-done-signed-out").into_owned(),
        _ => String::new(),
    };
    account_page(
        &state,
        &session,
        Part::None,
        FormFailure::default(),
        done,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

pub async fn name_form(state: web::Data<AppState>, form: PageForm<NameForm>) -> PageResult {
    let PageForm { session, form } = form;
    let changes = UpdateAccount {
        name: Some(form.name),
        preferences: None,
    };
    match update(&state, &session.caller(), changes).await {
        Ok(_) => Ok(see_other("/account?done=name")),
        Err(err) => {
            let failure = FormFailure::of(err)?;
            account_page(&state, &session, Part::Name, failure, String::new(), None).await
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn password_form(state: web::Data<AppState>, form: PageForm<PasswordForm>) -> PageResult {
    let PageForm { session, form } = form;
    let body = ChangePassword {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    match change_password(&state, &session.caller(), body).await {
        Ok(_) => Ok(see_other("/account?done=password")),
        Err(err) => {
            let failure = FormFailure::of(err)?;
            account_page(
                &state,
                &session,
                Part::Password,
                failure,
                String::new(),
                None,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    confirm_before_stop: Option<String>,
    #[serde(default)]
    kill_shortcut: String,
    #[serde(default)]
    feed_density: String,
    #[serde(default)]
    reduced_motion: Option<String>,
}

pub async fn preferences_form(
    state: web::Data<AppState>,
    form: PageForm<PreferencesForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let shortcut = form.kill_shortcut.trim();
    let preferences = Preferences {
        // Anything but a language of ours ("browser") follows the browser.
        language: Lang::parse(&form.language),
        confirm_before_stop: form.confirm_before_stop.is_some(),
        kill_shortcut: (!shortcut.is_empty()).then(|| shortcut.to_owned()),
        feed_density: FeedDensity::parse(&form.feed_density).unwrap_or_default(),
        reduced_motion: form.reduced_motion.is_some(),
    };
    let changes = UpdateAccount {
        name: None,
        preferences: Some(preferences.clone()),
    };
    match update(&state, &session.caller(), changes).await {
        Ok(user) => {
            let mut res = HttpResponse::SeeOther();
            // This browser follows the account's language (or its own again).
            let lang = user.preferences.language;
            res.cookie(crate::web::language::cookie(lang));
            Ok(res
                .insert_header((LOCATION, "/account?done=preferences"))
                .finish())
        }
        Err(err) => {
            let failure = FormFailure::of(err)?;
            let page = Part::Preferences;
            account_page(
                &state,
                &session,
                page,
                failure,
                String::new(),
                Some(preferences),
            )
            .await
        }
    }
}

pub async fn end_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<NoFields>,
) -> PageResult {
    let session = form.session;
    end_sign_in(&state, &session.caller(), &path).await?;
    if *path == session.sign_in {
        return Ok(signed_out(&state));
    }
    Ok(see_other("/account?done=signed-out"))
}

pub async fn end_all_form(state: web::Data<AppState>, form: PageForm<NoFields>) -> PageResult {
    end_all_sign_ins(&state, &form.session.caller()).await?;
    Ok(signed_out(&state))
}

/// This browser's sign-in ended with the others: its cookies go too.
fn signed_out(state: &AppState) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    session::clear_cookies(&mut res, state);
    res.insert_header((LOCATION, "/login?reason=signed_out"))
        .finish()
}

/// The catalogue id of a feed density's name.
pub fn density_label(density: impl std::borrow::Borrow<FeedDensity>) -> &'static str {
    match density.borrow() {
        FeedDensity::Comfortable => "density-comfortable",
        FeedDensity::Compact => "density-compact",
    }
}
