//! The control plane: every change to what a node keeps in memory about safety and access (the
//! kill switch, devices and their tokens, rules, plans, memberships, suspensions, sign-outs)
//! is a [`ControlEvent`], and [`ControlPlane::apply`] is the one place that brings a node's
//! memory in line with it: the command router, the device hub, the broker's gate, the rule
//! engine, the live registry, the access cache, the deny list and the open views.
//!
//! Handlers write the database, then [`ControlPlane::emit`] the event; they never update those
//! parts by hand. Every event is idempotent (it says what is now true, not what to toggle), so
//! applying one twice, or late, is harmless.
//!
//! On one node the event is applied in memory. With `bus.kind = "redis"` it is also published
//! to every other node ([`redis`]), and each node repairs what it missed from the database
//! ([`repair`]).

pub mod redis;
pub mod repair;

use std::sync::Arc;

use actix::Addr;
use serde::{Deserialize, Serialize};

use crate::auth::denylist::DenyList;
use crate::changes::{ChangeKind, Changes};
use crate::commands::router::CommandRouter;
use crate::devices::hub::{AgentHub, End};
use crate::devices::model::Device;
use crate::live::registry::{Disconnect, DisconnectWorkspace, LiveRegistry};
use crate::mqtt::auth::MqttAuth;
use crate::rules::engine::{Reload, RuleEngine};
use crate::workspaces::access::AccessCache;
use crate::workspaces::plans::Plan;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlEvent {
    /// The workspace's kill switch is now `engaged`.
    KillSwitch {
        workspace_id: String,
        engaged: bool,
        reason: Option<String>,
        changed_by: String,
        changed_at: i64,
    },
    /// A device was created or its limits changed.
    DeviceSaved {
        device: Device,
    },
    /// A device has a new token: every connection made with the old one ends. For an MQTT
    /// device, the new token's hash (never the token).
    DeviceTokenRotated {
        workspace_id: String,
        device_id: String,
        mqtt_token_hash: Option<String>,
    },
    /// A device's token was revoked: every connection ends, none is admitted.
    DeviceTokenRevoked {
        workspace_id: String,
        device_id: String,
    },
    DeviceDeleted {
        workspace_id: String,
        device_id: String,
    },
    /// A rule was created, changed, switched or deleted: the engine re-reads the workspace's.
    RulesChanged {
        workspace_id: String,
        rule_id: String,
    },
    PlanSet {
        workspace_id: String,
        plan: Plan,
    },
    /// Who may do what in the workspace changed (a member added, re-roled or removed).
    AccessChanged {
        workspace_id: String,
    },
    Suspended {
        workspace_id: String,
        suspended: bool,
    },
    WorkspaceDeleted {
        workspace_id: String,
    },
    /// A livestream should now run (`connected`) or not. The node that runs it stops it at
    /// once; one that should start it takes its lease (the asking node at once, the others
    /// within a second).
    LivestreamWanted {
        workspace_id: String,
        livestream_id: String,
        connected: bool,
    },
    /// An access token (`jti`) or a whole sign-in (its refresh family) is refused until
    /// `until_s` (Unix seconds).
    Denied {
        id: String,
        until_s: i64,
    },
}

/// What [`ControlPlane::apply`] reaches.
pub struct ControlPlane {
    pub db: crate::db::Db,
    /// The other nodes (Redis pub/sub), when there are any.
    pub peers: Option<tokio::sync::mpsc::Sender<ControlEvent>>,
    pub router: CommandRouter,
    pub hub: Arc<AgentHub>,
    pub mqtt_auth: Arc<MqttAuth>,
    pub rules: Addr<RuleEngine>,
    pub live: Addr<LiveRegistry>,
    pub access_cache: Arc<AccessCache>,
    pub denylist: Arc<DenyList>,
    pub changes: Changes,
}

impl ControlPlane {
    /// Makes the change true on this node, then tells the other nodes.
    pub async fn emit(&self, event: ControlEvent) {
        self.apply(&event).await;
        if let Some(peers) = &self.peers
            && peers.try_send(event).is_err()
        {
            tracing::warn!(
                "control plane: the outbox to the other nodes is full; they repair from the database"
            );
        }
    }

    /// Stops the workspace's hardware on this node at once (the router refuses, every
    /// connection hears it), before the change is recorded; [`ControlPlane::emit`] of the
    /// kill switch event follows once it is, for the views and the other nodes.
    pub fn stop_now(&self, workspace_id: &str) {
        self.router.set_kill(workspace_id, true);
        let reached = self.hub.kill(workspace_id, true);
        tracing::warn!(workspace_id, devices = reached, "kill switch engaged");
    }

    /// Brings this node's memory in line with `event`. Returns once the rule engine holds a
    /// workspace's new rules, so the next event is judged by them.
    pub async fn apply(&self, event: &ControlEvent) {
        match event {
            ControlEvent::KillSwitch {
                workspace_id,
                engaged,
                reason,
                changed_by,
                changed_at,
            } => {
                // Already stopped by `stop_now` on the node that engaged it: nothing changes
                // (no second frame to its devices).
                let already = *engaged && self.router.kill_engaged(workspace_id);
                if !already {
                    self.router.set_kill(workspace_id, *engaged);
                    let reached = self.hub.kill(workspace_id, *engaged);
                    if *engaged {
                        tracing::warn!(workspace_id, devices = reached, "kill switch engaged");
                    } else {
                        tracing::info!(workspace_id, "kill switch released");
                    }
                }
                self.access_cache.invalidate_workspace(workspace_id);
                self.changes.publish(
                    workspace_id,
                    ChangeKind::KillSwitch {
                        engaged: *engaged,
                        reason: reason.clone(),
                        changed_by: changed_by.clone(),
                        changed_at: *changed_at,
                    },
                );
            }
            ControlEvent::DeviceSaved { device } => {
                self.router.upsert_device(device.clone());
                self.device_changed(&device.workspace_id, &device.id);
            }
            ControlEvent::DeviceTokenRotated {
                workspace_id,
                device_id,
                mqtt_token_hash,
            } => {
                if let Some(hash) = mqtt_token_hash {
                    self.mqtt_auth.set_token_hash(device_id, workspace_id, hash);
                }
                self.hub.end_device(device_id, End::Revoked);
                self.device_changed(workspace_id, device_id);
            }
            ControlEvent::DeviceTokenRevoked {
                workspace_id,
                device_id,
            } => {
                self.mqtt_auth.forget_device(device_id);
                self.hub.end_device(device_id, End::Revoked);
                self.device_changed(workspace_id, device_id);
            }
            ControlEvent::DeviceDeleted {
                workspace_id,
                device_id,
            } => {
                self.mqtt_auth.forget_device(device_id);
                self.hub.end_device(device_id, End::Revoked);
                self.router.remove_device(device_id);
                self.device_changed(workspace_id, device_id);
            }
            ControlEvent::RulesChanged {
                workspace_id,
                rule_id,
            } => {
                if let Err(err) = self.rules.send(Reload(workspace_id.clone())).await {
                    tracing::error!(workspace_id, error = %err, "the rule engine did not take the new rules");
                }
                self.changes.publish(
                    workspace_id,
                    ChangeKind::Rule {
                        rule_id: rule_id.clone(),
                    },
                );
            }
            ControlEvent::PlanSet { workspace_id, plan } => {
                self.router.set_plan(workspace_id, *plan);
                self.access_changed(workspace_id);
            }
            ControlEvent::AccessChanged { workspace_id } => self.access_changed(workspace_id),
            ControlEvent::Suspended {
                workspace_id,
                suspended,
            } => {
                self.mqtt_auth.set_suspended(workspace_id, *suspended);
                if *suspended {
                    // A suspended workspace streams nothing and moves nothing.
                    self.live.do_send(DisconnectWorkspace(workspace_id.clone()));
                    let ended = self
                        .hub
                        .end_workspace(workspace_id, End::Close("workspace suspended".into()));
                    tracing::info!(
                        workspace_id,
                        devices_disconnected = ended,
                        "workspace suspended"
                    );
                }
                self.access_changed(workspace_id);
            }
            ControlEvent::WorkspaceDeleted { workspace_id } => {
                self.live.do_send(DisconnectWorkspace(workspace_id.clone()));
                self.mqtt_auth.forget_workspace(workspace_id);
                self.hub
                    .end_workspace(workspace_id, End::Close("workspace deleted".into()));
                self.router.remove_workspace(workspace_id);
                if let Err(err) = self.rules.send(Reload(workspace_id.clone())).await {
                    tracing::error!(workspace_id, error = %err, "the rule engine did not drop the workspace's rules");
                }
                self.access_changed(workspace_id);
            }
            ControlEvent::LivestreamWanted {
                workspace_id,
                livestream_id,
                connected,
            } => {
                if !connected {
                    self.live.do_send(Disconnect(livestream_id.clone()));
                }
                self.changes.publish(
                    workspace_id,
                    ChangeKind::Livestream {
                        livestream_id: livestream_id.clone(),
                    },
                );
            }
            ControlEvent::Denied { id, until_s } => self.denylist.insert(id.clone(), *until_s),
        }
    }

    fn device_changed(&self, workspace_id: &str, device_id: &str) {
        self.changes.publish(
            workspace_id,
            ChangeKind::Device {
                device_id: device_id.to_owned(),
            },
        );
    }

    /// Forget the cached answers first, then tell the open views, which check their own access
    /// again (a removed member's feed closes at once).
    fn access_changed(&self, workspace_id: &str) {
        self.access_cache.invalidate_workspace(workspace_id);
        self.changes.publish(workspace_id, ChangeKind::Access);
    }
}
