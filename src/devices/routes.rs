//! `/workspaces/{ws}/devices`: register (token shown once), list, read, delete, rotate and
//! revoke the agent token.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::auth::secrets::hash_token;
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::devices;
use crate::db::types::Json;
use crate::devices::model::{self, Concurrency, DeviceRow, DeviceView, Transport};
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::text::Name;
use crate::workspaces::access::authorize;
use crate::workspaces::model::{self as ws_model, Workspace};
use crate::workspaces::permissions::Action;
use crate::workspaces::plans::Resource;
use crate::workspaces::scope::{Note, WorkspaceScope};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDevice {
    /// 1 to 100 characters once trimmed.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub transport: Transport,
    /// Command names the device accepts (letters, digits, `_`; stored upper case).
    pub allowed_commands: Vec<String>,
    /// Longest `duration_ms` a command may ask for (default 5000, at most 600000).
    #[schema(minimum = 0, maximum = 600_000)]
    pub max_duration_ms: Option<i64>,
    /// Commands per minute the device accepts (default 60, at most 6000).
    #[schema(minimum = 1, maximum = 6000)]
    pub max_commands_per_minute: Option<i64>,
    /// What a command for a device still running one does (default `queued`).
    pub concurrency: Option<Concurrency>,
    /// Commands that may wait in `queued` mode (default 16).
    #[schema(minimum = 1, maximum = 16)]
    pub max_queue: Option<i64>,
    /// The most of any minute one viewer's commands may hold the device (default 100).
    #[schema(minimum = 1, maximum = 100)]
    pub fair_share_pct: Option<i64>,
}

/// `PATCH …/devices/{id}`: the fields given change, the others stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDevice {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(minimum = 0, maximum = 600_000)]
    pub max_duration_ms: Option<i64>,
    #[schema(minimum = 1, maximum = 6000)]
    pub max_commands_per_minute: Option<i64>,
    pub concurrency: Option<Concurrency>,
    #[schema(minimum = 1, maximum = 16)]
    pub max_queue: Option<i64>,
    #[schema(minimum = 1, maximum = 100)]
    pub fair_share_pct: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedDevice {
    pub device: DeviceView,
    /// Shown this once.
    pub agent_token: String,
    /// MQTT devices: their first client certificate and key (shown this once; more with
    /// `POST …/devices/{id}/credentials`). Absent for agent devices or when MQTT is disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<crate::mqtt::routes::Credentials>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedToken {
    pub agent_token: String,
}

/// A device registration that passed every check, its defaults applied.
struct NewDevice {
    name: Name,
    transport: Transport,
    /// Upper case, without repeats.
    allowed_commands: Vec<String>,
    max_duration_ms: i64,
    max_commands_per_minute: i32,
    modes: Modes,
}

/// A device's modes, checked.
#[derive(Debug, Clone, Copy)]
struct Modes {
    concurrency: Concurrency,
    max_queue: i32,
    fair_share_pct: i32,
}

fn in_range(field: &str, value: i64, min: i32, max: i32) -> AppResult<i32> {
    i32::try_from(value)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| AppError::invalid(field, crate::i18n::t2("v-range", "min", min, "max", max)))
}

impl Modes {
    /// `given` over `base`, each checked.
    fn parse(
        base: Modes,
        concurrency: Option<Concurrency>,
        max_queue: Option<i64>,
        fair_share_pct: Option<i64>,
    ) -> AppResult<Modes> {
        Ok(Modes {
            concurrency: concurrency.unwrap_or(base.concurrency),
            max_queue: match max_queue {
                Some(n) => in_range("max_queue", n, 1, model::LIMIT_MAX_QUEUE)?,
                None => base.max_queue,
            },
            fair_share_pct: match fair_share_pct {
                Some(n) => in_range("fair_share_pct", n, 1, 100)?,
                None => base.fair_share_pct,
            },
        })
    }

    const DEFAULT: Modes = Modes {
        concurrency: Concurrency::Queued,
        max_queue: model::DEFAULT_MAX_QUEUE,
        fair_share_pct: model::DEFAULT_FAIR_SHARE_PCT,
    };
}

impl NewDevice {
    /// The row of device `id` in workspace `ws`.
    fn into_row(self, id: String, ws: &str, now: i64) -> AppResult<DeviceRow> {
        Ok(DeviceRow {
            id,
            workspace_id: ws.to_owned(),
            name: self.name.into(),
            transport: self.transport,
            allowed_commands: Json::new(self.allowed_commands)?,
            max_duration_ms: self.max_duration_ms,
            max_commands_per_minute: self.max_commands_per_minute,
            last_seen_at: None,
            agent_version: None,
            created_at: now,
            updated_at: now,
            agent_platform: None,
            agent_update: None,
            concurrency: self.modes.concurrency,
            max_queue: self.modes.max_queue,
            fair_share_pct: self.modes.fair_share_pct,
        })
    }
}

fn validate(body: CreateDevice) -> AppResult<NewDevice> {
    let name = Name::parse("name", &body.name)?;
    if body.allowed_commands.is_empty() || body.allowed_commands.len() > 64 {
        return Err(AppError::invalid(
            "allowed_commands",
            "list 1 to 64 commands",
        ));
    }
    let mut commands = Vec::new();
    for c in &body.allowed_commands {
        let c = model::normalise_command(c).ok_or_else(|| {
            AppError::invalid(
                "allowed_commands",
                crate::i18n::t1("v-command-name", "command", c),
            )
        })?;
        if !commands.contains(&c) {
            commands.push(c);
        }
    }
    Ok(NewDevice {
        name,
        transport: body.transport,
        allowed_commands: commands,
        max_duration_ms: max_duration(
            body.max_duration_ms
                .unwrap_or(model::DEFAULT_MAX_DURATION_MS),
        )?,
        max_commands_per_minute: per_minute(
            body.max_commands_per_minute
                .unwrap_or(i64::from(model::DEFAULT_MAX_PER_MINUTE)),
        )?,
        modes: Modes::parse(
            Modes::DEFAULT,
            body.concurrency,
            body.max_queue,
            body.fair_share_pct,
        )?,
    })
}

fn max_duration(ms: i64) -> AppResult<i64> {
    if (0..=model::LIMIT_MAX_DURATION_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(AppError::invalid(
            "max_duration_ms",
            crate::i18n::t2("v-range", "min", 0, "max", model::LIMIT_MAX_DURATION_MS),
        ))
    }
}

fn per_minute(n: i64) -> AppResult<i32> {
    in_range("max_commands_per_minute", n, 1, model::LIMIT_MAX_PER_MINUTE)
}

/// Registers a device and returns its agent token (shown once).
#[utoipa::path(tag = "devices", request_body = CreateDevice, responses((status = 201, body = CreatedDevice), (status = 402), (status = 409)), security(("bearer" = [])))]
#[post("/workspaces/{ws}/devices")]
pub async fn create_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<CreateDevice>,
) -> AppResult<HttpResponse> {
    let created = create(&state, &caller, &path, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Registers a device (API and dashboard) within the plan's limit; the token is in clear in
/// the answer only.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    body: CreateDevice,
) -> AppResult<CreatedDevice> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let new = validate(body)?;
    let transport = new.transport;
    let row = new.into_row(new_id(prefix::DEVICE), scope.workspace_id(), now_ms())?;
    let plan = scope.access.workspace.plan();
    let inserted = row.clone();
    let token = scope
        .act("device.created", move |conn, ws| {
            Workspace::lock(conn, ws)?;
            plan.check(Resource::Devices, ws_model::counts(conn, ws)?.devices)?;
            diesel::insert_into(devices::table)
                .values(&inserted)
                .execute(conn)
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict(_) => {
                        AppError::Conflict("a device with this name already exists".into())
                    }
                    other => other,
                })?;
            let token = model::issue_token(conn, &inserted.id)?;
            let note = Note::on(&inserted.id).details(
                serde_json::json!({"name": inserted.name, "transport": inserted.transport}),
            );
            Ok((token, note))
        })
        .await?;
    state
        .control
        .emit(ControlEvent::DeviceSaved {
            device: row.device(),
        })
        .await;
    let mut credentials = None;
    if transport == Transport::Mqtt {
        state
            .control
            .emit(ControlEvent::DeviceTokenRotated {
                workspace_id: row.workspace_id.clone(),
                device_id: row.id.clone(),
                mqtt_token_hash: Some(hash_token(&token)),
            })
            .await;
        if state.mqtt.is_some() {
            credentials =
                Some(crate::mqtt::routes::bundle(state, &row.workspace_id, &row.id).await?);
        }
    }
    Ok(CreatedDevice {
        device: row.view(false),
        agent_token: token,
        credentials,
    })
}

/// The workspace's devices, with `online` and `last_seen_at`.
#[utoipa::path(tag = "devices", responses((status = 200, body = Vec<DeviceView>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/devices")]
pub async fn list_devices(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<DeviceView>>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    let ws = access.workspace.id;
    let rows = state.db.run(move |conn| DeviceRow::list(conn, &ws)).await?;
    Ok(web::Json(
        rows.iter().map(|r| r.view_live(&state.hub)).collect(),
    ))
}

pub async fn load(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    id: &str,
    action: Action,
) -> AppResult<DeviceRow> {
    WorkspaceScope::enter(state, caller, ws, action)
        .await?
        .find(id)
        .await
}

/// One device.
#[utoipa::path(tag = "devices", responses((status = 200, body = DeviceView), (status = 404)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/devices/{id}")]
pub async fn get_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<DeviceView>> {
    let (ws, id) = path.into_inner();
    let row = load(&state, &caller, &ws, &id, Action::View).await?;
    Ok(web::Json(row.view_live(&state.hub)))
}

/// Changes a device's name, limits or modes; the router applies them to the next command.
#[utoipa::path(tag = "devices", request_body = UpdateDevice, responses((status = 200, body = DeviceView), (status = 404), (status = 422)), security(("bearer" = [])))]
#[patch("/workspaces/{ws}/devices/{id}")]
pub async fn update_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<UpdateDevice>,
) -> AppResult<web::Json<DeviceView>> {
    let (ws, id) = path.into_inner();
    let row = update(&state, &caller, &ws, &id, body.0).await?;
    Ok(web::Json(row.view_live(&state.hub)))
}

/// Applies `changes` to a device (API and dashboard), audited as `device.updated`.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    id: &str,
    changes: UpdateDevice,
) -> AppResult<DeviceRow> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let mut row: DeviceRow = scope.find(id).await?;
    if let Some(name) = &changes.name {
        row.name = Name::parse("name", name)?.into();
    }
    if let Some(ms) = changes.max_duration_ms {
        row.max_duration_ms = max_duration(ms)?;
    }
    if let Some(n) = changes.max_commands_per_minute {
        row.max_commands_per_minute = per_minute(n)?;
    }
    let modes = Modes::parse(
        Modes {
            concurrency: row.concurrency,
            max_queue: row.max_queue,
            fair_share_pct: row.fair_share_pct,
        },
        changes.concurrency,
        changes.max_queue,
        changes.fair_share_pct,
    )?;
    row.concurrency = modes.concurrency;
    row.max_queue = modes.max_queue;
    row.fair_share_pct = modes.fair_share_pct;
    row.updated_at = now_ms();
    let saved = row.clone();
    scope
        .act("device.updated", move |conn, _| {
            diesel::update(devices::table.find(&saved.id))
                .set((
                    devices::name.eq(&saved.name),
                    devices::max_duration_ms.eq(saved.max_duration_ms),
                    devices::max_commands_per_minute.eq(saved.max_commands_per_minute),
                    devices::concurrency.eq(saved.concurrency),
                    devices::max_queue.eq(saved.max_queue),
                    devices::fair_share_pct.eq(saved.fair_share_pct),
                    devices::updated_at.eq(saved.updated_at),
                ))
                .execute(conn)
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict(_) => {
                        AppError::Conflict("a device with this name already exists".into())
                    }
                    other => other,
                })?;
            let note = Note::on(&saved.id).details(serde_json::json!({
                "name": saved.name,
                "max_duration_ms": saved.max_duration_ms,
                "max_commands_per_minute": saved.max_commands_per_minute,
                "concurrency": saved.concurrency,
                "max_queue": saved.max_queue,
                "fair_share_pct": saved.fair_share_pct,
            }));
            Ok(((), note))
        })
        .await?;
    state
        .control
        .emit(ControlEvent::DeviceSaved {
            device: row.device(),
        })
        .await;
    Ok(row)
}

/// Deletes a device; its agent is disconnected.
#[utoipa::path(tag = "devices", responses((status = 204), (status = 404)), security(("bearer" = [])))]
#[delete("/workspaces/{ws}/devices/{id}")]
pub async fn delete_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    delete(&state, &caller, &ws, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes a device (API and dashboard): its connections are closed at once.
pub async fn delete(state: &AppState, caller: &Caller, ws: &str, id: &str) -> AppResult<()> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let row: DeviceRow = scope.find(id).await?;
    let device_id = row.id.clone();
    scope
        .act("device.deleted", move |conn, _| {
            diesel::delete(devices::table.find(&row.id)).execute(conn)?;
            Ok((
                (),
                Note::on(&row.id).details(serde_json::json!({"name": row.name})),
            ))
        })
        .await?;
    state
        .control
        .emit(ControlEvent::DeviceDeleted {
            workspace_id: ws.to_owned(),
            device_id,
        })
        .await;
    Ok(())
}

/// Rotates the agent token: a new one is returned, the old one stops working at once.
#[utoipa::path(tag = "devices", responses((status = 201, body = RotatedToken)), security(("bearer" = [])))]
#[post("/workspaces/{ws}/devices/{id}/token")]
pub async fn rotate_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    let token = rotate(&state, &caller, &ws, &id).await?;
    Ok(HttpResponse::Created().json(RotatedToken { agent_token: token }))
}

/// A new token for the device (API and dashboard); the old one and its sockets stop at once.
pub async fn rotate(state: &AppState, caller: &Caller, ws: &str, id: &str) -> AppResult<String> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let row: DeviceRow = scope.find(id).await?;
    let device_id = row.id.clone();
    let (workspace_id, transport) = (row.workspace_id.clone(), row.device().transport);
    let token = scope
        .act("device.token_rotated", move |conn, _| {
            Ok((model::issue_token(conn, &row.id)?, Note::on(&row.id)))
        })
        .await?;
    // Sockets opened with the old token are closed.
    state
        .control
        .emit(ControlEvent::DeviceTokenRotated {
            workspace_id,
            device_id,
            mqtt_token_hash: (transport == Transport::Mqtt).then(|| hash_token(&token)),
        })
        .await;
    Ok(token)
}

/// Revokes the agent token: a connected agent is disconnected within a second.
#[utoipa::path(tag = "devices", responses((status = 204)), security(("bearer" = [])))]
#[delete("/workspaces/{ws}/devices/{id}/token")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    revoke(&state, &caller, &ws, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes the device's token (API and dashboard): its sockets close within a second.
pub async fn revoke(state: &AppState, caller: &Caller, ws: &str, id: &str) -> AppResult<()> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let row: DeviceRow = scope.find(id).await?;
    let device_id = row.id.clone();
    scope
        .act("device.token_revoked", move |conn, _| {
            model::revoke_tokens(conn, &row.id)?;
            Ok(((), Note::on(&row.id)))
        })
        .await?;
    state
        .control
        .emit(ControlEvent::DeviceTokenRevoked {
            workspace_id: ws.to_owned(),
            device_id,
        })
        .await;
    Ok(())
}
