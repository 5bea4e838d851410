//! The agents connected to this node, by device. Commands, kill frames and revocations are
//! handed to a connection's outbound queue; the socket task writes them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::changes::{ChangeKind, Changes};
use crate::protocol::SerialState;

/// What a socket task is asked to write.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A JSON text frame.
    Frame(Arc<str>),
    /// Send `{"type":"revoked"}`, then close with 4001.
    Revoke,
    /// Close with this reason (suspension, deletion).
    Close(String),
}

struct Connection {
    id: u64,
    workspace_id: String,
    tx: mpsc::Sender<Outbound>,
}

/// What an agent last said about its board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatus {
    pub serial: SerialState,
    pub detail: Option<String>,
    pub firmware: Option<String>,
}

pub struct AgentHub {
    devices: Mutex<HashMap<String, Vec<Connection>>>,
    statuses: Mutex<HashMap<String, AgentStatus>>,
    next_id: AtomicU64,
    /// Told whenever a device comes, goes or reports its board (the dashboards show it).
    changes: Changes,
}

/// Outbound queue length per connection; an agent that lets it fill up is too slow to drive
/// hardware and gets `busy` answers.
const OUTBOUND_CAPACITY: usize = 64;

impl AgentHub {
    pub fn new(changes: Changes) -> Self {
        Self {
            devices: Mutex::default(),
            statuses: Mutex::default(),
            next_id: AtomicU64::new(0),
            changes,
        }
    }

    fn changed(&self, device_id: &str, workspace_id: &str) {
        self.changes.publish(
            workspace_id,
            ChangeKind::Device {
                device_id: device_id.to_owned(),
            },
        );
    }

    pub fn register(&self, device_id: &str, workspace_id: &str) -> (u64, mpsc::Receiver<Outbound>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(OUTBOUND_CAPACITY);
        self.devices
            .lock()
            .entry(device_id.to_owned())
            .or_default()
            .push(Connection {
                id,
                workspace_id: workspace_id.to_owned(),
                tx,
            });
        self.changed(device_id, workspace_id);
        (id, rx)
    }

    pub fn unregister(&self, device_id: &str, connection: u64) {
        let mut devices = self.devices.lock();
        let mut workspace = None;
        if let Some(list) = devices.get_mut(device_id) {
            workspace = list
                .iter()
                .find(|c| c.id == connection)
                .map(|c| c.workspace_id.clone());
            list.retain(|c| c.id != connection);
            if list.is_empty() {
                devices.remove(device_id);
                self.statuses.lock().remove(device_id);
            }
        }
        drop(devices);
        if let Some(ws) = workspace {
            self.changed(device_id, &ws);
        }
    }

    pub fn set_status(&self, device_id: &str, status: AgentStatus) {
        let previous = self
            .statuses
            .lock()
            .insert(device_id.to_owned(), status.clone());
        if previous.as_ref() != Some(&status) {
            let workspace = self
                .devices
                .lock()
                .get(device_id)
                .and_then(|l| l.first().map(|c| c.workspace_id.clone()));
            if let Some(ws) = workspace {
                self.changed(device_id, &ws);
            }
        }
    }

    pub fn status(&self, device_id: &str) -> Option<AgentStatus> {
        self.statuses.lock().get(device_id).cloned()
    }

    pub fn is_online(&self, device_id: &str) -> bool {
        self.devices
            .lock()
            .get(device_id)
            .is_some_and(|l| l.iter().any(|c| !c.tx.is_closed()))
    }

    /// Hands a frame to the device's newest connection (one copy only: at most once).
    pub fn send(&self, device_id: &str, frame: Outbound) -> Result<(), SendError> {
        let devices = self.devices.lock();
        let conn = devices
            .get(device_id)
            .and_then(|l| l.iter().rev().find(|c| !c.tx.is_closed()))
            .ok_or(SendError::Offline)?;
        conn.tx.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SendError::Full,
            mpsc::error::TrySendError::Closed(_) => SendError::Offline,
        })
    }

    /// Every connection of a workspace (kill switch).
    pub fn broadcast_workspace(&self, workspace_id: &str, frame: Outbound) -> usize {
        let devices = self.devices.lock();
        let mut sent = 0;
        for conn in devices
            .values()
            .flatten()
            .filter(|c| c.workspace_id == workspace_id)
        {
            // A kill frame must not be lost to a full queue: wait-free send, else close the
            // socket, which makes the agent stop its boards by itself.
            if conn.tx.try_send(frame.clone()).is_err() {
                let _ = conn
                    .tx
                    .try_send(Outbound::Close("kill switch could not be delivered".into()));
            }
            sent += 1;
        }
        sent
    }

    /// Every connection of a device (revocation, deletion).
    pub fn to_device(&self, device_id: &str, frame: Outbound) -> usize {
        let devices = self.devices.lock();
        devices.get(device_id).map_or(0, |list| {
            list.iter()
                .filter(|c| c.tx.try_send(frame.clone()).is_ok())
                .count()
        })
    }

    pub fn close_workspace(&self, workspace_id: &str, reason: &str) -> usize {
        self.broadcast_workspace(workspace_id, Outbound::Close(reason.to_owned()))
    }

    pub fn connected(&self) -> usize {
        self.devices.lock().values().map(Vec::len).sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    Offline,
    Full,
}
