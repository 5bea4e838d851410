//! The only way a command reaches hardware. For each command, in order: kill switch → device
//! limits → device online → device rate limit → plan commands/minute → the device's line (its
//! concurrency mode and the viewer's fair share, `lane.rs`) → its turn → sent with
//! `expires_at` → wait for the ack (no ack in time = `failed`). A command is never sent twice
//! and never kept past its turn: a queued command may wait for the commands ahead of it, and
//! then for no longer than the command time to live.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::commands::lane::{LaneState, Ticket, Turn};
use crate::commands::shared_lane::{Claim, SharedLane};

use crate::clock::SharedClock;
use crate::commands::record::{Outcome, Recorder};
use crate::commands::shared_rate::{SharedRate, Verdict as SharedVerdict};
use crate::devices::hub::{AgentHub, SendError};
use crate::devices::model::{Concurrency, Device};
use crate::ids::{new_id, prefix};
use crate::protocol::{Ack, Command, CommandStatus, ServerFrame};
use crate::telemetry::metrics::Metrics;
use crate::workspaces::plans::Plan;

const MINUTE_MS: i64 = 60_000;

/// What the rule engine asks for.
#[derive(Debug, Clone)]
pub struct Request {
    pub workspace_id: String,
    pub device_id: String,
    pub cmd: String,
    pub duration_ms: i64,
    pub params: serde_json::Value,
    pub rule_id: Option<String>,
    pub event_id: Option<String>,
    /// When the event happened (ms), for the event → issued latency.
    pub event_at: Option<i64>,
    /// The viewer whose event caused it (fair share, history, the overlay).
    pub viewer: Option<crate::protocol::EventUser>,
}

struct Job {
    command: Command,
    event_at: Option<i64>,
    /// The device's and the plan's commands per minute, for the check across nodes.
    limits: Limits,
    ticket: Ticket,
    viewer: Option<crate::protocol::EventUser>,
}

impl Job {
    fn viewer_name(&self) -> Option<String> {
        self.viewer
            .as_ref()
            .map(crate::protocol::EventUser::display)
    }

    fn viewer_key(&self) -> Option<&str> {
        self.viewer
            .as_ref()
            .and_then(crate::protocol::EventUser::key)
    }
}

/// Why a command whose local turn came may not go yet, as the other nodes see the device.
enum Shared {
    Wait(i64),
    Refused(CommandStatus, String),
}

/// One device's line: its worker's inbox, its state, and the bell a `restart` rings.
#[derive(Clone)]
struct Lane {
    tx: mpsc::UnboundedSender<Job>,
    state: Arc<Mutex<LaneState>>,
    wake: Arc<Notify>,
}

/// What the overlay shows of a device: busy until when, and how many wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceLoad {
    pub busy_until: i64,
    pub waiting: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Limits {
    device: i64,
    plan: Option<(Plan, i64)>,
}

fn over_device(limit: i64) -> (CommandStatus, String) {
    (
        CommandStatus::RateLimited,
        format!("over the device's {limit} commands per minute"),
    )
}

fn over_plan(plan: Plan, limit: i64) -> (CommandStatus, String) {
    (
        CommandStatus::RateLimited,
        format!(
            "over the {} plan's {limit} commands per minute",
            plan.as_str()
        ),
    )
}

#[derive(Default)]
struct Window(VecDeque<i64>);

impl Window {
    /// Counts one more if under `limit` per minute.
    fn admit(&mut self, now: i64, limit: i64) -> bool {
        while self.0.front().is_some_and(|t| now - t >= MINUTE_MS) {
            self.0.pop_front();
        }
        if self.0.len() as i64 >= limit {
            return false;
        }
        self.0.push_back(now);
        true
    }
}

pub(crate) struct Inner {
    hub: Arc<AgentHub>,
    /// The other nodes, for devices connected to one of them (`bus.kind = "redis"`).
    remote: std::sync::OnceLock<Arc<crate::commands::remote::Remote>>,
    /// Commands per minute counted by every node together (`bus.kind = "redis"`).
    shared_rate: std::sync::OnceLock<Arc<SharedRate>>,
    /// Each device's time, claimed by every node together (`bus.kind = "redis"`).
    shared_lane: std::sync::OnceLock<Arc<SharedLane>>,
    recorder: Recorder,
    metrics: Arc<Metrics>,
    ttl_ms: i64,
    ack_timeout: Duration,
    /// Issue and expiry times, rate windows.
    clock: SharedClock,
    devices: RwLock<HashMap<String, Device>>,
    plans: RwLock<HashMap<String, Plan>>,
    kill: RwLock<HashMap<String, bool>>,
    lanes: Mutex<HashMap<String, Lane>>,
    pending: Mutex<HashMap<String, (String, oneshot::Sender<Ack>)>>,
    device_rate: Mutex<HashMap<String, Window>>,
    plan_rate: Mutex<HashMap<String, Window>>,
}

#[derive(Clone)]
pub struct CommandRouter {
    inner: Arc<Inner>,
}

impl CommandRouter {
    pub fn new(
        hub: Arc<AgentHub>,
        recorder: Recorder,
        metrics: Arc<Metrics>,
        ttl_ms: u64,
        ack_timeout_ms: u64,
        clock: SharedClock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                hub,
                remote: std::sync::OnceLock::new(),
                shared_rate: std::sync::OnceLock::new(),
                shared_lane: std::sync::OnceLock::new(),
                recorder,
                metrics,
                ttl_ms: i64::try_from(ttl_ms).unwrap_or(2_000),
                ack_timeout: Duration::from_millis(ack_timeout_ms),
                clock,
                devices: RwLock::default(),
                plans: RwLock::default(),
                kill: RwLock::default(),
                lanes: Mutex::default(),
                pending: Mutex::default(),
                device_rate: Mutex::default(),
                plan_rate: Mutex::default(),
            }),
        }
    }

    /// Devices connected to other nodes get their commands through `remote`.
    pub fn set_remote(&self, remote: Arc<crate::commands::remote::Remote>) {
        remote.attach(self);
        let _ = self.inner.remote.set(remote);
    }

    /// Device and plan limits are then counted with the other nodes.
    pub fn set_shared_rate(&self, shared: Arc<SharedRate>) {
        let _ = self.inner.shared_rate.set(shared);
    }

    /// Device modes and fair shares then hold across the nodes.
    pub fn set_shared_lane(&self, shared: Arc<SharedLane>) {
        let _ = self.inner.shared_lane.set(shared);
    }

    /// Waits (at most `limit`) until the outcomes recorded so far are written.
    pub async fn history_flushed(&self, limit: Duration) -> bool {
        self.inner.recorder.flushed(limit).await
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// The other node holding `device_id`, when it is not connected here.
    fn remote_holder(
        &self,
        device_id: &str,
    ) -> Option<(&Arc<crate::commands::remote::Remote>, String)> {
        let remote = self.inner.remote.get()?;
        remote.holder(device_id).map(|node| (remote, node))
    }

    // ---- what the router knows about the world (loaded at start, kept current by the API) ----

    pub fn upsert_device(&self, device: Device) {
        self.inner.devices.write().insert(device.id.clone(), device);
    }

    pub fn remove_device(&self, device_id: &str) {
        self.inner.devices.write().remove(device_id);
        self.inner.lanes.lock().remove(device_id);
    }

    /// Forgets a deleted workspace's devices.
    pub fn remove_workspace(&self, workspace_id: &str) {
        let gone: Vec<String> = self
            .inner
            .devices
            .read()
            .values()
            .filter(|d| d.workspace_id == workspace_id)
            .map(|d| d.id.clone())
            .collect();
        for id in gone {
            self.remove_device(&id);
        }
        self.inner.kill.write().remove(workspace_id);
        self.inner.plans.write().remove(workspace_id);
    }

    pub fn device(&self, device_id: &str) -> Option<Device> {
        self.inner.devices.read().get(device_id).cloned()
    }

    pub fn set_plan(&self, workspace_id: &str, plan: Plan) {
        self.inner
            .plans
            .write()
            .insert(workspace_id.to_owned(), plan);
    }

    pub fn set_kill(&self, workspace_id: &str, engaged: bool) {
        self.inner
            .kill
            .write()
            .insert(workspace_id.to_owned(), engaged);
    }

    /// The plan the router applies to a workspace, when it knows the workspace.
    pub fn plan(&self, workspace_id: &str) -> Option<Plan> {
        self.inner.plans.read().get(workspace_id).copied()
    }

    pub fn kill_engaged(&self, workspace_id: &str) -> bool {
        self.inner
            .kill
            .read()
            .get(workspace_id)
            .copied()
            .unwrap_or(false)
    }

    /// Command outcomes as they happen (live views).
    pub fn outcomes(
        &self,
    ) -> tokio::sync::broadcast::Receiver<Arc<crate::commands::record::Outcome>> {
        self.inner.recorder.live.subscribe()
    }

    /// The installation's clock (`clock.rs`): the rule engine decides on the same time.
    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    // ---- the path ----

    /// Takes a command through every check and into the device's line. Never waits: the
    /// outcome is recorded (history, audit, metrics) when it is known.
    pub fn dispatch(&self, req: Request) -> String {
        let now = self.now_ms();
        let command = Command {
            id: new_id(prefix::COMMAND),
            workspace_id: req.workspace_id.clone(),
            device_id: req.device_id.clone(),
            cmd: req.cmd,
            duration_ms: req.duration_ms,
            params: req.params,
            rule_id: req.rule_id,
            event_id: req.event_id,
            issued_at: now,
            expires_at: now + self.inner.ttl_ms,
        };
        let id = command.id.clone();
        let mut job = Job {
            command,
            event_at: req.event_at,
            limits: Limits::default(),
            ticket: Ticket {
                generation: 0,
                start_by: now + self.inner.ttl_ms,
                mode: Concurrency::Parallel,
            },
            viewer: req.viewer,
        };
        let device = match self.admit(&job) {
            Ok((limits, device)) => {
                job.limits = limits;
                device
            }
            Err((status, detail)) => {
                self.finish(job, status, Some(detail), None);
                return id;
            }
        };
        let lane = self.lane_for(&req.device_id);
        let admitted = lane.state.lock().admit(
            &device,
            job.viewer_key(),
            job.command.duration_ms,
            now,
            self.inner.ttl_ms,
        );
        match admitted {
            Ok(ticket) => job.ticket = ticket,
            Err((status, detail)) => {
                self.finish(job, status, Some(detail), None);
                return id;
            }
        }
        if device.concurrency == Concurrency::Restart {
            lane.wake.notify_one();
        }
        if let Err(mpsc::error::SendError(job)) = lane.tx.send(job) {
            lane.state.lock().left(job.command.duration_ms);
            self.finish(
                job,
                CommandStatus::Busy,
                Some("the device's line is closed".into()),
                None,
            );
        }
        id
    }

    /// Drops the commands waiting for `device_id` on this node (as `busy`, saying `why`);
    /// returns how many there were. The one running ends by itself.
    pub fn clear_line(&self, device_id: &str, why: &str) -> usize {
        let Some(lane) = self.inner.lanes.lock().get(device_id).cloned() else {
            return 0;
        };
        let waiting = {
            let mut state = lane.state.lock();
            let waiting = state.waiting();
            state.replace_waiting(why);
            waiting
        };
        lane.wake.notify_one();
        waiting
    }

    /// How busy a device is, as this node sees it.
    pub fn load(&self, device_id: &str) -> DeviceLoad {
        self.inner
            .lanes
            .lock()
            .get(device_id)
            .map(|lane| {
                let state = lane.state.lock();
                DeviceLoad {
                    busy_until: state.busy_until(),
                    waiting: state.waiting(),
                }
            })
            .unwrap_or_default()
    }

    fn admit(&self, job: &Job) -> Result<(Limits, Device), (CommandStatus, String)> {
        let c = &job.command;
        if self.kill_engaged(&c.workspace_id) {
            return Err((CommandStatus::Blocked, "the kill switch is engaged".into()));
        }
        let device = self
            .device(&c.device_id)
            .filter(|d| d.workspace_id == c.workspace_id)
            .ok_or((CommandStatus::Undeliverable, "no such device".to_owned()))?;
        if !device.allowed_commands.contains(&c.cmd)
            || c.duration_ms > device.max_duration_ms
            || c.duration_ms < 0
        {
            return Err((
                CommandStatus::Rejected,
                "outside the device's limits".into(),
            ));
        }
        if !self.inner.hub.is_online(&c.device_id) && self.remote_holder(&c.device_id).is_none() {
            return Err((CommandStatus::Undeliverable, "the device is offline".into()));
        }
        let now = self.now_ms();
        if !self
            .inner
            .device_rate
            .lock()
            .entry(c.device_id.clone())
            .or_default()
            .admit(now, device.max_commands_per_minute)
        {
            return Err(over_device(device.max_commands_per_minute));
        }
        let plan = self
            .inner
            .plans
            .read()
            .get(&c.workspace_id)
            .copied()
            .unwrap_or(Plan::Unlimited);
        if let Some(limit) = plan.limits().commands_per_minute
            && !self
                .inner
                .plan_rate
                .lock()
                .entry(c.workspace_id.clone())
                .or_default()
                .admit(now, limit)
        {
            return Err(over_plan(plan, limit));
        }
        let limits = Limits {
            device: device.max_commands_per_minute,
            plan: plan.limits().commands_per_minute.map(|l| (plan, l)),
        };
        Ok((limits, device))
    }

    fn lane_for(&self, device_id: &str) -> Lane {
        let mut lanes = self.inner.lanes.lock();
        if let Some(lane) = lanes.get(device_id).filter(|l| !l.tx.is_closed()) {
            return lane.clone();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let lane = Lane {
            tx,
            state: Arc::default(),
            wake: Arc::default(),
        };
        lanes.insert(device_id.to_owned(), lane.clone());
        let router = self.clone();
        let worker = lane.clone();
        tokio::spawn(async move { router.drain(rx, worker).await });
        lane
    }

    /// One device's worker: one command at a time, in order, each when its turn comes.
    async fn drain(self, mut rx: mpsc::UnboundedReceiver<Job>, lane: Lane) {
        // The worker holds the state and the bell, not the sender: the line closes once the
        // router forgets the device.
        let Lane { state, wake, tx } = lane;
        drop(tx);
        while let Some(job) = rx.recv().await {
            loop {
                if self.now_ms() >= job.ticket.start_by {
                    state.lock().left(job.command.duration_ms);
                    self.finish(
                        job,
                        CommandStatus::Expired,
                        Some("expired before it could be sent".into()),
                        None,
                    );
                    break;
                }
                let turn = state.lock().turn(job.ticket, self.now_ms());
                let wait = match turn {
                    Turn::Go => match self.claim(&job).await {
                        Ok(claim) => {
                            self.deliver(job, &state, claim).await;
                            break;
                        }
                        Err(Shared::Wait(ms)) => ms,
                        Err(Shared::Refused(status, detail)) => {
                            state.lock().left(job.command.duration_ms);
                            self.finish(job, status, Some(detail), None);
                            break;
                        }
                    },
                    Turn::Replaced(why) => {
                        state.lock().left(job.command.duration_ms);
                        self.finish(job, CommandStatus::Busy, Some(why), None);
                        break;
                    }
                    Turn::Wait(ms) => ms,
                };
                let ms = u64::try_from(wait).unwrap_or(0).max(1);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                    _ = wake.notified() => {}
                }
            }
        }
    }

    /// With several nodes: the device's time for this command, claimed in Redis.
    async fn claim(&self, job: &Job) -> Result<Option<(i64, i64)>, Shared> {
        let Some(shared) = self.inner.shared_lane.get() else {
            return Ok(None);
        };
        let c = &job.command;
        let share = self.device(&c.device_id).map_or(100, |d| d.fair_share_pct);
        match shared
            .claim(
                &c.device_id,
                job.ticket.mode,
                c.duration_ms,
                job.viewer_key(),
                share,
                &c.id,
            )
            .await
        {
            Claim::Claimed { until, before } => Ok(Some((until, before))),
            Claim::Unknown => Ok(None),
            Claim::Wait(ms) => Err(Shared::Wait(ms)),
            Claim::Busy => Err(Shared::Refused(
                CommandStatus::Busy,
                "the device is running a command sent by another node (mode single)".into(),
            )),
            Claim::OverShare(used) => Err(Shared::Refused(
                CommandStatus::RateLimited,
                format!(
                    "{} already held the device {used} ms of the last minute (fair share {share} %)",
                    job.viewer_name().unwrap_or_default()
                ),
            )),
        }
    }

    async fn deliver(&self, mut job: Job, state: &Mutex<LaneState>, claimed: Option<(i64, i64)>) {
        state.lock().left(job.command.duration_ms);
        let now = self.now_ms();
        let give_back = |router: &CommandRouter, device_id: String| {
            if let (Some((until, before)), Some(shared)) =
                (claimed, router.inner.shared_lane.get().cloned())
            {
                tokio::spawn(async move { shared.give_back(&device_id, until, before).await });
            }
        };
        if now >= job.ticket.start_by {
            give_back(self, job.command.device_id.clone());
            return self.finish(
                job,
                CommandStatus::Expired,
                Some("expired before it could be sent".into()),
                None,
            );
        }
        // It goes now: it may arrive up to the time to live from now, never past its turn.
        job.command.expires_at = job.ticket.start_by.min(now + self.inner.ttl_ms);
        let c = &job.command;
        // Engaged while this command waited in the line.
        if self.kill_engaged(&c.workspace_id) {
            give_back(self, job.command.device_id.clone());
            return self.finish(
                job,
                CommandStatus::Blocked,
                Some("the kill switch is engaged".into()),
                None,
            );
        }
        if let Some(shared) = self.inner.shared_rate.get() {
            let limits = job.limits;
            let verdict = shared
                .admit(
                    &c.id,
                    &c.device_id,
                    limits.device,
                    &c.workspace_id,
                    limits.plan.map(|(_, l)| l),
                )
                .await;
            let refused = match (verdict, limits.plan) {
                (SharedVerdict::OverDevice, _) => Some(over_device(limits.device)),
                (SharedVerdict::OverPlan, Some((plan, limit))) => Some(over_plan(plan, limit)),
                _ => None,
            };
            if let Some((status, detail)) = refused {
                give_back(self, job.command.device_id.clone());
                return self.finish(job, status, Some(detail), None);
            }
        }
        let c = &job.command;
        let frame = match serde_json::to_string(&ServerFrame::Command(c.clone())) {
            Ok(json) => json,
            Err(err) => {
                give_back(self, job.command.device_id.clone());
                return self.finish(
                    job,
                    CommandStatus::Failed,
                    Some(format!("encoding: {err}")),
                    None,
                );
            }
        };
        let (tx, rx) = oneshot::channel();
        self.inner
            .pending
            .lock()
            .insert(c.id.clone(), (c.device_id.clone(), tx));
        if let Err(err) = self.hand_over(c, frame) {
            self.inner.pending.lock().remove(&c.id);
            let (status, detail) = match err {
                SendError::Offline => (CommandStatus::Undeliverable, "the device went offline"),
                SendError::Full => (CommandStatus::Busy, "the agent is not reading its socket"),
            };
            give_back(self, job.command.device_id.clone());
            return self.finish(job, status, Some(detail.into()), None);
        }
        self.inner.metrics.commands_sent.inc();
        let sent_at = self.now_ms();
        let until = sent_at + c.duration_ms;
        let before =
            state
                .lock()
                .started(job.ticket.mode, c.duration_ms, job.viewer_name(), sent_at);
        let answer = tokio::time::timeout(self.inner.ack_timeout, rx).await;
        self.inner.pending.lock().remove(&job.command.id);
        let (status, detail, acked_at) = match answer {
            Ok(Ok(ack)) => {
                let status = if ack.status == CommandStatus::Sent {
                    CommandStatus::Failed
                } else {
                    ack.status
                };
                (status, ack.detail, Some(self.now_ms()))
            }
            _ => (
                CommandStatus::Failed,
                Some("no acknowledgement in time".into()),
                None,
            ),
        };
        if status != CommandStatus::Done {
            state.lock().not_run(until, before);
            give_back(self, job.command.device_id.clone());
        }
        self.finish(job, status, detail, acked_at);
    }

    /// To the device's connection on this node, else to the node that holds it.
    fn hand_over(&self, c: &crate::protocol::Command, frame: String) -> Result<(), SendError> {
        match self.inner.hub.send(&c.device_id, frame.as_str().into()) {
            Err(SendError::Offline) => match self.remote_holder(&c.device_id) {
                Some((remote, node)) => remote.deliver(
                    &node,
                    &c.workspace_id,
                    &c.device_id,
                    &c.id,
                    c.expires_at,
                    frame,
                ),
                None => Err(SendError::Offline),
            },
            other => other,
        }
    }

    /// An ack from `device_id`'s agent. Acks for commands that device was not sent are dropped.
    pub fn ack(&self, device_id: &str, ack: Ack) {
        // A command this node delivered for another goes back to that node.
        if !self.inner.pending.lock().contains_key(&ack.id)
            && let Some(remote) = self.inner.remote.get()
            && remote.relay_ack(device_id, &ack)
        {
            return;
        }
        let mut pending = self.inner.pending.lock();
        match pending.get(&ack.id) {
            Some((owner, _)) if owner == device_id => {
                if let Some((_, tx)) = pending.remove(&ack.id) {
                    let _ = tx.send(ack);
                }
            }
            Some(_) => {
                tracing::warn!(device_id, command_id = %ack.id, "an agent acknowledged another device's command; ignored")
            }
            None => {
                tracing::debug!(device_id, command_id = %ack.id, "ack for no command waiting (late, unknown or repeated); ignored")
            }
        }
    }

    fn finish(
        &self,
        job: Job,
        status: CommandStatus,
        detail: Option<String>,
        acked_at: Option<i64>,
    ) {
        self.inner
            .metrics
            .record_command(status, acked_at.map(|t| t - job.command.issued_at));
        let viewer = job.viewer_name();
        self.inner.recorder.record(Outcome {
            viewer,
            command: job.command,
            status,
            detail,
            event_at: job.event_at,
            acked_at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::Changes;
    use crate::clock::ManualClock;
    use crate::db::Db;
    use crate::devices::model::Transport;

    const T0: i64 = 1_800_000_000_000;

    struct Fixture {
        router: CommandRouter,
        hub: Arc<AgentHub>,
        clock: Arc<ManualClock>,
        _dir: tempfile::TempDir,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("router.db").display());
        let db = Db::connect(&url, 2).unwrap();
        let hub = Arc::new(AgentHub::new(Changes::new()));
        let clock = ManualClock::at(T0);
        let router = CommandRouter::new(
            hub.clone(),
            Recorder::start(db),
            Arc::new(Metrics::new()),
            2_000,
            1_000,
            clock.clone(),
        );
        router.upsert_device(Device {
            id: "dev_1".into(),
            workspace_id: "ws_1".into(),
            name: "Lamp".into(),
            transport: Transport::Agent,
            allowed_commands: vec!["LED_ON".into()],
            max_duration_ms: 5_000,
            max_commands_per_minute: 3,
            concurrency: Concurrency::Queued,
            max_queue: 16,
            fair_share_pct: 100,
        });
        Fixture {
            router,
            hub,
            clock,
            _dir: dir,
        }
    }

    fn job(fx: &Fixture, workspace: &str, cmd: &str, duration_ms: i64) -> Job {
        let now = fx.router.now_ms();
        Job {
            command: Command {
                id: new_id(prefix::COMMAND),
                workspace_id: workspace.into(),
                device_id: "dev_1".into(),
                cmd: cmd.into(),
                duration_ms,
                params: serde_json::json!({}),
                rule_id: None,
                event_id: None,
                issued_at: now,
                expires_at: now + 2_000,
            },
            event_at: None,
            limits: Limits::default(),
            ticket: Ticket {
                generation: 0,
                start_by: now + 2_000,
                mode: Concurrency::Queued,
            },
            viewer: None,
        }
    }

    fn refusal(fx: &Fixture, job: &Job) -> Option<(CommandStatus, String)> {
        fx.router.admit(job).err()
    }

    #[tokio::test]
    async fn the_kill_switch_is_checked_before_anything_else() {
        let fx = fixture();
        fx.router.set_kill("ws_1", true);
        // Even a command that every later check would refuse is "blocked".
        let bad = job(&fx, "ws_1", "SELF_DESTRUCT", 60_000);
        assert_eq!(
            refusal(&fx, &bad),
            Some((CommandStatus::Blocked, "the kill switch is engaged".into()))
        );
        fx.router.set_kill("ws_1", false);
        assert_eq!(
            refusal(&fx, &bad).map(|r| r.0),
            Some(CommandStatus::Rejected)
        );
    }

    #[tokio::test]
    async fn a_device_is_only_reached_through_its_own_workspace() {
        let fx = fixture();
        let _lanes = fx.hub.register("dev_1", "ws_1");
        assert_eq!(
            refusal(&fx, &job(&fx, "ws_2", "LED_ON", 100)),
            Some((CommandStatus::Undeliverable, "no such device".into()))
        );
    }

    #[tokio::test]
    async fn limits_come_before_presence() {
        let fx = fixture();
        // Offline, but outside its limits: "rejected" says what is wrong with the command.
        for (cmd, ms) in [("MOTOR_SPIN", 100), ("LED_ON", 5_001), ("LED_ON", -1)] {
            assert_eq!(
                refusal(&fx, &job(&fx, "ws_1", cmd, ms)),
                Some((
                    CommandStatus::Rejected,
                    "outside the device's limits".into()
                )),
                "{cmd} {ms}"
            );
        }
        assert_eq!(
            refusal(&fx, &job(&fx, "ws_1", "LED_ON", 5_000)),
            Some((CommandStatus::Undeliverable, "the device is offline".into()))
        );
    }

    #[tokio::test]
    async fn the_device_rate_is_a_sliding_minute_on_the_given_clock() {
        let fx = fixture();
        let _lanes = fx.hub.register("dev_1", "ws_1");
        for _ in 0..3 {
            assert!(fx.router.admit(&job(&fx, "ws_1", "LED_ON", 100)).is_ok());
            fx.clock.advance(10_000);
        }
        assert_eq!(
            refusal(&fx, &job(&fx, "ws_1", "LED_ON", 100)),
            Some(over_device(3))
        );
        // 60 s after the first one, one slot is free again, and only one.
        fx.clock.advance(30_000);
        assert!(fx.router.admit(&job(&fx, "ws_1", "LED_ON", 100)).is_ok());
        assert!(refusal(&fx, &job(&fx, "ws_1", "LED_ON", 100)).is_some());
    }

    #[tokio::test]
    async fn the_plan_rate_counts_every_device_of_the_workspace() {
        let fx = fixture();
        let _lanes = fx.hub.register("dev_1", "ws_1");
        fx.router.set_plan("ws_1", Plan::Free);
        let per_minute = Plan::Free.limits().commands_per_minute.unwrap();
        fx.router.upsert_device(Device {
            max_commands_per_minute: per_minute + 10,
            ..fx.router.device("dev_1").unwrap()
        });
        for _ in 0..per_minute {
            assert!(fx.router.admit(&job(&fx, "ws_1", "LED_ON", 100)).is_ok());
        }
        assert_eq!(
            refusal(&fx, &job(&fx, "ws_1", "LED_ON", 100)),
            Some(over_plan(Plan::Free, per_minute))
        );
    }

    #[test]
    fn a_window_forgets_what_is_a_minute_old() {
        let mut window = Window::default();
        assert!(window.admit(T0, 1));
        assert!(!window.admit(T0 + MINUTE_MS - 1, 1));
        assert!(window.admit(T0 + MINUTE_MS, 1));
    }
}
