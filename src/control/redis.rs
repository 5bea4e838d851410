//! Control events between the nodes of one installation, over Redis pub/sub
//! (`bus.kind = "redis"`): each node publishes what it emits on `{namespace}:control` and
//! applies what the others publish. A message lost to a dropped connection is made up for by
//! the repair loop ([`super::repair`]), which also runs at once after every reconnection.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{ControlEvent, ControlPlane};

/// Events waiting to be published; past it they are dropped (and repaired within seconds).
pub const OUTBOX: usize = 4096;
const RETRY: Duration = Duration::from_millis(500);

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The publishing node, which has applied the event already.
    origin: String,
    event: ControlEvent,
}

pub fn channel(namespace: &str) -> String {
    format!("{namespace}:control")
}

/// Publishes what this node emits, in order.
pub async fn publish_loop(
    client: redis::Client,
    channel: String,
    origin: String,
    mut outbox: mpsc::Receiver<ControlEvent>,
) {
    let mut conn = match client.get_connection_manager().await {
        Ok(conn) => conn,
        Err(err) => {
            tracing::error!(error = %err, "control plane: cannot reach Redis; other nodes learn of changes from the repair loop only");
            return;
        }
    };
    while let Some(event) = outbox.recv().await {
        let envelope = Envelope {
            origin: origin.clone(),
            event,
        };
        let Ok(json) = serde_json::to_string(&envelope) else {
            continue;
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(json)
            .query_async(&mut conn)
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, "control plane: could not publish a change; the other nodes repair it from the database");
        }
    }
}

/// Applies what the other nodes publish, reconnecting for ever.
pub async fn subscribe_loop(
    client: redis::Client,
    channel: String,
    origin: String,
    plane: Arc<ControlPlane>,
) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    // Whatever was published while this node was not listening.
                    super::repair::repair(&plane).await;
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<Envelope>(&payload) {
                            Ok(envelope) if envelope.origin != origin => {
                                plane.apply(&envelope.event).await;
                            }
                            Ok(_) => {}
                            Err(err) => {
                                tracing::warn!(error = %err, "control plane: a message that is not a control event; ignored")
                            }
                        }
                    }
                    tracing::warn!("control plane: lost the Redis subscription; reconnecting");
                }
                Err(err) => tracing::warn!(error = %err, "control plane: cannot subscribe"),
            },
            Err(err) => tracing::warn!(error = %err, "control plane: cannot reach Redis"),
        }
        tokio::time::sleep(RETRY).await;
    }
}
