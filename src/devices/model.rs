//! The `devices` and `agent_tokens` tables.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::secrets::{hash_token, random_alphanumeric};
use crate::db::DbConnection;
use crate::db::schema::{agent_tokens, devices, workspaces};
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::ids::{new_id, now_ms, prefix};

pub const TOKEN_PREFIX: &str = "lat_";
pub const DEFAULT_MAX_DURATION_MS: i64 = 5_000;
pub const LIMIT_MAX_DURATION_MS: i64 = 600_000;
pub const DEFAULT_MAX_PER_MINUTE: i32 = 60;
pub const LIMIT_MAX_PER_MINUTE: i32 = 6_000;
/// Commands that may wait for one device in `queued` mode (`games.md` § Device modes).
pub const DEFAULT_MAX_QUEUE: i32 = 16;
pub const LIMIT_MAX_QUEUE: i32 = 16;
pub const DEFAULT_FAIR_SHARE_PCT: i32 = 100;

crate::text_enum! {
    pub enum Transport {
        Agent => "agent",
        Mqtt => "mqtt",
    }
}

crate::text_enum! {
    /// What a command for a device that is still running one does.
    #[derive(Default)]
    pub enum Concurrency {
        /// Waits its turn (at most `max_queue` wait).
        #[default]
        Queued => "queued",
        /// Is dropped as `busy`.
        Single => "single",
        /// Goes out at once; the waiting commands are dropped and the device's time restarts.
        Restart => "restart",
        /// Goes out at once, beside the running one (the board runs each output on its own
        /// timer).
        Parallel => "parallel",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
pub struct DeviceRow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub transport: Transport,
    pub allowed_commands: Json<Vec<String>>,
    pub max_duration_ms: i64,
    pub max_commands_per_minute: i32,
    pub last_seen_at: Option<i64>,
    pub agent_version: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub agent_platform: Option<String>,
    pub agent_update: Option<String>,
    pub concurrency: Concurrency,
    pub max_queue: i32,
    pub fair_share_pct: i32,
}

/// A device's limits, as the router and the rule validation need them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub transport: Transport,
    pub allowed_commands: Vec<String>,
    pub max_duration_ms: i64,
    pub max_commands_per_minute: i64,
    /// Absent in a message from a node of an older build: the defaults then apply.
    #[serde(default)]
    pub concurrency: Concurrency,
    #[serde(default = "default_max_queue")]
    pub max_queue: i64,
    #[serde(default = "default_fair_share")]
    pub fair_share_pct: i64,
}

fn default_max_queue() -> i64 {
    i64::from(DEFAULT_MAX_QUEUE)
}

fn default_fair_share() -> i64 {
    i64::from(DEFAULT_FAIR_SHARE_PCT)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub transport: Transport,
    pub allowed_commands: Vec<String>,
    pub max_duration_ms: i64,
    pub max_commands_per_minute: i64,
    /// What a command for a device still running one does: `queued` (default), `single`,
    /// `restart`, `parallel`.
    pub concurrency: Concurrency,
    /// Commands that may wait in `queued` mode (1–16).
    pub max_queue: i64,
    /// The most of any minute one viewer's commands may hold the device (1–100 %).
    pub fair_share_pct: i64,
    pub online: bool,
    pub last_seen_at: Option<i64>,
    pub agent_version: Option<String>,
    /// The agent's platform (`linux-x86_64`…), which decides the build it updates to.
    pub agent_platform: Option<String>,
    /// What the agent last said of its updates: `up to date`, `updating to 0.2.0`,
    /// `rolled back from 0.2.0: …`, `updates off`.
    pub agent_update: Option<String>,
    /// The board's serial port as its agent last reported it (`open`, `closed`, `error`);
    /// absent while no agent is connected.
    pub serial: Option<crate::protocol::SerialState>,
    pub serial_detail: Option<String>,
    /// The board firmware's `name version` from its HELLO.
    pub firmware: Option<String>,
    pub created_at: i64,
}

impl DeviceRow {
    pub fn device(&self) -> Device {
        Device {
            id: self.id.clone(),
            workspace_id: self.workspace_id.clone(),
            name: self.name.clone(),
            transport: self.transport,
            allowed_commands: self.allowed_commands.get().clone(),
            max_duration_ms: self.max_duration_ms,
            max_commands_per_minute: i64::from(self.max_commands_per_minute),
            concurrency: self.concurrency,
            max_queue: i64::from(self.max_queue),
            fair_share_pct: i64::from(self.fair_share_pct),
        }
    }

    /// The view with what the connected agent reports.
    pub fn view_live(&self, hub: &crate::devices::hub::AgentHub) -> DeviceView {
        let (online, status) = hub.presence(&self.id, crate::commands::remote::PRESENCE_TTL);
        let mut view = self.view(online);
        if let Some(status) = status {
            view.serial = Some(status.serial);
            view.serial_detail = status.detail;
            view.firmware = status.firmware;
        }
        view
    }

    pub fn view(&self, online: bool) -> DeviceView {
        let d = self.device();
        DeviceView {
            id: d.id,
            workspace_id: d.workspace_id,
            name: d.name,
            transport: d.transport,
            allowed_commands: d.allowed_commands,
            max_duration_ms: d.max_duration_ms,
            max_commands_per_minute: d.max_commands_per_minute,
            concurrency: d.concurrency,
            max_queue: d.max_queue,
            fair_share_pct: d.fair_share_pct,
            online,
            last_seen_at: self.last_seen_at,
            agent_version: self.agent_version.clone(),
            agent_platform: self.agent_platform.clone(),
            agent_update: self.agent_update.clone(),
            serial: None,
            serial_detail: None,
            firmware: None,
            created_at: self.created_at,
        }
    }

    pub fn find(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<DeviceRow> {
        devices::table
            .filter(devices::id.eq(id))
            .filter(devices::workspace_id.eq(ws))
            .select(DeviceRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("device"))
    }

    pub fn list(conn: &mut DbConnection, ws: &str) -> AppResult<Vec<DeviceRow>> {
        Ok(devices::table
            .filter(devices::workspace_id.eq(ws))
            .order(devices::id.asc())
            .select(DeviceRow::as_select())
            .load(conn)?)
    }

    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<DeviceRow>> {
        Ok(devices::table.select(DeviceRow::as_select()).load(conn)?)
    }
}

/// Command names travel in serial lines and topics: letters, digits and `_`, upper case.
pub fn normalise_command(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then(|| name.to_ascii_uppercase())
}

/// A new agent token in clear, stored hashed for `device_id`. Earlier tokens stop working.
pub fn issue_token(conn: &mut DbConnection, device_id: &str) -> AppResult<String> {
    let now = now_ms();
    diesel::update(
        agent_tokens::table
            .filter(agent_tokens::device_id.eq(device_id))
            .filter(agent_tokens::revoked_at.is_null()),
    )
    .set(agent_tokens::revoked_at.eq(now))
    .execute(conn)?;
    let token = format!("{TOKEN_PREFIX}{}", random_alphanumeric(40));
    diesel::insert_into(agent_tokens::table)
        .values((
            agent_tokens::id.eq(new_id(prefix::AGENT_TOKEN)),
            agent_tokens::device_id.eq(device_id),
            agent_tokens::token_hash.eq(hash_token(&token)),
            agent_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn revoke_tokens(conn: &mut DbConnection, device_id: &str) -> AppResult<usize> {
    Ok(diesel::update(
        agent_tokens::table
            .filter(agent_tokens::device_id.eq(device_id))
            .filter(agent_tokens::revoked_at.is_null()),
    )
    .set(agent_tokens::revoked_at.eq(now_ms()))
    .execute(conn)?)
}

/// The device a live token belongs to, with its workspace's suspension and kill switch state.
pub fn by_token(
    conn: &mut DbConnection,
    token: &str,
) -> AppResult<Option<(DeviceRow, bool, bool)>> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    let row: Option<(DeviceRow, Option<i64>, bool)> = agent_tokens::table
        .inner_join(devices::table.inner_join(workspaces::table))
        .filter(agent_tokens::token_hash.eq(hash_token(token)))
        .filter(agent_tokens::revoked_at.is_null())
        .select((
            DeviceRow::as_select(),
            workspaces::suspended_at,
            workspaces::kill_switch_engaged,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(device, suspended, kill)| (device, suspended.is_some(), kill)))
}

/// What an agent says of itself when it connects (its request headers).
#[derive(Debug, Clone, Default)]
pub struct AgentVisit {
    pub version: Option<String>,
    pub platform: Option<String>,
}

pub fn touch(
    conn: &mut DbConnection,
    device_id: &str,
    visit: Option<&AgentVisit>,
) -> AppResult<()> {
    let now = now_ms();
    match visit {
        Some(v) => diesel::update(devices::table.find(device_id))
            .set((
                devices::last_seen_at.eq(now),
                devices::agent_version.eq(&v.version),
                devices::agent_platform.eq(&v.platform),
            ))
            .execute(conn)?,
        None => diesel::update(devices::table.find(device_id))
            .set(devices::last_seen_at.eq(now))
            .execute(conn)?,
    };
    Ok(())
}

/// Keeps what the agent last said of its updates.
pub fn record_update(conn: &mut DbConnection, device_id: &str, update: &str) -> AppResult<()> {
    diesel::update(devices::table.find(device_id))
        .set(devices::agent_update.eq(update))
        .execute(conn)?;
    Ok(())
}

/// The devices of `ws` that have a token that still works (the others show as revoked).
pub fn with_live_token(
    conn: &mut DbConnection,
    ws: &str,
) -> AppResult<std::collections::HashSet<String>> {
    let ids: Vec<String> = agent_tokens::table
        .inner_join(devices::table)
        .filter(devices::workspace_id.eq(ws))
        .filter(agent_tokens::revoked_at.is_null())
        .select(agent_tokens::device_id)
        .load(conn)?;
    Ok(ids.into_iter().collect())
}

impl crate::workspaces::scope::WorkspaceRow for DeviceRow {
    fn find_in(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<Self> {
        Self::find(conn, ws, id)
    }
}
