//! A rule compiled for matching: lower-cased strings, a compiled regex, and the static part of
//! the check ("does this event meet every condition?"). Cooldowns and counters are the
//! engine's.

use crate::live::health::{Feed, FeedHealth};
use crate::rules::options::{Arm, Hours, PriceLevel, RuleOptions};
use regex::Regex;

use crate::error::AppResult;
use crate::protocol::{Event, EventKind};
use crate::rules::model::{REGEX_SIZE_LIMIT, RuleRow, Then, Unit, When};
use crate::rules::reason::Reason;

#[derive(Debug)]
pub struct CompiledRule {
    pub id: String,
    pub workspace_id: String,
    pub livestream_id: Option<String>,
    pub enabled: bool,
    pub priority: i32,
    pub event: String,
    pub when: When,
    pub then: Then,
    pub cooldown_ms: i64,
    pub per_user_cooldown_ms: i64,
    /// `arm`, `pause_on_feed_trouble`, `price_scaling`, and the rule's game.
    pub options: RuleOptions,
    /// `arm.hours`, parsed.
    hours: Option<Hours>,
    contains: Option<String>,
    equals: Option<String>,
    starts_with: Option<String>,
    any_of: Vec<String>,
    gift_name: Option<String>,
    user: Option<String>,
    regex: Option<Regex>,
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| s.trim().to_lowercase())
}

impl CompiledRule {
    pub fn compile(row: &RuleRow) -> AppResult<CompiledRule> {
        let view = row.view()?;
        let when = view.when;
        let regex = when
            .regex
            .as_deref()
            .map(|r| {
                regex::RegexBuilder::new(r)
                    .case_insensitive(true)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
            })
            .transpose()
            .map_err(crate::error::AppError::internal)?;
        Ok(CompiledRule {
            id: view.id,
            workspace_id: row.workspace_id.clone(),
            livestream_id: view.livestream_id,
            enabled: view.enabled,
            priority: view.priority,
            event: when.event.clone(),
            contains: lower(&when.contains),
            equals: lower(&when.equals),
            starts_with: lower(&when.starts_with),
            any_of: when
                .any_of
                .iter()
                .flatten()
                .map(|w| w.trim().to_lowercase())
                .collect(),
            gift_name: lower(&when.gift_name),
            user: lower(&when.user).map(|u| u.trim_start_matches('@').to_owned()),
            regex,
            when,
            then: view.then,
            cooldown_ms: view.cooldown_ms,
            per_user_cooldown_ms: view.per_user_cooldown_ms,
            hours: match &row.options_json.arm {
                Some(Arm {
                    hours: Some(hours),
                    tz,
                    ..
                }) => Some(Hours::parse(hours, tz.as_deref())?),
                _ => None,
            },
            options: row.options_json.get().clone(),
        })
    }

    /// What the stream and the hardware allow now (`arm`, `pause_on_feed_trouble`,
    /// `price_scaling`); checked after `when`, before cooldowns and counters.
    pub fn gates(
        &self,
        event: &Event,
        health: &FeedHealth,
        price: Option<&PriceLevel>,
        now: i64,
    ) -> Result<(), Reason> {
        let feed = health.feed(&event.stream_id);
        if self.options.pauses_on_feed_trouble() && feed == Feed::Reconnecting {
            return Err(Reason::new("reason-feed-trouble"));
        }
        if let Some(arm) = &self.options.arm {
            if arm.with_live && feed != Feed::Live {
                return Err(Reason::new("reason-not-armed").with("feed", feed.as_str()));
            }
            if let Some(hours) = &self.hours
                && !hours.contains(now)
            {
                return Err(Reason::new("reason-outside-hours")
                    .with("hours", arm.hours.as_deref().unwrap_or_default())
                    .with("tz", arm.tz.as_deref().unwrap_or("UTC")));
            }
        }
        if let (Some(scaling), EventKind::Gift { total_diamonds, .. }) =
            (&self.options.price_scaling, &event.kind)
        {
            let base = self.when.min_diamonds.unwrap_or(1);
            let price = price.map_or(base.max(1), |p| p.price(scaling, base, now));
            if *total_diamonds < price {
                return Err(Reason::new("reason-price")
                    .with("price", price)
                    .with("diamonds", total_diamonds));
            }
        }
        Ok(())
    }

    /// The units this event adds to an `every` counter.
    /// What one event adds to an `every` counter; never negative, so a made-up event with
    /// `count: -1000000` cannot wind a counter back (or wrap it).
    pub fn units(&self, kind: &EventKind) -> i64 {
        let units = match (self.when.unit.unwrap_or_default(), kind) {
            (Unit::Likes, EventKind::Like { count, .. }) => *count,
            (Unit::Diamonds, EventKind::Gift { total_diamonds, .. }) => *total_diamonds,
            (Unit::Events, _) => 1,
            _ => 0,
        };
        units.max(0)
    }

    /// Every condition of `when` except counters and viewer thresholds. `Err` says which failed.
    pub fn conditions(&self, event: &Event) -> Result<(), Reason> {
        if !self.enabled {
            return Err(Reason::new("reason-disabled"));
        }
        if event.kind.name() != self.event {
            return Err(Reason::new("reason-other-event")
                .with("event", event.kind.name())
                .with("wants", &self.event));
        }
        if let Some(ls) = &self.livestream_id
            && ls != &event.stream_id
        {
            return Err(Reason::new("reason-other-livestream"));
        }
        if let Some(user) = &self.user {
            let who = event
                .kind
                .user()
                .map(|u| u.unique_id.to_lowercase())
                .unwrap_or_default();
            if &who != user {
                return Err(Reason::new("reason-user")
                    .with("user", who)
                    .with("wants", user));
            }
        }
        match &event.kind {
            EventKind::Comment { text, .. } => self.comment(text),
            EventKind::Gift {
                gift_id,
                gift_name,
                total_diamonds,
                repeat_count,
                ..
            } => {
                if let Some(want) = &self.gift_name
                    && &gift_name.to_lowercase() != want
                {
                    return Err(Reason::new("reason-gift-name")
                        .with("gift", gift_name)
                        .with("wants", want));
                }
                if let Some(want) = self.when.gift_id
                    && *gift_id != want
                {
                    return Err(Reason::new("reason-gift-id")
                        .with("gift", gift_id)
                        .with("wants", want));
                }
                if let Some(min) = self.when.min_diamonds
                    && *total_diamonds < min
                {
                    return Err(Reason::new("reason-min-diamonds")
                        .with("diamonds", total_diamonds)
                        .with("min", min));
                }
                if let Some(min) = self.when.min_count
                    && *repeat_count < min
                {
                    return Err(Reason::new("reason-min-repeat")
                        .with("count", repeat_count)
                        .with("min", min));
                }
                Ok(())
            }
            EventKind::Like { count, .. } => match self.when.min_count {
                Some(min) if *count < min => Err(Reason::new("reason-min-likes")
                    .with("count", count)
                    .with("min", min)),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn comment(&self, text: &str) -> Result<(), Reason> {
        let text = text.trim().to_lowercase();
        if let Some(want) = &self.equals
            && &text != want
        {
            return Err(Reason::new("reason-equals").with("wants", want));
        }
        if let Some(want) = &self.contains
            && !text.contains(want.as_str())
        {
            return Err(Reason::new("reason-contains").with("wants", want));
        }
        if let Some(want) = &self.starts_with
            && !text.starts_with(want.as_str())
        {
            return Err(Reason::new("reason-starts-with").with("wants", want));
        }
        if !self.any_of.is_empty() {
            let hit = text
                .split(|c: char| !c.is_alphanumeric())
                .any(|word| !word.is_empty() && self.any_of.iter().any(|w| w == word));
            if !hit {
                return Err(Reason::new("reason-any-of"));
            }
        }
        if let Some(re) = &self.regex
            && !re.is_match(&text)
        {
            return Err(Reason::new("reason-regex"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_up_negative_count_adds_nothing_to_a_counter() {
        let rule = crate::rules::fixtures::rule(
            "rule_1",
            r#"{"event":"like","every":10,"unit":"likes"}"#,
            0,
            0,
        );
        let like = |count| EventKind::Like {
            count,
            total: 0,
            user: Default::default(),
        };
        assert_eq!(rule.units(&like(-1_000_000)), 0);
        assert_eq!(rule.units(&like(7)), 7);
    }

    mod conditions {
        use crate::rules::fixtures::{comment, event, gift, like, rule, viewers};

        fn holds(when: &str, event: &crate::protocol::Event) -> Result<(), super::Reason> {
            rule("rule_1", when, 0, 0).conditions(event)
        }

        #[test]
        fn the_event_type_and_the_livestream_must_match() {
            let hi = comment("e1", "hi", "1");
            assert!(holds(r#"{"event":"comment"}"#, &hi).is_ok());
            assert_eq!(
                holds(r#"{"event":"gift"}"#, &hi).unwrap_err(),
                "event is comment, the rule wants gift"
            );
            let mut other = rule("rule_1", r#"{"event":"comment"}"#, 0, 0);
            other.livestream_id = Some("ls_2".into());
            assert!(
                other
                    .conditions(&hi)
                    .unwrap_err()
                    .contains("another livestream")
            );
        }

        #[test]
        fn a_disabled_rule_never_holds() {
            let mut off = rule("rule_1", r#"{"event":"comment"}"#, 0, 0);
            off.enabled = false;
            assert_eq!(
                off.conditions(&comment("e1", "hi", "1")).unwrap_err(),
                "the rule is disabled"
            );
        }

        #[test]
        fn comment_keys_ignore_case_and_surrounding_space() {
            let c = |text: &str| comment("e1", text, "1");
            let equals = r#"{"event":"comment","equals":"Spin"}"#;
            assert!(holds(equals, &c("  SPIN ")).is_ok());
            assert!(holds(equals, &c("spin it")).is_err());
            let contains = r#"{"event":"comment","contains":"go"}"#;
            assert!(holds(contains, &c("Let's GO now")).is_ok());
            assert!(holds(contains, &c("stop")).is_err());
            let starts = r#"{"event":"comment","starts_with":"!led"}"#;
            assert!(holds(starts, &c("!LED on")).is_ok());
            assert!(holds(starts, &c("please !led")).is_err());
            let regex = r#"{"event":"comment","regex":"^spin( \\d+)?$"}"#;
            assert!(holds(regex, &c("SPIN 3")).is_ok());
            assert!(holds(regex, &c("spinning")).is_err());
        }

        #[test]
        fn any_of_matches_whole_words_only() {
            let when = r#"{"event":"comment","any_of":["left","Right"]}"#;
            assert!(holds(when, &comment("e1", "go RIGHT!", "1")).is_ok());
            assert!(holds(when, &comment("e2", "leftover", "1")).is_err());
        }

        #[test]
        fn gift_keys_check_name_id_diamonds_and_count() {
            let rose = gift("e1", "Rose", 1, 5, "1");
            assert!(holds(r#"{"event":"gift","gift_name":"rose"}"#, &rose).is_ok());
            assert!(holds(r#"{"event":"gift","gift_name":"Galaxy"}"#, &rose).is_err());
            assert!(holds(r#"{"event":"gift","gift_id":5655}"#, &rose).is_ok());
            assert!(holds(r#"{"event":"gift","gift_id":1}"#, &rose).is_err());
            assert!(holds(r#"{"event":"gift","min_diamonds":5}"#, &rose).is_ok());
            assert_eq!(
                holds(r#"{"event":"gift","min_diamonds":6}"#, &rose).unwrap_err(),
                "min_diamonds: 5 < 6"
            );
            assert!(holds(r#"{"event":"gift","min_count":5}"#, &rose).is_ok());
            assert!(holds(r#"{"event":"gift","min_count":6}"#, &rose).is_err());
        }

        #[test]
        fn a_like_burst_must_reach_min_count() {
            assert!(holds(r#"{"event":"like","min_count":10}"#, &like("e1", 10, "1")).is_ok());
            assert_eq!(
                holds(r#"{"event":"like","min_count":10}"#, &like("e1", 9, "1")).unwrap_err(),
                "min_count: count 9 < 10"
            );
        }

        #[test]
        fn user_names_the_viewer_with_or_without_the_at() {
            let when = r#"{"event":"comment","user":"@User7"}"#;
            assert!(holds(when, &comment("e1", "hi", "7")).is_ok());
            assert!(holds(when, &comment("e1", "hi", "8")).is_err());
            // An event without a viewer never matches a rule that names one.
            assert!(
                holds(
                    r#"{"event":"viewer_count","user":"user7"}"#,
                    &viewers("e1", 3)
                )
                .is_err()
            );
        }

        #[test]
        fn counters_and_thresholds_are_not_conditions() {
            // `every` and `viewers_at_least` are the engine's state (state.rs), not checked here.
            let every = r#"{"event":"like","every":100,"unit":"likes"}"#;
            assert!(holds(every, &like("e1", 1, "1")).is_ok());
            let at_least = r#"{"event":"viewer_count","viewers_at_least":100}"#;
            assert!(holds(at_least, &viewers("e1", 1)).is_ok());
            let follow = event(
                "e1",
                crate::protocol::EventKind::Follow {
                    user: Default::default(),
                },
            );
            assert!(holds(r#"{"event":"follow"}"#, &follow).is_ok());
        }
    }
}
