//! Rules and events for the rules' unit tests: a rule from its `when` JSON, events by kind.

use crate::db::types::Json;
use crate::protocol::{Event, EventKind, EventUser};
use crate::rules::matcher::CompiledRule;
use crate::rules::model::{RuleRow, Then};

/// A compiled rule of workspace `ws_1` with this `when`, cooldowns and id.
pub fn rule(id: &str, when: &str, cooldown_ms: i64, per_user_cooldown_ms: i64) -> CompiledRule {
    let row = RuleRow {
        id: id.into(),
        workspace_id: "ws_1".into(),
        livestream_id: None,
        name: id.into(),
        enabled: true,
        priority: 0,
        when_json: Json::new(serde_json::from_str(when).expect("the fixture's when"))
            .expect("serialises"),
        then_json: Json::new(Then {
            device_id: "dev_1".into(),
            command: "LED_ON".into(),
            duration_ms: 100,
            params: serde_json::json!({}),
            scale: None,
        })
        .expect("serialises"),
        cooldown_ms,
        per_user_cooldown_ms,
        created_at: 0,
        updated_at: 0,
        options_json: Json::new(Default::default()).expect("serialises"),
    };
    CompiledRule::compile(&row).expect("the fixture rule compiles")
}

pub fn viewer(id: &str) -> EventUser {
    EventUser {
        id: id.into(),
        unique_id: format!("user{id}"),
        nickname: format!("User {id}"),
    }
}

/// An event of livestream `ls_1` in workspace `ws_1`.
pub fn event(id: &str, kind: EventKind) -> Event {
    Event {
        id: id.into(),
        workspace_id: "ws_1".into(),
        stream_id: "ls_1".into(),
        kind,
        ts: 0,
        simulated: false,
    }
}

pub fn comment(id: &str, text: &str, by: &str) -> Event {
    event(
        id,
        EventKind::Comment {
            text: text.into(),
            user: viewer(by),
        },
    )
}

pub fn gift(id: &str, name: &str, diamonds: i64, repeat: i64, by: &str) -> Event {
    event(
        id,
        EventKind::Gift {
            gift_id: 5655,
            gift_name: name.into(),
            diamond_count: diamonds,
            repeat_count: repeat,
            total_diamonds: diamonds * repeat,
            user: viewer(by),
        },
    )
}

pub fn like(id: &str, count: i64, by: &str) -> Event {
    event(
        id,
        EventKind::Like {
            count,
            total: count,
            user: viewer(by),
        },
    )
}

pub fn viewers(id: &str, viewers: i64) -> Event {
    event(
        id,
        EventKind::ViewerCount {
            viewers,
            total_viewers: viewers,
        },
    )
}
