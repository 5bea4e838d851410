//! Livestream leases: with several nodes, each connected livestream is held by exactly one
//! node, so there is one TikTok socket per livestream in the whole installation.
//!
//! A lease is a Redis key `{ns}:lease:live:{id}` whose value is `{node}|{fence}`, with a TTL.
//! The holder renews it every second; a node that dies stops renewing and another node takes
//! the livestream over once the TTL ends. A holder that cannot renew for most of the TTL stops
//! the livestream itself, before any other node may take it, so two nodes never run it at once.
//! The fencing token grows with every acquisition (it is made from Redis's clock, so it keeps
//! growing after Redis loses its data): the table refuses state written under an older one.

use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::live::model::Runtime;

/// How often leases are renewed and free livestreams looked for.
pub const TICK: Duration = Duration::from_secs(1);

/// KEYS: lease, fence counter, this node's marker. ARGV: node, ttl ms. Returns the new fence,
/// or 0 if the lease is held (by anyone: a node asks again only for what it does not hold) or
/// this node's marker is gone (Redis restarted empty: the holders put their leases back first).
const ACQUIRE: &str = r#"
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local t = redis.call('TIME')
local fence = tonumber(t[1]) * 1000000 + math.floor(tonumber(t[2]) / 1000) * 1000
local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if fence <= last then fence = last + 1 end
redis.call('SET', KEYS[2], string.format('%.0f', fence))
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. string.format('%.0f', fence), 'PX', ARGV[2])
return fence
"#;

/// KEYS: leases. ARGV: ttl ms, then `{node}|{fence}` of each lease. For each, 1 if still ours
/// (renewed), 0 if another node's. A lease Redis forgot (it restarted empty) is taken back: no
/// one else holds it. All of a node's leases in one call, every second.
const RENEW: &str = r#"
local out = {}
for i, key in ipairs(KEYS) do
  local ours = ARGV[i + 1]
  local held = redis.call('GET', key)
  if held == ours then
    redis.call('PEXPIRE', key, ARGV[1])
    out[i] = 1
  elseif not held then
    redis.call('SET', key, ours, 'PX', ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"#;

/// KEYS: lease, shared runtime. ARGV: `{node}|{fence}`. Deletes the lease (and the state it
/// shared, so no node shows a stopped livestream as live) only if it is still ours.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1], KEYS[2]) end
return 0
"#;

/// What one heartbeat learnt.
#[derive(Debug, Clone, Copy)]
pub struct Beat {
    pub alive: usize,
    /// True on the first beat, and after Redis lost its data.
    pub marker_was_lost: bool,
}

pub struct Leases {
    conn: ConnectionManager,
    namespace: String,
    node: String,
    ttl: Duration,
    acquire: redis::Script,
    renew: redis::Script,
    release: redis::Script,
}

impl Leases {
    pub async fn connect(
        client: &redis::Client,
        namespace: &str,
        node: &str,
        ttl: Duration,
    ) -> redis::RedisResult<Leases> {
        let leases = Leases {
            conn: client.get_connection_manager().await?,
            namespace: namespace.to_owned(),
            node: node.to_owned(),
            ttl,
            acquire: redis::Script::new(ACQUIRE),
            renew: redis::Script::new(RENEW),
            release: redis::Script::new(RELEASE),
        };
        // Marked from the start: a livestream connected at once may be taken at once.
        let mut conn = leases.conn.clone();
        redis::cmd("SET")
            .arg(leases.marker_key())
            .arg(1)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(leases)
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn key(&self, livestream_id: &str) -> String {
        format!("{}:lease:live:{livestream_id}", self.namespace)
    }

    fn runtime_key(&self, livestream_id: &str) -> String {
        format!("{}:live:runtime:{livestream_id}", self.namespace)
    }

    fn nodes_key(&self) -> String {
        format!("{}:lease:nodes", self.namespace)
    }

    fn marker_key(&self) -> String {
        format!("{}:marker:{}", self.nodes_key(), self.node)
    }

    fn value(&self, fence: i64) -> String {
        format!("{}|{fence}", self.node)
    }

    fn ttl_ms(&self) -> u64 {
        self.ttl.as_millis() as u64
    }

    /// Takes the livestream's lease if no node holds it: its fencing token, or `None`.
    pub async fn acquire(&self, livestream_id: &str) -> redis::RedisResult<Option<i64>> {
        let mut conn = self.conn.clone();
        let fence: i64 = self
            .acquire
            .key(self.key(livestream_id))
            .key(format!("{}:fence", self.key(livestream_id)))
            .key(self.marker_key())
            .arg(&self.node)
            .arg(self.ttl_ms())
            .invoke_async(&mut conn)
            .await?;
        Ok((fence > 0).then_some(fence))
    }

    /// Renews the leases this node holds: for each, whether it is still this node's.
    pub async fn renew(&self, held: &[(String, i64)]) -> redis::RedisResult<Vec<bool>> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let mut call = self.renew.prepare_invoke();
        call.arg(self.ttl_ms());
        for (id, fence) in held {
            call.key(self.key(id)).arg(self.value(*fence));
        }
        let mut conn = self.conn.clone();
        let ours: Vec<i64> = call.invoke_async(&mut conn).await?;
        Ok(ours.into_iter().map(|o| o == 1).collect())
    }

    /// Gives the leases up (the livestream was disconnected, or this node is stopping), so
    /// another node may take them at once.
    pub async fn release(&self, held: &[(String, i64)]) {
        let mut conn = self.conn.clone();
        for (id, fence) in held {
            let released: redis::RedisResult<i64> = self
                .release
                .key(self.key(id))
                .key(self.runtime_key(id))
                .arg(self.value(*fence))
                .invoke_async(&mut conn)
                .await;
            if let Err(err) = released {
                tracing::warn!(livestream_id = %id, error = %err, "could not release a livestream lease; it ends with its TTL");
            }
        }
    }

    /// Which of these livestreams no node holds.
    pub async fn free(&self, ids: &[String]) -> redis::RedisResult<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| self.key(id)).collect();
        let mut conn = self.conn.clone();
        let holders: Vec<Option<String>> =
            redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
        Ok(ids
            .iter()
            .zip(holders)
            .filter(|(_, holder)| holder.is_none())
            .map(|(id, _)| id.clone())
            .collect())
    }

    /// Says this node is alive: how many nodes are (for a fair share of streams), and whether
    /// Redis lost this node's marker since the last beat (it restarted empty: every lease is
    /// gone, and their holders have not yet put them back).
    pub async fn heartbeat(&self) -> redis::RedisResult<Beat> {
        let now = crate::ids::now_ms();
        let mut conn = self.conn.clone();
        let (_, _, alive, marked): ((), (), usize, Option<String>) = redis::pipe()
            .zadd(self.nodes_key(), &self.node, now)
            .zrembyscore(self.nodes_key(), 0, now - self.ttl_ms() as i64)
            .zcard(self.nodes_key())
            .cmd("SET")
            .arg(self.marker_key())
            .arg(1)
            .arg("NX")
            .query_async(&mut conn)
            .await?;
        Ok(Beat {
            alive: alive.max(1),
            marker_was_lost: marked.is_some(),
        })
    }

    /// Leaves the set of live nodes (a graceful stop).
    pub async fn leave(&self) {
        let mut conn = self.conn.clone();
        let _: redis::RedisResult<()> = redis::cmd("ZREM")
            .arg(self.nodes_key())
            .arg(&self.node)
            .query_async(&mut conn)
            .await;
    }

    /// Shares what the held livestreams' actors know, so every node shows the same status
    /// and counters.
    pub async fn publish_runtimes(&self, runtimes: &[(String, Runtime)]) {
        if runtimes.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for (id, runtime) in runtimes {
            if let Ok(json) = serde_json::to_string(runtime) {
                pipe.cmd("SET")
                    .arg(self.runtime_key(id))
                    .arg(json)
                    .arg("PX")
                    .arg(self.ttl_ms())
                    .ignore();
            }
        }
        let mut conn = self.conn.clone();
        if let Err(err) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(error = %err, "could not share livestream state");
        }
    }

    /// What the holder of a livestream last shared, if any node holds it.
    pub async fn runtime(&self, livestream_id: &str) -> Option<Runtime> {
        let mut conn = self.conn.clone();
        let json: Option<String> = redis::cmd("GET")
            .arg(self.runtime_key(livestream_id))
            .query_async(&mut conn)
            .await
            .ok()
            .flatten();
        json.and_then(|j| serde_json::from_str(&j).ok())
    }
}
