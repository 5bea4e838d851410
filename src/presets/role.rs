//! The part a preset's rule plays in its game (`options_json.game`): set when the game is
//! made, read by the engine, which hands such a rule's firing to the game instead of sending
//! its command straight away.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::presets::model::GoalUnit;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum GameRole {
    /// Every matching event fills the goal; its command runs once per threshold reached.
    Goal {
        preset_id: String,
        unit: GoalUnit,
        target: i64,
        /// After each time it is reached, the goal grows by this much; `None`: it restarts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grow_pct: Option<i64>,
    },
    /// A comment of this option's word is a vote; the window's winner runs its command.
    VoteOption {
        preset_id: String,
        /// The option's place in the game (ties go to the earlier one).
        index: usize,
        window_s: i64,
    },
    /// A qualifying gift buys its viewer a turn.
    QueueTicket { preset_id: String, turn_s: i64 },
    /// A control word runs its command only for the viewer whose turn it is.
    QueueControl {
        preset_id: String,
        /// The queue's turn, for moving it on when a control word comes after it ended.
        #[serde(default = "thirty")]
        turn_s: i64,
    },
    /// The choices share a trigger; one of them, drawn by weight, runs.
    WheelChoice { preset_id: String, weight: i64 },
}

impl GameRole {
    pub fn preset_id(&self) -> &str {
        match self {
            GameRole::Goal { preset_id, .. }
            | GameRole::VoteOption { preset_id, .. }
            | GameRole::QueueTicket { preset_id, .. }
            | GameRole::QueueControl { preset_id, .. }
            | GameRole::WheelChoice { preset_id, .. } => preset_id,
        }
    }
}

fn thirty() -> i64 {
    30
}
