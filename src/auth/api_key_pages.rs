//! `/w/{ws}/api-keys` (owner): create a key with its scopes explained (the key shown once),
//! the live keys with their last use, revoke.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::auth::api_keys::{ApiKeyView, CreateApiKey, CreatedApiKey, Scope, create, list, revoke};
use crate::context::AppState;
use crate::error::AppError;
use crate::i18n;
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{NoFields, PageForm, Session};
use crate::workspaces::permissions::Action;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/api-keys", web::get().to(page))
        .route("/w/{ws}/api-keys", web::post().to(create_form))
        .route("/w/{ws}/api-keys/{id}/revoke", web::post().to(revoke_form));
}

/// Every scope: its name on the wire and the catalogue id of what it allows.
pub const SCOPES: [(Scope, &str, &str); 4] = [
    (Scope::Read, "read", "scope-read-hint"),
    (Scope::EventsWrite, "events:write", "scope-events-hint"),
    (Scope::RulesWrite, "rules:write", "scope-rules-hint"),
    (
        Scope::LivestreamsWrite,
        "livestreams:write",
        "scope-livestreams-hint",
    ),
];

fn scope_name(scope: Scope) -> &'static str {
    SCOPES
        .iter()
        .find(|(s, ..)| *s == scope)
        .map_or("", |(_, name, ..)| *name)
}

/// A key as the list shows it.
pub struct KeyLine {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created: String,
    pub last_used: String,
}

impl KeyLine {
    fn of(key: ApiKeyView) -> Self {
        let lang = i18n::current();
        Self {
            scopes: key
                .scopes
                .iter()
                .map(|s| scope_name(*s))
                .collect::<Vec<_>>()
                .join(", "),
            created: i18n::date_time(lang, key.created_at),
            last_used: key.last_used_at.map_or_else(
                || i18n::t("never").into_owned(),
                |t| i18n::date_time(lang, t),
            ),
            id: key.id,
            name: key.name,
            prefix: key.prefix,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NewKey {
    #[serde(default)]
    name: String,
    /// Checked boxes: `scopes=read&scopes=events:write` (read from the pairs: serde_urlencoded
    /// does not gather repeated keys).
    #[serde(skip)]
    scopes: Vec<String>,
}

#[derive(Template)]
#[template(path = "api_keys/list.html")]
struct KeysPage {
    layout: Layout,
    ws_id: String,
    keys: Vec<KeyLine>,
    form: NewKey,
    failure: FormFailure,
    /// The key just created: shown this once.
    created: Option<CreatedApiKey>,
}

impl KeysPage {
    fn checked(&self, scope: &str) -> bool {
        self.form.scopes.iter().any(|s| s == scope)
    }
}

async fn keys_page(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: NewKey,
    failure: FormFailure,
    created: Option<CreatedApiKey>,
) -> PageResult {
    let (layout, access) = Layout::for_workspace(
        state,
        session,
        ws,
        Action::ManageApiKeys,
        "api-keys",
        "page-api-keys",
    )
    .await?;
    let keys = list(state, &session.caller(), &access.workspace.id)
        .await?
        .into_iter()
        .map(KeyLine::of)
        .collect();
    html(
        failure.status(),
        &KeysPage {
            ws_id: access.workspace.id,
            layout,
            keys,
            form,
            failure,
            created,
        },
    )
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let form = NewKey {
        scopes: vec!["read".to_owned()],
        ..NewKey::default()
    };
    keys_page(&state, &session, &path, form, FormFailure::default(), None).await
}

pub async fn create_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<Vec<(String, String)>>,
) -> PageResult {
    let PageForm { session, form } = form;
    let mut new = NewKey::default();
    for (key, value) in form {
        match key.as_str() {
            "name" => new.name = value,
            "scopes" => new.scopes.push(value),
            _ => {}
        }
    }
    let scopes: Result<Vec<Scope>, AppError> = new
        .scopes
        .iter()
        .map(|raw| {
            SCOPES
                .iter()
                .find(|(_, name, _)| name == raw)
                .map(|(scope, ..)| *scope)
                .ok_or_else(|| AppError::invalid("scopes", format!("no scope called {raw}")))
        })
        .collect();
    let result = match scopes {
        Ok(scopes) => {
            let body = CreateApiKey {
                name: new.name.clone(),
                scopes,
            };
            create(&state, &session.caller(), &path, body).await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(created) => {
            let fresh = NewKey {
                scopes: vec!["read".to_owned()],
                ..NewKey::default()
            };
            keys_page(
                &state,
                &session,
                &path,
                fresh,
                FormFailure::default(),
                Some(created),
            )
            .await
        }
        Err(err) => keys_page(&state, &session, &path, new, FormFailure::of(err)?, None).await,
    }
}

pub async fn revoke_form(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: PageForm<NoFields>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    revoke(&state, &form.session.caller(), &ws, id).await?;
    Ok(see_other(&format!("/w/{ws}/api-keys")))
}
