//! The games' state in Redis, for several nodes (`bus.kind = "redis"`): each node handles part
//! of a livestream's events, and a goal, a vote or a queue counts them all. Every change is
//! one Lua script, atomic on Redis, on Redis's clock; a vote's end is taken by one node only.
//!
//! Keys, under `{namespace}:game:{preset_id}:`: `goal` (progress, target, reached), `voters`
//! (viewer → option rule), `ballots` (option rule → word), `vote` (ends, last_winner), `tally`
//! (the last window's votes per word), `tickets` (viewer → tickets), `names`, `served`,
//! `order` (a list), `turn` (viewer, name, ends), `wheel` (last). `{namespace}:games:votes`
//! is the open votes by end time.

use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::presets::games::{
    GameView, GoalView, QueueView, TurnView, VoteCount, VoteView, WheelView,
};
use crate::presets::model::{PresetInput, PresetRow};

const TIMEOUT: Duration = Duration::from_millis(500);

const NOW: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"#;

/// KEYS: goal. ARGV: units, base target, grow % (0: reset). → {times, progress, target}.
const GOAL: &str = r#"
local units, base, grow = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local p = tonumber(redis.call('HGET', KEYS[1], 'progress') or '0') + units
local t = tonumber(redis.call('HGET', KEYS[1], 'target') or base)
local r = tonumber(redis.call('HGET', KEYS[1], 'reached') or '0')
local times = 0
while p >= t and times < 10 do
  p = p - t
  r = r + 1
  times = times + 1
  if grow > 0 then t = t + math.ceil(t * grow / 100) end
end
if times == 10 and p >= t then p = t - 1 end
redis.call('HSET', KEYS[1], 'progress', p, 'target', t, 'reached', r)
return {times, p, t}
"#;

/// KEYS: voters, ballots, vote, open votes, index. ARGV: viewer, option rule, word, window ms,
/// member (`preset|workspace`), the option's place. → ms left.
const VOTE: &str = r#"
local ends = tonumber(redis.call('HGET', KEYS[3], 'ends') or '0')
if ends == 0 then
  ends = now + tonumber(ARGV[4])
  redis.call('HSET', KEYS[3], 'ends', ends)
  redis.call('ZADD', KEYS[4], ends, ARGV[5])
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[6])
return ends - now
"#;

/// KEYS: open votes. ARGV: namespace. Closes every vote whose window is over: → a flat list of
/// member, winning rule ('' when no one voted) for each.
const CLOSE_VOTES: &str = r#"
local out = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  redis.call('ZREM', KEYS[1], member)
  local preset = string.match(member, '^([^|]+)|')
  local base = ARGV[1] .. ':game:' .. preset .. ':'
  local counts = {}
  local voters = redis.call('HGETALL', base .. 'voters')
  for i = 2, #voters, 2 do counts[voters[i]] = (counts[voters[i]] or 0) + 1 end
  local ballots = redis.call('HGETALL', base .. 'ballots')
  local best, best_n, best_i = '', 0, 1e9
  redis.call('DEL', base .. 'tally')
  for i = 1, #ballots, 2 do
    local rule, word = ballots[i], ballots[i + 1]
    local n = counts[rule] or 0
    redis.call('HSET', base .. 'tally', word, n)
  end
  for rule, n in pairs(counts) do
    local index = tonumber(redis.call('HGET', base .. 'index', rule) or '1e9')
    if n > best_n or (n == best_n and index < best_i) then best, best_n, best_i = rule, n, index end
  end
  if best ~= '' then
    redis.call('HSET', base .. 'vote', 'last_winner', redis.call('HGET', base .. 'ballots', best) or '')
  end
  redis.call('HDEL', base .. 'vote', 'ends')
  redis.call('DEL', base .. 'voters')
  table.insert(out, member)
  table.insert(out, best)
end
return out
"#;

/// The queue's turn moves on when its time is up: to the waiting viewer with the fewest turns
/// had (the first of them to join). KEYS: tickets, names, served, order, turn. ARGV[1]: turn ms.
const ADVANCE: &str = r#"
local function advance()
  local ends = tonumber(redis.call('HGET', KEYS[5], 'ends') or '0')
  if ends > now then return end
  redis.call('DEL', KEYS[5])
  local order = redis.call('LRANGE', KEYS[4], 0, -1)
  local pick, fewest = nil, nil
  for _, who in ipairs(order) do
    local n = tonumber(redis.call('HGET', KEYS[3], who) or '0')
    if fewest == nil or n < fewest then pick, fewest = who, n end
  end
  if pick == nil then return end
  redis.call('LREM', KEYS[4], 1, pick)
  redis.call('HINCRBY', KEYS[3], pick, 1)
  local left = redis.call('HINCRBY', KEYS[1], pick, -1)
  if left > 0 then redis.call('RPUSH', KEYS[4], pick) else redis.call('HDEL', KEYS[1], pick) end
  redis.call('HSET', KEYS[5], 'viewer', pick, 'name', redis.call('HGET', KEYS[2], pick) or pick,
    'ends', now + tonumber(ARGV[1]))
end
"#;

/// A ticket: ARGV[2] viewer, ARGV[3] name. → viewers waiting.
const TICKET: &str = r#"
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
if redis.call('HINCRBY', KEYS[1], ARGV[2], 1) == 1 then redis.call('RPUSH', KEYS[4], ARGV[2]) end
advance()
return redis.call('LLEN', KEYS[4])
"#;

/// A control word from ARGV[2]: → {1, ''} their turn · {0, name} another's · {-1, ''} no
/// one's.
const CONTROL: &str = r#"
advance()
local who = redis.call('HGET', KEYS[5], 'viewer')
if not who then return {-1, ''} end
if who == ARGV[2] then return {1, ''} end
return {0, redis.call('HGET', KEYS[5], 'name') or who}
"#;

/// The queue as shown: → {turn name or '', ms left, waiting names in turn order…}.
const QUEUE_VIEW: &str = r#"
advance()
local out = {redis.call('HGET', KEYS[5], 'name') or '', 0}
local ends = tonumber(redis.call('HGET', KEYS[5], 'ends') or '0')
if ends > now then out[2] = ends - now end
local order = redis.call('LRANGE', KEYS[4], 0, -1)
table.sort(order, function(a, b)
  return tonumber(redis.call('HGET', KEYS[3], a) or '0') < tonumber(redis.call('HGET', KEYS[3], b) or '0')
end)
for _, who in ipairs(order) do table.insert(out, redis.call('HGET', KEYS[2], who) or who) end
return out
"#;

/// A rule's rising price. KEYS: its level. ARGV: the gift's diamonds, the base price, step %,
/// decay ms. → {1, price} fired (the level rises) · {0, price} too cheap.
const PRICE: &str = r#"
local diamonds, base, step, decay = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or tostring(now))
level = math.max(0, level - math.max(0, now - at) / decay)
local price = math.ceil(math.max(base, 1) * (1 + step / 100 * level))
if diamonds < price then return {0, price} end
redis.call('HSET', KEYS[1], 'level', tostring(level + 1), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.floor(decay * (level + 1)) + 60000)
return {1, price}
"#;

/// What a shared game decides for one firing.
#[derive(Debug, Clone, PartialEq)]
pub enum SharedDecision {
    Run(u32),
    Goal {
        progress: i64,
        target: i64,
    },
    Voted {
        word: String,
        ms_left: i64,
    },
    Ticket {
        waiting: i64,
    },
    NotYourTurn(String),
    NoTurn,
    TooCheap(i64),
    /// Redis did not answer: nothing runs (to be safe).
    Unreachable,
}

pub struct SharedGames {
    conn: ConnectionManager,
    namespace: String,
    goal: redis::Script,
    vote: redis::Script,
    close_votes: redis::Script,
    ticket: redis::Script,
    control: redis::Script,
    queue_view: redis::Script,
    price: redis::Script,
}

/// A closed vote: its workspace, and the option rule that won.
pub struct Winner {
    pub workspace_id: String,
    pub rule_id: String,
}

impl SharedGames {
    pub async fn connect(client: &redis::Client, namespace: &str) -> redis::RedisResult<Self> {
        let with_now = |body: &str| redis::Script::new(&format!("{NOW}{body}"));
        let queue = |body: &str| redis::Script::new(&format!("{NOW}{ADVANCE}{body}"));
        Ok(SharedGames {
            conn: client.get_connection_manager().await?,
            namespace: namespace.to_owned(),
            goal: redis::Script::new(GOAL),
            vote: with_now(VOTE),
            close_votes: with_now(CLOSE_VOTES),
            ticket: queue(TICKET),
            control: queue(CONTROL),
            queue_view: queue(QUEUE_VIEW),
            price: with_now(PRICE),
        })
    }

    fn key(&self, preset_id: &str, part: &str) -> String {
        format!("{}:game:{preset_id}:{part}", self.namespace)
    }

    async fn run<T: redis::FromRedisValue>(&self, call: redis::ScriptInvocation<'_>) -> Option<T> {
        let mut conn = self.conn.clone();
        match tokio::time::timeout(TIMEOUT, call.invoke_async::<T>(&mut conn)).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(err)) => {
                tracing::error!(error = %err, "shared games: Redis refused; this firing runs nothing");
                None
            }
            Err(_) => {
                tracing::error!(
                    "shared games: Redis did not answer in time; this firing runs nothing"
                );
                None
            }
        }
    }

    fn queue_call<'a>(
        &self,
        script: &'a redis::Script,
        preset_id: &str,
    ) -> redis::ScriptInvocation<'a> {
        let mut call = script.prepare_invoke();
        for part in ["tickets", "names", "served", "order", "turn"] {
            call.key(self.key(preset_id, part));
        }
        call
    }

    pub async fn goal(
        &self,
        preset_id: &str,
        units: i64,
        target: i64,
        grow_pct: i64,
    ) -> SharedDecision {
        let mut call = self.goal.prepare_invoke();
        call.key(self.key(preset_id, "goal"))
            .arg(units)
            .arg(target)
            .arg(grow_pct);
        match self.run::<Vec<i64>>(call).await.as_deref() {
            Some([0, progress, target]) => SharedDecision::Goal {
                progress: *progress,
                target: *target,
            },
            Some([times, ..]) => SharedDecision::Run(u32::try_from(*times).unwrap_or(1)),
            _ => SharedDecision::Unreachable,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn vote(
        &self,
        preset_id: &str,
        workspace_id: &str,
        viewer: &str,
        rule_id: &str,
        word: &str,
        index: usize,
        window_ms: i64,
    ) -> SharedDecision {
        let mut call = self.vote.prepare_invoke();
        call.key(self.key(preset_id, "voters"))
            .key(self.key(preset_id, "ballots"))
            .key(self.key(preset_id, "vote"))
            .key(format!("{}:games:votes", self.namespace))
            .key(self.key(preset_id, "index"))
            .arg(viewer)
            .arg(rule_id)
            .arg(word)
            .arg(window_ms)
            .arg(format!("{preset_id}|{workspace_id}"))
            .arg(index);
        match self.run::<i64>(call).await {
            Some(ms_left) => SharedDecision::Voted {
                word: word.to_owned(),
                ms_left,
            },
            None => SharedDecision::Unreachable,
        }
    }

    pub async fn ticket(
        &self,
        preset_id: &str,
        viewer: &str,
        name: &str,
        turn_ms: i64,
    ) -> SharedDecision {
        let mut call = self.queue_call(&self.ticket, preset_id);
        call.arg(turn_ms).arg(viewer).arg(name);
        match self.run::<i64>(call).await {
            Some(waiting) => SharedDecision::Ticket { waiting },
            None => SharedDecision::Unreachable,
        }
    }

    pub async fn control(&self, preset_id: &str, viewer: &str, turn_ms: i64) -> SharedDecision {
        let mut call = self.queue_call(&self.control, preset_id);
        call.arg(turn_ms).arg(viewer);
        match self.run::<(i64, String)>(call).await {
            Some((1, _)) => SharedDecision::Run(1),
            Some((0, name)) => SharedDecision::NotYourTurn(name),
            Some(_) => SharedDecision::NoTurn,
            None => SharedDecision::Unreachable,
        }
    }

    /// Whether a gift of `diamonds` meets the rule's price now; if so the price rises.
    pub async fn price(
        &self,
        rule_id: &str,
        diamonds: i64,
        base: i64,
        step_pct: i64,
        decay_ms: i64,
    ) -> SharedDecision {
        let mut call = self.price.prepare_invoke();
        call.key(format!("{}:price:{rule_id}", self.namespace))
            .arg(diamonds)
            .arg(base)
            .arg(step_pct)
            .arg(decay_ms.max(1));
        match self.run::<Vec<i64>>(call).await.as_deref() {
            Some([1, _]) => SharedDecision::Run(1),
            Some([_, price]) => SharedDecision::TooCheap(*price),
            _ => SharedDecision::Unreachable,
        }
    }

    pub async fn wheel_spun(&self, preset_id: &str, label: &str) {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("HSET");
        cmd.arg(self.key(preset_id, "wheel")).arg("last").arg(label);
        if !matches!(
            tokio::time::timeout(TIMEOUT, cmd.exec_async(&mut conn)).await,
            Ok(Ok(()))
        ) {
            tracing::warn!(
                preset_id,
                "shared games: the wheel's last spin was not kept"
            );
        }
    }

    /// Closes the votes whose window is over; each winner is this node's to run.
    pub async fn close_votes(&self) -> Vec<Winner> {
        let mut call = self.close_votes.prepare_invoke();
        call.key(format!("{}:games:votes", self.namespace))
            .arg(&self.namespace);
        let flat: Vec<String> = self.run(call).await.unwrap_or_default();
        flat.chunks(2)
            .filter_map(|pair| match pair {
                [member, rule] if !rule.is_empty() => {
                    let (_, workspace_id) = member.split_once('|')?;
                    Some(Winner {
                        workspace_id: workspace_id.to_owned(),
                        rule_id: rule.clone(),
                    })
                }
                _ => None,
            })
            .collect()
    }

    pub async fn forget(&self, preset_id: &str) {
        let mut conn = self.conn.clone();
        let mut del = redis::cmd("DEL");
        for part in [
            "goal", "voters", "ballots", "vote", "tally", "index", "tickets", "names", "served",
            "order", "turn", "wheel",
        ] {
            del.arg(self.key(preset_id, part));
        }
        let _ = tokio::time::timeout(TIMEOUT, del.exec_async(&mut conn)).await;
    }

    async fn hash(&self, preset_id: &str, part: &str) -> std::collections::HashMap<String, String> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("HGETALL");
        cmd.arg(self.key(preset_id, part));
        match tokio::time::timeout(TIMEOUT, cmd.query_async(&mut conn)).await {
            Ok(Ok(map)) => map,
            _ => Default::default(),
        }
    }

    /// The game's state as the API and the overlay show it.
    pub async fn view(&self, preset: &PresetRow, mut view: GameView) -> GameView {
        let id = &preset.id;
        match preset.config.get() {
            PresetInput::Goal { unit, target, .. } => {
                let goal = self.hash(id, "goal").await;
                let num = |k: &str, d: i64| goal.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
                view.goal = Some(GoalView {
                    unit: *unit,
                    progress: num("progress", 0),
                    target: num("target", *target),
                    reached: num("reached", 0),
                });
            }
            PresetInput::Vote { options, .. } => {
                let vote = self.hash(id, "vote").await;
                let ends: Option<i64> = vote.get("ends").and_then(|v| v.parse().ok());
                let counts: std::collections::HashMap<String, usize> = if ends.is_some() {
                    let ballots = self.hash(id, "ballots").await;
                    let mut counts = std::collections::HashMap::new();
                    for rule in self.hash(id, "voters").await.values() {
                        if let Some(word) = ballots.get(rule) {
                            *counts.entry(word.clone()).or_default() += 1;
                        }
                    }
                    counts
                } else {
                    self.hash(id, "tally")
                        .await
                        .into_iter()
                        .filter_map(|(w, n)| Some((w, n.parse().ok()?)))
                        .collect()
                };
                let now = crate::ids::now_ms();
                view.vote = Some(VoteView {
                    open: ends.is_some(),
                    ends_in_ms: ends.map(|t| (t - now).max(0)),
                    options: options
                        .iter()
                        .map(|o| {
                            let word = o.word.trim().to_lowercase();
                            VoteCount {
                                votes: counts.get(&word).copied().unwrap_or(0),
                                word,
                            }
                        })
                        .collect(),
                    last_winner: vote.get("last_winner").cloned().filter(|w| !w.is_empty()),
                });
            }
            PresetInput::Queue { turn_s, .. } => {
                let mut call = self.queue_call(&self.queue_view, id);
                call.arg(turn_s.unwrap_or(30) * 1000);
                let shown: Vec<redis::Value> = self.run(call).await.unwrap_or_default();
                let text = |v: &redis::Value| -> String {
                    redis::from_redis_value::<String>(v.clone()).unwrap_or_default()
                };
                let turn = shown.first().map(text).filter(|n| !n.is_empty());
                let left = shown
                    .get(1)
                    .and_then(|v| redis::from_redis_value::<i64>(v.clone()).ok())
                    .unwrap_or(0);
                view.queue = Some(QueueView {
                    turn: turn.map(|viewer| TurnView {
                        viewer,
                        ends_in_ms: left,
                    }),
                    waiting: shown.iter().skip(2).map(text).collect(),
                });
            }
            PresetInput::Wheel { .. } => {
                view.wheel = Some(WheelView {
                    last_choice: self.hash(id, "wheel").await.get("last").cloned(),
                });
            }
            PresetInput::GiftAction { .. } => {}
        }
        view
    }
}
