//! `/w/{ws}/devices`: the list with live state, the add-device wizard (the token shown once,
//! the exact command to run, then waiting live for the first connection), and the detail page
//! with rotate, revoke and delete.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::context::AppState;
use crate::devices::model::{DeviceRow, Transport, with_live_token};
use crate::devices::routes::{CreateDevice, create, delete, load, revoke, rotate};
use crate::devices::views::DeviceCard;
use crate::error::AppError;
use crate::web::control_room::{Board, with_board};
use crate::web::layout::Layout;
use crate::web::page::{FormFailure, PageError, PageResult, html, render, see_other};
use crate::web::session::{NoFields, PageForm, Session};
use crate::workspaces::permissions::Action;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/w/{ws}/devices", web::get().to(list))
        .route("/w/{ws}/devices", web::post().to(add))
        .route("/w/{ws}/devices/new", web::get().to(new_form))
        .route("/w/{ws}/devices/{id}", web::get().to(detail))
        .route("/w/{ws}/devices/{id}/status", web::get().to(status_part))
        .route("/w/{ws}/devices/{id}/modes", web::post().to(save_modes))
        .route("/w/{ws}/devices/{id}/{verb}", web::post().to(act));
}

#[derive(Template)]
#[template(path = "devices/list.html")]
struct DevicesPage {
    layout: Layout,
    ws_id: String,
    board: Board,
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let (layout, ws_id, board) =
        with_board(&state, &session, &path, "devices", "page-devices").await?;
    render(&DevicesPage {
        ws_id,
        layout,
        board,
    })
}

#[derive(Deserialize, Default)]
pub struct NewDevice {
    #[serde(default)]
    name: String,
    #[serde(default)]
    transport: String,
    /// Commas or spaces separate commands.
    #[serde(default)]
    allowed_commands: String,
    #[serde(default)]
    max_duration_ms: String,
    #[serde(default)]
    max_commands_per_minute: String,
}

#[derive(Template)]
#[template(path = "devices/new.html")]
struct NewDevicePage {
    layout: Layout,
    ws_id: String,
    form: NewDevice,
    errors: std::collections::BTreeMap<String, String>,
    error: String,
    /// The error is the plan's limit: the page links to the usage page.
    plan_limit: bool,
}

pub async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> PageResult {
    let (layout, access) = Layout::for_workspace(
        &state,
        &session,
        &path,
        Action::ManageDevices,
        "devices",
        "page-add-device",
    )
    .await?;
    let form = NewDevice {
        transport: "agent".to_owned(),
        allowed_commands: "LED_ON".to_owned(),
        max_duration_ms: "5000".to_owned(),
        max_commands_per_minute: "60".to_owned(),
        ..NewDevice::default()
    };
    render(&NewDevicePage {
        ws_id: access.workspace.id,
        layout,
        form,
        errors: Default::default(),
        error: String::new(),
        plan_limit: false,
    })
}

/// The page that shows a token once: never cached, never in htmx's history.
#[derive(Template)]
#[template(path = "devices/token.html")]
struct TokenPage {
    layout: Layout,
    ws_id: String,
    device: DeviceCard,
    token: String,
    server: String,
    credentials: Option<crate::mqtt::routes::Credentials>,
    mqtt_host: String,
    mqtt_port: String,
    /// The server's command TTL: the sketch refuses commands that expire further ahead.
    command_ttl_ms: u64,
    rotated: bool,
    /// A new certificate for an existing device: no token to show.
    certificate_only: bool,
}

fn optional_number(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        s => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "must be a whole number")),
    }
}

pub async fn add(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: PageForm<NewDevice>,
) -> PageResult {
    let PageForm { session, form } = form;
    let parsed = (|| {
        Ok::<_, AppError>(CreateDevice {
            name: form.name.clone(),
            transport: if form.transport == "mqtt" {
                Transport::Mqtt
            } else {
                Transport::Agent
            },
            allowed_commands: form
                .allowed_commands
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            max_duration_ms: optional_number("max_duration_ms", &form.max_duration_ms)?,
            max_commands_per_minute: optional_number(
                "max_commands_per_minute",
                &form.max_commands_per_minute,
            )?,
            concurrency: None,
            max_queue: None,
            fair_share_pct: None,
        })
    })();
    let result = match parsed {
        Ok(body) => create(&state, &session.caller(), &path, body).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(created) => {
            let shown = Shown::Created {
                token: created.agent_token,
                credentials: created.credentials,
            };
            token_page(&state, &session, &path, &created.device.id, shown).await
        }
        Err(err) => {
            let failure = FormFailure::of(err)?;
            let (layout, access) = Layout::for_workspace(
                &state,
                &session,
                &path,
                Action::ManageDevices,
                "devices",
                "page-add-device",
            )
            .await?;
            html(
                failure.status(),
                &NewDevicePage {
                    ws_id: access.workspace.id,
                    layout,
                    form,
                    plan_limit: failure.plan_limit,
                    errors: failure.fields,
                    error: failure.message,
                },
            )
        }
    }
}

/// The secrets a page shows once.
enum Shown {
    Created {
        token: String,
        credentials: Option<crate::mqtt::routes::Credentials>,
    },
    Rotated {
        token: String,
    },
    Certificate {
        credentials: crate::mqtt::routes::Credentials,
    },
}

async fn token_page(
    state: &AppState,
    session: &Session,
    ws: &str,
    device_id: &str,
    shown: Shown,
) -> PageResult {
    let (token, credentials, rotated, certificate_only) = match shown {
        Shown::Created { token, credentials } => (token, credentials, false, false),
        Shown::Rotated { token } => (token, None, true, false),
        Shown::Certificate { credentials } => (
            "lat_… (the token shown when the device was created or rotated)".to_owned(),
            Some(credentials),
            false,
            true,
        ),
    };
    let (layout, access) = Layout::for_workspace(
        state,
        session,
        ws,
        Action::ManageDevices,
        "devices",
        "page-device-token",
    )
    .await?;
    let device = device_card(state, &access.workspace.id, device_id).await?;
    let (mqtt_host, mqtt_port) = credentials
        .as_ref()
        .and_then(|c| c.mqtt_tls_url.strip_prefix("mqtts://"))
        .and_then(|hp| hp.rsplit_once(':'))
        .map(|(h, p)| (h.to_owned(), p.to_owned()))
        .unwrap_or_default();
    render(&TokenPage {
        ws_id: access.workspace.id,
        layout,
        device,
        token,
        server: state.settings.public_base().to_owned(),
        credentials,
        mqtt_host,
        mqtt_port,
        command_ttl_ms: state.settings.commands.ttl_ms,
        rotated,
        certificate_only,
    })
}

async fn device_card(state: &AppState, ws: &str, id: &str) -> Result<DeviceCard, PageError> {
    let (ws, id) = (ws.to_owned(), id.to_owned());
    let (row, live) = state
        .db
        .run(move |conn| {
            let row = DeviceRow::find(conn, &ws, &id)?;
            let tokens = with_live_token(conn, &ws)?;
            Ok((row, tokens))
        })
        .await?;
    Ok(DeviceCard::new(
        &row.view_live(&state.hub),
        live.contains(&row.id),
    ))
}

#[derive(Template)]
#[template(path = "devices/detail.html")]
struct DetailPage {
    layout: Layout,
    ws_id: String,
    device: DeviceCard,
    can_manage: bool,
    /// The modes form's refusal, field by field, and in words.
    errors: std::collections::BTreeMap<String, String>,
    error: String,
    saved: bool,
}

impl DetailPage {
    fn field_error(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }

    /// Every concurrency mode, with its words, for the select.
    fn modes(&self) -> Vec<(&'static str, std::borrow::Cow<'static, str>)> {
        crate::devices::model::Concurrency::ALL
            .iter()
            .map(|m| {
                (
                    m.as_str(),
                    crate::i18n::t(format!("dev-mode-{}", m.as_str())),
                )
            })
            .collect()
    }
}

/// The modes form as posted.
#[derive(Debug, serde::Deserialize)]
pub struct ModesForm {
    concurrency: String,
    max_queue: String,
    fair_share_pct: String,
}

/// `POST /w/{ws}/devices/{id}/modes`: what a command for a busy device does.
pub async fn save_modes(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: PageForm<ModesForm>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    let PageForm { session, form } = form;
    let parsed = (|| {
        let concurrency = crate::devices::model::Concurrency::parse(&form.concurrency)
            .ok_or_else(|| AppError::invalid("concurrency", crate::i18n::t("dev-mode-unknown")))?;
        Ok::<_, AppError>(crate::devices::routes::UpdateDevice {
            name: None,
            max_duration_ms: None,
            max_commands_per_minute: None,
            concurrency: Some(concurrency),
            max_queue: optional_number("max_queue", &form.max_queue)?,
            fair_share_pct: optional_number("fair_share_pct", &form.fair_share_pct)?,
        })
    })();
    let result = match parsed {
        Ok(changes) => {
            crate::devices::routes::update(&state, &session.caller(), &ws, &id, changes).await
        }
        Err(err) => Err(err),
    };
    let failure = match result {
        Ok(_) => None,
        Err(err) => Some(FormFailure::of(err)?),
    };
    let (layout, access) = Layout::for_workspace(
        &state,
        &session,
        &ws,
        Action::ManageDevices,
        "devices",
        "page-device",
    )
    .await?;
    let device = device_card(&state, &access.workspace.id, &id).await?;
    let page = DetailPage {
        can_manage: true,
        ws_id: access.workspace.id,
        layout,
        device,
        saved: failure.is_none(),
        errors: failure
            .as_ref()
            .map(|f| f.fields.clone())
            .unwrap_or_default(),
        error: failure
            .as_ref()
            .map(|f| f.message.clone())
            .unwrap_or_default(),
    };
    match failure {
        Some(failure) => html(failure.status(), &page),
        None => render(&page),
    }
}

pub async fn detail(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    let (layout, access) = Layout::for_workspace(
        &state,
        &session,
        &ws,
        Action::View,
        "devices",
        "page-device",
    )
    .await?;
    let device = device_card(&state, &access.workspace.id, &id).await?;
    render(&DetailPage {
        can_manage: crate::workspaces::permissions::allows(access.role, Action::ManageDevices),
        ws_id: access.workspace.id,
        layout,
        device,
        errors: Default::default(),
        error: String::new(),
        saved: false,
    })
}

#[derive(Template)]
#[template(path = "devices/status.html")]
struct StatusPart {
    ws_id: String,
    device: DeviceCard,
}

/// The live line of one device (the wizard waits on it).
pub async fn status_part(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    let row = load(&state, &session.caller(), &ws, &id, Action::View).await?;
    let device = device_card(&state, &row.workspace_id, &row.id).await?;
    render(&StatusPart {
        ws_id: row.workspace_id,
        device,
    })
}

/// `POST /w/{ws}/devices/{id}/rotate|revoke|delete`.
pub async fn act(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: PageForm<NoFields>,
) -> PageResult {
    let (ws, id, verb) = path.into_inner();
    let session = form.session;
    let caller = session.caller();
    match verb.as_str() {
        "rotate" => {
            let token = rotate(&state, &caller, &ws, &id).await?;
            token_page(&state, &session, &ws, &id, Shown::Rotated { token }).await
        }
        "revoke" => {
            revoke(&state, &caller, &ws, &id).await?;
            Ok(see_other(&format!("/w/{ws}/devices/{id}")))
        }
        "delete" => {
            delete(&state, &caller, &ws, &id).await?;
            Ok(see_other(&format!("/w/{ws}/devices")))
        }
        "credentials" => {
            let credentials = crate::mqtt::routes::issue(&state, &caller, &ws, &id).await?;
            token_page(
                &state,
                &session,
                &ws,
                &id,
                Shown::Certificate { credentials },
            )
            .await
        }
        _ => Err(AppError::NotFound("no such page".into()).into()),
    }
}
