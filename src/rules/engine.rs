//! The rule-engine actor: reads every event from the bus, keeps each workspace's rules compiled
//! and indexed by event type, applies cooldowns, counters and viewer thresholds, and hands the
//! commands of firing rules to the router. It is the only code that creates commands.

use std::collections::{HashMap, HashSet};

use futures_util::StreamExt as _;
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
use crate::live::health::{Feed, FeedHealth};
use crate::presets::games::{Decision, Games};
use crate::presets::role::GameRole;
use crate::presets::shared_games::SharedDecision;
use crate::protocol::Event;
use crate::rules::matcher::CompiledRule;
use crate::rules::model::{self, RuleRow};
use crate::rules::options::PriceLevel;
use crate::rules::reason::Reason;
use crate::rules::shared_state::SharedRuleState;
use crate::rules::state::{LocalState, Verdict};
use crate::rules::trace::{Trace, TraceLine, Traces, stored};
use crate::telemetry::metrics::Metrics;

/// Events the engine may fall behind by before the bus drops them (counted in /metrics).
const BUS_QUEUE: usize = 65_536;
/// Events decided together (one round trip to the shared state).
const CHUNK: usize = 512;
const FLUSH_EVERY: Duration = Duration::from_secs(1);

type Index = HashMap<String, Vec<Arc<CompiledRule>>>;

pub struct RuleEngine {
    db: Db,
    router: CommandRouter,
    metrics: Arc<Metrics>,
    bus: Arc<dyn EventBus>,
    traces: Arc<Traces>,
    /// workspace → event type → rules, highest priority first.
    rules: HashMap<String, Index>,
    local: LocalState,
    /// With several nodes, the state every node shares (Redis); `local` then only keeps the
    /// counters to save.
    shared: Option<SharedRuleState>,
    /// Traces of events that issued a command, written with the counters (once a second).
    to_keep: Vec<Trace>,
    stage: Stage,
    /// Rules with `price_scaling`: how far their price has risen (this node's firings).
    prices: HashMap<String, PriceLevel>,
    /// Game rules that fired in this chunk, for the shared games to decide (several nodes).
    game_firings: Vec<GameFiring>,
    /// The newest `livestreams.updated_at` read for the feeds' health.
    feeds_since: i64,
}

enum Deferred {
    Game(GameRole),
    /// The rule's price now, from the gift's worth: its base price and how it rises.
    Price {
        rule_id: String,
        base: i64,
        scaling: crate::rules::options::PriceScaling,
    },
}

/// A firing decided in Redis, with every node's firings: a game rule's, or a rule with a
/// rising price.
struct GameFiring {
    part: Deferred,
    word: String,
    event: Arc<Event>,
    request: Request,
}

/// What the rules know besides events: the games' state and the feeds' health (shared with
/// the API and the overlay).
#[derive(Clone, Default)]
pub struct Stage {
    pub games: Arc<Games>,
    pub health: Arc<FeedHealth>,
}

/// How often votes close and queues move on.
const GAME_TICK: Duration = Duration::from_millis(200);
/// How often the feeds' states are read from the table (kept there by their nodes).
const FEEDS_EVERY: Duration = Duration::from_secs(1);
/// How far back each read looks past the newest row it saw: rows written by a node whose
/// clock is a little behind are not missed.
const FEEDS_OVERLAP_MS: i64 = 10_000;

/// One event and, per rule listening for its type, whether its conditions hold.
struct Plan {
    event: Arc<Event>,
    rules: Vec<(Arc<CompiledRule>, Result<(), Reason>)>,
}

impl Plan {
    fn candidates(&self) -> Vec<&CompiledRule> {
        self.rules
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(rule, _)| &**rule)
            .collect()
    }
}

/// Why a rule did or did not fire on one event (the "why didn't it fire" view).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TestResult {
    /// The rule's id, or `draft` for the unsaved rule sent with the test.
    pub rule_id: String,
    pub matched: bool,
    pub reason: String,
    /// The reason as a message of the dashboard's catalogues (for the pages).
    #[serde(skip)]
    pub why: Reason,
}

impl RuleEngine {
    pub fn new(
        db: Db,
        router: CommandRouter,
        metrics: Arc<Metrics>,
        bus: Arc<dyn EventBus>,
        traces: Arc<Traces>,
        shared: Option<SharedRuleState>,
        stage: Stage,
    ) -> Self {
        Self {
            stage,
            prices: HashMap::new(),
            game_firings: Vec::new(),
            feeds_since: 0,
            traces,
            db,
            router,
            metrics,
            bus,
            rules: HashMap::new(),
            local: LocalState::default(),
            shared,
            to_keep: Vec::new(),
        }
    }

    fn install(&mut self, workspace_id: &str, rows: Vec<RuleRow>) {
        let mut index: Index = HashMap::new();
        let mut ids = HashSet::new();
        for row in rows {
            match CompiledRule::compile(&row) {
                Ok(rule) => {
                    if let Some((event, why)) = crate::protocol::RETIRED_EVENT_TYPES
                        .iter()
                        .find(|(name, _)| *name == rule.event)
                    {
                        tracing::warn!(rule_id = %rule.id, event, "a stored rule listens for an event TikTok no longer sends; it never fires: {why}");
                    }
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
            let gone: Vec<String> = old
                .values()
                .flatten()
                .filter(|r| !ids.contains(&r.id))
                .map(|r| r.id.clone())
                .collect();
            for id in &gone {
                self.local.forget(id);
            }
            if let Some(shared) = self.shared.clone() {
                actix::spawn(async move { shared.forget(gone).await });
            }
        }
        if index.is_empty() {
            self.rules.remove(workspace_id);
        } else {
            self.rules.insert(workspace_id.to_owned(), index);
        }
    }

    /// The rules listening for this event's type, with whether their conditions hold.
    /// `None` for an event this node has handled already.
    fn plan(&mut self, event: Arc<Event>) -> Option<Plan> {
        if !self.local.first_time(&event.id) {
            self.metrics.rule_events_repeated.inc();
            tracing::debug!(event_id = %event.id, "event delivered twice; handled once");
            return None;
        }
        self.metrics.rule_events.inc();
        if let crate::protocol::EventKind::StreamStatus { status } = &event.kind {
            let feed = Feed::of_event(*status);
            self.stage.health.note(&event.stream_id, feed, event.ts);
            if feed == Feed::NotLive {
                self.disarm(&event);
            }
        }
        let now = self.router.now_ms();
        let (health, prices) = (&self.stage.health, &self.prices);
        // With several nodes the price is checked where it is kept (Redis), at firing.
        let local_prices = !self.stage.games.is_shared();
        let rules = self
            .rules
            .get(&event.workspace_id)
            .and_then(|i| i.get(event.kind.name()))
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|rule| {
                let conditions = rule.conditions(&event).and_then(|()| {
                    let price = prices.get(&rule.id).filter(|_| local_prices);
                    rule.gates(&event, health, price, now)
                });
                (rule, conditions)
            })
            .collect();
        Some(Plan { event, rules })
    }

    /// Decides a chunk of events in order: in memory, or in one round trip to the shared
    /// state, whose answer then fires the commands.
    fn on_events(&mut self, events: Vec<Arc<Event>>, ctx: &mut Context<Self>) {
        let plans: Vec<Plan> = events.into_iter().filter_map(|e| self.plan(e)).collect();
        let Some(shared) = self.shared.clone() else {
            let now = self.router.now_ms();
            for plan in plans {
                let verdicts = plan
                    .candidates()
                    .into_iter()
                    .map(|rule| self.local.judge(rule, &plan.event, now, true))
                    .collect();
                self.finish(plan, Some(verdicts));
            }
            return;
        };
        let (pending, done): (Vec<Plan>, Vec<Plan>) = plans
            .into_iter()
            .partition(|plan| plan.rules.iter().any(|(_, r)| r.is_ok()));
        for plan in done {
            self.finish(plan, Some(Vec::new()));
        }
        if pending.is_empty() {
            return;
        }
        // The actor waits for the answer: events are decided in the order they came.
        ctx.wait(
            async move {
                let batch: Vec<(&Event, Vec<&CompiledRule>)> = pending
                    .iter()
                    .map(|plan| (&*plan.event, plan.candidates()))
                    .collect();
                let judged = shared.judge(&batch, true).await;
                drop(batch);
                (pending, judged)
            }
            .into_actor(self)
            .map(|(pending, judged), act, ctx| match judged {
                Ok(judged) => {
                    for (plan, judged) in pending.into_iter().zip(judged) {
                        let verdicts = judged.map(|rules| {
                            rules
                                .into_iter()
                                .zip(plan.candidates())
                                .map(|(j, rule)| {
                                    if let Some(counter) = j.counter {
                                        act.local.note_counter(&rule.id, counter);
                                    }
                                    j.verdict
                                })
                                .collect()
                        });
                        act.finish(plan, verdicts);
                    }
                    act.decide_games(ctx);
                }
                Err(err) => {
                    act.metrics.rule_state_errors.inc();
                    tracing::error!(error = %err, events = pending.len(), "the shared rule state did not answer; these events fire nothing");
                    for plan in pending {
                        let unreachable = plan
                            .candidates()
                            .iter()
                            .map(|_| Verdict::StateUnreachable)
                            .collect();
                        act.finish(plan, Some(unreachable));
                    }
                }
            }),
        );
    }

    /// Fires the rules whose verdict is `Fire` and traces every rule. `None`: another node
    /// had already handled this event.
    fn finish(&mut self, plan: Plan, verdicts: Option<Vec<Verdict>>) {
        let Some(verdicts) = verdicts else {
            self.metrics.rule_events_repeated.inc();
            tracing::debug!(event_id = %plan.event.id, "event already handled by another node");
            return;
        };
        let event = plan.event;
        let mut verdicts = verdicts.into_iter();
        // Each rule's decision is kept while deciding (moved, not written out): a live view may
        // want the trace now, and the command history keeps the trace of every event that
        // issued a command. Only then are the lines written, in words.
        let watched = self.traces.wanted(&event.workspace_id);
        let mut results: Vec<(Arc<CompiledRule>, Result<(), Reason>)> = plan
            .rules
            .into_iter()
            .map(|(rule, conditions)| {
                let result = match conditions {
                    Ok(()) => verdicts
                        .next()
                        .unwrap_or(Verdict::StateUnreachable)
                        .into_result(&rule),
                    Err(reason) => Err(reason),
                };
                (rule, result)
            })
            .collect();
        self.spin_wheels(&mut results);
        let now = self.router.now_ms();
        let mut decided = Vec::with_capacity(results.len());
        let mut fired = false;
        for (rule, result) in results {
            let (result, command_id) = match result {
                Ok(()) => self.fire(&rule, &event, now),
                Err(reason) => (Err(reason), None),
            };
            fired |= command_id.is_some();
            decided.push((rule, result, command_id));
        }
        if !(watched || fired) {
            return;
        }
        let mut lines: Vec<TraceLine> = decided
            .into_iter()
            .map(|(rule, result, command_id)| self.trace_line(&rule, result, command_id))
            .collect();
        self.trace_other_rules(&event, &mut lines);
        let trace = Trace {
            workspace_id: event.workspace_id.clone(),
            event_id: event.id.clone(),
            results: lines,
        };
        match (fired, watched) {
            (true, true) => {
                self.to_keep.push(trace.clone());
                self.traces.publish(trace);
            }
            (true, false) => self.to_keep.push(trace),
            _ => self.traces.publish(trace),
        }
    }

    /// Hands this chunk's game firings to the games every node shares, in order, and runs
    /// what they decide. The engine waits: the next events are decided after these.
    fn decide_games(&mut self, ctx: &mut Context<Self>) {
        if self.game_firings.is_empty() {
            return;
        }
        let firings = std::mem::take(&mut self.game_firings);
        let Some(shared) = self.stage.games.shared() else {
            return;
        };
        ctx.wait(
            async move {
                let mut decided = Vec::with_capacity(firings.len());
                for f in firings {
                    let viewer = f
                        .event
                        .kind
                        .user()
                        .and_then(|u| u.key().map(|k| (k.to_owned(), u.display())));
                    let role = match &f.part {
                        Deferred::Game(role) => role,
                        Deferred::Price {
                            rule_id,
                            base,
                            scaling,
                        } => {
                            let diamonds = match &f.event.kind {
                                crate::protocol::EventKind::Gift { total_diamonds, .. } => {
                                    *total_diamonds
                                }
                                _ => 0,
                            };
                            let decision = shared
                                .price(
                                    rule_id,
                                    diamonds,
                                    *base,
                                    scaling.step_pct,
                                    scaling.decay_s * 1000,
                                )
                                .await;
                            decided.push((f.request, decision));
                            continue;
                        }
                    };
                    let decision = match (role, &viewer) {
                        (
                            GameRole::Goal {
                                preset_id,
                                unit,
                                target,
                                grow_pct,
                            },
                            _,
                        ) => {
                            let units = crate::presets::games::units(*unit, &f.event.kind);
                            shared
                                .goal(preset_id, units, *target, grow_pct.unwrap_or(0))
                                .await
                        }
                        (
                            GameRole::VoteOption {
                                preset_id,
                                index,
                                window_s,
                            },
                            Some((key, _)),
                        ) => {
                            shared
                                .vote(
                                    preset_id,
                                    &f.event.workspace_id,
                                    key,
                                    f.request.rule_id.as_deref().unwrap_or_default(),
                                    &f.word,
                                    *index,
                                    window_s * 1000,
                                )
                                .await
                        }
                        (GameRole::QueueTicket { preset_id, turn_s }, Some((key, name))) => {
                            shared.ticket(preset_id, key, name, turn_s * 1000).await
                        }
                        (GameRole::QueueControl { preset_id, turn_s }, Some((key, _))) => {
                            shared.control(preset_id, key, turn_s * 1000).await
                        }
                        _ => SharedDecision::NoTurn,
                    };
                    decided.push((f.request, decision));
                }
                decided
            }
            .into_actor(self)
            .map(|decided, act, _| {
                for (request, decision) in decided {
                    if let SharedDecision::Run(times) = decision {
                        act.metrics.rule_matches.inc();
                        for _ in 0..times {
                            act.router.dispatch(request.clone());
                        }
                    }
                }
            }),
        );
    }

    /// Runs the winners of the shared votes that closed (each taken by one node only).
    fn close_shared_votes(&mut self, ctx: &mut Context<Self>) {
        let Some(shared) = self.stage.games.shared() else {
            return;
        };
        ctx.spawn(
            async move { shared.close_votes().await }
                .into_actor(self)
                .map(|winners, act, _| {
                    for winner in winners {
                        let rule = act
                            .rules
                            .get(&winner.workspace_id)
                            .and_then(|index| {
                                index.values().flatten().find(|r| r.id == winner.rule_id)
                            })
                            .cloned();
                        let Some(rule) = rule else {
                            tracing::warn!(rule_id = %winner.rule_id, "a vote's winning rule is gone; nothing runs");
                            continue;
                        };
                        act.metrics.rule_matches.inc();
                        act.router.dispatch(Request {
                            workspace_id: winner.workspace_id,
                            device_id: rule.then.device_id.clone(),
                            cmd: rule.then.command.clone(),
                            duration_ms: rule.then.duration_ms,
                            params: rule.then.params.clone(),
                            rule_id: Some(rule.id.clone()),
                            event_id: None,
                            event_at: None,
                            viewer: None,
                        });
                    }
                }),
        );
    }

    /// The livestream ended: the rules armed with it drop what still waits for their devices
    /// (what runs ends by itself: the board times every command).
    fn disarm(&self, event: &Event) {
        let Some(index) = self.rules.get(&event.workspace_id) else {
            return;
        };
        let devices: HashSet<&str> = index
            .values()
            .flatten()
            .filter(|r| r.options.arm.as_ref().is_some_and(|a| a.with_live))
            .filter(|r| {
                r.livestream_id
                    .as_ref()
                    .is_none_or(|ls| *ls == event.stream_id)
            })
            .map(|r| r.then.device_id.as_str())
            .collect();
        for device_id in devices {
            let dropped = self.router.clear_line(
                device_id,
                "the livestream ended: its armed rules are disarmed",
            );
            tracing::info!(
                livestream_id = %event.stream_id,
                device_id,
                dropped,
                "livestream ended: armed rules disarmed, waiting commands dropped"
            );
        }
    }

    /// The command of a rule whose every condition holds: sent now, or handed to its game,
    /// which says what runs.
    fn fire(
        &mut self,
        rule: &CompiledRule,
        event: &Event,
        now: i64,
    ) -> (Result<(), Reason>, Option<String>) {
        let request = || Request {
            workspace_id: event.workspace_id.clone(),
            device_id: rule.then.device_id.clone(),
            cmd: rule.then.command.clone(),
            duration_ms: rule.then.duration_for(&event.kind),
            params: rule.then.params.clone(),
            rule_id: Some(rule.id.clone()),
            event_id: Some(event.id.clone()),
            event_at: Some(event.ts),
            viewer: event.kind.user().filter(|u| u.key().is_some()).cloned(),
        };
        let times = match &rule.options.game {
            None => 1,
            Some(GameRole::WheelChoice { preset_id, .. }) => {
                if let Some(shared) = self.stage.games.shared() {
                    let (preset_id, label) = (preset_id.clone(), rule.then.command.clone());
                    actix::spawn(async move { shared.wheel_spun(&preset_id, &label).await });
                }
                1
            }
            Some(role) if self.stage.games.is_shared() => {
                self.game_firings.push(GameFiring {
                    part: Deferred::Game(role.clone()),
                    word: rule.when.equals.clone().unwrap_or_default(),
                    event: Arc::new(event.clone()),
                    request: request(),
                });
                return (Err(Reason::new("reason-game-shared")), None);
            }
            Some(role) => match self.stage.games.on_fire(rule, role, event, request, now) {
                Decision::Run(times) => times,
                Decision::Hold(reason) => return (Err(reason), None),
            },
        };
        if let Some(scaling) = &rule.options.price_scaling {
            if self.stage.games.is_shared() {
                self.game_firings.push(GameFiring {
                    part: Deferred::Price {
                        rule_id: rule.id.clone(),
                        base: rule.when.min_diamonds.unwrap_or(1),
                        scaling: *scaling,
                    },
                    word: String::new(),
                    event: Arc::new(event.clone()),
                    request: request(),
                });
                return (Err(Reason::new("reason-price-shared")), None);
            }
            self.prices
                .entry(rule.id.clone())
                .or_default()
                .fired(scaling, now);
        }
        self.metrics.rule_matches.inc();
        let mut command_id = None;
        for _ in 0..times {
            command_id = Some(self.router.dispatch(request()));
        }
        (Ok(()), command_id)
    }

    /// Of a wheel's choices that all hold for one event, one is drawn by weight; the others
    /// step aside.
    fn spin_wheels(&self, results: &mut [(Arc<CompiledRule>, Result<(), Reason>)]) {
        let mut wheels: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, (rule, result)) in results.iter().enumerate() {
            if let (Ok(()), Some(GameRole::WheelChoice { preset_id, .. })) =
                (result, &rule.options.game)
            {
                wheels.entry(preset_id.as_str()).or_default().push(i);
            }
        }
        let mut losers = Vec::new();
        for (preset_id, choices) in wheels {
            let weights: Vec<i64> = choices
                .iter()
                .map(|&i| match &results[i].0.options.game {
                    Some(GameRole::WheelChoice { weight, .. }) => *weight,
                    _ => 0,
                })
                .collect();
            let labels: Vec<String> = choices
                .iter()
                .map(|&i| results[i].0.then.command.clone())
                .collect();
            let chosen = self.stage.games.draw(preset_id, &weights, &labels);
            losers.extend(
                choices
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| *n != chosen)
                    .map(|(_, &i)| (i, labels[chosen].clone())),
            );
        }
        for (i, winner) in losers {
            results[i].1 = Err(Reason::new("reason-wheel-other").with("command", winner));
        }
    }

    fn trace_line(
        &self,
        rule: &CompiledRule,
        result: Result<(), Reason>,
        command_id: Option<String>,
    ) -> TraceLine {
        let why = match result {
            Err(reason) => reason,
            Ok(()) if self.router.kill_engaged(&rule.workspace_id) => Reason::new("reason-blocked"),
            Ok(()) => Reason::new("reason-fired")
                .with("command", &rule.then.command)
                .with("ms", rule.then.duration_ms),
        };
        TraceLine {
            rule_id: rule.id.clone(),
            matched: command_id.is_some(),
            reason: why.english(),
            why: Some(why),
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
                    let why = Reason::new("reason-other-event")
                        .with("event", event.kind.name())
                        .with("wants", &rule.event);
                    TraceLine {
                        rule_id: rule.id.clone(),
                        matched: false,
                        reason: why.english(),
                        why: Some(why),
                        command_id: None,
                    }
                };
                ordered.push((rule.priority, &rule.id, line));
            }
        }
        ordered.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        *lines = ordered.into_iter().map(|(_, _, line)| line).collect();
    }

    fn flush(&mut self, ctx: &mut Context<Self>) {
        let traces = std::mem::take(&mut self.to_keep);
        if !traces.is_empty() {
            // A failure is logged: the commands are unaffected, only their "why?" is missing.
            let db = self.db.clone();
            ctx.spawn(
                async move {
                    if let Err(err) = db.transaction(move |conn| keep_all(conn, &traces)).await {
                        tracing::warn!(error = ?err, "could not keep the traces of fired events");
                    }
                }
                .into_actor(self),
            );
        }
        let counters = self.local.take_dirty();
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
        // Workspaces take turns: one that floods cannot delay another's commands.
        let events = crate::rules::fair::in_turns(
            self.bus.subscribe("rules", BUS_QUEUE),
            self.metrics.bus.clone(),
        );
        ctx.add_stream(ReceiverStream::new(events).ready_chunks(CHUNK));
        let db = self.db.clone();
        // Hold events until the rules and counters are loaded.
        ctx.wait(
            async move {
                db.run(|conn| Ok((RuleRow::all(conn)?, model::load_counters(conn)?)))
                    .await
            }
            .into_actor(self)
            .map(|loaded: AppResult<_>, act, ctx| match loaded {
                Ok((rows, counters)) => {
                    let mut by_ws: HashMap<String, Vec<RuleRow>> = HashMap::new();
                    for row in rows {
                        by_ws.entry(row.workspace_id.clone()).or_default().push(row);
                    }
                    for (ws, rows) in by_ws {
                        act.install(&ws, rows);
                    }
                    if let Some(shared) = act.shared.clone() {
                        let seed = counters.clone();
                        ctx.wait(
                            async move {
                                if let Err(err) = shared.seed(&seed).await {
                                    tracing::error!(error = %err, "could not seed the shared rule counters");
                                }
                            }
                            .into_actor(act),
                        );
                    }
                    act.local.load(counters);
                }
                Err(err) => {
                    tracing::error!(error = ?err, "could not load rules; the engine starts empty")
                }
            }),
        );
        ctx.run_interval(FLUSH_EVERY, |act, ctx| act.flush(ctx));
        ctx.run_interval(GAME_TICK, |act, ctx| {
            for request in act.stage.games.tick(act.router.now_ms()) {
                act.metrics.rule_matches.inc();
                act.router.dispatch(request);
            }
            act.close_shared_votes(ctx);
        });
        ctx.run_interval(FEEDS_EVERY, |act, ctx| {
            // Only the rows written since the last read: with thousands of livestreams the
            // table is not scanned every second.
            let (db, health, since) = (act.db.clone(), act.stage.health.clone(), act.feeds_since);
            ctx.spawn(
                async move {
                    let feeds = db
                        .run(move |conn| {
                            crate::live::health::load_feeds(conn, since - FEEDS_OVERLAP_MS)
                        })
                        .await;
                    match feeds {
                        Ok(feeds) => feeds.into_iter().fold(since, |newest, (id, status, at)| {
                            health.note(&id, Feed::of_status(status), at);
                            newest.max(at)
                        }),
                        Err(err) => {
                            tracing::warn!(error = ?err, "could not read the livestreams' states for the rules");
                            since
                        }
                    }
                }
                .into_actor(act)
                .map(|newest, act, _| act.feeds_since = act.feeds_since.max(newest)),
            );
        });
    }

    /// The last counters are saved here and now: a future spawned while stopping would be
    /// cancelled with the actor.
    fn stopping(&mut self, _ctx: &mut Self::Context) -> Running {
        let traces = std::mem::take(&mut self.to_keep);
        if !traces.is_empty() {
            let kept = self.db.get_blocking().and_then(|mut conn| {
                crate::db::write_transaction(&mut conn, |c| keep_all(c, &traces))
            });
            if let Err(err) = kept {
                tracing::warn!(error = ?err, "could not keep the traces of fired events on the way out");
            }
        }
        let counters = self.local.take_dirty();
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

impl StreamHandler<Vec<Arc<Event>>> for RuleEngine {
    fn handle(&mut self, events: Vec<Arc<Event>>, ctx: &mut Self::Context) {
        self.on_events(events, ctx);
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!("the event bus closed; the rule engine receives nothing more");
    }
}

/// Saves the counters that changed, now (a stopping node leaves none unsaved).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SaveCounters;

impl Handler<SaveCounters> for RuleEngine {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: SaveCounters, _ctx: &mut Self::Context) -> Self::Result {
        let counters = self.local.take_dirty();
        let db = self.db.clone();
        Box::pin(async move {
            if counters.is_empty() {
                return;
            }
            if let Err(err) = db
                .transaction(move |conn| model::save_counters(conn, &counters))
                .await
            {
                tracing::warn!(error = ?err, "could not save rule counters on the way out");
            }
        })
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
    type Result = ResponseActFuture<Self, Vec<TestResult>>;

    fn handle(&mut self, msg: TestEvent, _ctx: &mut Self::Context) -> Self::Result {
        let TestEvent { event, draft } = msg;
        let mut rules: Vec<Arc<CompiledRule>> = self
            .rules
            .get(&event.workspace_id)
            .map(|i| i.values().flatten().cloned().collect())
            .unwrap_or_default();
        rules.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        let kill = self.router.kill_engaged(&event.workspace_id);
        let now = self.router.now_ms();
        // The draft has no state yet, wherever the saved rules keep theirs.
        let draft = draft.map(|rule| {
            let result = rule.conditions(&event).and_then(|()| {
                LocalState::default()
                    .judge(&rule, &event, now, false)
                    .into_result(&rule)
            });
            test_result(&rule, result, kill)
        });
        // `when` and what the stream and the price allow, decided now, as a firing would be.
        let checks: Vec<(Arc<CompiledRule>, Result<(), Reason>)> = rules
            .into_iter()
            .map(|rule| {
                let holds = rule.conditions(&event).and_then(|()| {
                    rule.gates(&event, &self.stage.health, self.prices.get(&rule.id), now)
                });
                (rule, holds)
            })
            .collect();
        let shared = self.shared.clone();
        Box::pin(
            async move {
                let candidates: Vec<&CompiledRule> = checks
                    .iter()
                    .filter(|(_, holds)| holds.is_ok())
                    .map(|(r, _)| &**r)
                    .collect();
                let judged = match &shared {
                    Some(shared) if !candidates.is_empty() => Some(
                        shared
                            .judge(&[(&event, candidates)], false)
                            .await
                            .ok()
                            .and_then(|mut all| all.pop().flatten()),
                    ),
                    _ => None,
                };
                (checks, event, judged)
            }
            .into_actor(self)
            .map(move |(checks, event, judged), act, _| {
                let mut judged = judged.map(|j| j.unwrap_or_default().into_iter());
                let mut results: Vec<TestResult> = draft.into_iter().collect();
                for (rule, holds) in &checks {
                    let result = holds.clone().and_then(|()| {
                        let verdict = match judged.as_mut() {
                            Some(shared) => shared
                                .next()
                                .map_or(Verdict::StateUnreachable, |j| j.verdict),
                            None => act.local.judge(rule, &event, now, false),
                        };
                        verdict.into_result(rule)
                    });
                    results.push(test_result(rule, result, kill));
                }
                results
            }),
        )
    }
}

/// Writes the traces of fired events (inside the caller's transaction).
fn keep_all(conn: &mut crate::db::DbConnection, traces: &[Trace]) -> AppResult<()> {
    traces
        .iter()
        .try_for_each(|trace| stored::keep(conn, trace))
}

fn test_result(rule: &CompiledRule, result: Result<(), Reason>, kill: bool) -> TestResult {
    let (matched, why) = match result {
        Ok(()) if kill => (true, Reason::new("reason-would-be-blocked")),
        Ok(()) => (true, Reason::new("reason-would-fire")),
        Err(reason) => (false, reason),
    };
    TestResult {
        rule_id: rule.id.clone(),
        matched,
        reason: why.english(),
        why,
    }
}
