//! The pairing API. The agent's side has no account: `POST /agent/pairings` (rate limited per
//! client address) and `GET /agent/pairings/{id}` with the poll secret. The approver's side is
//! a workspace route for owners and admins (`devices` scope for API keys): look a code up,
//! approve it onto a device (an existing agent device, or a new one), or deny it. Every code
//! tried counts against the approver's limit, so codes cannot be guessed through the API.

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::auth::routes::client_address;
use crate::auth::secrets::random_alphanumeric;
use crate::context::AppState;
use crate::devices::model::{DeviceRow, DeviceView, Transport};
use crate::devices::routes::{self as device_routes, CreateDevice};
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::{new_id, now_ms, prefix};
use crate::pairing::model::{self, PairingRow, PairingState, PairingView};
use crate::pairing::seal;
use crate::workspaces::permissions::Action;
use crate::workspaces::scope::{Note, WorkspaceScope};

/// How often an agent is asked to poll.
const POLL_AFTER_MS: i64 = 1_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPairing {
    /// The agent's X25519 public key (base64url, 32 bytes): the token is sealed to it.
    pub public_key: String,
    /// Shown to the approver: the computer's name, its platform and the agent's version.
    pub hostname: Option<String>,
    pub platform: Option<String>,
    pub agent_version: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairingStarted {
    pub id: String,
    /// Shown to the streamer, typed or followed (as a link) by the approver.
    pub code: String,
    /// The agent's proof when it polls (`Authorization: Bearer …`).
    pub secret: String,
    /// The approval page, relative to the server: `/pair?code=…`.
    pub approve_path: String,
    pub expires_at: i64,
    pub poll_after_ms: i64,
}

/// What a polling agent learns. `approved` comes once: it carries the token, sealed to the
/// agent's key, and the release key to pin; the pairing is used up by it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PairingStatus {
    pub state: PairingState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// The agent token, sealed to the agent's public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed_token: Option<String>,
    /// `ed25519:…`: the key this server's agent builds are signed with, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_key: Option<String>,
}

impl PairingStatus {
    fn only(state: PairingState) -> Self {
        PairingStatus {
            state,
            workspace_id: None,
            device_id: None,
            device_name: None,
            sealed_token: None,
            release_key: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingCode {
    /// As shown by the agent (`ABCD-EF23`; case, spaces and dashes do not matter).
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovePairing {
    pub code: String,
    /// An agent device of the workspace: its current token stops working (the agent that
    /// held it is disconnected).
    pub device_id: Option<String>,
    /// Or a new device (its transport is `agent`).
    pub device: Option<NewAgentDevice>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentDevice {
    pub name: String,
    pub allowed_commands: Vec<String>,
    pub max_duration_ms: Option<i64>,
    pub max_commands_per_minute: Option<i64>,
}

/// Where an approval puts the agent.
pub enum Target {
    Existing(String),
    New(NewAgentDevice),
}

fn clip(text: Option<String>, fallback: &str) -> String {
    let text: String = text
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if text.trim().is_empty() {
        fallback.to_owned()
    } else {
        text.trim().to_owned()
    }
}

/// Starts a pairing (`livectl agent pair`); no account needed.
#[utoipa::path(tag = "pairing", request_body = StartPairing,
    responses((status = 201, body = PairingStarted), (status = 422, description = "VALIDATION_FAILED: `public_key`"),
        (status = 429, description = "over agents.pairings_per_address_per_minute from this address")))]
#[post("/agent/pairings")]
pub async fn start_pairing(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<StartPairing>,
) -> AppResult<HttpResponse> {
    let address = client_address(&req, &state);
    if let Err(retry_after_s) = state.limits.pairing_started(&address).await {
        tracing::warn!(%address, "pairing rate limit reached");
        return Err(AppError::RateLimited { retry_after_s });
    }
    let body = body.0;
    let key = seal::parse_public_key(&body.public_key)
        .ok_or_else(|| AppError::invalid("public_key", "an X25519 key: 32 bytes, base64url"))?;
    let code = model::new_code();
    let secret = random_alphanumeric(40);
    let now = now_ms();
    let row = PairingRow {
        id: new_id(prefix::PAIRING),
        code_hash: model::code_hash(&code.replace('-', "")),
        secret_hash: model::secret_hash(&secret),
        public_key: seal::encode_public_key(&key),
        hostname: clip(body.hostname, "unnamed computer"),
        platform: clip(body.platform, "unknown"),
        agent_version: clip(body.agent_version, "unknown"),
        address,
        state: PairingState::Pending,
        workspace_id: None,
        device_id: None,
        sealed_token: None,
        decided_by: None,
        created_at: now,
        expires_at: now + model::CODE_TTL_MS,
    };
    let inserted = row.clone();
    state
        .db
        .run(move |conn| model::insert(conn, &inserted, now))
        .await?;
    tracing::info!(pairing_id = %row.id, hostname = %row.hostname, address = %row.address, "pairing started");
    Ok(HttpResponse::Created().json(PairingStarted {
        approve_path: format!("/pair?code={code}"),
        id: row.id,
        code,
        secret,
        expires_at: row.expires_at,
        poll_after_ms: POLL_AFTER_MS,
    }))
}

/// The agent polls its pairing with `Authorization: Bearer <secret>`. 404 once expired, used
/// or unknown.
#[utoipa::path(tag = "pairing", responses((status = 200, body = PairingStatus), (status = 404, description = "unknown, expired or already used")))]
#[get("/agent/pairings/{id}")]
pub async fn poll_pairing(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<web::Json<PairingStatus>> {
    let secret = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let id = path.into_inner();
    let gone = || AppError::NotFound("no such pairing: it expired or was used".into());
    let handed = state
        .db
        .transaction(move |conn| {
            let Some(row) = model::polled(conn, &id, &secret, now_ms())? else {
                return Ok(None);
            };
            let handed = match row.state {
                PairingState::Approved if row.sealed_token.is_some() => {
                    if !model::claim(conn, &row.id)? {
                        return Ok(None);
                    }
                    let device = match (&row.workspace_id, &row.device_id) {
                        (Some(ws), Some(dev)) => Some(DeviceRow::find(conn, ws, dev)?),
                        _ => None,
                    };
                    Some((row, device))
                }
                PairingState::Claimed => return Ok(None),
                _ => Some((row, None)),
            };
            Ok(handed)
        })
        .await?
        .ok_or_else(gone)?;
    let (row, device) = handed;
    Ok(web::Json(match (row.state, device) {
        (PairingState::Approved, Some(device)) => {
            tracing::info!(pairing_id = %row.id, device_id = %device.id, "an agent took its pairing");
            PairingStatus {
                state: PairingState::Approved,
                workspace_id: Some(device.workspace_id),
                device_id: Some(device.id),
                device_name: Some(device.name),
                sealed_token: row.sealed_token,
                release_key: state.releases.public_key().map(|k| k.text()),
            }
        }
        (PairingState::Denied, _) => PairingStatus::only(PairingState::Denied),
        // Approved while its token is being sealed: still pending for the agent.
        _ => PairingStatus::only(PairingState::Pending),
    }))
}

/// Which computer a code belongs to, before approving it.
#[utoipa::path(tag = "pairing", request_body = PairingCode,
    responses((status = 200, body = PairingView), (status = 404, description = "no pending pairing has this code"), (status = 429)),
    security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/pairings/lookup")]
pub async fn lookup_pairing(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<PairingCode>,
) -> AppResult<web::Json<PairingView>> {
    Ok(web::Json(
        lookup(&state, &caller, &path, &body.0.code).await?,
    ))
}

/// A pending pairing by its code (API and dashboard); counts as one try of a code.
pub async fn lookup(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    code: &str,
) -> AppResult<PairingView> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    pending(state, &scope, code).await.map(|row| row.view())
}

async fn pending(
    state: &AppState,
    scope: &WorkspaceScope<'_>,
    code: &str,
) -> AppResult<PairingRow> {
    if let Err(retry_after_s) = state.limits.pairing_code_tried(&scope.actor.id).await {
        return Err(AppError::RateLimited { retry_after_s });
    }
    let code = code.to_owned();
    state
        .db
        .run(move |conn| model::pending(conn, &code, now_ms()))
        .await
}

/// Approves a code onto a device: the agent receives the device's new token.
#[utoipa::path(tag = "pairing", request_body = ApprovePairing,
    responses((status = 200, body = DeviceView), (status = 402), (status = 404, description = "no pending pairing has this code, or no such device"),
        (status = 422, description = "VALIDATION_FAILED: `code`, `device_id` or the new device's fields"), (status = 429)),
    security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/pairings")]
pub async fn approve_pairing(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<ApprovePairing>,
) -> AppResult<web::Json<DeviceView>> {
    let body = body.0;
    let target = match (body.device_id, body.device) {
        (Some(id), None) => Target::Existing(id),
        (None, Some(device)) => Target::New(device),
        _ => {
            return Err(AppError::invalid(
                "device_id",
                "give either device_id (an agent device) or device (a new one)",
            ));
        }
    };
    Ok(web::Json(
        approve(&state, &caller, &path, &body.code, target).await?,
    ))
}

/// Approves a pairing (API and dashboard).
pub async fn approve(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    code: &str,
    target: Target,
) -> AppResult<DeviceView> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let row = pending(state, &scope, code).await?;
    if let Target::Existing(id) = &target {
        let device: DeviceRow = scope.find(id).await?;
        if device.transport != Transport::Agent {
            return Err(AppError::invalid(
                "device_id",
                "an ESP32 (MQTT) device connects to the broker itself, not through an agent",
            ));
        }
    }
    let (id, ws_id, actor) = (
        row.id.clone(),
        scope.workspace_id().to_owned(),
        scope.actor.id.clone(),
    );
    state
        .db
        .run(move |conn| model::decide(conn, &id, PairingState::Approved, &ws_id, &actor, now_ms()))
        .await?;
    let issued = match target {
        Target::Existing(id) => device_routes::rotate(state, caller, ws, &id)
            .await
            .map(|token| (id, token)),
        Target::New(new) => device_routes::create(
            state,
            caller,
            ws,
            CreateDevice {
                name: new.name,
                transport: Transport::Agent,
                allowed_commands: new.allowed_commands,
                max_duration_ms: new.max_duration_ms,
                max_commands_per_minute: new.max_commands_per_minute,
                concurrency: None,
                max_queue: None,
                fair_share_pct: None,
            },
        )
        .await
        .map(|created| (created.device.id, created.agent_token)),
    };
    let (device_id, token) = match issued {
        Ok(issued) => issued,
        Err(err) => {
            let id = row.id.clone();
            state.db.run(move |conn| model::reopen(conn, &id)).await?;
            return Err(err);
        }
    };
    let key = seal::parse_public_key(&row.public_key)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a stored pairing key is unreadable")))?;
    let sealed = seal::seal(&key, &token)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("sealing a pairing token")))?;
    let details = serde_json::json!({
        "hostname": row.hostname, "platform": row.platform,
        "agent_version": row.agent_version, "address": row.address,
    });
    let (pairing_id, paired) = (row.id.clone(), device_id.clone());
    scope
        .act("device.agent_paired", move |conn, _| {
            model::store_token(conn, &pairing_id, &paired, &sealed)?;
            Ok(((), Note::on(&paired).details(details)))
        })
        .await?;
    tracing::info!(pairing_id = %row.id, device_id = %device_id, hostname = %row.hostname, "pairing approved");
    let device: DeviceRow = scope.find(&device_id).await?;
    Ok(device.view_live(&state.hub))
}

/// Refuses a code: the agent is told, and the code is used up.
#[utoipa::path(tag = "pairing", request_body = PairingCode,
    responses((status = 204), (status = 404, description = "no pending pairing has this code"), (status = 429)),
    security(("bearer" = []), ("api_key" = [])))]
#[post("/workspaces/{ws}/pairings/deny")]
pub async fn deny_pairing(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<PairingCode>,
) -> AppResult<HttpResponse> {
    deny(&state, &caller, &path, &body.0.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Denies a pairing (API and dashboard).
pub async fn deny(state: &AppState, caller: &Caller, ws: &str, code: &str) -> AppResult<()> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let row = pending(state, &scope, code).await?;
    let actor = scope.actor.id.clone();
    let details = serde_json::json!({"hostname": row.hostname, "address": row.address});
    scope
        .act("device.pairing_denied", move |conn, ws| {
            model::decide(conn, &row.id, PairingState::Denied, ws, &actor, now_ms())?;
            Ok(((), Note::on(&row.id).details(details)))
        })
        .await
}
