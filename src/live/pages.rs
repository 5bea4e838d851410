//! `/w/{ws}/livestreams`: the list with live status, adding one, connecting and disconnecting.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::error::AppError;
use crate::live::model::SourceKind;
use crate::live::routes::{CreateLivestream, create, set_connected};
use crate::web::control_room::{Board, load_board};
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{NoFields, PageForm, Session};
use crate::workspaces::permissions::Action;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/livestreams", web::get().to(list))
        .route("/w/{ws}/livestreams", web::post().to(add))
        .route("/w/{ws}/livestreams/preview", web::get().to(preview))
        .route(
            "/w/{ws}/livestreams/{id}/{verb}",
            web::post().to(connect_or_disconnect),
        );
}

#[derive(Template)]
#[template(path = "live/list.html")]
struct LivestreamsPage {
    layout: Layout,
    ws_id: String,
    board: Board,
    form: AddLivestream,
    error: String,
    /// Set when the plan's limit stopped the add.
    plan_limit: bool,
    /// The plan's limit in words ("Your plan (free) allows 1 livestream: 1 added").
    allowance: String,
}

#[derive(Deserialize, Default)]
pub struct AddLivestream {
    #[serde(default)]
    target: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    name: String,
}

async fn page(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: AddLivestream,
    error: String,
    plan_limit: bool,
) -> Result<LivestreamsPage, crate::web::page::PageError> {
    let (layout, access) = Layout::for_workspace(
        state,
        session,
        ws,
        Action::View,
        "livestreams",
        "page-livestreams",
    )
    .await?;
    let board = load_board(state, &access.workspace.id, access.role).await?;
    let plan = access.workspace.plan();
    let used = board.livestreams.len();
    let allowance = match plan.limits().livestreams {
        Some(limit) => crate::i18n::current()
            .t_with(
                "ls-allowance",
                &[
                    ("plan", plan.as_str().into()),
                    ("limit", limit.into()),
                    ("used", used.into()),
                ],
            )
            .into_owned(),
        None => crate::i18n::t1("ls-no-limit", "plan", plan.as_str()).into_owned(),
    };
    Ok(LivestreamsPage {
        allowance,
        ws_id: access.workspace.id,
        layout,
        board,
        form,
        error,
        plan_limit,
    })
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let form = AddLivestream {
        source: "tiktok".to_owned(),
        ..AddLivestream::default()
    };
    html(
        StatusCode::OK,
        &page(&state, &session, &path, form, String::new(), false).await?,
    )
}

pub async fn add(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<AddLivestream>,
) -> PageResult {
    let PageForm { session, form } = form;
    let source = match form.source.as_str() {
        "simulator" => SourceKind::Simulator,
        _ => SourceKind::Tiktok,
    };
    let body = CreateLivestream {
        target: form.target.clone(),
        source: Some(source),
        name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
        auto_reconnect: None,
        room_id: None,
    };
    match create(&state, &session.caller(), &path, body).await {
        Ok(_) => Ok(see_other(&format!("/w/{path}/livestreams"))),
        Err(err) => {
            let failure = FormFailure::of(err)?;
            // This form shows its reasons above it: the fields' reasons, one after another.
            let message = if failure.fields.is_empty() {
                failure.message.clone()
            } else {
                failure
                    .fields
                    .iter()
                    .map(|(f, r)| format!("{f}: {r}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let page = page(&state, &session, &path, form, message, failure.plan_limit).await?;
            html(failure.status(), &page)
        }
    }
}

pub async fn connect_or_disconnect(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: PageForm<NoFields>,
) -> PageResult {
    let (ws, id, verb) = path.into_inner();
    let connected = crate::web::page::which_way(&verb, "connect", "disconnect")?;
    set_connected(&state, &form.session.caller(), &ws, &id, connected).await?;
    let fallback = format!("/w/{ws}/livestreams");
    Ok(see_other(&crate::web::control_room::back(&req, &fallback)))
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    target: String,
}

/// `GET /w/{ws}/livestreams/preview?target=…`: what the typed account will be followed as
/// (the server's own parsing, so the preview never disagrees with the add).
pub async fn preview(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<PreviewQuery>,
) -> PageResult {
    crate::workspaces::access::authorize(&state, &session.caller(), &path, Action::View).await?;
    let text = if query.target.trim().is_empty() {
        String::new()
    } else {
        match crate::live::model::parse_target(&query.target) {
            Ok(handle) => crate::i18n::t1("ls-will-follow", "handle", &handle).into_owned(),
            Err(AppError::Validation { fields, .. }) => fields
                .get("target")
                .map(|r| {
                    crate::i18n::t1("ls-not-an-account", "reason", crate::i18n::known(r))
                        .into_owned()
                })
                .unwrap_or_default(),
            Err(other) => other.to_string(),
        }
    };
    crate::web::page::render(&Preview { text })
}

#[derive(Template)]
#[template(
    source = r#"<span id="ls-target-preview" class="hint" role="status">{{ text }}</span>"#,
    ext = "html"
)]
struct Preview {
    text: String,
}
