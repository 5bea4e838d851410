//! `/w/{ws}/settings` (owner): rename the workspace, and delete it after typing its name, with
//! everything that stops listed first. Handing it over is on the members page.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::error::AppError;
use crate::i18n;
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{PageForm, Session};
use crate::workspaces::permissions::Action;
use crate::workspaces::routes::{UpdateWorkspace, delete, load_usage, update};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/settings", web::get().to(page))
        .route("/w/{ws}/settings", web::post().to(rename_form))
        .route("/w/{ws}/delete", web::post().to(delete_form));
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "workspaces/settings.html")]
struct SettingsPage {
    layout: Layout,
    ws_id: String,
    ws_name: String,
    form: SettingsForm,
    failure: FormFailure,
    /// What deleting stops, in words, one line each.
    consequences: Vec<String>,
}

async fn settings_page(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: SettingsForm,
    failure: FormFailure,
) -> PageResult {
    let (layout, access) = Layout::for_workspace(
        state,
        session,
        ws,
        Action::ManageSettings,
        "settings",
        "page-settings",
    )
    .await?;
    let usage = load_usage(state, &access.workspace).await?.usage;
    let consequences = [
        ("delete-stops-livestreams", usage.livestreams),
        ("delete-stops-devices", usage.devices),
        ("delete-stops-rules", usage.rules),
        ("delete-stops-members", usage.members),
    ]
    .into_iter()
    .map(|(id, count)| i18n::t1(id, "count", count).into_owned())
    .chain([
        i18n::t("delete-stops-keys").into_owned(),
        i18n::t("delete-stops-history").into_owned(),
    ])
    .collect();
    html(
        failure.status(),
        &SettingsPage {
            ws_id: access.workspace.id.clone(),
            ws_name: access.workspace.name.clone(),
            layout,
            form,
            failure,
            consequences,
        },
    )
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    settings_page(
        &state,
        &session,
        &path,
        SettingsForm::default(),
        FormFailure::default(),
    )
    .await
}

pub async fn rename_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<SettingsForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let changes = UpdateWorkspace {
        name: Some(form.name.clone()),
        settings: None,
    };
    match update(&state, &session.caller(), &path, changes).await {
        Ok(_) => Ok(see_other(&format!("/w/{path}/settings"))),
        Err(err) => settings_page(&state, &session, &path, form, FormFailure::of(err)?).await,
    }
}

pub async fn delete_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<SettingsForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let caller = session.caller();
    let access =
        crate::workspaces::access::authorize(&state, &caller, &path, Action::DeleteWorkspace)
            .await?;
    let result = if form.confirm.trim() == access.workspace.name {
        delete(&state, &caller, &path).await
    } else {
        Err(AppError::invalid(
            "confirm",
            i18n::t("confirm-type-name-mismatch").into_owned(),
        ))
    };
    match result {
        Ok(()) => Ok(see_other("/w")),
        Err(err) => {
            let failure = FormFailure::of(err)?;
            settings_page(&state, &session, &path, form, failure).await
        }
    }
}
