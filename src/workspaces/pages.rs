//! `/` and `/w`: where a signed-in person lands, their workspaces, and creating one.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::error::AppError;
use crate::web::layout::Layout;
use crate::web::page::{PageError, PageResult, html, render, see_other, sign_in_url};
use crate::web::session::{self, PageForm, Session};
use crate::workspaces::model::all_for_user;
use crate::workspaces::permissions::Action;
use crate::workspaces::routes::{CreateWorkspace, create};

/// Remembers the workspace last opened, so `/` goes back to it (not a secret).
pub const LAST_WORKSPACE_COOKIE: &str = "livectl_last_ws";

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    if session::current(&req, &state).is_none() {
        let renew = req
            .cookie(session::CookieNames::for_url(&state.settings.server.public_url).marker)
            .is_some();
        return Ok(see_other(&sign_in_url("/", renew)));
    }
    match req.cookie(LAST_WORKSPACE_COOKIE) {
        Some(c) if c.value().starts_with("ws_") && c.value().len() < 64 => {
            Ok(see_other(&format!("/w/{}", c.value())))
        }
        _ => Ok(see_other("/w")),
    }
}

/// The cookie that makes `/` open this workspace next time.
pub fn remember_workspace(res: &mut actix_web::HttpResponseBuilder, ws: &str) {
    res.cookie(
        Cookie::build(LAST_WORKSPACE_COOKIE, ws.to_owned())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish(),
    );
}

pub struct WorkspaceCard {
    pub id: String,
    pub name: String,
    pub role: crate::workspaces::permissions::Role,
    pub plan: &'static str,
    pub stopped: bool,
    pub suspended: bool,
}

#[derive(Template)]
#[template(path = "workspaces/list.html")]
struct WorkspacesPage {
    layout: Layout,
    workspaces: Vec<WorkspaceCard>,
    name: String,
    error: String,
}

async fn list_page(
    state: &AppState,
    session: &Session,
    name: String,
    error: String,
) -> Result<WorkspacesPage, PageError> {
    let layout = Layout::for_user(state, session, "page-workspaces").await?;
    let user_id = session.user_id.clone();
    let rows = state
        .db
        .run(move |conn| all_for_user(conn, &user_id))
        .await?;
    let workspaces = rows
        .into_iter()
        .map(|(ws, role)| WorkspaceCard {
            stopped: ws.kill_switch_engaged,
            suspended: ws.is_suspended(),
            plan: ws.plan().as_str(),
            role,
            id: ws.id,
            name: ws.name,
        })
        .collect();
    Ok(WorkspacesPage {
        layout,
        workspaces,
        name,
        error,
    })
}

pub async fn workspaces(state: web::Data<AppState>, session: Session) -> PageResult {
    let page = list_page(&state, &session, String::new(), String::new()).await?;
    html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct NewWorkspace {
    #[serde(default)]
    name: String,
}

pub async fn create_workspace(
    state: web::Data<AppState>,
    form: PageForm<NewWorkspace>,
) -> PageResult {
    let PageForm { session, form } = form;
    match create(
        &state,
        &session.caller(),
        CreateWorkspace {
            name: form.name.clone(),
        },
    )
    .await
    {
        Ok(ws) => {
            let mut res = HttpResponse::SeeOther();
            remember_workspace(&mut res, &ws.id);
            Ok(res
                .insert_header((actix_web::http::header::LOCATION, format!("/w/{}", ws.id)))
                .finish())
        }
        Err(AppError::Internal(cause)) => Err(AppError::Internal(cause).into()),
        Err(err) => {
            let status = actix_web::ResponseError::status_code(&err);
            let message = match &err {
                AppError::Validation { fields, .. } => fields
                    .get("name")
                    .map(|r| {
                        crate::i18n::t1("name-reason", "reason", crate::i18n::known(r)).into_owned()
                    })
                    .unwrap_or_else(|| crate::i18n::known(&err.to_string()).into_owned()),
                other => crate::i18n::known(&other.to_string()).into_owned(),
            };
            let page = list_page(&state, &session, form.name, message).await?;
            html(status, &page)
        }
    }
}

fn number(n: i64) -> String {
    crate::i18n::number(crate::i18n::current(), n)
}

/// One limit of the plan as the usage page shows it.
pub struct Bar {
    pub id: &'static str,
    pub label: &'static str,
    pub used: i64,
    /// `None`: the plan sets no limit.
    pub limit: Option<i64>,
}

impl Bar {
    /// "2 of 5", or "7 (no limit on this plan)".
    pub fn words(&self) -> String {
        match self.limit {
            Some(limit) => crate::i18n::t2(
                "usage-of",
                "used",
                number(self.used),
                "limit",
                number(limit),
            ),
            None => crate::i18n::t1("usage-no-limit", "used", number(self.used)),
        }
        .into_owned()
    }

    /// The limit's name in the page's language.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        crate::i18n::t(self.label)
    }

    pub fn full(&self) -> bool {
        self.limit.is_some_and(|limit| self.used >= limit)
    }
}

#[derive(Template)]
#[template(path = "workspaces/usage_bars.html")]
pub struct UsageBars {
    ws_id: String,
    plan: String,
    bars: Vec<Bar>,
}

impl UsageBars {
    fn new(ws_id: String, usage: &crate::workspaces::routes::Usage) -> Self {
        let (u, l) = (&usage.usage, &usage.limits);
        UsageBars {
            ws_id,
            plan: usage.plan.as_str().to_owned(),
            bars: vec![
                Bar {
                    id: "livestreams",
                    label: "nav-livestreams",
                    used: u.livestreams,
                    limit: l.livestreams,
                },
                Bar {
                    id: "rules",
                    label: "nav-rules",
                    used: u.rules,
                    limit: l.rules,
                },
                Bar {
                    id: "devices",
                    label: "nav-devices",
                    used: u.devices,
                    limit: l.devices,
                },
                Bar {
                    id: "members",
                    label: "nav-members",
                    used: u.members,
                    limit: l.members,
                },
                Bar {
                    id: "commands",
                    label: "usage-commands-minute",
                    used: u.commands_last_minute,
                    limit: l.commands_per_minute,
                },
            ],
        }
    }
}

#[derive(Template)]
#[template(path = "workspaces/usage.html")]
struct UsagePage {
    layout: Layout,
    bars: UsageBars,
}

/// `GET /w/{ws}/usage`: the plan, every limit and what the workspace uses of it.
pub async fn usage(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let (layout, access) =
        Layout::for_workspace(&state, &session, &path, Action::View, "usage", "page-usage").await?;
    let usage = crate::workspaces::routes::load_usage(&state, &access.workspace).await?;
    render(&UsagePage {
        bars: UsageBars::new(access.workspace.id, &usage),
        layout,
    })
}

/// `GET /w/{ws}/usage/bars`: the bars alone (re-read when commands happen).
pub async fn usage_bars(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let access =
        crate::workspaces::access::authorize(&state, &session.caller(), &path, Action::View)
            .await?;
    let usage = crate::workspaces::routes::load_usage(&state, &access.workspace).await?;
    render(&UsageBars::new(access.workspace.id, &usage))
}
