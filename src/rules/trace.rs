//! Why each rule did or did not fire on one event, published by the engine as it decides, for
//! the dashboard's "why?" panel. Only workspaces that a live view watches with traces on are
//! traced: the work is skipped for everyone else.
//!
//! On several nodes a trace is published by the node whose engine handled the event; a view on
//! another node does not see it (yet).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

const CAPACITY: usize = 1024;

/// One rule's line of a trace.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq)]
pub struct TraceLine {
    pub rule_id: String,
    pub matched: bool,
    /// Which condition failed and the value seen, the cooldown left, or what happened.
    pub reason: String,
    /// The same as a message of the dashboard's catalogues (`id`, `args`): pages show it in
    /// their language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<crate::rules::reason::Reason>,
    /// The command the rule issued (when it fired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    #[serde(skip)]
    pub workspace_id: String,
    pub event_id: String,
    /// Every rule of the workspace, highest priority first.
    pub results: Vec<TraceLine>,
}

pub struct Traces {
    tx: broadcast::Sender<Arc<Trace>>,
    /// workspace → live views that asked for traces.
    watchers: Mutex<HashMap<String, usize>>,
}

impl Default for Traces {
    fn default() -> Self {
        Self::new()
    }
}

impl Traces {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self {
            tx,
            watchers: Mutex::new(HashMap::new()),
        }
    }

    /// Starts tracing `workspace` for as long as the guard lives.
    pub fn watch(
        self: &Arc<Self>,
        workspace: &str,
    ) -> (TraceGuard, broadcast::Receiver<Arc<Trace>>) {
        *self
            .watchers
            .lock()
            .entry(workspace.to_owned())
            .or_default() += 1;
        (
            TraceGuard {
                traces: self.clone(),
                workspace: workspace.to_owned(),
            },
            self.tx.subscribe(),
        )
    }

    pub fn wanted(&self, workspace: &str) -> bool {
        self.watchers.lock().contains_key(workspace)
    }

    pub fn publish(&self, trace: Trace) {
        let _ = self.tx.send(Arc::new(trace));
    }
}

/// Stops tracing its workspace when the last view that asked goes away.
pub struct TraceGuard {
    traces: Arc<Traces>,
    workspace: String,
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        let mut watchers = self.traces.watchers.lock();
        if let Some(n) = watchers.get_mut(&self.workspace) {
            *n -= 1;
            if *n == 0 {
                watchers.remove(&self.workspace);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_watched_workspaces_are_traced() {
        let traces = Arc::new(Traces::new());
        assert!(!traces.wanted("ws_1"));
        let (a, _rx1) = traces.watch("ws_1");
        let (b, _rx2) = traces.watch("ws_1");
        assert!(traces.wanted("ws_1"));
        drop(a);
        assert!(traces.wanted("ws_1"));
        drop(b);
        assert!(!traces.wanted("ws_1"));
    }
}

/// A trace kept with the command history: the trace of every event that issued a command.
pub mod stored {
    use diesel::prelude::*;

    use super::{Trace, TraceLine};
    use crate::db::DbConnection;
    use crate::db::schema::event_traces;
    use crate::db::types::Json;
    use crate::error::AppResult;
    use crate::ids::now_ms;

    /// Keeps `trace` (a second copy of the same event changes nothing; only the node that
    /// decided an event keeps its trace, so two never race for one).
    pub fn keep(conn: &mut DbConnection, trace: &Trace) -> AppResult<()> {
        let exists: i64 = event_traces::table
            .filter(event_traces::event_id.eq(&trace.event_id))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            diesel::insert_into(event_traces::table)
                .values((
                    event_traces::event_id.eq(&trace.event_id),
                    event_traces::workspace_id.eq(&trace.workspace_id),
                    event_traces::results.eq(Json::new(&trace.results)?),
                    event_traces::created_at.eq(now_ms()),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The kept trace of event `event_id` of workspace `ws`, if there is one.
    pub fn find(
        conn: &mut DbConnection,
        ws: &str,
        event_id: &str,
    ) -> AppResult<Option<(Vec<TraceLine>, i64)>> {
        let row: Option<(Json<Vec<TraceLine>>, i64)> = event_traces::table
            .filter(event_traces::event_id.eq(event_id))
            .filter(event_traces::workspace_id.eq(ws))
            .select((event_traces::results, event_traces::created_at))
            .first(conn)
            .optional()?;
        Ok(row.map(|(results, at)| (results.into_inner(), at)))
    }
}
