//! The registry: one `LivestreamActor` per livestream this node runs, by id.
//!
//! On one node it runs every livestream it is asked to. With several nodes (`leases`), it runs
//! only those whose lease it holds: every second it renews them, lets go of the ones no longer
//! wanted or lost, and takes its fair share of the wanted ones no node holds (a node that died
//! leaves its livestreams free when its leases end).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use rand::seq::SliceRandom as _;

use crate::live::actor::{Abandon, Deps, GetRuntime, LivestreamActor, Spec, Stop};
use crate::live::lease::{Beat, Leases, TICK};
use crate::live::model::{LivestreamRow, Runtime};

struct Running {
    workspace_id: String,
    addr: Addr<LivestreamActor>,
    /// The lease's fencing token (0 without leases).
    fence: i64,
}

pub struct LiveRegistry {
    deps: Deps,
    /// Threads the livestreams run on, in turn: TikTok sockets, inflating and decoding never
    /// share one thread with the rule engine, and a heavy livestream only slows its thread.
    threads: Vec<ArbiterHandle>,
    next_thread: usize,
    actors: HashMap<String, Running>,
    leases: Option<Arc<Leases>>,
    /// Livestreams being acquired right now (not to be asked for twice).
    acquiring: HashSet<String>,
    /// When leases were last renewed (a node cut off from Redis stops its livestreams before
    /// another node may take them).
    renewed: Instant,
    ticking: bool,
    stopping: bool,
    /// No lease is taken before this: Redis restarted empty, and the nodes holding
    /// livestreams get one lease's time to put their leases back first.
    hold_off_until: Option<Instant>,
    beats: u64,
}

impl LiveRegistry {
    pub fn new(deps: Deps, leases: Option<Arc<Leases>>) -> Self {
        let count = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .clamp(1, 8);
        Self {
            deps,
            threads: (0..count).map(|_| Arbiter::new().handle()).collect(),
            next_thread: 0,
            actors: HashMap::new(),
            leases,
            acquiring: HashSet::new(),
            renewed: Instant::now(),
            ticking: false,
            stopping: false,
            hold_off_until: None,
            beats: 0,
        }
    }

    fn start_actor(&mut self, mut spec: Spec, fence: i64) {
        spec.fence = fence;
        let id = spec.id.clone();
        let workspace_id = spec.workspace_id.clone();
        let deps = self.deps.clone();
        let addr = match self
            .threads
            .get(self.next_thread % self.threads.len().max(1))
        {
            Some(thread) => {
                LivestreamActor::start_in_arbiter(thread, move |_| LivestreamActor::new(spec, deps))
            }
            None => LivestreamActor::new(spec, deps).start(),
        };
        self.next_thread = self.next_thread.wrapping_add(1);
        self.actors.insert(
            id,
            Running {
                workspace_id,
                addr,
                fence,
            },
        );
    }

    fn is_running(&self, id: &str) -> bool {
        self.actors.get(id).is_some_and(|r| r.addr.connected())
    }

    /// Takes the lease (if free) and starts the livestream here.
    fn claim(&mut self, spec: Spec, ctx: &mut Context<Self>) {
        let Some(leases) = self.leases.clone() else {
            self.start_actor(spec, 0);
            return;
        };
        if self.stopping
            || self.hold_off_until.is_some_and(|t| Instant::now() < t)
            || !self.acquiring.insert(spec.id.clone())
        {
            return;
        }
        let id = spec.id.clone();
        ctx.spawn(
            async move { leases.acquire(&id).await }
                .into_actor(self)
                .map(move |acquired, act, _| {
                    act.acquiring.remove(&spec.id);
                    match acquired {
                        Ok(Some(fence)) if !act.stopping && !act.is_running(&spec.id) => {
                            tracing::info!(livestream_id = %spec.id, fence, "this node holds the livestream now");
                            act.start_actor(spec, fence);
                        }
                        Ok(Some(fence)) => {
                            if let Some(leases) = act.leases.clone() {
                                let held = vec![(spec.id.clone(), fence)];
                                actix::spawn(async move { leases.release(&held).await });
                            }
                        }
                        Ok(None) => {}
                        Err(err) => {
                            tracing::warn!(livestream_id = %spec.id, error = %err, "could not take a livestream lease; retrying")
                        }
                    }
                }),
        );
    }

    /// Stops a livestream here (saving its state) and gives its lease up.
    fn stop(&mut self, id: &str) -> bool {
        let Some(running) = self.actors.remove(id) else {
            return false;
        };
        running.addr.do_send(Stop);
        if let Some(leases) = self.leases.clone() {
            let held = vec![(id.to_owned(), running.fence)];
            actix::spawn(async move { leases.release(&held).await });
        }
        true
    }

    /// Stops a livestream here without writing its state: another node holds it now.
    fn abandon(&mut self, id: &str, why: &str) {
        if let Some(running) = self.actors.remove(id) {
            tracing::warn!(livestream_id = %id, why, "this node no longer runs the livestream");
            running.addr.do_send(Abandon);
        }
    }

    fn held(&self) -> Vec<(String, i64)> {
        self.actors
            .iter()
            .map(|(id, r)| (id.clone(), r.fence))
            .collect()
    }

    /// One round of the lease keeper (only with leases).
    fn tick(&mut self, ctx: &mut Context<Self>) {
        let Some(leases) = self.leases.clone() else {
            return;
        };
        if self.ticking || self.stopping {
            return;
        }
        self.ticking = true;
        let held = self.held();
        let actors: Vec<(String, Addr<LivestreamActor>)> = self
            .actors
            .iter()
            .map(|(id, r)| (id.clone(), r.addr.clone()))
            .collect();
        let db = self.deps.db.clone();
        ctx.spawn(
            async move {
                let renewed = leases.renew(&held).await;
                // Every actor is asked at once: they run on several threads.
                let asked = actors.into_iter().map(|(id, addr)| async move {
                    addr.send(GetRuntime)
                        .await
                        .ok()
                        .map(|runtime| (id, runtime))
                });
                let runtimes: Vec<_> = futures_util::future::join_all(asked)
                    .await
                    .into_iter()
                    .flatten()
                    .collect();
                leases.publish_runtimes(&runtimes).await;
                let wanted = db.run(LivestreamRow::wanted).await;
                let beat = leases.heartbeat().await;
                let free = match &wanted {
                    Ok(rows) => {
                        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                        leases.free(&ids).await.unwrap_or_default()
                    }
                    Err(_) => Vec::new(),
                };
                (held, renewed, wanted, beat, free)
            }
            .into_actor(self)
            .map(|(held, renewed, wanted, beat, free), act, ctx| {
                act.ticking = false;
                act.after_tick(held, renewed, wanted, beat, free, ctx);
            }),
        );
    }

    fn after_tick(
        &mut self,
        held: Vec<(String, i64)>,
        renewed: redis::RedisResult<Vec<bool>>,
        wanted: crate::error::AppResult<Vec<LivestreamRow>>,
        beat: redis::RedisResult<Beat>,
        free: Vec<String>,
        ctx: &mut Context<Self>,
    ) {
        let ttl = self.leases.as_ref().map(|l| l.ttl()).unwrap_or(TICK * 5);
        match renewed {
            Ok(renewed) => {
                self.renewed = Instant::now();
                for ((id, fence), ours) in held.iter().zip(renewed) {
                    if !ours && self.actors.get(id).is_some_and(|r| r.fence == *fence) {
                        self.abandon(id, "its lease went to another node");
                    }
                }
            }
            Err(err) => {
                // Stop before the lease can end anywhere: past 4/5 of it, another node may
                // be about to take these livestreams over.
                if self.renewed.elapsed() >= ttl.mul_f32(0.8) && !self.actors.is_empty() {
                    tracing::error!(error = %err, "cannot renew livestream leases (Redis); stopping this node's livestreams so no two nodes run one");
                    let ids: Vec<String> = self.actors.keys().cloned().collect();
                    for id in ids {
                        self.abandon(&id, "its lease could not be renewed");
                    }
                }
                return;
            }
        }
        if let Ok(beat) = &beat {
            self.beats += 1;
            if beat.marker_was_lost && self.beats > 1 {
                tracing::warn!(
                    "Redis lost the livestream leases (restarted empty?); taking none for one lease time, so their holders put them back first"
                );
                self.hold_off_until = Some(Instant::now() + ttl);
            }
        }
        let Ok(wanted) = wanted else {
            return;
        };
        let wanted_ids: HashSet<&str> = wanted.iter().map(|r| r.id.as_str()).collect();
        let unwanted: Vec<String> = self
            .actors
            .keys()
            .filter(|id| !wanted_ids.contains(id.as_str()))
            .cloned()
            .collect();
        for id in unwanted {
            self.stop(&id);
        }
        // A fair share: no node takes more than its part of the wanted livestreams while
        // others are alive to take theirs.
        if self.hold_off_until.is_some_and(|t| Instant::now() < t) {
            return;
        }
        let alive = beat.map_or(1, |b| b.alive);
        let share = wanted.len().div_ceil(alive.max(1));
        let room = share.saturating_sub(self.actors.len() + self.acquiring.len());
        let free: HashSet<String> = free.into_iter().collect();
        let mut candidates: Vec<LivestreamRow> = wanted
            .into_iter()
            .filter(|r| free.contains(&r.id) && !self.is_running(&r.id))
            .collect();
        candidates.shuffle(&mut rand::rng());
        for row in candidates.into_iter().take(room) {
            self.claim(row.spec(), ctx);
        }
    }
}

impl Actor for LiveRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if self.leases.is_some() {
            ctx.run_interval(TICK, |act, ctx| act.tick(ctx));
        }
    }
}

/// Starts the livestream's actor unless it runs already (with leases: if no node holds it).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Connect(pub Spec);

impl Handler<Connect> for LiveRegistry {
    type Result = ();

    fn handle(&mut self, msg: Connect, ctx: &mut Self::Context) {
        if !self.is_running(&msg.0.id) {
            self.claim(msg.0, ctx);
        }
    }
}

/// Stops the livestream's actor. True if one was running here.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct Disconnect(pub String);

impl Handler<Disconnect> for LiveRegistry {
    type Result = bool;

    fn handle(&mut self, msg: Disconnect, _ctx: &mut Self::Context) -> bool {
        self.stop(&msg.0)
    }
}

/// Stops every livestream of a workspace (suspension, deletion). Returns how many.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct DisconnectWorkspace(pub String);

impl Handler<DisconnectWorkspace> for LiveRegistry {
    type Result = usize;

    fn handle(&mut self, msg: DisconnectWorkspace, _ctx: &mut Self::Context) -> usize {
        let ids: Vec<String> = self
            .actors
            .iter()
            .filter(|(_, r)| r.workspace_id == msg.0)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            self.stop(id);
        }
        ids.len()
    }
}

/// Stops every livestream this node runs and gives their leases up, so other nodes take them
/// over at once (a graceful stop). Returns how many.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct StopAll;

impl Handler<StopAll> for LiveRegistry {
    type Result = ResponseActFuture<Self, usize>;

    fn handle(&mut self, _msg: StopAll, _ctx: &mut Self::Context) -> Self::Result {
        self.stopping = true;
        let held = self.held();
        let count = held.len();
        for running in self.actors.drain().map(|(_, r)| r) {
            running.addr.do_send(Stop);
        }
        let leases = self.leases.clone();
        Box::pin(
            async move {
                if let Some(leases) = leases {
                    leases.release(&held).await;
                    leases.leave().await;
                }
                count
            }
            .into_actor(self),
        )
    }
}

/// The actor of a livestream, if it runs here.
#[derive(Message)]
#[rtype(result = "Option<Addr<LivestreamActor>>")]
pub struct Lookup(pub String);

impl Handler<Lookup> for LiveRegistry {
    type Result = Option<Addr<LivestreamActor>>;

    fn handle(&mut self, msg: Lookup, _ctx: &mut Self::Context) -> Self::Result {
        self.actors
            .get(&msg.0)
            .filter(|r| r.addr.connected())
            .map(|r| r.addr.clone())
    }
}

/// What the node running a livestream knows of it (this node or, with leases, another):
/// `None` when no node runs it.
#[derive(Message)]
#[rtype(result = "Option<Runtime>")]
pub struct RuntimeOf(pub String);

impl Handler<RuntimeOf> for LiveRegistry {
    type Result = ResponseFuture<Option<Runtime>>;

    fn handle(&mut self, msg: RuntimeOf, _ctx: &mut Self::Context) -> Self::Result {
        let local = self
            .actors
            .get(&msg.0)
            .filter(|r| r.addr.connected())
            .map(|r| r.addr.clone());
        let leases = self.leases.clone();
        Box::pin(async move {
            match (local, leases) {
                (Some(addr), _) => addr.send(GetRuntime).await.ok(),
                (None, Some(leases)) => leases.runtime(&msg.0).await,
                (None, None) => None,
            }
        })
    }
}

/// How many actors run here.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct Count;

impl Handler<Count> for LiveRegistry {
    type Result = usize;

    fn handle(&mut self, _msg: Count, _ctx: &mut Self::Context) -> usize {
        self.actors.retain(|_, r| r.addr.connected());
        self.actors.len()
    }
}
