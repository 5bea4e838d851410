//! The approval pages: `/pair?code=…` (the link the agent prints: it picks the workspace) and
//! `/w/{ws}/devices/pair` (which computer asks, from where; approve it onto a new or an
//! existing agent device, or deny it).

use std::collections::BTreeMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::devices::model::{DeviceRow, Transport};
use crate::error::AppError;
use crate::pairing::model::PairingView;
use crate::pairing::routes::{NewAgentDevice, Target, approve, deny, lookup};
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageResult, encode, html, render, see_other};
use crate::web::session::{PageForm, Session};
use crate::workspaces::model::{WorkspaceSummary, list_for_user};
use crate::workspaces::permissions::{Action, allows};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/pair", web::get().to(choose_workspace))
        .route("/w/{ws}/devices/pair", web::get().to(pair_form))
        .route("/w/{ws}/devices/pair", web::post().to(decide));
}

#[derive(Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "pairing/choose.html")]
struct ChoosePage {
    layout: Layout,
    code: String,
    workspaces: Vec<WorkspaceSummary>,
}

/// The agent's link: straight to the only workspace where the user may add devices, or a
/// choice among them.
pub async fn choose_workspace(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<CodeQuery>,
) -> PageResult {
    let user_id = session.user_id.clone();
    let workspaces: Vec<WorkspaceSummary> = state
        .db
        .run(move |conn| list_for_user(conn, &user_id))
        .await?
        .into_iter()
        .filter(|w| allows(w.role, Action::ManageDevices))
        .collect();
    let code = query.into_inner().code;
    if let [only] = workspaces.as_slice() {
        return Ok(see_other(&format!(
            "/w/{}/devices/pair?code={}",
            only.id,
            encode(&code)
        )));
    }
    let layout = Layout::for_user(&state, &session, "page-pair").await?;
    render(&ChoosePage {
        layout,
        code,
        workspaces,
    })
}

#[derive(Deserialize, Default)]
pub struct PairForm {
    #[serde(default)]
    code: String,
    /// `new` or `existing`.
    #[serde(default)]
    target: String,
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    allowed_commands: String,
    #[serde(default)]
    max_duration_ms: String,
    /// `approve` or `deny`.
    #[serde(default)]
    decision: String,
}

#[derive(Template)]
#[template(path = "pairing/approve.html")]
struct PairPage {
    layout: Layout,
    ws_id: String,
    form: PairForm,
    pairing: Option<PairingView>,
    /// The workspace's agent devices: an existing one can take the computer.
    devices: Vec<(String, String)>,
    errors: BTreeMap<String, String>,
    error: String,
    plan_limit: bool,
}

#[derive(Template)]
#[template(path = "pairing/done.html")]
struct DonePage {
    layout: Layout,
    ws_id: String,
    approved: bool,
    device_id: String,
    device_name: String,
    hostname: String,
}

async fn agent_devices(state: &AppState, ws: &str) -> Result<Vec<(String, String)>, AppError> {
    let ws = ws.to_owned();
    Ok(state
        .db
        .run(move |conn| DeviceRow::list(conn, &ws))
        .await?
        .into_iter()
        .filter(|d| d.transport == Transport::Agent)
        .map(|d| (d.id, d.name))
        .collect())
}

async fn page(
    state: &AppState,
    session: &Session,
    ws: &str,
    form: PairForm,
    failure: FormFailure,
) -> PageResult {
    let (layout, access) = Layout::for_workspace(
        state,
        session,
        ws,
        Action::ManageDevices,
        "devices",
        "page-pair",
    )
    .await?;
    let mut failure = failure;
    // The computer asking, when the code names a pending pairing.
    let pairing = if form.code.trim().is_empty() {
        None
    } else {
        match lookup(state, &session.caller(), ws, &form.code).await {
            Ok(view) => Some(view),
            Err(err) => {
                let found = FormFailure::of(err)?;
                if failure.message.is_empty() && failure.fields.is_empty() {
                    failure.status = found.status;
                }
                failure.fields.extend(found.fields);
                if failure.message.is_empty() {
                    failure.message = found.message;
                }
                None
            }
        }
    };
    let mut form = form;
    if form.name.is_empty()
        && let Some(p) = &pairing
    {
        form.name = p.hostname.clone();
    }
    let devices = agent_devices(state, &access.workspace.id).await?;
    html(
        failure.status(),
        &PairPage {
            ws_id: access.workspace.id,
            layout,
            form,
            pairing,
            devices,
            plan_limit: failure.plan_limit,
            errors: failure.fields,
            error: failure.message,
        },
    )
}

pub async fn pair_form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<CodeQuery>,
) -> PageResult {
    let form = PairForm {
        code: query.into_inner().code,
        target: "new".into(),
        allowed_commands: "LED_ON".into(),
        max_duration_ms: "5000".into(),
        ..PairForm::default()
    };
    page(&state, &session, &path, form, FormFailure::default()).await
}

fn target_of(form: &PairForm) -> Result<Target, AppError> {
    if form.target == "existing" {
        if form.device_id.is_empty() {
            return Err(AppError::invalid("device_id", "choose the device"));
        }
        return Ok(Target::Existing(form.device_id.clone()));
    }
    let max_duration_ms = match form.max_duration_ms.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::invalid("max_duration_ms", "must be a whole number"))?,
        ),
    };
    Ok(Target::New(NewAgentDevice {
        name: form.name.clone(),
        allowed_commands: form
            .allowed_commands
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        max_duration_ms,
        max_commands_per_minute: None,
    }))
}

pub async fn decide(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<PairForm>,
) -> PageResult {
    let PageForm { session, form } = form;
    let caller = session.caller();
    let hostname = match lookup(&state, &caller, &path, &form.code).await {
        Ok(view) => view.hostname,
        Err(err) => return page(&state, &session, &path, form, FormFailure::of(err)?).await,
    };
    let outcome = if form.decision == "deny" {
        deny(&state, &caller, &path, &form.code)
            .await
            .map(|()| None)
    } else {
        match target_of(&form) {
            Ok(target) => approve(&state, &caller, &path, &form.code, target)
                .await
                .map(Some),
            Err(err) => Err(err),
        }
    };
    match outcome {
        Ok(device) => {
            let (layout, access) = Layout::for_workspace(
                &state,
                &session,
                &path,
                Action::ManageDevices,
                "devices",
                "page-pair",
            )
            .await?;
            render(&DonePage {
                ws_id: access.workspace.id,
                layout,
                approved: device.is_some(),
                device_id: device.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
                device_name: device.map(|d| d.name).unwrap_or_default(),
                hostname,
            })
        }
        Err(AppError::NotFound(why)) if form.target == "existing" && !why.contains("pairing") => {
            let failure = FormFailure::of(AppError::invalid("device_id", "no such device"))?;
            page(&state, &session, &path, form, failure).await
        }
        Err(err) => {
            let failure = FormFailure::of(err)?;
            page(&state, &session, &path, form, failure).await
        }
    }
}
