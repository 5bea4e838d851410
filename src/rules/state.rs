//! What a rule remembers between events (cooldowns, `every` counters, viewer thresholds) and
//! the verdict it gives on one event. One node keeps it in memory ([`LocalState`]); several
//! nodes keep it in Redis (`shared_state.rs`), where the same verdicts are reached atomically.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::protocol::{Event, EventKind};
use crate::rules::matcher::CompiledRule;
use crate::rules::model::CounterState;
use crate::rules::reason::Reason;

/// Viewers in a per-viewer cooldown at once, over every rule. Past it, a rule with a
/// per-viewer cooldown does not fire for a viewer not yet in cooldown (it fails closed: a
/// forgotten cooldown would let a viewer fire the hardware again too early).
pub const MAX_PER_USER_ENTRIES: usize = 200_000;
/// How often, at most, a full per-viewer map is swept of ended cooldowns.
const PER_USER_SWEEP_MS: i64 = 1_000;
/// Event ids remembered for de-duplication.
const SEEN_EVENTS: usize = 100_000;

/// Whether a rule whose conditions hold fires now, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Fire,
    ViewersBelow {
        viewers: i64,
        at_least: i64,
    },
    AlreadyFiredAt {
        at_least: i64,
    },
    CountingUp {
        so_far: i64,
        every: i64,
    },
    Cooldown {
        left_ms: i64,
    },
    ViewerCooldown {
        left_ms: i64,
    },
    TooManyViewersInCooldown,
    /// The shared state could not be read: nothing fires (fail closed).
    StateUnreachable,
}

impl Verdict {
    /// `Ok` to fire, or the reason shown in traces and the test endpoint.
    pub fn into_result(self, rule: &CompiledRule) -> Result<(), Reason> {
        match self {
            Verdict::Fire => Ok(()),
            Verdict::ViewersBelow { viewers, at_least } => Err(Reason::new("reason-viewers-below")
                .with("viewers", viewers)
                .with("min", at_least)),
            Verdict::AlreadyFiredAt { at_least } => {
                Err(Reason::new("reason-already-fired").with("min", at_least))
            }
            Verdict::CountingUp { so_far, every } => {
                let unit = serde_json::to_value(rule.when.unit.unwrap_or_default())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                Err(Reason::new("reason-every")
                    .with("so_far", so_far)
                    .with("every", every)
                    .with("unit", unit))
            }
            Verdict::Cooldown { left_ms } => {
                Err(Reason::new("reason-cooldown").with("ms", left_ms))
            }
            Verdict::ViewerCooldown { left_ms } => {
                Err(Reason::new("reason-viewer-cooldown").with("ms", left_ms))
            }
            Verdict::TooManyViewersInCooldown => {
                Err(Reason::new("reason-too-many-viewers").with("max", MAX_PER_USER_ENTRIES))
            }
            Verdict::StateUnreachable => Err(Reason::new("reason-state-unreachable")),
        }
    }
}

/// The viewers an event reports (0 for any other event).
pub fn viewers_of(event: &Event) -> i64 {
    match &event.kind {
        EventKind::ViewerCount { viewers, .. } => *viewers,
        _ => 0,
    }
}

/// The viewer a per-viewer cooldown is kept for ("" when the event names none).
pub fn viewer_of(event: &Event) -> String {
    event.kind.user().map(|u| u.id.clone()).unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
struct RuleState {
    last_fired: Option<i64>,
    counter: i64,
    armed: bool,
}

impl Default for RuleState {
    fn default() -> Self {
        Self {
            last_fired: None,
            counter: 0,
            armed: true,
        }
    }
}

/// One node's rule state, in memory.
#[derive(Default)]
pub struct LocalState {
    state: HashMap<String, RuleState>,
    /// (rule, viewer) → when that viewer's cooldown on that rule ends.
    per_user: HashMap<(String, String), i64>,
    next_per_user_sweep: i64,
    dirty: HashSet<String>,
    /// Recently handled event ids: a bus that delivers at least once (Redis, after a consumer
    /// crash) must not make a rule fire twice for one event.
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
}

impl LocalState {
    /// Counters read back from the table at start.
    pub fn load(&mut self, counters: Vec<(String, CounterState)>) {
        for (id, c) in counters {
            self.state.insert(
                id,
                RuleState {
                    last_fired: None,
                    counter: c.value,
                    armed: c.armed,
                },
            );
        }
    }

    pub fn forget(&mut self, rule_id: &str) {
        self.state.remove(rule_id);
    }

    /// True the first time an event id is seen.
    pub fn first_time(&mut self, id: &str) -> bool {
        if !self.seen.insert(id.to_owned()) {
            return false;
        }
        self.seen_order.push_back(id.to_owned());
        if self.seen_order.len() > SEEN_EVENTS
            && let Some(old) = self.seen_order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }

    /// Decides one rule whose conditions hold. With `commit`, cooldowns, counters and
    /// thresholds move; without (the test endpoint), nothing changes.
    pub fn judge(&mut self, rule: &CompiledRule, event: &Event, now: i64, commit: bool) -> Verdict {
        if commit && self.per_user.len() >= MAX_PER_USER_ENTRIES && now >= self.next_per_user_sweep
        {
            self.per_user.retain(|_, ends| *ends > now);
            self.next_per_user_sweep = now + PER_USER_SWEEP_MS;
        }
        let mut st = self.state.get(&rule.id).copied().unwrap_or_default();
        let verdict = self.decide(rule, event, now, &mut st);
        if commit {
            if verdict == Verdict::Fire {
                st.last_fired = Some(now);
                if let Some(every) = rule.when.every {
                    st.counter %= every.max(1);
                }
                if rule.when.viewers_at_least.is_some() {
                    st.armed = false;
                }
                if rule.per_user_cooldown_ms > 0 {
                    self.per_user.insert(
                        (rule.id.clone(), viewer_of(event)),
                        now.saturating_add(rule.per_user_cooldown_ms),
                    );
                }
            }
            if rule.when.every.is_some() || rule.when.viewers_at_least.is_some() {
                self.dirty.insert(rule.id.clone());
            }
            self.state.insert(rule.id.clone(), st);
        }
        verdict
    }

    fn decide(&self, rule: &CompiledRule, event: &Event, now: i64, st: &mut RuleState) -> Verdict {
        if let Some(at_least) = rule.when.viewers_at_least {
            let viewers = viewers_of(event);
            if viewers < at_least {
                st.armed = true;
                return Verdict::ViewersBelow { viewers, at_least };
            }
            if !st.armed {
                return Verdict::AlreadyFiredAt { at_least };
            }
        }
        if let Some(every) = rule.when.every {
            st.counter = st.counter.saturating_add(rule.units(&event.kind));
            if st.counter < every {
                return Verdict::CountingUp {
                    so_far: st.counter,
                    every,
                };
            }
        }
        if let Some(last) = st.last_fired {
            let left_ms = rule.cooldown_ms - (now - last);
            if left_ms > 0 {
                return Verdict::Cooldown { left_ms };
            }
        }
        if rule.per_user_cooldown_ms > 0 {
            match self.per_user.get(&(rule.id.clone(), viewer_of(event))) {
                Some(ends) if *ends > now => {
                    return Verdict::ViewerCooldown {
                        left_ms: ends - now,
                    };
                }
                Some(_) => {}
                None if self.per_user.len() >= MAX_PER_USER_ENTRIES => {
                    return Verdict::TooManyViewersInCooldown;
                }
                None => {}
            }
        }
        Verdict::Fire
    }

    /// The counters changed since the last save.
    pub fn take_dirty(&mut self) -> Vec<(String, CounterState)> {
        self.dirty
            .drain()
            .filter_map(|id| {
                self.state.get(&id).map(|s| {
                    (
                        id,
                        CounterState {
                            value: s.counter,
                            armed: s.armed,
                        },
                    )
                })
            })
            .collect()
    }

    /// Counters another store reported (the shared state), to be saved like local ones.
    pub fn note_counter(&mut self, rule_id: &str, counter: CounterState) {
        let st = self.state.entry(rule_id.to_owned()).or_default();
        st.counter = counter.value;
        st.armed = counter.armed;
        self.dirty.insert(rule_id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{comment, gift, like, rule, viewers};

    const T0: i64 = 1_800_000_000_000;

    fn every_ten_likes() -> CompiledRule {
        rule(
            "rule_1",
            r#"{"event":"like","every":10,"unit":"likes"}"#,
            0,
            0,
        )
    }

    #[test]
    fn a_rule_without_state_fires_every_time() {
        let r = rule("rule_1", r#"{"event":"comment"}"#, 0, 0);
        let mut s = LocalState::default();
        for i in 0..3 {
            let e = comment(&format!("e{i}"), "hi", "1");
            assert_eq!(s.judge(&r, &e, T0, true), Verdict::Fire);
        }
    }

    #[test]
    fn a_cooldown_counts_from_the_last_firing_on_the_given_clock() {
        let r = rule("rule_1", r#"{"event":"comment"}"#, 1_000, 0);
        let mut s = LocalState::default();
        let e = comment("e1", "hi", "1");
        assert_eq!(s.judge(&r, &e, T0, true), Verdict::Fire);
        assert_eq!(
            s.judge(&r, &e, T0 + 400, true),
            Verdict::Cooldown { left_ms: 600 }
        );
        // A refusal does not restart the cooldown.
        assert_eq!(
            s.judge(&r, &e, T0 + 999, true),
            Verdict::Cooldown { left_ms: 1 }
        );
        assert_eq!(s.judge(&r, &e, T0 + 1_000, true), Verdict::Fire);
        assert_eq!(
            s.judge(&r, &e, T0 + 1_001, true),
            Verdict::Cooldown { left_ms: 999 }
        );
    }

    #[test]
    fn a_per_viewer_cooldown_holds_back_only_that_viewer() {
        let r = rule("rule_1", r#"{"event":"comment"}"#, 0, 5_000);
        let mut s = LocalState::default();
        let (one, two) = (comment("e1", "hi", "1"), comment("e2", "hi", "2"));
        assert_eq!(s.judge(&r, &one, T0, true), Verdict::Fire);
        assert_eq!(s.judge(&r, &two, T0 + 1, true), Verdict::Fire);
        assert_eq!(
            s.judge(&r, &one, T0 + 2_000, true),
            Verdict::ViewerCooldown { left_ms: 3_000 }
        );
        assert_eq!(s.judge(&r, &one, T0 + 5_000, true), Verdict::Fire);
    }

    #[test]
    fn every_counts_units_and_keeps_the_remainder() {
        let r = every_ten_likes();
        let mut s = LocalState::default();
        assert_eq!(
            s.judge(&r, &like("e1", 4, "1"), T0, true),
            Verdict::CountingUp {
                so_far: 4,
                every: 10
            }
        );
        assert_eq!(s.judge(&r, &like("e2", 9, "1"), T0, true), Verdict::Fire);
        // 13 % 10: three carried over.
        assert_eq!(
            s.judge(&r, &like("e3", 1, "1"), T0, true),
            Verdict::CountingUp {
                so_far: 4,
                every: 10
            }
        );
        let saved = s.take_dirty();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].1.value, 4);
        assert!(s.take_dirty().is_empty(), "saved once");
    }

    #[test]
    fn every_in_diamonds_and_in_events() {
        let diamonds = rule(
            "rule_d",
            r#"{"event":"gift","every":100,"unit":"diamonds"}"#,
            0,
            0,
        );
        let events = rule(
            "rule_e",
            r#"{"event":"gift","every":3,"unit":"events"}"#,
            0,
            0,
        );
        let mut s = LocalState::default();
        let galaxy = gift("e1", "Galaxy", 50, 2, "1");
        assert_eq!(s.judge(&diamonds, &galaxy, T0, true), Verdict::Fire);
        assert_eq!(
            s.judge(&events, &galaxy, T0, true),
            Verdict::CountingUp {
                so_far: 1,
                every: 3
            }
        );
    }

    #[test]
    fn a_viewer_threshold_fires_once_until_viewers_fall_below_it() {
        let r = rule(
            "rule_1",
            r#"{"event":"viewer_count","viewers_at_least":100}"#,
            0,
            0,
        );
        let mut s = LocalState::default();
        assert_eq!(
            s.judge(&r, &viewers("e1", 99), T0, true),
            Verdict::ViewersBelow {
                viewers: 99,
                at_least: 100
            }
        );
        assert_eq!(s.judge(&r, &viewers("e2", 100), T0, true), Verdict::Fire);
        assert_eq!(
            s.judge(&r, &viewers("e3", 150), T0, true),
            Verdict::AlreadyFiredAt { at_least: 100 }
        );
        s.judge(&r, &viewers("e4", 80), T0, true);
        assert_eq!(s.judge(&r, &viewers("e5", 120), T0, true), Verdict::Fire);
    }

    #[test]
    fn judging_without_commit_changes_nothing() {
        let r = rule(
            "rule_1",
            r#"{"event":"like","every":2,"unit":"events"}"#,
            1_000,
            0,
        );
        let mut s = LocalState::default();
        let e = like("e1", 1, "1");
        for _ in 0..5 {
            assert_eq!(
                s.judge(&r, &e, T0, false),
                Verdict::CountingUp {
                    so_far: 1,
                    every: 2
                }
            );
        }
        assert!(s.take_dirty().is_empty());
    }

    #[test]
    fn counters_read_back_at_start_continue() {
        let r = every_ten_likes();
        let mut s = LocalState::default();
        s.load(vec![(
            "rule_1".into(),
            CounterState {
                value: 8,
                armed: true,
            },
        )]);
        assert_eq!(s.judge(&r, &like("e1", 2, "1"), T0, true), Verdict::Fire);
        s.forget("rule_1");
        assert_eq!(
            s.judge(&r, &like("e2", 2, "1"), T0, true),
            Verdict::CountingUp {
                so_far: 2,
                every: 10
            }
        );
    }

    #[test]
    fn an_event_id_is_handled_once() {
        let mut s = LocalState::default();
        assert!(s.first_time("e1"));
        assert!(!s.first_time("e1"));
        assert!(s.first_time("e2"));
    }

    #[test]
    fn reasons_read_as_the_trace_shows_them() {
        let r = every_ten_likes();
        assert_eq!(
            Verdict::CountingUp {
                so_far: 3,
                every: 10
            }
            .into_result(&r),
            Err(Reason::new("reason-every")
                .with("so_far", 3)
                .with("every", 10)
                .with("unit", "likes"))
        );
        assert_eq!(
            Verdict::Cooldown { left_ms: 5 }.into_result(&r),
            Err(Reason::new("reason-cooldown").with("ms", 5))
        );
        assert_eq!(Verdict::Fire.into_result(&r), Ok(()));
    }
}
