//! `/w/{ws}/overlay` (owner, admin): how to show the viewer overlay in OBS, its addresses
//! (each made once and shown once, as a token is), and revoking one. Others see why not.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::i18n;
use crate::overlay::routes::{CreatedOverlayToken, create, list, revoke};
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{NoFields, PageForm, Session};
use crate::workspaces::permissions::{Action, allows};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/overlay", web::get().to(page))
        .route("/w/{ws}/overlay", web::post().to(create_form))
        .route("/w/{ws}/overlay/{id}/revoke", web::post().to(revoke_form));
}

/// An overlay address as the list shows it (never the token: it is shown once).
pub struct TokenLine {
    pub id: String,
    pub name: String,
    pub created: String,
    pub revoked: String,
}

#[derive(Deserialize, Default)]
pub struct NewOverlay {
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "overlay/manage.html")]
struct OverlayPage {
    layout: Layout,
    ws_id: String,
    can_manage: bool,
    tokens: Vec<TokenLine>,
    form: NewOverlay,
    failure: FormFailure,
    /// The address just made, in full: shown this once.
    created: Option<CreatedOverlayToken>,
    server: String,
}

async fn render_page(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: NewOverlay,
    failure: FormFailure,
    created: Option<CreatedOverlayToken>,
) -> PageResult {
    let (layout, access) =
        Layout::for_workspace(state, session, ws, Action::View, "rules", "page-overlay").await?;
    let can_manage = allows(access.role, Action::ManageRules);
    let lang = i18n::current();
    let tokens = if can_manage {
        list(state, &session.caller(), &access.workspace.id)
            .await?
            .into_iter()
            .map(|t| TokenLine {
                created: i18n::date_time(lang, t.created_at),
                revoked: t
                    .revoked_at
                    .map(|at| i18n::date_time(lang, at))
                    .unwrap_or_default(),
                id: t.id,
                name: t.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    html(
        failure.status(),
        &OverlayPage {
            ws_id: access.workspace.id,
            layout,
            can_manage,
            tokens,
            form,
            failure,
            created,
            server: state.settings.public_base().to_owned(),
        },
    )
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    render_page(
        &state,
        &session,
        &path,
        NewOverlay::default(),
        FormFailure::default(),
        None,
    )
    .await
}

pub async fn create_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<NewOverlay>,
) -> PageResult {
    let PageForm { session, form } = form;
    match create(&state, &session.caller(), &path, &form.name).await {
        Ok(created) => {
            render_page(
                &state,
                &session,
                &path,
                NewOverlay::default(),
                FormFailure::default(),
                Some(created),
            )
            .await
        }
        Err(err) => render_page(&state, &session, &path, form, FormFailure::of(err)?, None).await,
    }
}

pub async fn revoke_form(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: PageForm<NoFields>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    revoke(&state, &form.session.caller(), &ws, id).await?;
    Ok(see_other(&format!("/w/{ws}/overlay")))
}
