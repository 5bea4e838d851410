//! The devices connected to this node (agent sockets and online MQTT devices), by device.
//!
//! Each connection has two lanes. Commands go into a bounded data queue: a device that lets
//! it fill up is too slow to drive hardware and gets `busy` answers. Kill switch changes and
//! endings (revocation, suspension, deletion) go through a control lane that holds only the
//! latest state, so a full data queue can never hold them back or lose them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::{mpsc, watch};

use crate::changes::{ChangeKind, Changes};
use crate::protocol::SerialState;

/// Why the server ends a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Send `{"type":"revoked"}`, then close with 4001.
    Revoked,
    /// Close with this reason (suspension, deletion, replaced by a newer connection).
    Close(String),
    /// This node is stopping: close with 1001 "going away" (the agent reconnects, through the
    /// load balancer to another node).
    GoingAway,
}

/// The control lane's state: the latest kill switch change and, once set, the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    /// Bumped on every kill switch change sent to this connection.
    pub kill_seq: u64,
    pub kill_engaged: bool,
    pub end: Option<End>,
}

/// What a connection's writer reads.
pub struct Lanes {
    /// Command frames (JSON text), in order.
    pub data: mpsc::Receiver<Arc<str>>,
    /// Kill switch changes and the end; read it first.
    pub control: watch::Receiver<Control>,
}

struct Connection {
    id: u64,
    workspace_id: String,
    data: mpsc::Sender<Arc<str>>,
    control: watch::Sender<Control>,
}

impl Connection {
    fn end(&self, end: &End) {
        self.control.send_if_modified(|c| {
            let first = c.end.is_none();
            if first {
                c.end = Some(end.clone());
            }
            first
        });
    }

    fn kill(&self, engaged: bool) {
        self.control.send_modify(|c| {
            c.kill_seq += 1;
            c.kill_engaged = engaged;
        });
    }

    fn is_open(&self) -> bool {
        !self.data.is_closed() && self.control.borrow().end.is_none()
    }
}

/// What an agent last said about its board.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentStatus {
    pub serial: SerialState,
    pub detail: Option<String>,
    pub firmware: Option<String>,
}

/// A device connected to another node, as that node last announced it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    pub device_id: String,
    pub workspace_id: String,
    pub status: Option<AgentStatus>,
}

pub struct AgentHub {
    devices: Mutex<HashMap<String, Vec<Connection>>>,
    /// Devices connected to other nodes: what was announced, and when.
    elsewhere: Mutex<HashMap<String, (Held, std::time::Instant)>>,
    statuses: Mutex<HashMap<String, AgentStatus>>,
    next_id: AtomicU64,
    /// Told whenever a device comes, goes or reports its board (the dashboards show it).
    changes: Changes,
    /// Woken on the same occasions: the other nodes are told at once (`commands/remote.rs`),
    /// not at the next periodic announcement.
    presence: tokio::sync::Notify,
}

/// Command queue length per connection.
const OUTBOUND_CAPACITY: usize = 64;
/// Connections one device (one token) may hold at once; a newer one ends the oldest, so an
/// agent that reconnects before its old socket timed out is never locked out.
pub const CONNECTIONS_PER_DEVICE: usize = 4;

impl AgentHub {
    pub fn new(changes: Changes) -> Self {
        Self {
            devices: Mutex::default(),
            elsewhere: Mutex::default(),
            statuses: Mutex::default(),
            next_id: AtomicU64::new(0),
            changes,
            presence: tokio::sync::Notify::new(),
        }
    }

    /// Resolves when this node's devices changed (one came, went or reported its board).
    pub async fn presence_changed(&self) {
        self.presence.notified().await;
    }

    /// One of this node's devices changed: the views and the other nodes are told.
    fn changed(&self, device_id: &str, workspace_id: &str) {
        self.presence.notify_one();
        self.views_changed(device_id, workspace_id);
    }

    fn views_changed(&self, device_id: &str, workspace_id: &str) {
        self.changes.publish(
            workspace_id,
            ChangeKind::Device {
                device_id: device_id.to_owned(),
            },
        );
    }

    /// A new connection of a device; past [`CONNECTIONS_PER_DEVICE`] the oldest is ended.
    pub fn register(&self, device_id: &str, workspace_id: &str) -> (u64, Lanes) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (data_tx, data) = mpsc::channel(OUTBOUND_CAPACITY);
        let (control_tx, control) = watch::channel(Control::default());
        {
            let mut devices = self.devices.lock();
            let list = devices.entry(device_id.to_owned()).or_default();
            list.retain(Connection::is_open);
            if list.len() >= CONNECTIONS_PER_DEVICE {
                let oldest = list.remove(0);
                oldest.end(&End::Close(
                    "replaced by a newer connection of the same device".into(),
                ));
            }
            list.push(Connection {
                id,
                workspace_id: workspace_id.to_owned(),
                data: data_tx,
                control: control_tx,
            });
        }
        self.changed(device_id, workspace_id);
        (id, Lanes { data, control })
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
            .is_some_and(|l| l.iter().any(Connection::is_open))
    }

    /// Hands a command frame to the device's newest connection (one copy only: at most once).
    pub fn send(&self, device_id: &str, frame: Arc<str>) -> Result<(), SendError> {
        let devices = self.devices.lock();
        let conn = devices
            .get(device_id)
            .and_then(|l| l.iter().rev().find(|c| c.is_open()))
            .ok_or(SendError::Offline)?;
        conn.data.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SendError::Full,
            mpsc::error::TrySendError::Closed(_) => SendError::Offline,
        })
    }

    /// Tells every connection of a workspace that its kill switch changed. Never blocked by
    /// a full command queue.
    pub fn kill(&self, workspace_id: &str, engaged: bool) -> usize {
        self.each_of_workspace(workspace_id, |c| c.kill(engaged))
    }

    /// Applies `f` to every connection of a workspace; how many there were.
    fn each_of_workspace(&self, workspace_id: &str, f: impl Fn(&Connection)) -> usize {
        let devices = self.devices.lock();
        let mut reached = 0;
        for conn in devices
            .values()
            .flatten()
            .filter(|c| c.workspace_id == workspace_id)
        {
            f(conn);
            reached += 1;
        }
        reached
    }

    /// Ends every connection of a device (revocation, rotation, deletion).
    pub fn end_device(&self, device_id: &str, end: End) -> usize {
        let devices = self.devices.lock();
        devices.get(device_id).map_or(0, |list| {
            list.iter().for_each(|c| c.end(&end));
            list.len()
        })
    }

    /// Ends every connection of a workspace (suspension, deletion).
    pub fn end_workspace(&self, workspace_id: &str, end: End) -> usize {
        self.each_of_workspace(workspace_id, |c| c.end(&end))
    }

    /// Ends every connection of this node (a graceful stop).
    pub fn end_all(&self, end: End) -> usize {
        let devices = self.devices.lock();
        devices.values().flatten().for_each(|c| c.end(&end));
        devices.values().map(Vec::len).sum()
    }

    /// The devices with an open connection here, with what their agents report.
    pub fn held(&self) -> Vec<Held> {
        let devices = self.devices.lock();
        let statuses = self.statuses.lock();
        devices
            .iter()
            .filter_map(|(id, list)| {
                let open = list.iter().find(|c| c.is_open())?;
                Some(Held {
                    device_id: id.clone(),
                    workspace_id: open.workspace_id.clone(),
                    status: statuses.get(id).cloned(),
                })
            })
            .collect()
    }

    /// What another node announced it holds; views on this node show those devices online
    /// (and are told when that changes). An announcement is believed for `ttl`.
    pub fn seen_elsewhere(&self, held: Vec<Held>, ttl: std::time::Duration) {
        let now = std::time::Instant::now();
        let mut changed = Vec::new();
        {
            let mut elsewhere = self.elsewhere.lock();
            elsewhere.retain(|_, (h, at)| {
                let fresh = at.elapsed() < ttl;
                if !fresh {
                    changed.push((h.device_id.clone(), h.workspace_id.clone()));
                }
                fresh
            });
            for h in held {
                let previous = elsewhere.insert(h.device_id.clone(), (h.clone(), now));
                if previous.is_none_or(|(p, _)| p != h) {
                    changed.push((h.device_id, h.workspace_id));
                }
            }
        }
        for (device_id, workspace_id) in changed {
            self.views_changed(&device_id, &workspace_id);
        }
    }

    /// Whether the device is connected here or (lately announced) to another node, and what
    /// its agent reports.
    pub fn presence(
        &self,
        device_id: &str,
        ttl: std::time::Duration,
    ) -> (bool, Option<AgentStatus>) {
        if self.is_online(device_id) {
            return (true, self.status(device_id));
        }
        match self.elsewhere.lock().get(device_id) {
            Some((held, at)) if at.elapsed() < ttl => (true, held.status.clone()),
            _ => (false, None),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_command_queue_never_holds_back_a_kill_or_a_revocation() {
        let hub = AgentHub::new(Changes::new());
        let (_, mut lanes) = hub.register("dev_1", "ws_1");
        for _ in 0..OUTBOUND_CAPACITY {
            hub.send("dev_1", "{}".into()).unwrap();
        }
        assert_eq!(hub.send("dev_1", "{}".into()), Err(SendError::Full));
        assert_eq!(hub.kill("ws_1", true), 1);
        assert_eq!(hub.end_device("dev_1", End::Revoked), 1);
        let control = lanes.control.borrow_and_update().clone();
        assert_eq!(
            control,
            Control {
                kill_seq: 1,
                kill_engaged: true,
                end: Some(End::Revoked)
            }
        );
        assert!(
            lanes.data.try_recv().is_ok(),
            "queued commands stay readable"
        );
        assert_eq!(hub.send("dev_1", "{}".into()), Err(SendError::Offline));
        assert!(!hub.is_online("dev_1"));
    }

    #[test]
    fn a_fifth_connection_ends_the_oldest() {
        let hub = AgentHub::new(Changes::new());
        let lanes: Vec<Lanes> = (0..=CONNECTIONS_PER_DEVICE)
            .map(|_| hub.register("dev_1", "ws_1").1)
            .collect();
        assert!(lanes[0].control.borrow().end.is_some());
        assert!(lanes[1].control.borrow().end.is_none());
        assert_eq!(hub.connected(), CONNECTIONS_PER_DEVICE);
    }

    #[test]
    fn a_kill_reaches_only_its_workspace() {
        let hub = AgentHub::new(Changes::new());
        let (_, mut ours) = hub.register("dev_1", "ws_1");
        let (_, mut theirs) = hub.register("dev_2", "ws_2");
        assert_eq!(hub.kill("ws_1", true), 1);
        assert!(ours.control.borrow_and_update().kill_engaged);
        assert!(!theirs.control.borrow_and_update().kill_engaged);
        assert!(hub.is_online("dev_2"), "a kill does not end connections");
    }

    #[test]
    fn a_device_stays_online_while_one_of_its_connections_is_open() {
        let hub = AgentHub::new(Changes::new());
        let (first, _a) = hub.register("dev_1", "ws_1");
        let (second, _b) = hub.register("dev_1", "ws_1");
        hub.set_status(
            "dev_1",
            AgentStatus {
                serial: SerialState::Open,
                detail: None,
                firmware: Some("livectl-uno 1.0".into()),
            },
        );
        hub.unregister("dev_1", first);
        assert!(hub.is_online("dev_1"));
        assert!(hub.status("dev_1").is_some());
        // A connection id already gone changes nothing.
        hub.unregister("dev_1", first);
        assert!(hub.is_online("dev_1"));
        hub.unregister("dev_1", second);
        assert!(!hub.is_online("dev_1"));
        assert!(
            hub.status("dev_1").is_none(),
            "the last status goes with the device"
        );
        assert_eq!(hub.send("dev_1", "{}".into()), Err(SendError::Offline));
    }
}
