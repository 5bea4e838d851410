//! `POST /workspaces/{ws}/devices/{id}/credentials`: a client certificate and key for an MQTT
//! device, with the CA and the topics, as one bundle. The key is not kept: calling again
//! issues a new pair (the old certificate stays valid until it expires; the token is what
//! revocation cuts).

use actix_web::{HttpResponse, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::context::AppState;
use crate::devices::model::{DeviceRow, Transport};
use crate::error::{AppError, AppResult};
use crate::mqtt::auth::tenant_of;
use crate::mqtt::bridge::topic;
use crate::workspaces::permissions::Action;
use crate::workspaces::scope::{Note, WorkspaceScope};

#[derive(Debug, Serialize, ToSchema)]
pub struct Topics {
    /// Server → device: command JSON (subscribe).
    pub cmd: String,
    /// Device → server: ack JSON.
    pub ack: String,
    /// Device → server: retained `online`; last will `offline`.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Credentials {
    pub ca_pem: String,
    pub cert_pem: String,
    /// Shown this once; the server does not keep it.
    pub key_pem: String,
    pub tenant: String,
    pub topics: Topics,
    /// `mqtts://host:port` of the TLS listener. Username = device id = client id,
    /// password = the agent token.
    pub mqtt_tls_url: String,
}

/// Issues an MQTT device's client certificate (owner, admin).
#[utoipa::path(tag = "devices", responses((status = 201, body = Credentials), (status = 404), (status = 409, description = "not an MQTT device, or MQTT is disabled")), security(("bearer" = [])))]
#[post("/workspaces/{ws}/devices/{id}/credentials")]
pub async fn issue_credentials(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (ws, id) = path.into_inner();
    let creds = issue(&state, &caller, &ws, &id).await?;
    Ok(HttpResponse::Created().json(creds))
}

/// A new certificate for an MQTT device (API and dashboard), audited.
pub async fn issue(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    id: &str,
) -> AppResult<Credentials> {
    let scope = WorkspaceScope::enter(state, caller, ws, Action::ManageDevices).await?;
    let row: DeviceRow = scope.find(id).await?;
    if row.device().transport != Transport::Mqtt {
        return Err(AppError::Conflict(
            "only devices registered with transport \"mqtt\" get certificates".into(),
        ));
    }
    let creds = bundle(state, scope.workspace_id(), &row.id).await?;
    scope
        .act("device.credentials_issued", move |_, _| {
            Ok(((), Note::on(row.id)))
        })
        .await?;
    Ok(creds)
}

/// A new certificate and key for `device_id` of workspace `ws`, with the CA and topics. Used
/// by this endpoint and by the registration of an MQTT device.
pub async fn bundle(state: &AppState, ws: &str, device_id: &str) -> AppResult<Credentials> {
    let Some(broker) = state.mqtt.clone() else {
        return Err(AppError::Conflict(
            "the MQTT broker is disabled on this server (mqtt.enabled = false)".into(),
        ));
    };
    let tenant = tenant_of(ws);
    let (issue_tenant, id) = (tenant.clone(), device_id.to_owned());
    let signer = broker.clone();
    // Key generation and signing take a few milliseconds: off the worker.
    let creds = web::block(move || signer.ca.issue_client(&issue_tenant, &id))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
        .map_err(AppError::Internal)?;
    let host = crate::mqtt::public_host(&state.settings.server.public_url);
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    Ok(Credentials {
        ca_pem: broker.ca.ca_pem.clone(),
        cert_pem: creds.cert_pem,
        key_pem: creds.key_pem,
        topics: Topics {
            cmd: topic(&tenant, device_id, "cmd"),
            ack: topic(&tenant, device_id, "ack"),
            status: topic(&tenant, device_id, "status"),
        },
        tenant,
        mqtt_tls_url: format!("mqtts://{host}:{}", broker.tls_addr.port()),
    })
}
