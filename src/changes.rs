//! Changes to a workspace's control state (kill switch, devices, livestreams, rules) for the
//! live views that show it. Events and command outcomes have channels of their own (the bus,
//! the router); this is the one seam for everything else, so that a page open in any tab
//! flips within one frame of the change.
//!
//! Best effort by design: a view that falls behind is told it lagged and re-reads the state.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

const CAPACITY: usize = 1024;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeKind {
    KillSwitch {
        engaged: bool,
        reason: Option<String>,
        changed_by: String,
        changed_at: i64,
    },
    /// A device connected, disconnected, reported its board, or was created, rotated,
    /// revoked or deleted.
    Device { device_id: String },
    /// A rule was created, changed, enabled, disabled or deleted.
    Rule { rule_id: String },
    /// A livestream was added, removed, connected or disconnected (status changes while
    /// connected arrive as `stream_status` events).
    Livestream { livestream_id: String },
    /// Who may see the workspace changed (a member added, re-roled or removed; a suspension):
    /// every open view checks its own access again.
    Access,
}

#[derive(Debug, Clone)]
pub struct Change {
    pub workspace_id: String,
    pub kind: ChangeKind,
}

#[derive(Clone)]
pub struct Changes {
    tx: broadcast::Sender<Arc<Change>>,
}

impl Default for Changes {
    fn default() -> Self {
        Self::new()
    }
}

impl Changes {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }

    pub fn publish(&self, workspace_id: &str, kind: ChangeKind) {
        // No subscriber (no page open) is the normal case, not an error.
        let _ = self.tx.send(Arc::new(Change {
            workspace_id: workspace_id.to_owned(),
            kind,
        }));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }
}
