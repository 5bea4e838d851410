//! The server's in-process link to the broker. It reads every device's `…/status` (retained
//! `online`, last will `offline`) and `…/ack`, makes an online MQTT device a connection of the
//! [`AgentHub`] (so the command router treats it exactly like an agent), and publishes what
//! the router sends that connection to `…/cmd`. A revoked or closed connection is kicked off
//! the broker.
//!
//! rumqttd cannot drop a client on request. To kick one, the bridge opens a local link with
//! the device's client id: rumqttd's duplicate-client-id rule drops the device's connection
//! (which fires its last will), and the bridge then disconnects its own link. The device's
//! token is already gone from [`super::auth::MqttAuth`], so it cannot come back.

use std::collections::HashMap;
use std::sync::Arc;

use rumqttd::Notification;
use rumqttd::local::{LinkRx, LinkTx};
use rumqttd::protocol::{Disconnect, DisconnectReasonCode, Packet};
use tokio::sync::mpsc;

use crate::commands::router::CommandRouter;
use crate::devices::hub::{AgentHub, Outbound};
use crate::devices::model::Transport;
use crate::mqtt::auth::tenant_of;
use crate::protocol::Ack;

/// Opens a local link to the broker's router with a client id and tenant (rumqttd's router
/// channel type is not nameable outside the crate, so the bridge gets this instead).
pub type LinkMaker =
    Arc<dyn Fn(&str, Option<String>) -> Result<(LinkTx, LinkRx), String> + Send + Sync>;

/// `/tenants/{tenant}/devices/{device_id}/{leaf}`.
pub fn topic(tenant: &str, device_id: &str, leaf: &str) -> String {
    format!("/tenants/{tenant}/devices/{device_id}/{leaf}")
}

fn parse_topic(topic: &str) -> Option<(&str, &str, &str)> {
    let rest = topic.strip_prefix("/tenants/")?;
    let mut parts = rest.split('/');
    let (tenant, devices, device, leaf) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (devices == "devices" && parts.next().is_none()).then_some((tenant, device, leaf))
}

struct Online {
    connection: u64,
    forwarder: tokio::task::JoinHandle<()>,
}

pub struct Bridge {
    pub hub: Arc<AgentHub>,
    pub auth: Arc<crate::mqtt::auth::MqttAuth>,
    pub router: CommandRouter,
    pub make_link: LinkMaker,
}

enum Out {
    Publish {
        device_id: String,
        frame: Arc<str>,
    },
    Kick {
        device_id: String,
        /// Known when the device came online: the device may be gone from the router by now.
        tenant: String,
        connection: u64,
        why: String,
    },
}

impl Bridge {
    /// Runs the bridge on the current runtime until the broker goes away.
    pub async fn run(self, mut tx: LinkTx, mut rx: LinkRx) {
        for leaf in ["status", "ack"] {
            if let Err(err) = tx.subscribe(format!("/tenants/+/devices/+/{leaf}")) {
                tracing::error!(error = ?err, "the MQTT bridge could not subscribe; MQTT devices stay offline");
                return;
            }
        }
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
        let mut online: HashMap<String, Online> = HashMap::new();
        loop {
            tokio::select! {
                note = rx.next() => match note {
                    Ok(Some(Notification::Forward(forward))) => {
                        let topic = String::from_utf8_lossy(&forward.publish.topic).into_owned();
                        self.on_publish(&topic, &forward.publish.payload, &mut online, &out_tx);
                    }
                    Ok(Some(Notification::Unschedule)) => {
                        // The router stops feeding a link with 200 notifications pending
                        // until it is woken (crates.md §1).
                        if rx.wake().await.is_err() {
                            tracing::error!("the MQTT router went away");
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::error!(error = ?err, "the MQTT bridge lost the router");
                        return;
                    }
                },
                Some(out) = out_rx.recv() => match out {
                    Out::Publish { device_id, frame } => {
                        let Some(device) = self.router.device(&device_id) else { continue };
                        let cmd = topic(&tenant_of(&device.workspace_id), &device_id, "cmd");
                        if let Err(err) = tx.try_publish(cmd, frame.as_bytes().to_vec()) {
                            tracing::warn!(device_id, error = ?err, "could not hand a command to the broker");
                        }
                    }
                    Out::Kick { device_id, tenant, connection, why } => {
                        if online.get(&device_id).is_some_and(|o| o.connection == connection)
                            && let Some(o) = online.remove(&device_id) {
                                o.forwarder.abort();
                            }
                        self.hub.unregister(&device_id, connection);
                        tracing::info!(device_id, reason = %why, "disconnecting an MQTT device");
                        let client_ids = self.auth.client_ids(&device_id);
                        tokio::spawn(kick(self.make_link.clone(), client_ids, Some(tenant)));
                    }
                },
            }
        }
    }

    fn on_publish(
        &self,
        topic: &str,
        payload: &[u8],
        online: &mut HashMap<String, Online>,
        out: &mpsc::UnboundedSender<Out>,
    ) {
        let Some((tenant, device_id, leaf)) = parse_topic(topic) else {
            return;
        };
        // Only a device of that tenant, registered for MQTT, counts: a device cannot speak
        // for another workspace's device.
        let Some(device) = self
            .router
            .device(device_id)
            .filter(|d| d.transport == Transport::Mqtt && tenant_of(&d.workspace_id) == tenant)
        else {
            tracing::debug!(topic, "MQTT message for no known device; ignored");
            return;
        };
        match leaf {
            "status" => match payload {
                b"online" => {
                    if online.contains_key(device_id) {
                        return;
                    }
                    let (connection, mut frames) =
                        self.hub.register(device_id, &device.workspace_id);
                    let out = out.clone();
                    let id = device_id.to_owned();
                    let tenant = tenant.to_owned();
                    let forwarder = tokio::spawn(async move {
                        while let Some(frame) = frames.recv().await {
                            let next = match frame {
                                Outbound::Frame(frame) => Out::Publish {
                                    device_id: id.clone(),
                                    frame,
                                },
                                Outbound::Revoke => Out::Kick {
                                    device_id: id.clone(),
                                    tenant: tenant.clone(),
                                    connection,
                                    why: "token revoked".into(),
                                },
                                Outbound::Close(why) => Out::Kick {
                                    device_id: id.clone(),
                                    tenant: tenant.clone(),
                                    connection,
                                    why,
                                },
                            };
                            if out.send(next).is_err() {
                                return;
                            }
                        }
                    });
                    tracing::info!(device_id, "MQTT device online");
                    online.insert(
                        device_id.to_owned(),
                        Online {
                            connection,
                            forwarder,
                        },
                    );
                }
                b"offline" | b"" => {
                    if let Some(o) = online.remove(device_id) {
                        o.forwarder.abort();
                        self.hub.unregister(device_id, o.connection);
                        tracing::info!(device_id, "MQTT device offline");
                    }
                }
                other => {
                    tracing::debug!(device_id, status = %String::from_utf8_lossy(other), "unknown MQTT status; ignored")
                }
            },
            "ack" => match serde_json::from_slice::<Ack>(payload) {
                Ok(ack) => self.router.ack(device_id, ack),
                Err(err) => tracing::debug!(device_id, error = %err, "malformed MQTT ack; ignored"),
            },
            _ => {}
        }
    }
}

/// Drops whatever connections hold the device's client ids, on both listeners.
async fn kick(make_link: LinkMaker, client_ids: Vec<String>, tenant: Option<String>) {
    let mut targets = Vec::new();
    for id in client_ids {
        targets.push((id.clone(), None));
        if let Some(t) = &tenant {
            targets.push((id, Some(t.clone())));
        }
    }
    for (device_id, tenant) in targets {
        let make = make_link.clone();
        let id = device_id.clone();
        // Building a link waits for the router's CONNACK: a blocking call.
        let built = tokio::task::spawn_blocking(move || make(&id, tenant)).await;
        match built {
            Ok(Ok((mut tx, _rx))) => {
                let bye = Packet::Disconnect(
                    Disconnect {
                        reason_code: DisconnectReasonCode::NormalDisconnection,
                    },
                    None,
                );
                if let Err(err) = tx.send(bye).await {
                    tracing::warn!(device_id, error = ?err, "could not close the kick link");
                }
            }
            Ok(Err(err)) => {
                tracing::warn!(device_id, error = ?err, "could not kick an MQTT device")
            }
            Err(err) => tracing::warn!(device_id, error = %err, "could not kick an MQTT device"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip() {
        let t = topic("ws01a", "dev_1", "cmd");
        assert_eq!(t, "/tenants/ws01a/devices/dev_1/cmd");
        assert_eq!(parse_topic(&t), Some(("ws01a", "dev_1", "cmd")));
        assert_eq!(parse_topic("/tenants/a/devices/b/c/d"), None);
        assert_eq!(parse_topic("/tenants/a/things/b/c"), None);
    }
}
