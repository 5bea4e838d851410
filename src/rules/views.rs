//! How the dashboard shows a rule: what triggers it and what it does, in words.

use std::collections::HashMap;

use crate::rules::model::{RuleView, Unit, When};

pub struct RuleLine {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub priority: i32,
    pub trigger: String,
    pub action: String,
    /// The rule as the API reads and writes it, for the raw view.
    pub json: String,
}

impl RuleLine {
    /// `device_names`: device id → name, for the action's wording.
    pub fn new(rule: &RuleView, device_names: &HashMap<String, String>) -> Self {
        let device = device_names
            .get(&rule.then.device_id)
            .cloned()
            .unwrap_or_else(|| rule.then.device_id.clone());
        let mut action = format!(
            "{device} · {} {} ms",
            rule.then.command, rule.then.duration_ms
        );
        if rule.cooldown_ms > 0 {
            action.push_str(&format!(" · cooldown {} ms", rule.cooldown_ms));
        }
        if rule.per_user_cooldown_ms > 0 {
            action.push_str(&format!(" · per viewer {} ms", rule.per_user_cooldown_ms));
        }
        Self {
            id: rule.id.clone(),
            name: rule.name.clone(),
            enabled: rule.enabled,
            priority: rule.priority,
            trigger: trigger(&rule.when),
            action,
            json: serde_json::to_string_pretty(rule).unwrap_or_default(),
        }
    }
}

/// "comment contains “spin”", "gift “Rose” · at least 5", "every 100 likes"…
pub fn trigger(when: &When) -> String {
    let mut parts = vec![when.event.replace('_', " ")];
    let quoted = |s: &str| format!("“{s}”");
    if let Some(v) = &when.contains {
        parts.push(format!("contains {}", quoted(v)));
    }
    if let Some(v) = &when.equals {
        parts.push(format!("is {}", quoted(v)));
    }
    if let Some(v) = &when.starts_with {
        parts.push(format!("starts with {}", quoted(v)));
    }
    if let Some(v) = &when.any_of {
        parts.push(format!("has any of {}", quoted(&v.join(", "))));
    }
    if let Some(v) = &when.regex {
        parts.push(format!("matches /{v}/"));
    }
    if let Some(v) = &when.gift_name {
        parts.push(quoted(v));
    }
    if let Some(v) = when.gift_id {
        parts.push(format!("gift id {v}"));
    }
    if let Some(v) = when.min_diamonds {
        parts.push(format!("≥ {v} diamonds"));
    }
    if let Some(v) = when.min_count {
        parts.push(format!("at least {v}"));
    }
    if let Some(v) = when.every {
        let unit = match when.unit.unwrap_or_default() {
            Unit::Events => "events",
            Unit::Likes => "likes",
            Unit::Diamonds => "diamonds",
        };
        parts.push(format!("every {v} {unit}"));
    }
    if let Some(v) = when.viewers_at_least {
        parts.push(format!("viewers reach {v}"));
    }
    if let Some(v) = &when.user {
        parts.push(format!("from @{v}"));
    }
    parts.join(" · ")
}
