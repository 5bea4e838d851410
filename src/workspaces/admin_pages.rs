//! `/admin` (platform admins): invitations, and every workspace with its owner, plan, usage and
//! state; suspend (a reason is required), unsuspend, change the plan. Every change is audited
//! (in the workspace's log, or the platform's for invites).

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::error::AppError;
use crate::i18n;
use crate::web::filters::query_string;
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, html, see_other};
use crate::web::session::{PageForm, Session};
use crate::workspaces::admin::{
    Invite, OverviewQuery, WorkspaceOverview, change_plan, invite, invites_of, overview,
    set_suspension, withdraw_invite,
};
use crate::workspaces::plans::Plan;

const PAGE_SIZE: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(page))
        .route("/admin/invites", web::post().to(invite_form))
        .route("/admin/invites/withdraw", web::post().to(withdraw_form))
        .route(
            "/admin/workspaces/{ws}/{verb}",
            web::post().to(workspace_form),
        );
}

/// A workspace row: its summary and its usage and state in words.
pub struct WorkspaceLine {
    pub ws: WorkspaceOverview,
    pub usage: String,
    pub state: String,
    pub created: String,
}

impl WorkspaceLine {
    fn of(ws: WorkspaceOverview) -> Self {
        let u = &ws.usage;
        let usage = i18n::current().t_with(
            "admin-usage",
            &[
                ("livestreams", u.livestreams.into()),
                ("devices", u.devices.into()),
                ("rules", u.rules.into()),
                ("members", u.members.into()),
            ],
        );
        let state = match (&ws.suspended, ws.kill_switch_engaged) {
            (Some(s), _) => i18n::t1(
                "admin-state-suspended",
                "reason",
                s.reason.clone().unwrap_or_default(),
            ),
            (None, true) => i18n::t("admin-state-stopped"),
            (None, false) => i18n::t("admin-state-running"),
        };
        Self {
            usage: usage.into_owned(),
            state: state.into_owned(),
            created: i18n::date_time(i18n::current(), ws.created_at),
            ws,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    before: String,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct AdminPage {
    layout: Layout,
    invites: Vec<Invite>,
    lines: Vec<WorkspaceLine>,
    q: String,
    next: Option<String>,
    plans: &'static [Plan],
    invite_email: String,
    failure: FormFailure,
    /// The workspace whose form failed (its reason field shows the error).
    failed_ws: String,
}

async fn admin_page(
    state: &AppState,
    session: &Session,
    query: AdminQuery,
    invite_email: String,
    failure: FormFailure,
    failed_ws: String,
) -> PageResult {
    let caller = session.caller();
    // Refuses anyone but a platform admin (before anything of the instance is read).
    let invites = invites_of(state, &caller).await?;
    let layout = Layout::for_user(state, session, "page-admin").await?;
    let found = overview(
        state,
        &caller,
        OverviewQuery {
            q: Some(query.q.clone()),
            before: Some(query.before.clone()),
            limit: Some(PAGE_SIZE),
        },
    )
    .await?;
    let next = (found.len() == usize::try_from(PAGE_SIZE).unwrap_or(50))
        .then(|| found.last().map(|w| w.id.clone()))
        .flatten()
        .map(|last| {
            format!(
                "/admin{}",
                query_string(&[("q", &query.q), ("before", &last)])
            )
        });
    html(
        failure.status(),
        &AdminPage {
            layout,
            invites,
            lines: found.into_iter().map(WorkspaceLine::of).collect(),
            q: query.q,
            next,
            plans: Plan::ALL,
            invite_email,
            failure,
            failed_ws,
        },
    )
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<AdminQuery>,
) -> PageResult {
    let query = query.into_inner();
    admin_page(
        &state,
        &session,
        query,
        String::new(),
        FormFailure::default(),
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

pub async fn invite_form(state: web::Data<AppState>, form: PageForm<EmailForm>) -> PageResult {
    let PageForm { session, form } = form;
    match invite(&state, &session.caller(), &form.email).await {
        Ok(_) => Ok(see_other("/admin")),
        Err(err) => {
            let failure = FormFailure::of(err)?;
            let query = AdminQuery::default();
            admin_page(&state, &session, query, form.email, failure, String::new()).await
        }
    }
}

pub async fn withdraw_form(state: web::Data<AppState>, form: PageForm<EmailForm>) -> PageResult {
    let PageForm { session, form } = form;
    withdraw_invite(&state, &session.caller(), &form.email).await?;
    Ok(see_other("/admin"))
}

#[derive(Deserialize)]
pub struct WorkspaceForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    plan: String,
}

/// `POST /admin/workspaces/{ws}/suspend|unsuspend|plan`.
pub async fn workspace_form(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: PageForm<WorkspaceForm>,
) -> PageResult {
    let (ws, verb) = path.into_inner();
    let PageForm { session, form } = form;
    let caller = session.caller();
    let result = match verb.as_str() {
        "suspend" => {
            let reason = form.reason.trim();
            if reason.is_empty() {
                Err(AppError::invalid(
                    "reason",
                    i18n::t("admin-reason-required").into_owned(),
                ))
            } else {
                let reason: String = reason.chars().take(500).collect();
                set_suspension(&state, &caller, ws.clone(), Some(Some(reason))).await
            }
        }
        "unsuspend" => set_suspension(&state, &caller, ws.clone(), None).await,
        "plan" => match Plan::parse(&form.plan) {
            Some(plan) => change_plan(&state, &caller, ws.clone(), plan).await,
            None => Err(AppError::invalid("plan", "no such plan")),
        },
        _ => return Err(AppError::NotFound("no such page".into()).into()),
    };
    match result {
        Ok(_) => Ok(see_other("/admin")),
        Err(err) => {
            let failure = FormFailure::of(err)?;
            admin_page(
                &state,
                &session,
                AdminQuery::default(),
                String::new(),
                failure,
                ws,
            )
            .await
        }
    }
}
