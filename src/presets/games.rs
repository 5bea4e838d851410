//! The games' live state (goal progress, the vote, the queue, the wheel's last draw), kept by
//! the rule engine and read by `GET …/presets/{id}/state` and the overlay. The engine hands a
//! game rule's firing to [`Games::on_fire`], which says whether its command runs now; the
//! engine's clock calls [`Games::tick`], which closes votes.
//!
//! The state lives in this node's memory: it starts empty after a restart, and with several
//! nodes each keeps the events it was given (the closing note of issue 15 says so).

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;
use serde::Serialize;
use utoipa::ToSchema;

use crate::commands::router::Request;
use crate::presets::model::{GoalUnit, PresetInput, PresetKind, PresetRow};
use crate::presets::role::GameRole;
use crate::presets::shared_games::SharedGames;
use crate::protocol::{Event, EventKind};
use crate::rules::matcher::CompiledRule;
use crate::rules::reason::Reason;

/// What the game makes of a rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Its command runs this many times now (a goal crossed by one burst runs once per
    /// threshold).
    Run(u32),
    /// Nothing runs now, and why.
    Hold(Reason),
}

#[derive(Debug, Default)]
struct Goal {
    progress: i64,
    /// `None` until the first event: the rule's own target then.
    target: Option<i64>,
    reached: i64,
}

#[derive(Debug, Clone)]
struct Ballot {
    index: usize,
    word: String,
    request: Request,
}

#[derive(Debug, Default)]
struct Vote {
    ends_at: Option<i64>,
    /// Each viewer's latest vote (an option's rule id).
    voters: HashMap<String, String>,
    options: HashMap<String, Ballot>,
    last_winner: Option<String>,
    /// The closed window's votes per word, shown until the next window opens.
    last_tally: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
struct Turn {
    viewer_key: String,
    viewer: String,
    ends_at: i64,
}

#[derive(Debug, Default)]
struct Queue {
    turn: Option<Turn>,
    /// Each viewer once while they hold tickets, in the order they joined.
    order: VecDeque<(String, String)>,
    tickets: HashMap<String, u32>,
    /// Turns each viewer has had: the next turn goes to whoever waits with the fewest.
    served: HashMap<String, u32>,
    turn_s: i64,
}

impl Queue {
    /// The waiting viewers in the order their turns will come: fewest turns had first, then
    /// who joined first. Three tickets bought at once do not hold off the viewer who bought
    /// one, and one who just played waits for those who have not.
    fn in_turn_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.order.len()).collect();
        order.sort_by_key(|&i| self.served.get(&self.order[i].0).copied().unwrap_or(0));
        order
    }

    /// Ends a turn whose time is up and starts the next one.
    fn advance(&mut self, now: i64) {
        if self.turn.as_ref().is_some_and(|t| t.ends_at <= now) {
            self.turn = None;
        }
        if self.turn.is_some() {
            return;
        }
        let next = self.in_turn_order().first().copied();
        if let Some((key, name)) = next.and_then(|i| self.order.remove(i)) {
            *self.served.entry(key.clone()).or_default() += 1;
            let left = self
                .tickets
                .get(&key)
                .copied()
                .unwrap_or(1)
                .saturating_sub(1);
            if left > 0 {
                self.tickets.insert(key.clone(), left);
                self.order.push_back((key.clone(), name.clone()));
            } else {
                self.tickets.remove(&key);
            }
            self.turn = Some(Turn {
                viewer_key: key,
                viewer: name,
                ends_at: now + self.turn_s * 1000,
            });
        }
    }
}

#[derive(Debug, Default)]
struct Wheel {
    last_choice: Option<String>,
}

#[derive(Debug)]
enum State {
    Goal(Goal),
    Vote(Vote),
    Queue(Queue),
    Wheel(Wheel),
}

#[derive(Default)]
pub struct Games {
    states: Mutex<HashMap<String, State>>,
    /// With several nodes, the state every node shares (Redis); `states` then stays empty.
    shared: std::sync::OnceLock<std::sync::Arc<SharedGames>>,
}

/// The units an event adds to a goal.
pub(crate) fn units(unit: GoalUnit, event: &EventKind) -> i64 {
    match (unit, event) {
        (GoalUnit::Likes, EventKind::Like { count, .. }) => (*count).max(0),
        (GoalUnit::Diamonds, EventKind::Gift { total_diamonds, .. }) => (*total_diamonds).max(0),
        (GoalUnit::Comments, EventKind::Comment { .. }) => 1,
        _ => 0,
    }
}

impl Games {
    pub fn set_shared(&self, shared: std::sync::Arc<SharedGames>) {
        let _ = self.shared.set(shared);
    }

    /// The shared state, when there are several nodes.
    pub fn shared(&self) -> Option<std::sync::Arc<SharedGames>> {
        self.shared.get().cloned()
    }

    /// Whether the state is shared (several nodes); for the engine's per-event checks.
    pub fn is_shared(&self) -> bool {
        self.shared.get().is_some()
    }

    /// The game's state as the API and the overlay show it, wherever it is kept.
    pub async fn view(&self, preset: &PresetRow, now: i64) -> GameView {
        let local = self.local_view(preset, now);
        match self.shared() {
            Some(shared) => shared.view(preset, local).await,
            None => local,
        }
    }

    /// Forgets a removed game's state.
    pub async fn forget(&self, preset_id: &str) {
        self.states.lock().remove(preset_id);
        if let Some(shared) = self.shared() {
            shared.forget(preset_id).await;
        }
    }

    /// A game rule fired on `event`: what runs now.
    pub fn on_fire(
        &self,
        rule: &CompiledRule,
        role: &GameRole,
        event: &Event,
        request: impl FnOnce() -> Request,
        now: i64,
    ) -> Decision {
        let mut states = self.states.lock();
        let viewer = event
            .kind
            .user()
            .and_then(|u| u.key().map(|k| (k.to_owned(), u.display())));
        match role {
            GameRole::Goal {
                preset_id,
                unit,
                target,
                grow_pct,
            } => {
                let State::Goal(goal) = states
                    .entry(preset_id.clone())
                    .or_insert_with(|| State::Goal(Goal::default()))
                else {
                    return Decision::Hold(Reason::new("reason-game-mismatch"));
                };
                let mut goal_target = goal.target.unwrap_or(*target).max(1);
                goal.progress += units(*unit, &event.kind);
                let mut times = 0;
                // At most a few thresholds per event: a flood of likes is not a flood of
                // commands.
                while goal.progress >= goal_target && times < 10 {
                    goal.progress -= goal_target;
                    goal.reached += 1;
                    times += 1;
                    if let Some(pct) = grow_pct {
                        goal_target = goal_target
                            .saturating_add((goal_target.saturating_mul(*pct) + 99) / 100);
                    }
                }
                if times == 10 {
                    goal.progress = goal.progress.min(goal_target - 1);
                }
                goal.target = Some(goal_target);
                if times > 0 {
                    Decision::Run(times)
                } else {
                    Decision::Hold(
                        Reason::new("reason-goal")
                            .with("so_far", goal.progress)
                            .with("target", goal_target),
                    )
                }
            }
            GameRole::VoteOption {
                preset_id,
                index,
                window_s,
            } => {
                let Some((key, _)) = viewer else {
                    return Decision::Hold(Reason::new("reason-game-no-viewer"));
                };
                let State::Vote(vote) = states
                    .entry(preset_id.clone())
                    .or_insert_with(|| State::Vote(Vote::default()))
                else {
                    return Decision::Hold(Reason::new("reason-game-mismatch"));
                };
                let ends_at = *vote.ends_at.get_or_insert(now + window_s * 1000);
                let word = rule.when.equals.clone().unwrap_or_default();
                vote.options
                    .entry(rule.id.clone())
                    .or_insert_with(|| Ballot {
                        index: *index,
                        word: word.clone(),
                        request: request(),
                    });
                vote.voters.insert(key, rule.id.clone());
                Decision::Hold(
                    Reason::new("reason-vote")
                        .with("word", word)
                        .with("ms", (ends_at - now).max(0)),
                )
            }
            GameRole::QueueTicket { preset_id, turn_s } => {
                let Some((key, name)) = viewer else {
                    return Decision::Hold(Reason::new("reason-game-no-viewer"));
                };
                let State::Queue(queue) = states
                    .entry(preset_id.clone())
                    .or_insert_with(|| State::Queue(Queue::default()))
                else {
                    return Decision::Hold(Reason::new("reason-game-mismatch"));
                };
                queue.turn_s = *turn_s;
                // A viewer is in the round while they hold tickets; one who is playing now
                // and buys another waits for everyone already in line.
                let tickets = queue.tickets.entry(key.clone()).or_insert(0);
                *tickets += 1;
                if *tickets == 1 {
                    queue.order.push_back((key, name));
                }
                queue.advance(now);
                Decision::Hold(Reason::new("reason-ticket").with("waiting", queue.order.len()))
            }
            GameRole::QueueControl { preset_id, .. } => {
                let Some(State::Queue(queue)) = states.get_mut(preset_id) else {
                    return Decision::Hold(Reason::new("reason-no-turn"));
                };
                queue.advance(now);
                match (&queue.turn, viewer) {
                    (Some(turn), Some((key, _))) if turn.viewer_key == key => Decision::Run(1),
                    (Some(turn), _) => Decision::Hold(
                        Reason::new("reason-not-your-turn").with("viewer", &turn.viewer),
                    ),
                    (None, _) => Decision::Hold(Reason::new("reason-no-turn")),
                }
            }
            GameRole::WheelChoice { .. } => Decision::Run(1),
        }
    }

    /// Draws one of `weights` (by weight) for the wheel `preset_id`, remembering `label`.
    pub fn draw(&self, preset_id: &str, weights: &[i64], labels: &[String]) -> usize {
        use rand::Rng as _;
        let total: i64 = weights.iter().map(|w| w.max(&0)).sum();
        let mut chosen = 0;
        if total > 0 {
            let mut ticket = rand::rng().random_range(0..total);
            for (i, w) in weights.iter().enumerate() {
                let w = (*w).max(0);
                if ticket < w {
                    chosen = i;
                    break;
                }
                ticket -= w;
            }
        }
        let mut states = self.states.lock();
        if let State::Wheel(wheel) = states
            .entry(preset_id.to_owned())
            .or_insert_with(|| State::Wheel(Wheel::default()))
        {
            wheel.last_choice = labels.get(chosen).cloned();
        }
        chosen
    }

    /// Closes the votes whose window is over: the winner's command, for each.
    pub fn tick(&self, now: i64) -> Vec<Request> {
        let mut due = Vec::new();
        for state in self.states.lock().values_mut() {
            match state {
                State::Vote(vote) if vote.ends_at.is_some_and(|t| t <= now) => {
                    let mut counts: HashMap<&str, usize> = HashMap::new();
                    for option in vote.voters.values() {
                        *counts.entry(option.as_str()).or_default() += 1;
                    }
                    vote.last_tally = counts
                        .iter()
                        .filter_map(|(id, n)| vote.options.get(*id).map(|b| (b.word.clone(), *n)))
                        .collect();
                    let winner = counts
                        .iter()
                        .filter_map(|(id, n)| vote.options.get(*id).map(|b| (b, *n)))
                        .max_by(|(a, na), (b, nb)| na.cmp(nb).then(b.index.cmp(&a.index)))
                        .map(|(b, _)| b.clone());
                    if let Some(ballot) = winner {
                        vote.last_winner = Some(ballot.word.clone());
                        due.push(ballot.request);
                    }
                    vote.ends_at = None;
                    vote.voters.clear();
                }
                State::Queue(queue) => queue.advance(now),
                _ => {}
            }
        }
        due
    }

    /// The game's state as this node keeps it (its shape, with the configured defaults, when
    /// the state is shared).
    fn local_view(&self, preset: &PresetRow, now: i64) -> GameView {
        let mut states = self.states.lock();
        let state = states.get_mut(&preset.id);
        let mut view = GameView {
            preset_id: preset.id.clone(),
            kind: preset.kind,
            name: preset.name.clone(),
            goal: None,
            vote: None,
            queue: None,
            wheel: None,
        };
        match (preset.config.get(), state) {
            (PresetInput::Goal { unit, target, .. }, state) => {
                let goal = match state {
                    Some(State::Goal(g)) => Some(&*g),
                    _ => None,
                };
                view.goal = Some(GoalView {
                    unit: *unit,
                    progress: goal.map_or(0, |g| g.progress),
                    target: goal.and_then(|g| g.target).unwrap_or(*target),
                    reached: goal.map_or(0, |g| g.reached),
                });
            }
            (PresetInput::Vote { options, .. }, state) => {
                let vote = match state {
                    Some(State::Vote(v)) => Some(&*v),
                    _ => None,
                };
                let votes_for = |word: &str| -> usize {
                    vote.map_or(0, |v| {
                        v.voters
                            .values()
                            .filter(|id| {
                                v.options
                                    .get(*id)
                                    .is_some_and(|b| b.word.eq_ignore_ascii_case(word))
                            })
                            .count()
                    })
                };
                view.vote = Some(VoteView {
                    open: vote.is_some_and(|v| v.ends_at.is_some()),
                    ends_in_ms: vote.and_then(|v| v.ends_at).map(|t| (t - now).max(0)),
                    options: options
                        .iter()
                        .map(|o| VoteCount {
                            word: o.word.trim().to_lowercase(),
                            votes: votes_for(&o.word.trim().to_lowercase()),
                        })
                        .collect(),
                    last_winner: vote.and_then(|v| v.last_winner.clone()),
                });
            }
            (PresetInput::Queue { .. }, state) => {
                let queue = match state {
                    Some(State::Queue(q)) => {
                        q.advance(now);
                        Some(&*q)
                    }
                    _ => None,
                };
                view.queue = Some(QueueView {
                    turn: queue.and_then(|q| q.turn.as_ref()).map(|t| TurnView {
                        viewer: t.viewer.clone(),
                        ends_in_ms: (t.ends_at - now).max(0),
                    }),
                    waiting: queue.map_or_else(Vec::new, |q| {
                        q.in_turn_order()
                            .into_iter()
                            .map(|i| q.order[i].1.clone())
                            .collect()
                    }),
                });
            }
            (PresetInput::Wheel { .. }, state) => {
                view.wheel = Some(WheelView {
                    last_choice: match state {
                        Some(State::Wheel(w)) => w.last_choice.clone(),
                        _ => None,
                    },
                });
            }
            (PresetInput::GiftAction { .. }, _) => {}
        }
        view
    }
}

/// `GET …/presets/{id}/state`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GameView {
    pub preset_id: String,
    pub kind: PresetKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<GoalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote: Option<VoteView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wheel: Option<WheelView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalView {
    pub unit: GoalUnit,
    pub progress: i64,
    /// The current target (a growing goal's grows each time it is reached).
    pub target: i64,
    /// Times reached since the server started.
    pub reached: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoteView {
    /// A window is open (the first vote opens it).
    pub open: bool,
    pub ends_in_ms: Option<i64>,
    pub options: Vec<VoteCount>,
    pub last_winner: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoteCount {
    pub word: String,
    pub votes: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueView {
    /// Whose turn it is, and for how much longer.
    pub turn: Option<TurnView>,
    /// The viewers waiting, in the order their turns come.
    pub waiting: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TurnView {
    pub viewer: String,
    pub ends_in_ms: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WheelView {
    /// The command the last spin chose.
    pub last_choice: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue_with(tickets: &[&str]) -> Queue {
        let mut q = Queue {
            turn_s: 10,
            ..Queue::default()
        };
        for who in tickets {
            let n = q.tickets.entry((*who).to_owned()).or_insert(0);
            *n += 1;
            if *n == 1 {
                q.order.push_back(((*who).to_owned(), (*who).to_owned()));
            }
        }
        q
    }

    #[test]
    fn turns_go_to_whoever_has_had_the_fewest() {
        // Ann buys three tickets before Bob and Cat buy one each.
        let mut q = queue_with(&["ann", "ann", "ann", "bob", "cat"]);
        let mut turns = Vec::new();
        for i in 0..5 {
            q.advance(i * 10_000);
            turns.push(q.turn.as_ref().map(|t| t.viewer.clone()).unwrap());
        }
        assert_eq!(turns, ["ann", "bob", "cat", "ann", "ann"]);
        q.advance(50_000);
        assert!(q.turn.is_none(), "no tickets left, no turn");
    }

    #[test]
    fn a_turn_lasts_its_time_and_no_longer() {
        let mut q = queue_with(&["ann", "bob"]);
        q.advance(0);
        q.advance(9_999);
        assert_eq!(q.turn.as_ref().unwrap().viewer, "ann");
        q.advance(10_000);
        assert_eq!(q.turn.as_ref().unwrap().viewer, "bob");
    }
}
