//! What the dashboard's cards show of the command history.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::commands;
use crate::error::AppResult;

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
