//! The embedded MQTT broker (`protocols.md` §6): rumqttd's router and one listener per thread
//! (each with its own small runtime, so device traffic never runs on the HTTP workers): a TLS
//! listener that requires a client certificate from livectl's CA and, when configured, a
//! plain one (password only). On both, [`auth`] admits each connection and confines it to its
//! own device's topics. The [`bridge`] connects the broker to the command router.

pub mod auth;
pub mod bridge;
pub mod ca;
pub mod routes;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use rumqttd::{
    ConnectionSettings, LinkType, RouterConfig, SegmentConfig, Server, ServerSettings, TlsConfig,
};

use tokio::sync::mpsc;

use self::auth::{Gate, MqttAuth, TopicViolation};
use self::bridge::Bridge;
use self::ca::Ca;
use crate::audit::AuditEntry;
use crate::commands::router::CommandRouter;
use crate::config::MqttSettings;
use crate::db::Db;
use crate::devices::hub::AgentHub;

/// Largest MQTT packet a device may send.
pub const MAX_PAYLOAD: usize = 20 * 1024;
/// Each subscription filter keeps a ring of segments in memory (crates.md §1): small ones.
pub const SEGMENT_BYTES: usize = 64 * 1024;
pub const SEGMENTS: usize = 2;
pub const MAX_CONNECTIONS: usize = 20_000;

pub struct MqttBroker {
    /// The plain listener, when `mqtt.listen` is set.
    pub plain_addr: Option<SocketAddr>,
    pub tls_addr: SocketAddr,
    pub auth: Arc<MqttAuth>,
    pub ca: Ca,
    listeners_up: Arc<AtomicBool>,
}

impl MqttBroker {
    /// True while both listeners run.
    pub fn ready(&self) -> bool {
        self.listeners_up.load(Ordering::Relaxed)
    }

    /// Starts the router, both listeners and the bridge (call inside the server's runtime).
    pub fn start(
        settings: &MqttSettings,
        data_dir: &Path,
        public_host: &str,
        auth: Arc<MqttAuth>,
        hub: Arc<AgentHub>,
        router: CommandRouter,
    ) -> anyhow::Result<MqttBroker> {
        let ca = Ca::load_or_create(data_dir)?;
        let (cert, key) = ca.server_certificate(public_host)?;
        let plain_addr = settings.listen.map(reserve).transpose()?;
        let tls_addr = reserve(settings.tls_listen)?;

        let router_tx = rumqttd::Router::new(
            0,
            RouterConfig {
                max_connections: MAX_CONNECTIONS,
                max_outgoing_packet_count: 200,
                max_segment_size: SEGMENT_BYTES,
                max_segment_count: SEGMENTS,
                // The server's own wildcard subscriptions see every device's acks and
                // statuses: a longer ring, so a burst is not overwritten before it is read.
                custom_segment: Some(
                    ["/tenants/+/devices/+/ack", "/tenants/+/devices/+/status"]
                        .into_iter()
                        .map(|f| {
                            (
                                f.to_owned(),
                                SegmentConfig {
                                    max_segment_size: 1024 * 1024,
                                    max_segment_count: 4,
                                },
                            )
                        })
                        .collect(),
                ),
                initialized_filters: None,
                shared_subscriptions_strategy: Default::default(),
            },
        )
        .spawn();
        let listeners_up = Arc::new(AtomicBool::new(true));
        let tls = TlsConfig::Rustls {
            capath: Some(ca.ca_path().display().to_string()),
            certpath: cert.display().to_string(),
            keypath: key.display().to_string(),
        };
        let gate = Arc::new(Gate(auth.clone()));
        let listeners = [
            ("mqtt-tls", Some(tls_addr), Some(tls)),
            ("mqtt-plain", plain_addr, None),
        ];
        for (name, addr, tls) in listeners {
            let Some(addr) = addr else { continue };
            let server_settings = ServerSettings {
                name: name.into(),
                listen: addr,
                tls,
                next_connection_delay_ms: 0,
                connections: ConnectionSettings {
                    connection_timeout_ms: 5_000,
                    max_payload_size: MAX_PAYLOAD,
                    max_inflight_count: 100,
                    auth: None,
                    external_auth: None,
                    dynamic_filters: true,
                    // Admission and topic rules, from memory, on the listener's thread.
                    gate: Some(gate.clone()),
                },
            };
            let mut server = Server::new(
                server_settings,
                router_tx.clone(),
                rumqttd::protocol::v4::V4,
            );
            let up = listeners_up.clone();
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    match runtime {
                        Ok(rt) => {
                            if let Err(err) = rt.block_on(server.start(LinkType::Remote)) {
                                tracing::error!(listener = name, error = ?err, "MQTT listener stopped");
                            }
                        }
                        Err(err) => tracing::error!(listener = name, error = %err, "no runtime for the MQTT listener"),
                    }
                    up.store(false, Ordering::Relaxed);
                })
                .context("starting an MQTT listener thread")?;
        }

        // The server's own link: not subject to any device's topic rules.
        let (tx, rx, _ack) = rumqttd::local::LinkBuilder::new("livectl-server", router_tx)
            .build()
            .map_err(|e| anyhow::anyhow!("linking to the MQTT router: {e:?}"))?;
        tokio::spawn(
            Bridge {
                hub,
                auth: auth.clone(),
                router,
            }
            .run(tx, rx),
        );
        tracing::info!(plain_addr = ?plain_addr, %tls_addr, "MQTT broker listening");
        Ok(MqttBroker {
            plain_addr,
            tls_addr,
            auth,
            ca,
            listeners_up,
        })
    }
}

/// Writes each refused MQTT topic to its workspace's audit log (`device.mqtt_topic_refused`).
pub async fn audit_violations(db: Db, mut violations: mpsc::Receiver<TopicViolation>) {
    while let Some(v) = violations.recv().await {
        let written = db
            .run(move |conn| {
                crate::audit::record(
                    conn,
                    AuditEntry::system(&v.workspace_id, "device.mqtt_topic_refused")
                        .target(&v.device_id)
                        .details(serde_json::json!({
                            "client_id": v.client_id,
                            "usage": v.usage,
                            "topic": v.topic,
                        })),
                )
            })
            .await;
        if let Err(err) = written {
            tracing::warn!(error = ?err, "could not write a refused MQTT topic to the audit log");
        }
    }
}

/// Checks an address can be bound (so a taken port fails the start with a clear message);
/// port 0 becomes a free port.
fn reserve(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let probe = TcpListener::bind(addr).with_context(|| {
        format!("MQTT cannot listen on {addr} (in use? set mqtt.listen / mqtt.tls_listen, or mqtt.enabled = false)")
    })?;
    Ok(probe.local_addr()?)
}

/// The host part of `server.public_url`, for the TLS certificate's names and the URL handed
/// to devices.
pub fn public_host(public_url: &str) -> String {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default().to_owned();
    }
    authority.split(':').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_host_is_the_host() {
        assert_eq!(public_host("https://live.example.com/"), "live.example.com");
        assert_eq!(public_host("http://localhost:8080"), "localhost");
        assert_eq!(public_host("http://[::1]:8080"), "::1");
    }
}
