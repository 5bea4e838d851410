//! `/workspaces/{ws}/kill-switch` and `/workspaces/{ws}/commands`.

use actix_web::{get, post, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::commands::history::{self, CommandRecord, HistoryFilter};
use crate::context::AppState;
use crate::control::ControlEvent;
use crate::db::schema::workspaces;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::now_ms;
use crate::protocol::CommandStatus;
use crate::workspaces::access::authorize;
use crate::workspaces::model::{KillSwitchView, Workspace};
use crate::workspaces::permissions::{Action, Role};
use crate::workspaces::scope::{Note, WorkspaceScope};

/// The kill switch's state.
#[utoipa::path(tag = "safety and history", responses((status = 200, body = KillSwitchView)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/kill-switch")]
pub async fn get_kill_switch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<KillSwitchView>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    Ok(web::Json(access.workspace.view(access.role).kill_switch))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetKillSwitch {
    pub engaged: bool,
    pub reason: Option<String>,
}

/// Engages (owner, admin, operator) or releases (owner) the kill switch. Engaging reaches
/// every connected agent at once; while engaged nothing is sent to hardware.
#[utoipa::path(tag = "safety and history", request_body = SetKillSwitch, responses((status = 200, body = KillSwitchView)), security(("bearer" = [])))]
#[post("/workspaces/{ws}/kill-switch")]
pub async fn set_kill_switch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<SetKillSwitch>,
) -> AppResult<web::Json<KillSwitchView>> {
    let (workspace, role) = set_kill(&state, &caller, &path, body.0).await?;
    Ok(web::Json(workspace.view(role).kill_switch))
}

/// Engages or releases the kill switch (API and dashboard) and tells every open view.
pub async fn set_kill(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    body: SetKillSwitch,
) -> AppResult<(Workspace, Role)> {
    let action = if body.engaged {
        Action::EngageKillSwitch
    } else {
        Action::ReleaseKillSwitch
    };
    let scope = WorkspaceScope::enter(state, caller, ws, action).await?;
    let ws = scope.workspace_id().to_owned();
    let engaged = body.engaged;
    let reason = body
        .reason
        .map(|r| r.trim().chars().take(500).collect::<String>())
        .filter(|r| !r.is_empty());
    let changed_by = scope.actor.id.clone();
    let changed_at = now_ms();
    let event = ControlEvent::KillSwitch {
        workspace_id: ws.clone(),
        engaged,
        reason: reason.clone(),
        changed_by: changed_by.clone(),
        changed_at,
    };
    // Stop first, record second: the hardware must not wait for the database. The views and
    // the other nodes hear of it once it is recorded (so what they read back is true).
    if engaged {
        state.control.stop_now(&ws);
    }
    let kind = if engaged {
        "kill_switch.engaged"
    } else {
        "kill_switch.released"
    };
    let updated = scope
        .act(kind, move |conn, ws_id| {
            diesel::update(workspaces::table.find(ws_id))
                .set((
                    workspaces::kill_switch_engaged.eq(engaged),
                    workspaces::kill_switch_reason.eq(&reason),
                    workspaces::kill_switch_changed_at.eq(changed_at),
                    workspaces::kill_switch_changed_by.eq(&changed_by),
                ))
                .execute(conn)?;
            let note = Note::default().details(serde_json::json!({"reason": reason}));
            let updated =
                Workspace::find(conn, ws_id)?.ok_or_else(|| AppError::not_found("workspace"))?;
            Ok((updated, note))
        })
        .await?;
    state.control.emit(event).await;
    Ok((updated, scope.access.role))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CommandsQuery {
    /// 1..=200, default 50.
    pub limit: Option<i64>,
    /// A command id: only older commands are returned.
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Latency {
    /// Event happened → command issued.
    pub event_to_issued_ms: Option<i64>,
    /// Command issued → device acknowledged.
    pub issued_to_ack_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandView {
    pub id: String,
    pub device_id: String,
    pub rule_id: Option<String>,
    pub event_id: Option<String>,
    pub cmd: String,
    pub duration_ms: i64,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub status: CommandStatus,
    pub detail: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub acked_at: Option<i64>,
    /// The viewer whose event caused it (nickname, else @handle); absent for commands sent
    /// by hand or caused by no one (a goal, a vote's end).
    pub viewer: Option<String>,
    pub latency: Latency,
}

impl From<CommandRecord> for CommandView {
    fn from(record: CommandRecord) -> Self {
        let latency = Latency {
            event_to_issued_ms: record.event_to_issued_ms(),
            issued_to_ack_ms: record.issued_to_ack_ms(),
        };
        let CommandRecord {
            id,
            device_id,
            rule_id,
            event_id,
            cmd,
            duration_ms,
            params,
            status,
            detail,
            issued_at,
            expires_at,
            acked_at,
            viewer,
            ..
        } = record;
        CommandView {
            latency,
            id,
            device_id,
            rule_id,
            event_id,
            cmd,
            duration_ms,
            params: params.into_inner(),
            status,
            detail,
            issued_at,
            expires_at,
            acked_at,
            viewer,
        }
    }
}

/// Recent commands with their outcome and latencies, newest first.
#[utoipa::path(tag = "safety and history", params(CommandsQuery), responses((status = 200, body = Vec<CommandView>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/commands")]
pub async fn list_commands(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<CommandsQuery>,
) -> AppResult<web::Json<Vec<CommandView>>> {
    let access = authorize(&state, &caller, &path, Action::View).await?;
    let query = query.into_inner();
    let limit = crate::http::extract::page_limit(query.limit)?;
    let ws = access.workspace.id;
    let filter = HistoryFilter {
        before: query.before,
        ..HistoryFilter::default()
    };
    let rows = state
        .db
        .run(move |conn| history::page(conn, &ws, &filter, limit))
        .await?;
    Ok(web::Json(rows.into_iter().map(CommandView::from).collect()))
}
