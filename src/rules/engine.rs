//! The rule-engine actor: reads every event from the bus, keeps each workspace's rules compiled
//! and indexed by event type, applies cooldowns, counters and viewer thresholds, and hands the
//! commands of firing rules to the router. It is the only code that creates commands.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use serde::Serialize;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::ToSchema;

use crate::bus::EventBus;
use crate::commands::router::{CommandRouter, Request};
use crate::db::Db;
use crate::error::AppResult;
use crate::ids::now_ms;
use crate::protocol::{Event, EventKind};
use crate::rules::matcher::CompiledRule;
use crate::rules::model::{self, CounterState, RuleRow};
use crate::rules::trace::{Trace, TraceLine, Traces};
use crate::telemetry::metrics::Metrics;

/// Events the engine may fall behind by before the bus drops them (counted in /metrics).
const BUS_QUEUE: usize = 65_536;
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Viewers in a per-viewer cooldown at once, over every rule. Past it, a rule with a
/// per-viewer cooldown does not fire for a viewer not yet in cooldown (it fails closed: a
/// forgotten cooldown would let a viewer fire the hardware again too early).
const MAX_PER_USER_ENTRIES: usize = 200_000;
/// How often, at most, a full per-viewer map is swept of ended cooldowns.
const PER_USER_SWEEP_MS: i64 = 1_000;
/// Event ids remembered for de-duplication.
const SEEN_EVENTS: usize = 100_000;

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

type Index = HashMap<String, Vec<Arc<CompiledRule>>>;

pub struct RuleEngine {
    db: Db,
    router: CommandRouter,
    metrics: Arc<Metrics>,
    bus: Arc<dyn EventBus>,
    traces: Arc<Traces>,
    /// workspace → event type → rules, highest priority first.
    rules: HashMap<String, Index>,
    state: HashMap<String, RuleState>,
    /// (rule, viewer) → when that viewer's cooldown on that rule ends.
    per_user: HashMap<(String, String), i64>,
    next_per_user_sweep: i64,
    dirty: HashSet<String>,
    /// Recently handled event ids: a bus that delivers at least once (Redis, after a consumer
    /// crash) must not make a rule fire twice for one event.
    seen: HashSet<String>,
    seen_order: std::collections::VecDeque<String>,
}

/// Why a rule did or did not fire on one event (the "why didn't it fire" view).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TestResult {
    /// The rule's id, or `draft` for the unsaved rule sent with the test.
    pub rule_id: String,
    pub matched: bool,
    pub reason: String,
}

impl RuleEngine {
    pub fn new(
        db: Db,
        router: CommandRouter,
        metrics: Arc<Metrics>,
        bus: Arc<dyn EventBus>,
        traces: Arc<Traces>,
    ) -> Self {
        Self {
            traces,
            db,
            router,
            metrics,
            bus,
            rules: HashMap::new(),
            state: HashMap::new(),
            per_user: HashMap::new(),
            next_per_user_sweep: 0,
            dirty: HashSet::new(),
            seen: HashSet::new(),
            seen_order: std::collections::VecDeque::new(),
        }
    }

    fn install(&mut self, workspace_id: &str, rows: Vec<RuleRow>) {
        let mut index: Index = HashMap::new();
        let mut ids = HashSet::new();
        for row in rows {
            match CompiledRule::compile(&row) {
                Ok(rule) => {
                    ids.insert(rule.id.clone());
                    index
                        .entry(rule.event.clone())
                        .or_default()
                        .push(Arc::new(rule));
                }
                Err(err) => {
                    tracing::error!(rule_id = %row.id, error = ?err, "a stored rule does not compile; skipped")
                }
            }
        }
        if let Some(old) = self.rules.get(workspace_id) {
            for rule in old.values().flatten().filter(|r| !ids.contains(&r.id)) {
                self.state.remove(&rule.id);
            }
        }
        if index.is_empty() {
            self.rules.remove(workspace_id);
        } else {
            self.rules.insert(workspace_id.to_owned(), index);
        }
    }

    /// Decides one rule on one event. With `commit`, cooldowns, counters and thresholds move;
    /// without (the test endpoint), nothing changes.
    fn evaluate(
        &mut self,
        rule: &CompiledRule,
        event: &Event,
        now: i64,
        commit: bool,
    ) -> Result<(), String> {
        rule.conditions(event)?;
        if commit && self.per_user.len() >= MAX_PER_USER_ENTRIES && now >= self.next_per_user_sweep
        {
            self.per_user.retain(|_, ends| *ends > now);
            self.next_per_user_sweep = now + PER_USER_SWEEP_MS;
        }
        let mut st = self.state.get(&rule.id).copied().unwrap_or_default();
        let result = self.decide(rule, event, now, &mut st);
        if commit {
            if result.is_ok() {
                st.last_fired = Some(now);
                if let Some(every) = rule.when.every {
                    st.counter %= every.max(1);
                }
                if rule.when.viewers_at_least.is_some() {
                    st.armed = false;
                }
                if rule.per_user_cooldown_ms > 0 {
                    let who = event.kind.user().map(|u| u.id.clone()).unwrap_or_default();
                    self.per_user.insert(
                        (rule.id.clone(), who),
                        now.saturating_add(rule.per_user_cooldown_ms),
                    );
                }
            }
            if rule.when.every.is_some() || rule.when.viewers_at_least.is_some() {
                self.dirty.insert(rule.id.clone());
            }
            self.state.insert(rule.id.clone(), st);
        }
        result
    }

    fn decide(
        &self,
        rule: &CompiledRule,
        event: &Event,
        now: i64,
        st: &mut RuleState,
    ) -> Result<(), String> {
        if let Some(n) = rule.when.viewers_at_least {
            let viewers = match &event.kind {
                EventKind::ViewerCount { viewers, .. } => *viewers,
                _ => 0,
            };
            if viewers < n {
                st.armed = true;
                return Err(format!("viewers_at_least: {viewers} viewers, below {n}"));
            }
            if !st.armed {
                return Err(format!(
                    "viewers_at_least: already fired at {n}; fires again after viewers fall below {n}"
                ));
            }
        }
        if let Some(every) = rule.when.every {
            st.counter = st.counter.saturating_add(rule.units(&event.kind));
            if st.counter < every {
                let unit = serde_json::to_value(rule.when.unit.unwrap_or_default())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                return Err(format!("every: {} of {every} {unit} so far", st.counter));
            }
        }
        if let Some(last) = st.last_fired {
            let left = rule.cooldown_ms - (now - last);
            if left > 0 {
                return Err(format!("cooldown: {left} ms left"));
            }
        }
        if rule.per_user_cooldown_ms > 0 {
            let who = event.kind.user().map(|u| u.id.clone()).unwrap_or_default();
            match self.per_user.get(&(rule.id.clone(), who)) {
                Some(ends) if *ends > now => {
                    return Err(format!(
                        "per_user_cooldown: this viewer fired it, {} ms left",
                        ends - now
                    ));
                }
                Some(_) => {}
                None if self.per_user.len() >= MAX_PER_USER_ENTRIES => {
                    return Err(format!(
                        "per_user_cooldown: over {MAX_PER_USER_ENTRIES} viewers in cooldown at once; not fired"
                    ));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// True the first time an event id is seen.
    fn first_time(&mut self, id: &str) -> bool {
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

    fn on_event(&mut self, event: &Event) {
        if !self.first_time(&event.id) {
            tracing::debug!(event_id = %event.id, "event delivered twice; handled once");
            return;
        }
        self.metrics.rule_events.inc();
        let mut trace = self
            .traces
            .wanted(&event.workspace_id)
            .then(Vec::<TraceLine>::new);
        let rules = self
            .rules
            .get(&event.workspace_id)
            .and_then(|i| i.get(event.kind.name()))
            .cloned()
            .unwrap_or_default();
        let now = now_ms();
        for rule in rules {
            let result = self.evaluate(&rule, event, now, true);
            let command_id = result.is_ok().then(|| {
                self.metrics.rule_matches.inc();
                self.router.dispatch(Request {
                    workspace_id: event.workspace_id.clone(),
                    device_id: rule.then.device_id.clone(),
                    cmd: rule.then.command.clone(),
                    duration_ms: rule.then.duration_ms,
                    params: rule.then.params.clone(),
                    rule_id: Some(rule.id.clone()),
                    event_id: Some(event.id.clone()),
                    event_at: Some(event.ts),
                })
            });
            if let Some(lines) = trace.as_mut() {
                lines.push(self.trace_line(&rule, result, command_id));
            }
        }
        if let Some(mut lines) = trace {
            self.trace_other_rules(event, &mut lines);
            self.traces.publish(Trace {
                workspace_id: event.workspace_id.clone(),
                event_id: event.id.clone(),
                results: lines,
            });
        }
    }

    fn trace_line(
        &self,
        rule: &CompiledRule,
        result: Result<(), String>,
        command_id: Option<String>,
    ) -> TraceLine {
        let reason = match result {
            Err(reason) => reason,
            Ok(()) if self.router.kill_engaged(&rule.workspace_id) => {
                "all conditions hold, but the kill switch is engaged: the command was blocked"
                    .to_owned()
            }
            Ok(()) => format!(
                "fired: {} for {} ms",
                rule.then.command, rule.then.duration_ms
            ),
        };
        TraceLine {
            rule_id: rule.id.clone(),
            matched: command_id.is_some(),
            reason,
            command_id,
        }
    }

    /// The rules that listen for other event types, so that the trace lists every rule.
    fn trace_other_rules(&self, event: &Event, lines: &mut Vec<TraceLine>) {
        let Some(index) = self.rules.get(&event.workspace_id) else {
            return;
        };
        let mut ordered: Vec<(i32, &str, TraceLine)> = Vec::new();
        for (kind, rules) in index {
            for rule in rules {
                let line = if kind == event.kind.name() {
                    match lines.iter().find(|l| l.rule_id == rule.id) {
                        Some(line) => line.clone(),
                        None => continue,
                    }
                } else {
                    TraceLine {
                        rule_id: rule.id.clone(),
                        matched: false,
                        reason: format!(
                            "event is {}, the rule wants {}",
                            event.kind.name(),
                            rule.event
                        ),
                        command_id: None,
                    }
                };
                ordered.push((rule.priority, &rule.id, line));
            }
        }
        ordered.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        *lines = ordered.into_iter().map(|(_, _, line)| line).collect();
    }

    /// The counters changed since the last save.
    fn take_dirty(&mut self) -> Vec<(String, CounterState)> {
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

    fn flush(&mut self, ctx: &mut Context<Self>) {
        let counters = self.take_dirty();
        if counters.is_empty() {
            return;
        }
        let db = self.db.clone();
        ctx.spawn(
            async move {
                if let Err(err) = db
                    .transaction(move |conn| model::save_counters(conn, &counters))
                    .await
                {
                    tracing::warn!(error = ?err, "could not save rule counters");
                }
            }
            .into_actor(self),
        );
    }
}

impl Actor for RuleEngine {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.add_stream(ReceiverStream::new(self.bus.subscribe("rules", BUS_QUEUE)));
        let db = self.db.clone();
        // Hold events until the rules and counters are loaded.
        ctx.wait(
            async move {
                db.run(|conn| Ok((RuleRow::all(conn)?, model::load_counters(conn)?)))
                    .await
            }
            .into_actor(self)
            .map(|loaded: AppResult<_>, act, _| match loaded {
                Ok((rows, counters)) => {
                    let mut by_ws: HashMap<String, Vec<RuleRow>> = HashMap::new();
                    for row in rows {
                        by_ws.entry(row.workspace_id.clone()).or_default().push(row);
                    }
                    for (ws, rows) in by_ws {
                        act.install(&ws, rows);
                    }
                    for (id, c) in counters {
                        act.state.insert(
                            id,
                            RuleState {
                                last_fired: None,
                                counter: c.value,
                                armed: c.armed,
                            },
                        );
                    }
                }
                Err(err) => {
                    tracing::error!(error = ?err, "could not load rules; the engine starts empty")
                }
            }),
        );
        ctx.run_interval(FLUSH_EVERY, |act, ctx| act.flush(ctx));
    }

    /// The last counters are saved here and now: a future spawned while stopping would be
    /// cancelled with the actor.
    fn stopping(&mut self, _ctx: &mut Self::Context) -> Running {
        let counters = self.take_dirty();
        if !counters.is_empty() {
            let saved = self.db.get_blocking().and_then(|mut conn| {
                crate::db::write_transaction(&mut conn, |c| model::save_counters(c, &counters))
            });
            if let Err(err) = saved {
                tracing::warn!(error = ?err, "could not save rule counters on the way out");
            }
        }
        Running::Stop
    }
}

impl StreamHandler<Arc<Event>> for RuleEngine {
    fn handle(&mut self, event: Arc<Event>, _ctx: &mut Self::Context) {
        self.on_event(&event);
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!("the event bus closed; the rule engine receives nothing more");
    }
}

/// Reloads one workspace's rules from the database (after any change to them).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload(pub String);

impl Handler<Reload> for RuleEngine {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: Reload, _ctx: &mut Self::Context) -> Self::Result {
        let db = self.db.clone();
        let ws = msg.0;
        let lookup = ws.clone();
        Box::pin(
            async move { db.run(move |conn| RuleRow::list(conn, &lookup)).await }
                .into_actor(self)
                .map(move |rows, act, _| match rows {
                    Ok(rows) => act.install(&ws, rows),
                    Err(err) => {
                        tracing::error!(workspace_id = %ws, error = ?err, "could not reload rules")
                    }
                }),
        )
    }
}

/// Evaluates every rule of the workspace on an event, changing nothing; an unsaved `draft`
/// is evaluated first, as if it had just been saved (no cooldown or counter yet).
#[derive(Message)]
#[rtype(result = "Vec<TestResult>")]
pub struct TestEvent {
    pub event: Event,
    pub draft: Option<CompiledRule>,
}

impl Handler<TestEvent> for RuleEngine {
    type Result = MessageResult<TestEvent>;

    fn handle(&mut self, msg: TestEvent, _ctx: &mut Self::Context) -> Self::Result {
        let TestEvent { event, draft } = msg;
        let mut rules: Vec<Arc<CompiledRule>> = self
            .rules
            .get(&event.workspace_id)
            .map(|i| i.values().flatten().cloned().collect())
            .unwrap_or_default();
        rules.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        if let Some(draft) = draft {
            rules.insert(0, Arc::new(draft));
        }
        let now = now_ms();
        let kill = self.router.kill_engaged(&event.workspace_id);
        MessageResult(
            rules
                .iter()
                .map(|rule| match self.evaluate(rule, &event, now, false) {
                    Ok(()) => TestResult {
                        rule_id: rule.id.clone(),
                        matched: true,
                        reason: if kill {
                            "all conditions hold; it would fire, but the kill switch is engaged: the command would be blocked".into()
                        } else {
                            "all conditions hold; it would fire".into()
                        },
                    },
                    Err(reason) => TestResult {
                        rule_id: rule.id.clone(),
                        matched: false,
                        reason,
                    },
                })
                .collect(),
        )
    }
}
