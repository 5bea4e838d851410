//! The command history: its pages (API and dashboard, newest first, filtered, by `before`
//! cursor), its latency summary, and what the dashboard's cards show of it.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::commands;
use crate::db::types::Json;
use crate::error::AppResult;
use crate::protocol::CommandStatus;

/// A row of `commands` as the history reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = commands)]
pub struct CommandRecord {
    pub id: String,
    pub device_id: String,
    pub rule_id: Option<String>,
    pub event_id: Option<String>,
    pub cmd: String,
    pub duration_ms: i64,
    pub params: Json<serde_json::Value>,
    pub status: CommandStatus,
    pub detail: Option<String>,
    pub event_at: Option<i64>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub acked_at: Option<i64>,
    pub viewer: Option<String>,
}

impl CommandRecord {
    /// The event happened → the command was issued.
    pub fn event_to_issued_ms(&self) -> Option<i64> {
        self.event_at.map(|e| self.issued_at - e)
    }

    /// The command was issued → the device acknowledged it.
    pub fn issued_to_ack_ms(&self) -> Option<i64> {
        self.acked_at.map(|a| a - self.issued_at)
    }
}

/// Which commands a history page shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub device_id: Option<String>,
    pub status: Option<CommandStatus>,
    pub rule_id: Option<String>,
    /// Issued at or after (ms).
    pub since: Option<i64>,
    /// A command id: only older commands (the next page).
    pub before: Option<String>,
}

fn filtered<'a>(
    ws: &'a str,
    filter: &'a HistoryFilter,
) -> commands::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut q = commands::table
        .filter(commands::workspace_id.eq(ws))
        .into_boxed();
    if let Some(device) = &filter.device_id {
        q = q.filter(commands::device_id.eq(device));
    }
    if let Some(status) = filter.status {
        q = q.filter(commands::status.eq(status.as_str()));
    }
    if let Some(rule) = &filter.rule_id {
        q = q.filter(commands::rule_id.eq(rule));
    }
    if let Some(since) = filter.since {
        q = q.filter(commands::issued_at.ge(since));
    }
    if let Some(before) = &filter.before {
        q = q.filter(commands::id.lt(before));
    }
    q
}

/// One page of the history, newest first (ids sort by time: the `before` cursor pages on the
/// primary key's order, never scanning what came before).
pub fn page(
    conn: &mut DbConnection,
    ws: &str,
    filter: &HistoryFilter,
    limit: i64,
) -> AppResult<Vec<CommandRecord>> {
    Ok(filtered(ws, filter)
        .order(commands::id.desc())
        .limit(limit)
        .select(CommandRecord::as_select())
        .load(conn)?)
}

/// The 50th and 95th percentiles of both latencies over the newest commands a filter shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencySummary {
    /// How many commands the numbers cover.
    pub commands: usize,
    pub event_to_issued: Option<(i64, i64)>,
    pub issued_to_ack: Option<(i64, i64)>,
}

/// How many of the newest commands the summary reads.
pub const SUMMARY_WINDOW: i64 = 1_000;

pub fn latency_summary(
    conn: &mut DbConnection,
    ws: &str,
    filter: &HistoryFilter,
) -> AppResult<LatencySummary> {
    let rows: Vec<(Option<i64>, i64, Option<i64>)> = filtered(ws, filter)
        .order(commands::id.desc())
        .limit(SUMMARY_WINDOW)
        .select((commands::event_at, commands::issued_at, commands::acked_at))
        .load(conn)?;
    let event: Vec<i64> = rows
        .iter()
        .filter_map(|(e, i, _)| e.map(|e| i - e))
        .collect();
    let ack: Vec<i64> = rows
        .iter()
        .filter_map(|(_, i, a)| a.map(|a| a - i))
        .collect();
    Ok(LatencySummary {
        commands: rows.len(),
        event_to_issued: p50_p95(event),
        issued_to_ack: p50_p95(ack),
    })
}

/// Nearest-rank percentiles; `None` without samples.
fn p50_p95(mut samples: Vec<i64>) -> Option<(i64, i64)> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = |q: usize| samples[(samples.len() * q).div_ceil(100).saturating_sub(1)];
    Some((rank(50), rank(95)))
}

/// A device's latest command, as its card shows it.
#[derive(Debug, Clone)]
pub struct LastCommand {
    pub cmd: String,
    pub status: String,
    pub issued_to_ack_ms: Option<i64>,
}

/// How far back the cards look for each device's latest command.
const RECENT: i64 = 500;

/// The latest command of each device of `ws` among its recent commands.
pub fn last_by_device(
    conn: &mut DbConnection,
    ws: &str,
) -> AppResult<HashMap<String, LastCommand>> {
    let rows: Vec<(String, String, String, i64, Option<i64>)> = commands::table
        .filter(commands::workspace_id.eq(ws))
        .order(commands::id.desc())
        .limit(RECENT)
        .select((
            commands::device_id,
            commands::cmd,
            commands::status,
            commands::issued_at,
            commands::acked_at,
        ))
        .load(conn)?;
    let mut last = HashMap::new();
    for (device, cmd, status, issued_at, acked_at) in rows {
        last.entry(device).or_insert_with(|| LastCommand {
            cmd,
            status,
            issued_to_ack_ms: acked_at.map(|a| a - issued_at),
        });
    }
    Ok(last)
}

/// Whether any command of `ws` was done (the first-run checklist).
pub fn any_done(conn: &mut DbConnection, ws: &str) -> AppResult<bool> {
    let done: i64 = commands::table
        .filter(commands::workspace_id.eq(ws))
        .filter(commands::status.eq("done"))
        .count()
        .get_result(conn)?;
    Ok(done > 0)
}

#[cfg(test)]
mod tests {
    use super::p50_p95;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(p50_p95(vec![]), None);
        assert_eq!(p50_p95(vec![7]), Some((7, 7)));
        assert_eq!(p50_p95((1..=100).rev().collect()), Some((50, 95)));
        assert_eq!(p50_p95(vec![1, 2, 3, 1000]), Some((2, 1000)));
    }
}
