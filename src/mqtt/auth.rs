//! Who may connect to the broker, which topics each connection may use, and how a connection
//! is closed when its device loses the right to be there.
//!
//! rumqttd asks [`MqttAuth::open`] on its listener thread for every CONNECT (livectl's patch of
//! rumqttd, `vendor/rumqttd/PATCHES.md`), so the answer comes from memory: the live token hash
//! of every MQTT device and the suspended workspaces, loaded at start and kept current by the
//! API. Username = device id, password = the device's agent token, client id = the device id
//! (or the device id, `-` and a suffix, for a second connection such as a test tool).
//!
//! Every admitted connection is confined to its own device's topics, on both listeners: it may
//! subscribe only to its own `…/cmd` and publish only to its own `…/ack` and `…/status` (its
//! last will included). Anything else drops the connection and is reported for the audit log.
//! Commands and kill frames therefore reach a device only from the server's own in-process
//! link, which no rule here applies to.
//!
//! Revocation holds by construction: the call that forgets or replaces a token (or suspends a
//! workspace) also closes every connection admitted with it, under the same lock `open` takes,
//! so a CONNECT racing a revocation is either refused or closed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::prelude::*;
use parking_lot::RwLock;
use rumqttd::{Session, SessionGate, SessionRequest, TopicRules, TopicUse};
use subtle::ConstantTimeEq as _;
use tokio::sync::{mpsc, oneshot};

use crate::auth::secrets::hash_token;
use crate::db::DbConnection;
use crate::db::schema::{agent_tokens, devices, workspaces};
use crate::error::AppResult;

/// Connections one device may hold at once; a newer one closes the oldest (a board that
/// reconnects before the broker noticed its old socket died must not be locked out).
pub const SESSIONS_PER_DEVICE: usize = 4;

#[derive(Debug, Clone)]
struct Entry {
    workspace_id: String,
    token_hash: String,
}

struct Open {
    id: u64,
    close: oneshot::Sender<String>,
}

#[derive(Default)]
struct State {
    devices: HashMap<String, Entry>,
    suspended: HashSet<String>,
    /// Every admitted connection, by device.
    sessions: HashMap<String, Vec<Open>>,
}

/// A device that used a topic it may not (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicViolation {
    pub workspace_id: String,
    pub device_id: String,
    pub client_id: String,
    pub usage: &'static str,
    pub topic: String,
}

pub struct MqttAuth {
    state: RwLock<State>,
    next_session: AtomicU64,
    violations: mpsc::Sender<TopicViolation>,
}

/// Violations waiting for the audit writer; more are logged only.
const VIOLATION_QUEUE: usize = 256;

/// A workspace's tenant key: its id without the `_` (rumqttd takes alphanumeric tenants only).
pub fn tenant_of(workspace_id: &str) -> String {
    workspace_id.chars().filter(|c| *c != '_').collect()
}

/// `/tenants/{tenant}/devices/{device_id}/{leaf}`.
pub fn topic(tenant: &str, device_id: &str, leaf: &str) -> String {
    format!("/tenants/{tenant}/devices/{device_id}/{leaf}")
}

impl MqttAuth {
    /// An empty gate, and the receiving end of its topic violations.
    pub fn new() -> (MqttAuth, mpsc::Receiver<TopicViolation>) {
        let (violations, rx) = mpsc::channel(VIOLATION_QUEUE);
        let auth = MqttAuth {
            state: RwLock::default(),
            next_session: AtomicU64::new(0),
            violations,
        };
        (auth, rx)
    }

    /// Every MQTT device's live token, and the suspended workspaces.
    pub fn load(conn: &mut DbConnection) -> AppResult<(MqttAuth, mpsc::Receiver<TopicViolation>)> {
        let rows: Vec<(String, String, String)> = agent_tokens::table
            .inner_join(devices::table)
            .filter(agent_tokens::revoked_at.is_null())
            .filter(devices::transport.eq("mqtt"))
            .select((devices::id, devices::workspace_id, agent_tokens::token_hash))
            .load(conn)?;
        let suspended: Vec<String> = workspaces::table
            .filter(workspaces::suspended_at.is_not_null())
            .select(workspaces::id)
            .load(conn)?;
        let (auth, rx) = MqttAuth::new();
        {
            let mut state = auth.state.write();
            for (device_id, workspace_id, token_hash) in rows {
                state.devices.insert(
                    device_id,
                    Entry {
                        workspace_id,
                        token_hash,
                    },
                );
            }
            state.suspended.extend(suspended);
        }
        Ok((auth, rx))
    }

    /// Decides a CONNECT without admitting it (the rules of [`SessionGate::open`]).
    fn admissible(state: &State, request: &SessionRequest<'_>) -> Option<Entry> {
        let (username, password) = (request.username?, request.password?);
        let own_id = request.client_id == username
            || request
                .client_id
                .strip_prefix(username)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|suffix| !suffix.is_empty());
        if !own_id {
            return None;
        }
        let entry = state.devices.get(username)?;
        if state.suspended.contains(&entry.workspace_id) {
            return None;
        }
        // A certificate issued for another workspace does not carry this device's token.
        if request
            .tenant
            .is_some_and(|t| t != tenant_of(&entry.workspace_id))
        {
            return None;
        }
        let matches: bool = hash_token(password)
            .as_bytes()
            .ct_eq(entry.token_hash.as_bytes())
            .into();
        matches.then(|| entry.clone())
    }

    pub fn is_suspended(&self, workspace_id: &str) -> bool {
        self.state.read().suspended.contains(workspace_id)
    }

    /// How many connections a device holds on this node.
    pub fn sessions(&self, device_id: &str) -> usize {
        self.state
            .read()
            .sessions
            .get(device_id)
            .map_or(0, Vec::len)
    }

    /// A new token for an MQTT device (registration or rotation): the previous one stops
    /// working and every connection made with it is closed, at once.
    pub fn set_token(&self, device_id: &str, workspace_id: &str, token: &str) {
        self.set_token_hash(device_id, workspace_id, &hash_token(token));
    }

    /// [`MqttAuth::set_token`] with the token's hash (what the control plane carries).
    pub fn set_token_hash(&self, device_id: &str, workspace_id: &str, token_hash: &str) {
        let mut state = self.state.write();
        let replaced = state.devices.insert(
            device_id.to_owned(),
            Entry {
                workspace_id: workspace_id.to_owned(),
                token_hash: token_hash.to_owned(),
            },
        );
        // The same token again (the event applied twice) keeps its connections.
        if replaced.is_none_or(|old| old.token_hash != token_hash) {
            close_device(&mut state, device_id, "token rotated");
        }
    }

    /// The device's token is revoked or the device deleted: refused from now on, and every
    /// connection closed.
    pub fn forget_device(&self, device_id: &str) {
        let mut state = self.state.write();
        state.devices.remove(device_id);
        close_device(&mut state, device_id, "token revoked");
    }

    pub fn forget_workspace(&self, workspace_id: &str) {
        let mut state = self.state.write();
        for device_id in state.devices_of(workspace_id) {
            state.devices.remove(&device_id);
            close_device(&mut state, &device_id, "workspace deleted");
        }
        state.suspended.remove(workspace_id);
    }

    pub fn set_suspended(&self, workspace_id: &str, suspended: bool) {
        let mut state = self.state.write();
        if !suspended {
            state.suspended.remove(workspace_id);
            return;
        }
        state.suspended.insert(workspace_id.to_owned());
        for device_id in state.devices_of(workspace_id) {
            close_device(&mut state, &device_id, "workspace suspended");
        }
    }

    /// Closes every connection of a device without touching its token (its hub connection
    /// was closed, e.g. by a full queue).
    pub fn close(&self, device_id: &str, why: &str) {
        close_device(&mut self.state.write(), device_id, why);
    }

    fn ended(&self, device_id: &str, session: u64) {
        let mut state = self.state.write();
        if let Some(list) = state.sessions.get_mut(device_id) {
            list.retain(|s| s.id != session);
            if list.is_empty() {
                state.sessions.remove(device_id);
            }
        }
    }
}

impl State {
    fn devices_of(&self, workspace_id: &str) -> Vec<String> {
        self.devices
            .iter()
            .filter(|(_, e)| e.workspace_id == workspace_id)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

fn close_device(state: &mut State, device_id: &str, why: &str) {
    if let Some(list) = state.sessions.remove(device_id) {
        tracing::info!(
            device_id,
            connections = list.len(),
            reason = why,
            "closing an MQTT device's connections"
        );
        for open in list {
            let _ = open.close.send(why.to_owned());
        }
    }
}

/// The gate rumqttd asks; it needs an owned handle to hand each session a way back.
pub struct Gate(pub Arc<MqttAuth>);

impl SessionGate for Gate {
    fn open(&self, request: &SessionRequest<'_>) -> Option<Session> {
        let auth = &self.0;
        // Checked and registered under one write lock: a revocation either happens before
        // (refused here) or after (and then closes this session).
        let mut state = auth.state.write();
        let Some(entry) = MqttAuth::admissible(&state, request) else {
            tracing::info!(client_id = %request.client_id, "MQTT connection refused (unknown device, wrong or revoked token, another workspace's certificate, or suspended workspace)");
            return None;
        };
        let device_id = request.username?.to_owned();
        let id = auth.next_session.fetch_add(1, Ordering::Relaxed);
        let (close, closed) = oneshot::channel();
        let list = state.sessions.entry(device_id.clone()).or_default();
        list.push(Open { id, close });
        if list.len() > SESSIONS_PER_DEVICE {
            let oldest = list.remove(0);
            let _ = oldest
                .close
                .send("replaced by a newer connection of the same device".into());
        }
        drop(state);
        let tenant = tenant_of(&entry.workspace_id);
        Some(Session {
            topics: Box::new(DeviceTopics {
                cmd: topic(&tenant, &device_id, "cmd"),
                ack: topic(&tenant, &device_id, "ack"),
                status: topic(&tenant, &device_id, "status"),
                workspace_id: entry.workspace_id,
                client_id: request.client_id.to_owned(),
                device_id,
                session: id,
                auth: auth.clone(),
            }),
            closed,
        })
    }
}

/// One connection's topics: its own device's, nothing else.
struct DeviceTopics {
    cmd: String,
    ack: String,
    status: String,
    workspace_id: String,
    device_id: String,
    client_id: String,
    session: u64,
    auth: Arc<MqttAuth>,
}

impl TopicRules for DeviceTopics {
    fn permits(&self, usage: TopicUse, topic: &str) -> bool {
        let allowed = match usage {
            TopicUse::Subscribe => topic == self.cmd,
            TopicUse::Publish | TopicUse::Will => topic == self.ack || topic == self.status,
        };
        if !allowed {
            let usage = match usage {
                TopicUse::Subscribe => "subscribe",
                TopicUse::Publish => "publish",
                TopicUse::Will => "will",
            };
            tracing::warn!(device_id = %self.device_id, client_id = %self.client_id, usage, topic, "MQTT device used a topic that is not its own; disconnected");
            let violation = TopicViolation {
                workspace_id: self.workspace_id.clone(),
                device_id: self.device_id.clone(),
                client_id: self.client_id.clone(),
                usage,
                topic: topic.chars().take(256).collect(),
            };
            if self.auth.violations.try_send(violation).is_err() {
                tracing::warn!(device_id = %self.device_id, "too many MQTT topic violations at once; this one is not in the audit log");
            }
        }
        allowed
    }
}

impl Drop for DeviceTopics {
    fn drop(&mut self) {
        self.auth.ended(&self.device_id, self.session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(client_id: &'a str, user: &'a str, pass: &'a str) -> SessionRequest<'a> {
        SessionRequest {
            client_id,
            username: Some(user),
            password: Some(pass),
            tenant: None,
        }
    }

    fn gate() -> (Gate, mpsc::Receiver<TopicViolation>) {
        let (auth, rx) = MqttAuth::new();
        (Gate(Arc::new(auth)), rx)
    }

    #[test]
    fn only_the_live_token_of_an_active_workspace_connects() {
        let (gate, _rx) = gate();
        let auth = gate.0.clone();
        auth.set_token("dev_1", "ws_1", "lat_one");
        assert!(gate.open(&request("dev_1", "dev_1", "lat_one")).is_some());
        assert!(
            gate.open(&request("dev_1-tool", "dev_1", "lat_one"))
                .is_some()
        );
        assert!(
            gate.open(&request("other", "dev_1", "lat_one")).is_none(),
            "client id must be the device id"
        );
        assert!(gate.open(&request("dev_1", "dev_1", "lat_two")).is_none());
        assert!(gate.open(&request("dev_2", "dev_2", "lat_one")).is_none());
        let mut no_login = request("dev_1", "dev_1", "lat_one");
        no_login.password = None;
        assert!(gate.open(&no_login).is_none());
        let mut foreign_cert = request("dev_1", "dev_1", "lat_one");
        foreign_cert.tenant = Some("ws2");
        assert!(
            gate.open(&foreign_cert).is_none(),
            "another workspace's certificate"
        );
        foreign_cert.tenant = Some("ws1");
        assert!(gate.open(&foreign_cert).is_some());
        auth.set_suspended("ws_1", true);
        assert!(gate.open(&request("dev_1", "dev_1", "lat_one")).is_none());
        auth.set_suspended("ws_1", false);
        auth.set_token("dev_1", "ws_1", "lat_new");
        assert!(
            gate.open(&request("dev_1", "dev_1", "lat_one")).is_none(),
            "rotated"
        );
        auth.forget_device("dev_1");
        assert!(
            gate.open(&request("dev_1", "dev_1", "lat_new")).is_none(),
            "revoked"
        );
        assert_eq!(tenant_of("ws_01abc"), "ws01abc");
    }

    #[test]
    fn a_session_may_use_only_its_own_device_topics() {
        let (gate, mut violations) = gate();
        gate.0.set_token("dev_1", "ws_1", "lat_one");
        let session = gate.open(&request("dev_1", "dev_1", "lat_one")).unwrap();
        let rules = &session.topics;
        assert!(rules.permits(TopicUse::Subscribe, "/tenants/ws1/devices/dev_1/cmd"));
        assert!(rules.permits(TopicUse::Publish, "/tenants/ws1/devices/dev_1/ack"));
        assert!(rules.permits(TopicUse::Publish, "/tenants/ws1/devices/dev_1/status"));
        assert!(rules.permits(TopicUse::Will, "/tenants/ws1/devices/dev_1/status"));
        for (usage, topic) in [
            (TopicUse::Subscribe, "#"),
            (TopicUse::Subscribe, "/tenants/ws1/devices/+/cmd"),
            (TopicUse::Subscribe, "/tenants/ws1/devices/dev_2/cmd"),
            (TopicUse::Subscribe, "/tenants/ws1/devices/dev_1/ack"),
            (TopicUse::Publish, "/tenants/ws1/devices/dev_1/cmd"),
            (TopicUse::Publish, "/tenants/ws1/devices/dev_2/cmd"),
            (TopicUse::Publish, "/tenants/ws1/devices/dev_2/ack"),
            (TopicUse::Publish, "/tenants/ws2/devices/dev_1/status"),
            (TopicUse::Will, "/tenants/ws1/devices/dev_2/status"),
        ] {
            assert!(!rules.permits(usage, topic), "{usage:?} {topic}");
        }
        let first = violations.try_recv().unwrap();
        assert_eq!(
            (first.device_id.as_str(), first.usage, first.topic.as_str()),
            ("dev_1", "subscribe", "#")
        );
    }

    #[test]
    fn revoking_closes_every_session_and_a_racing_connect() {
        let (gate, _rx) = gate();
        let auth = gate.0.clone();
        auth.set_token("dev_1", "ws_1", "lat_one");
        let mut sessions: Vec<Session> = (0..3)
            .map(|i| {
                gate.open(&request(&format!("dev_1-{i}"), "dev_1", "lat_one"))
                    .unwrap()
            })
            .collect();
        assert_eq!(auth.sessions("dev_1"), 3);
        auth.forget_device("dev_1");
        for s in &mut sessions {
            assert_eq!(s.closed.try_recv().unwrap(), "token revoked");
        }
        assert!(gate.open(&request("dev_1", "dev_1", "lat_one")).is_none());
        drop(sessions);
        assert_eq!(auth.sessions("dev_1"), 0);
    }

    #[test]
    fn a_fifth_connection_closes_the_oldest() {
        let (gate, _rx) = gate();
        gate.0.set_token("dev_1", "ws_1", "lat_one");
        let mut sessions: Vec<Session> = (0..=SESSIONS_PER_DEVICE)
            .map(|i| {
                gate.open(&request(&format!("dev_1-{i}"), "dev_1", "lat_one"))
                    .unwrap()
            })
            .collect();
        assert!(sessions[0].closed.try_recv().is_ok());
        assert!(sessions[1].closed.try_recv().is_err());
        assert_eq!(gate.0.sessions("dev_1"), SESSIONS_PER_DEVICE);
    }
}
