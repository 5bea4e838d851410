//! Who may connect to the broker. rumqttd asks on its listener thread, for every CONNECT, so
//! the answer comes from memory (no database, no bcrypt there): the live token hash of every
//! MQTT device and the suspended workspaces, loaded at start and kept current by the API.
//! Username = device id, password = the device's agent token, client id = the device id (or
//! the device id, `-` and a suffix, for a second connection such as a test tool).

use std::collections::{HashMap, HashSet, VecDeque};

use diesel::prelude::*;
use parking_lot::RwLock;
use sha2::{Digest as _, Sha256};

use crate::auth::secrets::hash_token;
use crate::db::DbConnection;
use crate::db::schema::{agent_tokens, devices, workspaces};
use crate::error::AppResult;

#[derive(Debug, Clone)]
struct Entry {
    workspace_id: String,
    token_hash: String,
}

#[derive(Default)]
pub struct MqttAuth {
    devices: RwLock<HashMap<String, Entry>>,
    suspended: RwLock<HashSet<String>>,
    /// Client ids each device connected with lately, so a revocation can drop them all.
    clients: RwLock<HashMap<String, VecDeque<String>>>,
}

/// Client ids remembered per device.
const CLIENT_IDS_PER_DEVICE: usize = 8;

/// A workspace's tenant key: its id without the `_` (rumqttd takes alphanumeric tenants only).
pub fn tenant_of(workspace_id: &str) -> String {
    workspace_id.chars().filter(|c| *c != '_').collect()
}

impl MqttAuth {
    /// Every MQTT device's live token, and the suspended workspaces.
    pub fn load(conn: &mut DbConnection) -> AppResult<MqttAuth> {
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
        let auth = MqttAuth::default();
        {
            let mut map = auth.devices.write();
            for (device_id, workspace_id, token_hash) in rows {
                map.insert(
                    device_id,
                    Entry {
                        workspace_id,
                        token_hash,
                    },
                );
            }
        }
        auth.suspended.write().extend(suspended);
        Ok(auth)
    }

    /// Decides a CONNECT.
    pub fn allows(&self, client_id: &str, username: &str, password: &str) -> bool {
        let own_id = client_id == username
            || client_id
                .strip_prefix(username)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|suffix| !suffix.is_empty());
        if !own_id {
            return false;
        }
        let Some(entry) = self.devices.read().get(username).cloned() else {
            return false;
        };
        if self.suspended.read().contains(&entry.workspace_id) {
            return false;
        }
        if !same(&hash_token(password), &entry.token_hash) {
            return false;
        }
        let mut clients = self.clients.write();
        let ids = clients.entry(username.to_owned()).or_default();
        if !ids.iter().any(|id| id == client_id) {
            ids.push_back(client_id.to_owned());
            if ids.len() > CLIENT_IDS_PER_DEVICE {
                ids.pop_front();
            }
        }
        true
    }

    /// The client ids a device connected with lately.
    pub fn client_ids(&self, device_id: &str) -> Vec<String> {
        self.clients
            .read()
            .get(device_id)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A new token for an MQTT device (registration or rotation); the previous one stops
    /// working at once.
    pub fn set_token(&self, device_id: &str, workspace_id: &str, token: &str) {
        self.devices.write().insert(
            device_id.to_owned(),
            Entry {
                workspace_id: workspace_id.to_owned(),
                token_hash: hash_token(token),
            },
        );
    }

    pub fn forget_device(&self, device_id: &str) {
        self.devices.write().remove(device_id);
    }

    pub fn forget_workspace(&self, workspace_id: &str) {
        self.devices
            .write()
            .retain(|_, e| e.workspace_id != workspace_id);
        self.suspended.write().remove(workspace_id);
    }

    pub fn set_suspended(&self, workspace_id: &str, suspended: bool) {
        if suspended {
            self.suspended.write().insert(workspace_id.to_owned());
        } else {
            self.suspended.write().remove(workspace_id);
        }
    }
}

/// Compares two hashes without leaking where they differ.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_live_token_of_an_active_workspace_connects() {
        let auth = MqttAuth::default();
        auth.set_token("dev_1", "ws_1", "lat_one");
        assert!(auth.allows("dev_1", "dev_1", "lat_one"));
        assert!(
            !auth.allows("other", "dev_1", "lat_one"),
            "client id must be the device id"
        );
        assert!(!auth.allows("dev_1", "dev_1", "lat_two"));
        assert!(!auth.allows("dev_2", "dev_2", "lat_one"));
        auth.set_suspended("ws_1", true);
        assert!(!auth.allows("dev_1", "dev_1", "lat_one"));
        auth.set_suspended("ws_1", false);
        auth.set_token("dev_1", "ws_1", "lat_new");
        assert!(!auth.allows("dev_1", "dev_1", "lat_one"), "rotated");
        auth.forget_device("dev_1");
        assert!(!auth.allows("dev_1", "dev_1", "lat_new"), "revoked");
        assert_eq!(tenant_of("ws_01abc"), "ws01abc");
    }
}
