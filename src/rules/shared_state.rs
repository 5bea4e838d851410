//! Rule state shared by every node, in Redis: a cooldown, a per-viewer cooldown, an `every`
//! counter and a viewer threshold give the same verdict whichever node sees the event.
//!
//! One script call per event decides all of that event's candidate rules atomically, after
//! claiming the event id (so an event a crashed node had handled, then taken over by another
//! node, never fires twice). A batch of events is one pipelined round trip. Cooldowns are keys
//! that expire by themselves; counters and thresholds are one hash per rule.

use redis::aio::ConnectionManager;

use crate::protocol::Event;
use crate::rules::matcher::CompiledRule;
use crate::rules::model::CounterState;
use crate::rules::state::{Verdict, viewer_of, viewers_of};

/// ARGV: namespace, event id ("" = no claim), commit (1/0), claim ms, rule count, then eight
/// values per rule. Returns false for an event already claimed, else one row per rule:
/// {verdict, a, b, counter, armed}.
const JUDGE: &str = r#"
local ns, event_id, commit, claim_ms, n = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4], tonumber(ARGV[5])
if commit and event_id ~= '' then
  if not redis.call('SET', ns .. ':seen:' .. event_id, '1', 'NX', 'PX', claim_ms) then
    return false
  end
end
local out = {}
for i = 0, n - 1 do
  local b = 5 + i * 8
  local id, cooldown, per_user, viewer = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), ARGV[b + 4]
  local every, units, at_least, viewers = tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), tonumber(ARGV[b + 7]), tonumber(ARGV[b + 8])
  local key = ns .. ':rule:' .. id
  local counter = tonumber(redis.call('HGET', key, 'n') or '0') or 0
  local armed = redis.call('HGET', key, 'armed') ~= '0'
  local verdict, x, y = 0, 0, 0
  repeat
    if at_least >= 0 then
      if viewers < at_least then
        armed = true
        verdict, x, y = 1, viewers, at_least
        break
      end
      if not armed then
        verdict, x = 2, at_least
        break
      end
    end
    if every > 0 then
      counter = counter + units
      if counter < every then
        verdict, x, y = 3, counter, every
        break
      end
    end
    if cooldown > 0 then
      local left = redis.call('PTTL', key .. ':last')
      if left > 0 then
        verdict, x = 4, left
        break
      end
    end
    if per_user > 0 then
      local left = redis.call('PTTL', key .. ':u:' .. viewer)
      if left > 0 then
        verdict, x = 5, left
        break
      end
    end
  until true
  if commit then
    if verdict == 0 then
      if cooldown > 0 then redis.call('SET', key .. ':last', '1', 'PX', cooldown) end
      if every > 0 then counter = counter % every end
      if at_least >= 0 then armed = false end
      if per_user > 0 then redis.call('SET', key .. ':u:' .. viewer, '1', 'PX', per_user) end
    end
    if every > 0 or at_least >= 0 then
      redis.call('HSET', key, 'n', counter, 'armed', armed and '1' or '0')
    end
  end
  out[#out + 1] = {verdict, x, y, counter, armed and 1 or 0}
end
return out
"#;

/// Seeds a rule's counter from the table when Redis has none (a Redis that lost its data).
const SEED: &str = r#"
redis.call('HSETNX', KEYS[1], 'n', ARGV[1])
redis.call('HSETNX', KEYS[1], 'armed', ARGV[2])
return 1
"#;

/// One rule's verdict, and the counter it left (for rules with `every` or a threshold).
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    pub verdict: Verdict,
    pub counter: Option<CounterState>,
}

#[derive(Clone)]
pub struct SharedRuleState {
    conn: ConnectionManager,
    namespace: String,
    judge: redis::Script,
    /// How long a handled event id stays claimed: longer than a stalled consumer's entries
    /// wait before another node takes them over.
    claim_ms: u64,
}

impl SharedRuleState {
    pub async fn connect(
        client: &redis::Client,
        namespace: &str,
        claim_idle_ms: u64,
    ) -> redis::RedisResult<Self> {
        Ok(Self {
            conn: client.get_connection_manager().await?,
            namespace: namespace.to_owned(),
            judge: redis::Script::new(JUDGE),
            claim_ms: claim_idle_ms.saturating_mul(4).max(120_000),
        })
    }

    fn rule_key(&self, rule_id: &str) -> String {
        format!("{}:rule:{rule_id}", self.namespace)
    }

    /// Puts the table's counters back where Redis has none.
    pub async fn seed(&self, counters: &[(String, CounterState)]) -> redis::RedisResult<()> {
        let seed = redis::Script::new(SEED);
        let mut conn = self.conn.clone();
        for (rule_id, c) in counters {
            seed.key(self.rule_key(rule_id))
                .arg(c.value)
                .arg(if c.armed { "1" } else { "0" })
                .invoke_async::<i64>(&mut conn)
                .await?;
        }
        Ok(())
    }

    /// Forgets the state of rules that no longer exist.
    pub async fn forget(&self, rule_ids: Vec<String>) {
        if rule_ids.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for id in &rule_ids {
            let key = self.rule_key(id);
            pipe.del(&key).ignore().del(format!("{key}:last")).ignore();
        }
        let mut conn = self.conn.clone();
        if let Err(err) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(error = %err, "could not forget the shared state of deleted rules");
        }
    }

    /// Decides each event's candidate rules (conditions already hold), in order, in one
    /// round trip. With `commit`, each event is claimed first: `None` for an event that was
    /// already handled (on any node); and state moves. Without, nothing changes.
    pub async fn judge(
        &self,
        batch: &[(&Event, Vec<&CompiledRule>)],
        commit: bool,
    ) -> redis::RedisResult<Vec<Option<Vec<Judged>>>> {
        let mut pipe = redis::pipe();
        for (event, rules) in batch {
            let call = pipe
                .cmd("EVALSHA")
                .arg(self.judge.get_hash())
                .arg(0)
                .arg(&self.namespace)
                .arg(if commit { event.id.as_str() } else { "" })
                .arg(if commit { "1" } else { "0" })
                .arg(self.claim_ms)
                .arg(rules.len());
            for rule in rules {
                call.arg(&rule.id)
                    .arg(rule.cooldown_ms.max(0))
                    .arg(rule.per_user_cooldown_ms.max(0))
                    .arg(viewer_of(event))
                    .arg(rule.when.every.map_or(0, |e| e.max(1)))
                    .arg(rule.units(&event.kind))
                    .arg(rule.when.viewers_at_least.unwrap_or(-1))
                    .arg(viewers_of(event));
            }
        }
        let mut conn = self.conn.clone();
        type Rows = Vec<Option<Vec<(i64, i64, i64, i64, i64)>>>;
        let replies: Rows = match pipe.query_async(&mut conn).await {
            // A Redis that restarted has forgotten the script: load it and try once more.
            Err(err) if err.code() == Some("NOSCRIPT") => {
                self.judge.prepare_invoke().load_async(&mut conn).await?;
                pipe.query_async(&mut conn).await?
            }
            other => other?,
        };
        Ok(batch
            .iter()
            .zip(replies)
            .map(|((_, rules), reply)| {
                reply.map(|rows| {
                    rules
                        .iter()
                        .zip(rows)
                        .map(|(rule, (verdict, x, y, counter, armed))| Judged {
                            verdict: verdict_of(verdict, x, y),
                            counter: (rule.when.every.is_some()
                                || rule.when.viewers_at_least.is_some())
                            .then_some(CounterState {
                                value: counter,
                                armed: armed == 1,
                            }),
                        })
                        .collect()
                })
            })
            .collect())
    }
}

fn verdict_of(code: i64, x: i64, y: i64) -> Verdict {
    match code {
        0 => Verdict::Fire,
        1 => Verdict::ViewersBelow {
            viewers: x,
            at_least: y,
        },
        2 => Verdict::AlreadyFiredAt { at_least: x },
        3 => Verdict::CountingUp {
            so_far: x,
            every: y,
        },
        4 => Verdict::Cooldown { left_ms: x },
        5 => Verdict::ViewerCooldown { left_ms: x },
        _ => Verdict::StateUnreachable,
    }
}
