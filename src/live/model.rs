//! The `livestreams` table and its API shape.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{livestreams, workspaces};
use crate::db::types::Json;
use crate::error::{AppError, AppResult};
use crate::ids::now_ms;
use crate::live::actor::Spec;
use crate::live::client::LastError;

crate::text_enum! {
    pub enum Status {
        Idle => "idle",
        Connecting => "connecting",
        Live => "live",
        Reconnecting => "reconnecting",
        Offline => "offline",
        Ended => "ended",
        Error => "error",
    }
}

crate::text_enum! {
    pub enum SourceKind {
        Tiktok => "tiktok",
        Simulator => "simulator",
    }
}

/// Counters of one livestream since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Stats {
    pub comments: i64,
    pub gifts: i64,
    pub diamonds: i64,
    pub likes: i64,
    pub follows: i64,
    pub shares: i64,
    pub joins: i64,
    pub events: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = livestreams)]
pub struct LivestreamRow {
    pub id: String,
    pub workspace_id: String,
    pub source: SourceKind,
    pub unique_id: String,
    pub name: String,
    pub auto_reconnect: bool,
    pub desired_connected: bool,
    pub status: Status,
    pub room_id: Option<String>,
    pub last_error: Option<Json<LastError>>,
    pub stats: Json<Stats>,
    pub connected_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// TikTok's room id given by hand: the lookup is skipped.
    pub room_id_override: Option<String>,
}

/// What a running actor knows that the table may not have yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runtime {
    pub status: Status,
    pub room_id: Option<String>,
    pub viewer_count: i64,
    pub stats: Stats,
    pub last_error: Option<LastError>,
    pub connected_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LivestreamView {
    pub id: String,
    pub workspace_id: String,
    pub source: SourceKind,
    pub unique_id: String,
    pub name: String,
    pub status: Status,
    pub room_id: Option<String>,
    pub viewer_count: i64,
    pub stats: Stats,
    pub last_error: Option<LastError>,
    pub connected_at: Option<i64>,
    pub auto_reconnect: bool,
    /// TikTok's room id given by hand (the lookup by account name is skipped), if any.
    pub room_id_override: Option<String>,
    pub created_at: i64,
}

impl LivestreamRow {
    /// What the livestream's actor starts from.
    pub fn spec(&self) -> Spec {
        Spec {
            id: self.id.clone(),
            workspace_id: self.workspace_id.clone(),
            unique_id: self.unique_id.clone(),
            source: self.source,
            auto_reconnect: self.auto_reconnect,
            stats: *self.stats,
            fence: 0,
            room_id_override: self.room_id_override.clone(),
        }
    }

    /// The stored state, as a runtime (for streams no actor is running).
    pub fn stored_runtime(&self) -> Runtime {
        Runtime {
            status: self.status,
            room_id: self.room_id.clone(),
            viewer_count: 0,
            stats: *self.stats,
            last_error: self.last_error.as_deref().cloned(),
            connected_at: self.connected_at,
        }
    }

    pub fn view(&self, runtime: Option<Runtime>) -> LivestreamView {
        let rt = runtime.unwrap_or_else(|| self.stored_runtime());
        LivestreamView {
            id: self.id.clone(),
            workspace_id: self.workspace_id.clone(),
            source: self.source,
            unique_id: self.unique_id.clone(),
            name: self.name.clone(),
            status: rt.status,
            room_id: rt.room_id,
            viewer_count: rt.viewer_count,
            stats: rt.stats,
            last_error: rt.last_error,
            connected_at: rt.connected_at,
            auto_reconnect: self.auto_reconnect,
            room_id_override: self.room_id_override.clone(),
            created_at: self.created_at,
        }
    }

    pub fn find(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<LivestreamRow> {
        livestreams::table
            .filter(livestreams::id.eq(id))
            .filter(livestreams::workspace_id.eq(ws))
            .select(LivestreamRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("livestream"))
    }

    pub fn list(conn: &mut DbConnection, ws: &str) -> AppResult<Vec<LivestreamRow>> {
        Ok(livestreams::table
            .filter(livestreams::workspace_id.eq(ws))
            .order(livestreams::id.asc())
            .select(LivestreamRow::as_select())
            .load(conn)?)
    }

    /// Streams that should be running (they were connected when the server stopped).
    /// The livestreams to reconnect after a restart: wanted connected, in a workspace that is
    /// not suspended (a suspension keeps them down until it is lifted).
    pub fn wanted(conn: &mut DbConnection) -> AppResult<Vec<LivestreamRow>> {
        Ok(livestreams::table
            .inner_join(workspaces::table)
            .filter(livestreams::desired_connected.eq(true))
            .filter(workspaces::suspended_at.is_null())
            .select(LivestreamRow::as_select())
            .load(conn)?)
    }
}

/// Writes what an actor knows to the table, unless a newer lease holder (a higher `fence`)
/// has written since: a node that lost its lease cannot overwrite the state of the node that
/// took the stream over. Without leases (one node) the fence is always 0.
pub fn save_runtime(conn: &mut DbConnection, id: &str, rt: &Runtime, fence: i64) -> AppResult<()> {
    let last_error = rt.last_error.clone().map(Json::new).transpose()?;
    let stats = Json::new(rt.stats)?;
    diesel::update(
        livestreams::table
            .find(id)
            .filter(livestreams::lease_fence.le(fence)),
    )
    .set((
        livestreams::lease_fence.eq(fence),
        livestreams::status.eq(rt.status),
        livestreams::room_id.eq(&rt.room_id),
        livestreams::last_error.eq(&last_error),
        livestreams::stats.eq(&stats),
        livestreams::connected_at.eq(rt.connected_at),
        livestreams::updated_at.eq(now_ms()),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn set_desired(conn: &mut DbConnection, id: &str, connected: bool) -> AppResult<()> {
    diesel::update(livestreams::table.find(id))
        .set((
            livestreams::desired_connected.eq(connected),
            livestreams::updated_at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

/// `@user`, `user` or `https://www.tiktok.com/@user/live` → `user`.
pub fn parse_target(target: &str) -> AppResult<String> {
    let target = target.trim();
    let handle = ["https://", "http://"]
        .iter()
        .find_map(|scheme| target.strip_prefix(scheme))
        .map(|rest| {
            let rest = rest
                .strip_prefix("www.")
                .or_else(|| rest.strip_prefix("m."))
                .unwrap_or(rest);
            match rest.strip_prefix("tiktok.com/@") {
                Some(path) => Ok(path.split(['/', '?', '#']).next().unwrap_or_default()),
                None => Err(AppError::invalid(
                    "target",
                    "a link must look like https://www.tiktok.com/@user/live",
                )),
            }
        })
        .transpose()?
        .unwrap_or_else(|| target.strip_prefix('@').unwrap_or(target));
    let valid = (2..=24).contains(&handle.len())
        && handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if !valid {
        return Err(AppError::invalid(
            "target",
            "a TikTok handle is 2 to 24 letters, digits, '_' or '.' (as @user, user or a LIVE link)",
        ));
    }
    Ok(handle.to_ascii_lowercase())
}

impl crate::workspaces::scope::WorkspaceRow for LivestreamRow {
    fn find_in(conn: &mut DbConnection, ws: &str, id: &str) -> AppResult<Self> {
        Self::find(conn, ws, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_in_every_accepted_form() {
        for t in [
            "@Some.One_1",
            "some.one_1",
            "https://www.tiktok.com/@some.one_1/live",
            "https://tiktok.com/@some.one_1",
            " @some.one_1 ",
            "https://www.tiktok.com/@some.one_1/live?lang=en",
        ] {
            assert_eq!(parse_target(t).unwrap(), "some.one_1", "{t}");
        }
        for bad in [
            "",
            "@",
            "a",
            "has space",
            "https://example.com/@x/live",
            "@'; DROP TABLE",
            &"x".repeat(25),
            "emoji🚀",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }
}
