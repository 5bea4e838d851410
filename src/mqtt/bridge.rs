//! The server's in-process link to the broker. It reads every device's `…/status` (retained
//! `online`, last will `offline`) and `…/ack`, makes an online MQTT device a connection of the
//! [`AgentHub`] (so the command router treats it exactly like an agent), and publishes what
//! the router sends that connection to `…/cmd`: commands, and kill switch changes ahead of
//! them. A device can reach only its own topics ([`super::auth`]), so a status or an ack on a
//! device's topic comes from that device. When the hub ends the connection (revocation,
//! suspension, deletion), every broker connection of the device is closed too.

use std::collections::HashMap;
use std::sync::Arc;

use rumqttd::Notification;
use rumqttd::local::{LinkRx, LinkTx};
use tokio::sync::mpsc;

use crate::commands::router::CommandRouter;
use crate::devices::hub::{AgentHub, End, Lanes};
use crate::devices::model::Transport;
use crate::mqtt::auth::tenant_of;
pub use crate::mqtt::auth::topic;
use crate::protocol::{Ack, ServerFrame};

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
}

enum Out {
    Publish {
        device_id: String,
        frame: Arc<str>,
    },
    End {
        device_id: String,
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
                    Out::End { device_id, connection, why } => {
                        if online.get(&device_id).is_some_and(|o| o.connection == connection)
                            && let Some(o) = online.remove(&device_id) {
                                o.forwarder.abort();
                            }
                        self.hub.unregister(&device_id, connection);
                        tracing::info!(device_id, reason = %why, "disconnecting an MQTT device");
                        self.auth.close(&device_id, &why);
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
                    let (connection, lanes) = self.hub.register(device_id, &device.workspace_id);
                    let forwarder = tokio::spawn(forward(
                        device_id.to_owned(),
                        connection,
                        lanes,
                        out.clone(),
                    ));
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

/// Turns what the hub hands one MQTT device into publishes: kill switch changes first (a full
/// command queue cannot hold them back), then commands, until the connection ends.
async fn forward(
    device_id: String,
    connection: u64,
    mut lanes: Lanes,
    out: mpsc::UnboundedSender<Out>,
) {
    let mut kill_seq = 0;
    loop {
        let next = tokio::select! {
            biased;
            changed = lanes.control.changed() => {
                let control = lanes.control.borrow_and_update().clone();
                let end = match (changed, control.end) {
                    (Err(_), _) => Some("the server closed the connection".to_owned()),
                    (Ok(()), Some(End::Revoked)) => Some("token revoked".to_owned()),
                    (Ok(()), Some(End::Close(why))) => Some(why),
                    (Ok(()), Some(End::GoingAway)) => Some("server shutting down".to_owned()),
                    (Ok(()), None) => None,
                };
                if let Some(why) = end {
                    Out::End { device_id: device_id.clone(), connection, why }
                } else if control.kill_seq != kill_seq {
                    kill_seq = control.kill_seq;
                    let kill = ServerFrame::Kill { engaged: control.kill_engaged };
                    let Ok(frame) = serde_json::to_string(&kill) else { continue };
                    Out::Publish { device_id: device_id.clone(), frame: frame.into() }
                } else {
                    continue;
                }
            }
            frame = lanes.data.recv() => match frame {
                Some(frame) => Out::Publish { device_id: device_id.clone(), frame },
                None => return,
            },
        };
        let ended = matches!(next, Out::End { .. });
        if out.send(next).is_err() || ended {
            return;
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
