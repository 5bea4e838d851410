//! One actor per connected livestream: runs its source, keeps status and counters, decodes and
//! de-duplicates, reconnects with backoff and jitter, restarts a crashed source, publishes
//! every normalised event to the bus.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures_util::FutureExt as _;
use rand::Rng as _;

use crate::auth::rate_limit::RateLimiter;
use crate::bus::EventBus;
use crate::config::TiktokSettings;
use crate::db::Db;
use crate::ids::{new_id, now_ms, prefix};
use crate::live::client::{ConnectError, LastError};
use crate::live::decode::StreamDecoder;
use crate::live::model::{Runtime, SourceKind, Stats, Status};
use crate::live::saver::StateSaver;
use crate::live::source::{self, FromSource, Sink, SourceMsg};
use crate::protocol::{Event, EventKind, StreamStatus};
use crate::telemetry::metrics::Metrics;

/// How often stale gift streaks are flushed and counters saved.
const TICK: Duration = Duration::from_secs(1);
const SAVE_EVERY_TICKS: u32 = 5;

/// Runs a source to its end and says how it ended; a panic becomes [`SourceMsg::Crashed`]
/// instead of taking the actor down.
pub async fn supervise(run: SourceFuture) -> SourceMsg {
    match AssertUnwindSafe(run).catch_unwind().await {
        Ok(result) => SourceMsg::Exited(result),
        Err(panic) => SourceMsg::Crashed(
            panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned()),
        ),
    }
}

pub type SourceFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ConnectError>>>>;

/// What every livestream actor shares.
#[derive(Clone)]
pub struct Deps {
    pub bus: Arc<dyn EventBus>,
    pub db: Db,
    pub tiktok: Arc<TiktokSettings>,
    pub http: reqwest::Client,
    pub metrics: Arc<Metrics>,
    pub saver: StateSaver,
    /// Sign-server calls per key per minute, over every livestream of this node.
    pub sign_budget: Arc<RateLimiter>,
    /// Opens workspaces' own TikTok credentials.
    pub sealer: Arc<crate::live::credentials::Sealer>,
    /// The gifts TikTok sends, kept for the presets' pickers.
    pub gifts: Arc<crate::live::gifts::GiftCatalogue>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub id: String,
    pub workspace_id: String,
    pub unique_id: String,
    pub source: SourceKind,
    pub auto_reconnect: bool,
    /// Counters carried over from the table.
    pub stats: Stats,
    /// The fencing token of this node's lease on the livestream (0 on one node).
    pub fence: i64,
    /// TikTok's room id given by hand (no lookup).
    pub room_id_override: Option<String>,
}

pub struct LivestreamActor {
    spec: Spec,
    deps: Deps,
    decoder: StreamDecoder,
    runtime: Runtime,
    source: Option<actix::prelude::SpawnHandle>,
    task: Option<tokio::task::JoinHandle<()>>,
    generation: u64,
    /// Failed attempts in a row (for the backoff).
    failures: u32,
    /// "Not found" or "age-restricted" answers in a row (tried again a few times).
    doubtful: u32,
    /// The cursor of the last batch: a reconnection asks the sign server to resume there.
    cursor: Option<String>,
    /// When this livestream opened its connections in the last hour (the budget).
    connects: std::collections::VecDeque<std::time::Instant>,
    dirty: bool,
    ticks: u32,
}

impl LivestreamActor {
    pub fn new(spec: Spec, deps: Deps) -> Self {
        let runtime = Runtime {
            status: Status::Connecting,
            room_id: None,
            viewer_count: 0,
            stats: spec.stats,
            last_error: None,
            connected_at: None,
        };
        Self {
            spec,
            deps,
            decoder: StreamDecoder::new(),
            runtime,
            source: None,
            task: None,
            generation: 0,
            failures: 0,
            doubtful: 0,
            cursor: None,
            connects: std::collections::VecDeque::new(),
            dirty: true,
            ticks: 0,
        }
    }

    /// Counts one more connection, or says how long until the hour's budget allows one.
    fn connect_budget(&mut self) -> Result<(), ConnectError> {
        const HOUR: Duration = Duration::from_secs(3600);
        let now = std::time::Instant::now();
        while self
            .connects
            .front()
            .is_some_and(|at| now.duration_since(*at) >= HOUR)
        {
            self.connects.pop_front();
        }
        let budget = self.deps.tiktok.connects_per_hour.max(1);
        if self.connects.len() >= budget as usize {
            let oldest = self.connects.front().copied().unwrap_or(now);
            return Err(ConnectError::ConnectBudget {
                connects: budget,
                retry_after: HOUR.saturating_sub(now.duration_since(oldest)),
            });
        }
        self.connects.push_back(now);
        Ok(())
    }

    fn start_source(&mut self, ctx: &mut Context<Self>) {
        self.stop_source(ctx);
        if self.spec.source == SourceKind::Tiktok
            && let Err(spent) = self.connect_budget()
        {
            tracing::warn!(livestream_id = %self.spec.id, error = %spent, "livestream connection budget spent");
            self.runtime.last_error = Some(spent.last_error());
            self.set_status(Status::Reconnecting);
            self.dirty = true;
            let wait = spent.wait_at_least().unwrap_or(Duration::from_secs(60));
            self.schedule_reconnect(ctx, wait);
            return;
        }
        self.generation += 1;
        let sink = Sink {
            to: ctx.address().recipient(),
            generation: self.generation,
        };
        let deps = self.deps.clone();
        let kind = self.spec.source;
        let unique_id = self.spec.unique_id.clone();
        let report = sink.clone();
        // Boxed per kind: an idle simulator must not carry the size of the TikTok client's
        // state machine (several KB) in its task.
        let run: SourceFuture = match kind {
            SourceKind::Tiktok => {
                let workspace_id = self.spec.workspace_id.clone();
                let room_id_override = self.spec.room_id_override.clone();
                let cursor = self.cursor.clone();
                Box::pin(async move {
                    // The workspace's own credentials, read at every connection (a change
                    // applies from the next one).
                    let settings = {
                        let (sealer, server) = (deps.sealer.clone(), deps.tiktok.clone());
                        deps.db
                            .run(move |conn| {
                                crate::live::credentials::for_workspace(
                                    conn,
                                    &sealer,
                                    &server,
                                    &workspace_id,
                                )
                            })
                            .await
                            .map(Arc::new)
                            .map_err(|err| {
                                ConnectError::Network(format!(
                                    "reading the workspace's TikTok credentials: {err}"
                                ))
                            })?
                    };
                    source::run_tiktok(
                        settings,
                        deps.http.clone(),
                        deps.sign_budget.clone(),
                        unique_id,
                        room_id_override,
                        cursor,
                        sink,
                    )
                    .await
                })
            }
            SourceKind::Simulator => Box::pin(source::run_simulator(
                deps.tiktok.simulator_interval_ms,
                sink,
            )),
        };
        // A panic inside the source is caught here and reported, so the actor can restart it.
        self.task = Some(actix::spawn(async move {
            let msg = supervise(run).await;
            report.emit(msg).await;
        }));
    }

    fn stop_source(&mut self, ctx: &mut Context<Self>) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(handle) = self.source.take() {
            ctx.cancel_future(handle);
        }
    }

    fn set_status(&mut self, status: Status) {
        if self.runtime.status != status {
            tracing::info!(livestream_id = %self.spec.id, from = self.runtime.status.as_str(), to = status.as_str(), "livestream status");
            self.runtime.status = status;
            self.dirty = true;
            self.save();
        }
    }

    /// Queues the runtime for the table (batched by the saver; retried on the next tick if
    /// the queue is full).
    fn save(&mut self) {
        self.dirty = !self
            .deps
            .saver
            .save(&self.spec.id, self.runtime.clone(), self.spec.fence);
    }

    fn publish(&mut self, kind: EventKind, ts: i64, simulated: bool) -> String {
        let stats = &mut self.runtime.stats;
        match &kind {
            EventKind::Comment { .. } => stats.comments += 1,
            EventKind::Gift { total_diamonds, .. } => {
                stats.gifts += 1;
                stats.diamonds += total_diamonds;
            }
            // TikTok's room total (the running maximum: shards send stale totals); the bursts
            // only when it sends none, since summing them under-counts badly.
            EventKind::Like { count, total, .. } => {
                stats.likes = if *total > 0 {
                    stats.likes.max(*total)
                } else {
                    stats.likes + count
                }
            }
            EventKind::Follow { .. } => stats.follows += 1,
            EventKind::Share { .. } => stats.shares += 1,
            EventKind::Join { .. } => stats.joins += 1,
            EventKind::ViewerCount { viewers, .. } => self.runtime.viewer_count = *viewers,
            EventKind::SuperFan { .. }
            | EventKind::SuperFanBox { .. }
            | EventKind::StreamStatus { .. } => {}
        }
        stats.events += 1;
        self.dirty = true;
        let id = new_id(prefix::EVENT);
        self.deps.metrics.live_events.inc();
        self.deps.bus.publish(Arc::new(Event {
            id: id.clone(),
            workspace_id: self.spec.workspace_id.clone(),
            stream_id: self.spec.id.clone(),
            kind,
            ts,
            simulated,
        }));
        id
    }

    fn publish_status(&mut self, status: StreamStatus) {
        self.publish(
            EventKind::StreamStatus { status },
            now_ms(),
            self.spec.source == SourceKind::Simulator,
        );
    }

    /// Exponential backoff with ±20 % jitter, never shorter than `floor`.
    fn backoff(&self, floor: Option<Duration>) -> Duration {
        let min = self.deps.tiktok.reconnect_min_ms.max(1);
        let max = self.deps.tiktok.reconnect_max_ms.max(min);
        let exp = min.saturating_mul(1u64 << self.failures.min(16)).min(max);
        let jitter = rand::rng().random_range(0.8..1.2);
        let delay = Duration::from_millis((exp as f64 * jitter) as u64);
        floor.map_or(delay, |f| delay.max(f))
    }

    fn schedule_reconnect(&mut self, ctx: &mut Context<Self>, delay: Duration) {
        tracing::info!(livestream_id = %self.spec.id, delay_ms = delay.as_millis() as u64, "reconnecting later");
        let generation = self.generation;
        self.source = Some(ctx.run_later(delay, move |act, ctx| {
            if act.generation == generation {
                act.start_source(ctx);
            }
        }));
    }

    fn on_exit(&mut self, ctx: &mut Context<Self>, result: Result<(), ConnectError>) {
        self.task = None;
        match result {
            Ok(()) => {
                // The socket closed: TikTok does this now and then. Come back.
                self.publish_status(StreamStatus::Disconnected);
                if self.spec.auto_reconnect {
                    self.failures += 1;
                    self.set_status(Status::Reconnecting);
                    self.publish_status(StreamStatus::Reconnecting);
                    let delay = self.backoff(None);
                    self.schedule_reconnect(ctx, delay);
                } else {
                    self.set_status(Status::Idle);
                }
            }
            Err(err) => {
                tracing::warn!(livestream_id = %self.spec.id, code = err.code(), error = %err, "livestream connection failed");
                self.runtime.last_error = Some(err.last_error());
                self.failures += 1;
                let status = if err == ConnectError::UserOffline {
                    Status::Offline
                } else {
                    Status::Error
                };
                let doubtful =
                    err.is_maybe_transient() && self.doubtful < self.deps.tiktok.transient_retries;
                if doubtful {
                    self.doubtful += 1;
                } else if !err.is_maybe_transient() {
                    self.doubtful = 0;
                }
                if self.spec.auto_reconnect && (err.is_retryable() || doubtful) {
                    let floor = match &err {
                        ConnectError::SignRateLimited { retry_after: None } => {
                            Some(Duration::from_millis(self.deps.tiktok.reconnect_max_ms))
                        }
                        // Doubtful answers are asked again slowly: hurrying feeds a captcha.
                        _ if doubtful => Some(Duration::from_millis(
                            self.deps.tiktok.reconnect_min_ms.max(1) * 5,
                        )),
                        other => other.wait_at_least(),
                    };
                    self.set_status(if status == Status::Offline {
                        Status::Offline
                    } else {
                        Status::Reconnecting
                    });
                    self.dirty = true;
                    let delay = self.backoff(floor);
                    self.schedule_reconnect(ctx, delay);
                } else {
                    self.set_status(status);
                    self.save();
                }
            }
        }
    }
}

impl Actor for LivestreamActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.deps.metrics.live_actors.inc();
        // Enough room for bursts; the source waits when the mailbox is full.
        ctx.set_mailbox_capacity(256);
        self.start_source(ctx);
        ctx.run_interval(TICK, |act, _| {
            for (kind, ts) in act.decoder.flush_stale_streaks(now_ms()) {
                act.publish(kind, ts, false);
            }
            act.ticks += 1;
            if act.dirty && act.ticks % SAVE_EVERY_TICKS == 0 {
                act.save();
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.deps.metrics.live_actors.dec();
    }
}

impl Handler<FromSource> for LivestreamActor {
    type Result = ();

    fn handle(&mut self, msg: FromSource, ctx: &mut Self::Context) {
        if msg.generation != self.generation {
            return;
        }
        match msg.msg {
            SourceMsg::Live { room_id } => {
                self.failures = 0;
                self.doubtful = 0;
                self.runtime.room_id = Some(room_id);
                self.runtime.last_error = None;
                self.runtime.connected_at = Some(now_ms());
                self.set_status(Status::Live);
                self.publish_status(StreamStatus::Live);
            }
            SourceMsg::Batch { response, backlog } => {
                if !response.cursor.is_empty() {
                    self.cursor = Some(response.cursor.clone());
                }
                let out = self.decoder.ingest(&response, now_ms(), backlog);
                for gift in out.gifts {
                    self.deps.gifts.note(gift);
                }
                for (kind, ts) in out.events {
                    self.publish(kind, ts, false);
                }
                if out.ended {
                    self.stop_source(ctx);
                    self.set_status(Status::Ended);
                    self.save();
                }
            }
            SourceMsg::Simulated(events) => {
                for kind in events {
                    self.publish(kind, now_ms(), true);
                }
            }
            SourceMsg::Exited(result) => {
                if self.runtime.status != Status::Ended {
                    self.on_exit(ctx, result);
                }
            }
            SourceMsg::Crashed(why) => {
                tracing::error!(livestream_id = %self.spec.id, panic = %why, "livestream source crashed; restarting it");
                self.task = None;
                self.runtime.last_error = Some(LastError {
                    code: "SOURCE_CRASHED".into(),
                    message: why,
                });
                self.failures += 1;
                self.set_status(Status::Reconnecting);
                let delay = self.backoff(None);
                self.schedule_reconnect(ctx, delay);
            }
        }
    }
}

/// A test event from the API: published like a real one, marked simulated.
#[derive(Message)]
#[rtype(result = "String")]
pub struct Inject(pub EventKind);

impl Handler<Inject> for LivestreamActor {
    type Result = String;

    fn handle(&mut self, msg: Inject, _ctx: &mut Self::Context) -> String {
        self.publish(msg.0, now_ms(), true)
    }
}

#[derive(Message)]
#[rtype(result = "Runtime")]
pub struct GetRuntime;

impl Handler<GetRuntime> for LivestreamActor {
    type Result = MessageResult<GetRuntime>;

    fn handle(&mut self, _msg: GetRuntime, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.runtime.clone())
    }
}

/// Stops the source, saves the state as `idle` and ends the actor.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Stop;

impl Handler<Stop> for LivestreamActor {
    type Result = ();

    fn handle(&mut self, _msg: Stop, ctx: &mut Self::Context) {
        self.stop_source(ctx);
        self.generation += 1;
        if self.runtime.status != Status::Ended {
            self.runtime.status = Status::Idle;
        }
        self.runtime.viewer_count = 0;
        self.save();
        ctx.stop();
    }
}

/// Stops the source and ends the actor without writing anything: another node holds the
/// livestream now, and its state is that node's to write.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Abandon;

impl Handler<Abandon> for LivestreamActor {
    type Result = ();

    fn handle(&mut self, _msg: Abandon, ctx: &mut Self::Context) {
        self.stop_source(ctx);
        self.generation += 1;
        ctx.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_source_is_reported_not_propagated() {
        let crashing: SourceFuture = Box::pin(async { panic!("decoder exploded") });
        match supervise(crashing).await {
            SourceMsg::Crashed(why) => assert_eq!(why, "decoder exploded"),
            other => panic!("{other:?}"),
        }
        let failing: SourceFuture = Box::pin(async { Err(ConnectError::UserOffline) });
        assert!(matches!(
            supervise(failing).await,
            SourceMsg::Exited(Err(ConnectError::UserOffline))
        ));
    }
}
