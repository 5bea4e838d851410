//! Commands across nodes (`bus.kind = "redis"`): the router of the node whose rule fired hands a
//! command for a device connected to another node to that node, through Redis pub/sub, and the
//! device's acknowledgement comes back the same way.
//!
//! - Presence: every node announces the devices connected to it on `{ns}:presence` every
//!   second and at once when one comes or goes; an announcement is believed for
//!   [`PRESENCE_TTL`].
//! - A command travels on `{ns}:node:{id}:cmd` to the node that holds the device, which checks
//!   again that it has not expired and that the workspace's kill switch is not engaged (as this
//!   node knows it) before handing it to the connection. Nothing is ever re-sent: a command is
//!   delivered at most once, or answered `undeliverable` / `busy` / `blocked` / `expired`.
//! - The acknowledgement travels on `{ns}:node:{origin}:ack` to the issuing node, whose router
//!   records it as if the device were its own: one audit entry, on the issuing node.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::commands::router::CommandRouter;
use crate::devices::hub::{AgentHub, Held, SendError};
use crate::ids::now_ms;
use crate::protocol::{Ack, CommandStatus, ServerFrame};

/// How long a node's announcement that it holds a device is believed.
pub const PRESENCE_TTL: Duration = Duration::from_secs(3);
const ANNOUNCE_EVERY: Duration = Duration::from_secs(1);
const OUTBOX: usize = 4096;
const RETRY: Duration = Duration::from_millis(500);

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Message {
    Presence {
        node: String,
        devices: Vec<Held>,
    },
    Command {
        origin: String,
        workspace_id: String,
        device_id: String,
        command_id: String,
        expires_at: i64,
        /// The `command` frame, as the device will read it.
        frame: String,
    },
    Ack {
        device_id: String,
        ack: Ack,
    },
}

struct Outgoing {
    channel: String,
    message: Message,
}

pub struct Remote {
    node: String,
    namespace: String,
    hub: Arc<AgentHub>,
    /// device → (node, when it was last announced there).
    holders: Mutex<HashMap<String, (String, Instant)>>,
    /// Commands this node delivered for another: command id → (issuing node, expiry).
    relayed: Mutex<HashMap<String, (String, i64)>>,
    outbox: mpsc::Sender<Outgoing>,
    router: Mutex<Weak<crate::commands::router::Inner>>,
}

impl Remote {
    /// Starts the presence, publish and subscribe loops; the router is attached afterwards.
    pub fn start(
        client: redis::Client,
        namespace: &str,
        node: &str,
        hub: Arc<AgentHub>,
    ) -> Arc<Remote> {
        let (outbox, outgoing) = mpsc::channel(OUTBOX);
        let remote = Arc::new(Remote {
            node: node.to_owned(),
            namespace: namespace.to_owned(),
            hub,
            holders: Mutex::default(),
            relayed: Mutex::default(),
            outbox,
            router: Mutex::new(Weak::new()),
        });
        tokio::spawn(publish_loop(client.clone(), outgoing, remote.clone()));
        tokio::spawn(subscribe_loop(client, remote.clone()));
        tokio::spawn(announce_loop(remote.clone()));
        remote
    }

    pub fn attach(&self, router: &CommandRouter) {
        *self.router.lock() = router.downgrade();
    }

    fn channel(&self, node: &str, leaf: &str) -> String {
        format!("{}:node:{node}:{leaf}", self.namespace)
    }

    fn presence_channel(&self) -> String {
        format!("{}:presence", self.namespace)
    }

    fn send(&self, channel: String, message: Message) -> Result<(), SendError> {
        self.outbox
            .try_send(Outgoing { channel, message })
            .map_err(|_| SendError::Full)
    }

    /// The other node that holds `device_id`, if one announced it lately.
    pub fn holder(&self, device_id: &str) -> Option<String> {
        self.holders
            .lock()
            .get(device_id)
            .filter(|(_, at)| at.elapsed() < PRESENCE_TTL)
            .map(|(node, _)| node.clone())
    }

    /// Hands a command to the node holding its device.
    pub fn deliver(
        &self,
        node: &str,
        workspace_id: &str,
        device_id: &str,
        command_id: &str,
        expires_at: i64,
        frame: String,
    ) -> Result<(), SendError> {
        self.send(
            self.channel(node, "cmd"),
            Message::Command {
                origin: self.node.clone(),
                workspace_id: workspace_id.to_owned(),
                device_id: device_id.to_owned(),
                command_id: command_id.to_owned(),
                expires_at,
                frame,
            },
        )
    }

    /// An ack for a command this node relayed for another: sent back to the issuing node.
    /// False when the command is not one this node relayed.
    pub fn relay_ack(&self, device_id: &str, ack: &Ack) -> bool {
        let Some((origin, _)) = self.relayed.lock().remove(&ack.id) else {
            return false;
        };
        let message = Message::Ack {
            device_id: device_id.to_owned(),
            ack: ack.clone(),
        };
        if self.send(self.channel(&origin, "ack"), message).is_err() {
            tracing::warn!(command_id = %ack.id, "could not send an acknowledgement back to the issuing node");
        }
        true
    }

    /// The node a command was sent to did not hear it: the issuing router learns at once.
    fn unheard(&self, device_id: &str, command_id: &str) {
        let ack = Ack {
            id: command_id.to_owned(),
            status: CommandStatus::Undeliverable,
            detail: Some("the device's node did not hear the command".to_owned()),
        };
        if let Some(inner) = self.router.lock().upgrade() {
            CommandRouter::from_inner(inner).ack(device_id, ack);
        }
    }

    fn on_message(&self, message: Message) {
        match message {
            Message::Presence { node, devices } if node != self.node => {
                let now = Instant::now();
                {
                    let mut holders = self.holders.lock();
                    holders.retain(|_, (_, at)| at.elapsed() < PRESENCE_TTL);
                    for held in &devices {
                        holders.insert(held.device_id.clone(), (node.clone(), now));
                    }
                }
                self.hub.seen_elsewhere(devices, PRESENCE_TTL);
            }
            Message::Presence { .. } => {}
            Message::Command {
                origin,
                workspace_id,
                device_id,
                command_id,
                expires_at,
                frame,
            } => self.on_command(
                origin,
                &workspace_id,
                &device_id,
                command_id,
                expires_at,
                frame,
            ),
            Message::Ack { device_id, ack } => {
                if let Some(inner) = self.router.lock().upgrade() {
                    CommandRouter::from_inner(inner).ack(&device_id, ack);
                }
            }
        }
    }

    fn on_command(
        &self,
        origin: String,
        workspace_id: &str,
        device_id: &str,
        command_id: String,
        expires_at: i64,
        frame: String,
    ) {
        let answer = |status: CommandStatus, detail: &str| {
            let ack = Ack {
                id: command_id.clone(),
                status,
                detail: Some(detail.to_owned()),
            };
            let message = Message::Ack {
                device_id: device_id.to_owned(),
                ack,
            };
            let _ = self.send(self.channel(&origin, "ack"), message);
        };
        if now_ms() >= expires_at {
            return answer(
                CommandStatus::Expired,
                "expired on its way to the device's node",
            );
        }
        let killed = self
            .router
            .lock()
            .upgrade()
            .is_some_and(|inner| CommandRouter::from_inner(inner).kill_engaged(workspace_id));
        if killed {
            return answer(CommandStatus::Blocked, "the kill switch is engaged");
        }
        {
            let mut relayed = self.relayed.lock();
            let now = now_ms();
            relayed.retain(|_, (_, expires)| *expires + 60_000 > now);
            relayed.insert(command_id.clone(), (origin.clone(), expires_at));
        }
        if let Err(err) = self.hub.send(device_id, frame.into()) {
            self.relayed.lock().remove(&command_id);
            match err {
                SendError::Offline => {
                    answer(CommandStatus::Undeliverable, "the device went offline")
                }
                SendError::Full => {
                    answer(CommandStatus::Busy, "the agent is not reading its socket")
                }
            }
        }
    }
}

/// A `command` frame as JSON (the same bytes a local connection gets).
pub fn frame_of(command: &crate::protocol::Command) -> Result<String, serde_json::Error> {
    serde_json::to_string(&ServerFrame::Command(command.clone()))
}

async fn publish_loop(
    client: redis::Client,
    mut outgoing: mpsc::Receiver<Outgoing>,
    remote: Arc<Remote>,
) {
    let mut conn = loop {
        match client.get_connection_manager().await {
            Ok(conn) => break conn,
            Err(err) => {
                tracing::warn!(error = %err, "commands across nodes: cannot reach Redis; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    };
    while let Some(out) = outgoing.recv().await {
        let Ok(json) = serde_json::to_string(&out.message) else {
            continue;
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&out.channel)
            .arg(json)
            .query_async(&mut conn)
            .await;
        let heard = match sent {
            Ok(listeners) => listeners > 0,
            Err(err) => {
                tracing::warn!(error = %err, channel = %out.channel, "commands across nodes: could not publish");
                false
            }
        };
        // A command no node heard (its node is reconnecting to Redis, or gone) is answered
        // at once rather than after the acknowledgement timeout; it is never re-sent.
        if let (
            false,
            Message::Command {
                device_id,
                command_id,
                ..
            },
        ) = (heard, &out.message)
        {
            remote.unheard(device_id, command_id);
        }
    }
}

async fn subscribe_loop(client: redis::Client, remote: Arc<Remote>) {
    let channels = [
        remote.channel(&remote.node, "cmd"),
        remote.channel(&remote.node, "ack"),
        remote.presence_channel(),
    ];
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                let mut subscribed = true;
                for channel in &channels {
                    subscribed &= pubsub.subscribe(channel).await.is_ok();
                }
                if subscribed {
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<Message>(&payload) {
                            Ok(message) => remote.on_message(message),
                            Err(err) => {
                                tracing::warn!(error = %err, "commands across nodes: an unreadable message; ignored")
                            }
                        }
                    }
                }
                tracing::warn!("commands across nodes: lost the Redis subscription; reconnecting");
            }
            Err(err) => tracing::warn!(error = %err, "commands across nodes: cannot reach Redis"),
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn announce_loop(remote: Arc<Remote>) {
    let mut tick = tokio::time::interval(ANNOUNCE_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = remote.hub.presence_changed() => {}
        }
        let message = Message::Presence {
            node: remote.node.clone(),
            devices: remote.hub.held(),
        };
        let _ = remote.send(remote.presence_channel(), message);
    }
}
