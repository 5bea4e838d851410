//! A device's time and each viewer's share of it, kept in Redis so that several nodes behave
//! as one (`bus.kind = "redis"`): with events shared out between the nodes, two rules firing
//! on two nodes for one motor still take turns (`queued`), are dropped while it runs
//! (`single`), and one viewer holds it no more than their share of a minute.
//!
//! Each node's line (`lane.rs`) decides first, for its own commands; a command whose local
//! turn has come then claims the device here, at the moment it would be sent. When Redis does
//! not answer, the node's own line is what holds (as for the shared command limits).

use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::devices::model::Concurrency;

const TIMEOUT: Duration = Duration::from_millis(200);
const MINUTE_MS: i64 = 60_000;

/// KEYS: the device's end time, the viewer's holdings on the device (or a dummy). ARGV: mode,
/// duration, viewer share in ms (0: no share to keep), command id. On Redis's clock.
/// Returns {0, until, before} claimed · {1, ms} wait · {2} busy (single) · {3, used} over the
/// viewer's share.
const CLAIM: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[1]
local ms = tonumber(ARGV[2])
local share = tonumber(ARGV[3])
local busy = tonumber(redis.call('GET', KEYS[1]) or '0')
if busy > now then
  if mode == 'queued' then return {1, busy - now} end
  if mode == 'single' then return {2} end
end
if share > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
  local used = 0
  for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    used = used + tonumber(string.match(m, ':(%d+)$'))
  end
  if used + math.max(ms, 1) > share then return {3, used} end
  redis.call('ZADD', KEYS[2], now, ARGV[4] .. ':' .. math.max(ms, 1))
  redis.call('PEXPIRE', KEYS[2], 60000)
end
local until_ = now + ms
if mode == 'parallel' and busy > until_ then until_ = busy end
redis.call('SET', KEYS[1], until_, 'PX', math.max(until_ - now, 1) + 60000)
return {0, until_, busy}
"#;

/// KEYS: the device's end time. ARGV: the end this command set, the end before it. Gives the
/// device's time back when the command did not run (unless another claimed it since).
const GIVE_BACK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', 60000)
end
return 0
"#;

/// What a claim answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The device is this command's until `until` (Redis's clock); `before` to give back.
    Claimed { until: i64, before: i64 },
    /// Another node's command runs for this much longer.
    Wait(i64),
    /// Another node's command runs (`single`).
    Busy,
    /// The viewer already held the device this long in the last minute.
    OverShare(i64),
    /// Redis did not answer: the node's own line decides.
    Unknown,
}

pub struct SharedLane {
    conn: ConnectionManager,
    namespace: String,
    claim: redis::Script,
    give_back: redis::Script,
}

impl SharedLane {
    pub async fn connect(client: &redis::Client, namespace: &str) -> redis::RedisResult<Self> {
        Ok(SharedLane {
            conn: client.get_connection_manager().await?,
            namespace: namespace.to_owned(),
            claim: redis::Script::new(CLAIM),
            give_back: redis::Script::new(GIVE_BACK),
        })
    }

    fn busy_key(&self, device_id: &str) -> String {
        format!("{}:lane:busy:{device_id}", self.namespace)
    }

    /// Claims `device_id` for a command of `duration_ms` for `viewer` (who may hold
    /// `fair_share_pct` of a minute).
    pub async fn claim(
        &self,
        device_id: &str,
        mode: Concurrency,
        duration_ms: i64,
        viewer: Option<&str>,
        fair_share_pct: i64,
        command_id: &str,
    ) -> Claim {
        let share = match viewer {
            Some(_) if fair_share_pct < 100 => MINUTE_MS * fair_share_pct / 100,
            _ => 0,
        };
        let mut conn = self.conn.clone();
        let mut call = self.claim.prepare_invoke();
        call.key(self.busy_key(device_id))
            .key(format!(
                "{}:lane:held:{device_id}:{}",
                self.namespace,
                viewer.unwrap_or("-")
            ))
            .arg(mode.as_str())
            .arg(duration_ms)
            .arg(share)
            .arg(command_id);
        match tokio::time::timeout(TIMEOUT, call.invoke_async::<Vec<i64>>(&mut conn)).await {
            Ok(Ok(answer)) => match answer.as_slice() {
                [0, until, before] => Claim::Claimed {
                    until: *until,
                    before: *before,
                },
                [1, ms] => Claim::Wait(*ms),
                [2] => Claim::Busy,
                [3, used] => Claim::OverShare(*used),
                other => {
                    tracing::warn!(
                        ?other,
                        "shared device line: an answer it does not know; this node's line applies"
                    );
                    Claim::Unknown
                }
            },
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "shared device line: Redis refused; this node's line applies");
                Claim::Unknown
            }
            Err(_) => {
                tracing::warn!(
                    "shared device line: Redis did not answer in time; this node's line applies"
                );
                Claim::Unknown
            }
        }
    }

    /// The command that claimed until `until` did not run: the device's time goes back.
    pub async fn give_back(&self, device_id: &str, until: i64, before: i64) {
        let mut conn = self.conn.clone();
        let mut call = self.give_back.prepare_invoke();
        call.key(self.busy_key(device_id)).arg(until).arg(before);
        match tokio::time::timeout(TIMEOUT, call.invoke_async::<i64>(&mut conn)).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = %err, device_id, "shared device line: could not give the device's time back")
            }
            Err(_) => {
                tracing::warn!(
                    device_id,
                    "shared device line: Redis did not answer in time; the device's time was not given back"
                )
            }
        }
    }
}
