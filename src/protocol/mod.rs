//! Wire types shared by the server and the agent (`protocols.md`). This module knows no HTTP,
//! no database and no pages.

pub mod serial;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The viewer behind an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct EventUser {
    /// TikTok's numeric user id, as a string.
    pub id: String,
    /// The @handle (without the @).
    pub unique_id: String,
    pub nickname: String,
}

impl EventUser {
    /// Who this viewer is, for counting per viewer (fair share, votes, turns): TikTok's id,
    /// else the handle; `None` when TikTok named no one.
    pub fn key(&self) -> Option<&str> {
        [self.id.as_str(), self.unique_id.as_str()]
            .into_iter()
            .find(|k| !k.is_empty())
    }

    /// How the viewer is named to people: nickname, else @handle.
    pub fn display(&self) -> String {
        if self.nickname.trim().is_empty() {
            format!("@{}", self.unique_id)
        } else {
            self.nickname.clone()
        }
    }
}

/// `stream_status` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    Live,
    Paused,
    Unpaused,
    Ended,
    Disconnected,
    Reconnecting,
}

/// `event_type` and `payload` of a normalised event (`protocols.md` §1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event_type", content = "payload", rename_all = "snake_case")]
pub enum EventKind {
    Comment {
        text: String,
        #[serde(default)]
        user: EventUser,
    },
    Gift {
        gift_id: i64,
        gift_name: String,
        /// Diamonds of one gift.
        diamond_count: i64,
        repeat_count: i64,
        /// `repeat_count × diamond_count`.
        total_diamonds: i64,
        #[serde(default)]
        user: EventUser,
    },
    Like {
        /// Likes in this burst.
        count: i64,
        /// Room total so far.
        total: i64,
        #[serde(default)]
        user: EventUser,
    },
    Follow {
        #[serde(default)]
        user: EventUser,
    },
    Share {
        #[serde(default)]
        user: EventUser,
    },
    Join {
        #[serde(default)]
        user: EventUser,
    },
    /// A viewer became a Super Fan of the streamer (TikTok's paid membership, which replaced
    /// subscriptions in 2025).
    SuperFan {
        #[serde(default)]
        user: EventUser,
    },
    /// A Super Fan box (a treasure box for Super Fans) was sent.
    SuperFanBox {
        /// Diamonds in the box (0 when TikTok does not say).
        diamonds: i64,
        #[serde(default)]
        user: EventUser,
    },
    ViewerCount {
        viewers: i64,
        total_viewers: i64,
    },
    StreamStatus {
        status: StreamStatus,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Comment { .. } => "comment",
            EventKind::Gift { .. } => "gift",
            EventKind::Like { .. } => "like",
            EventKind::Follow { .. } => "follow",
            EventKind::Share { .. } => "share",
            EventKind::Join { .. } => "join",
            EventKind::SuperFan { .. } => "super_fan",
            EventKind::SuperFanBox { .. } => "super_fan_box",
            EventKind::ViewerCount { .. } => "viewer_count",
            EventKind::StreamStatus { .. } => "stream_status",
        }
    }

    pub fn user(&self) -> Option<&EventUser> {
        match self {
            EventKind::Comment { user, .. }
            | EventKind::Gift { user, .. }
            | EventKind::Like { user, .. }
            | EventKind::Follow { user }
            | EventKind::Share { user }
            | EventKind::Join { user }
            | EventKind::SuperFan { user }
            | EventKind::SuperFanBox { user, .. } => Some(user),
            EventKind::ViewerCount { .. } | EventKind::StreamStatus { .. } => None,
        }
    }
}

pub const EVENT_TYPES: [&str; 10] = [
    "comment",
    "gift",
    "like",
    "follow",
    "share",
    "join",
    "super_fan",
    "super_fan_box",
    "viewer_count",
    "stream_status",
];

/// Event types TikTok no longer sends, and what replaced them (for a clear answer to a rule
/// that asks for one).
pub const RETIRED_EVENT_TYPES: [(&str, &str); 1] = [(
    "subscribe",
    "TikTok replaced subscriptions with Super Fan in 2025; use super_fan",
)];

/// What the bus carries and rules see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub workspace_id: String,
    pub stream_id: String,
    #[serde(flatten)]
    pub kind: EventKind,
    /// When it happened (TikTok's create_time in ms, else receive time).
    pub ts: i64,
    pub simulated: bool,
}

/// A command for one device (`protocols.md` §3). It runs at most once and never after
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Command {
    pub id: String,
    pub workspace_id: String,
    pub device_id: String,
    pub cmd: String,
    pub duration_ms: i64,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub rule_id: Option<String>,
    pub event_id: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What became of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Handed to the device, no answer yet.
    Sent,
    Done,
    Rejected,
    Failed,
    Expired,
    Busy,
    /// The device was offline: not queued for later.
    Undeliverable,
    /// The kill switch was engaged.
    Blocked,
    /// Over the device's or the plan's commands per minute.
    RateLimited,
}

impl CommandStatus {
    /// Every status, in the order a command may meet them.
    pub const ALL: [CommandStatus; 9] = [
        CommandStatus::Sent,
        CommandStatus::Done,
        CommandStatus::Rejected,
        CommandStatus::Failed,
        CommandStatus::Expired,
        CommandStatus::Busy,
        CommandStatus::Undeliverable,
        CommandStatus::Blocked,
        CommandStatus::RateLimited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Sent => "sent",
            CommandStatus::Done => "done",
            CommandStatus::Rejected => "rejected",
            CommandStatus::Failed => "failed",
            CommandStatus::Expired => "expired",
            CommandStatus::Busy => "busy",
            CommandStatus::Undeliverable => "undeliverable",
            CommandStatus::Blocked => "blocked",
            CommandStatus::RateLimited => "rate_limited",
        }
    }

    pub fn parse(s: &str) -> Option<CommandStatus> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

/// A device's answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ack {
    pub id: String,
    pub status: CommandStatus,
    #[serde(default)]
    pub detail: Option<String>,
}

/// Close code of the agent socket after `{"type":"revoked"}`.
pub const REVOKED_CLOSE: u16 = 4001;

/// A signed agent build on offer, in the hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOffer {
    pub version: String,
    pub platform: String,
    pub sha256: String,
    pub size: u64,
    /// ed25519 over the release statement (`release.rs`), base64.
    pub signature: String,
    /// Where to download it, relative to the server.
    pub path: String,
}

/// Headers the agent sends with its socket request: its version and platform.
pub const AGENT_VERSION_HEADER: &str = "x-agent-version";
pub const AGENT_PLATFORM_HEADER: &str = "x-agent-platform";

/// Server → agent frames on `/ws/agent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Hello {
        protocol: u32,
        workspace_id: String,
        device_id: String,
        device_name: String,
        allowed_commands: Vec<String>,
        max_duration_ms: i64,
        max_commands_per_minute: i64,
        kill_switch: bool,
        server_time: i64,
        /// The build the server recommends for the agent's platform (`x-agent-platform`),
        /// if it has a signed one. The agent switches to it when its own build differs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        update: Option<UpdateOffer>,
    },
    Command(Command),
    Kill {
        engaged: bool,
    },
    Revoked,
}

/// Serial port state an agent reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SerialState {
    Open,
    Closed,
    Error,
}

/// Agent → server frames on `/ws/agent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentFrame {
    Ack(Ack),
    Status {
        serial: SerialState,
        #[serde(default)]
        detail: Option<String>,
        #[serde(default)]
        firmware: Option<String>,
    },
    /// What the agent says of its own updates, for the dashboard: `up to date`,
    /// `updating to 0.2.0`, `rolled back from 0.2.0: …`, `updates off`.
    Update {
        state: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_has_the_contract_shape() {
        let event = Event {
            id: "evt_1".into(),
            workspace_id: "ws_1".into(),
            stream_id: "ls_1".into(),
            kind: EventKind::Comment {
                text: "spin".into(),
                user: EventUser {
                    id: "6812".into(),
                    unique_id: "someone".into(),
                    nickname: "Some One".into(),
                },
            },
            ts: 1_763_719_200_123,
            simulated: false,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id":"evt_1","workspace_id":"ws_1","stream_id":"ls_1","event_type":"comment",
                "payload":{"text":"spin","user":{"id":"6812","unique_id":"someone","nickname":"Some One"}},
                "ts":1_763_719_200_123_i64,"simulated":false})
        );
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn agent_frames_have_the_contract_shape() {
        let ack: AgentFrame =
            serde_json::from_str(r#"{"type":"ack","id":"cmd_1","status":"done","detail":null}"#)
                .unwrap();
        assert_eq!(
            ack,
            AgentFrame::Ack(Ack {
                id: "cmd_1".into(),
                status: CommandStatus::Done,
                detail: None
            })
        );
        let kill = serde_json::to_value(ServerFrame::Kill { engaged: true }).unwrap();
        assert_eq!(kill, serde_json::json!({"type": "kill", "engaged": true}));
        assert_eq!(
            serde_json::to_value(ServerFrame::Revoked).unwrap(),
            serde_json::json!({"type": "revoked"})
        );
        let cmd = ServerFrame::Command(Command {
            id: "cmd_1".into(),
            workspace_id: "ws_1".into(),
            device_id: "dev_1".into(),
            cmd: "MOTOR_SPIN".into(),
            duration_ms: 1000,
            params: serde_json::json!({}),
            rule_id: Some("rule_1".into()),
            event_id: Some("evt_1".into()),
            issued_at: 1,
            expires_at: 2001,
        });
        let v = serde_json::to_value(&cmd).unwrap();
        assert_eq!(v["type"], "command");
        assert_eq!(v["cmd"], "MOTOR_SPIN");
        assert_eq!(serde_json::from_value::<ServerFrame>(v).unwrap(), cmd);
    }
}
