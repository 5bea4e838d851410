//! A device's commands per minute and a plan's commands per minute, counted in Redis so that
//! several nodes behave as one (`bus.kind = "redis"`): rules firing on every node together
//! meet the same limit as on one node. Each node's router keeps its own windows too (they only
//! ever count less); when Redis does not answer, those are what hold.

use std::time::Duration;

use redis::aio::ConnectionManager;

const TIMEOUT: Duration = Duration::from_millis(200);

/// KEYS: the device's window, the plan's window. ARGV: command id, device limit, plan limit
/// (-1: none). Sliding windows of one minute on Redis's clock. 0 admitted, 1 over the device's
/// limit, 2 over the plan's.
const ADMIT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function count(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 60000)
  return redis.call('ZCARD', key)
end
local plan = tonumber(ARGV[3])
if count(KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
if plan >= 0 and count(KEYS[2]) >= plan then return 2 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 60000)
if plan >= 0 then
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], 60000)
end
return 0
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Admitted,
    OverDevice,
    OverPlan,
}

pub struct SharedRate {
    conn: ConnectionManager,
    namespace: String,
    admit: redis::Script,
}

impl SharedRate {
    pub async fn connect(client: &redis::Client, namespace: &str) -> redis::RedisResult<Self> {
        Ok(SharedRate {
            conn: client.get_connection_manager().await?,
            namespace: namespace.to_owned(),
            admit: redis::Script::new(ADMIT),
        })
    }

    /// Counts one command against its device's and its workspace's plan limits.
    pub async fn admit(
        &self,
        command_id: &str,
        device_id: &str,
        device_limit: i64,
        workspace_id: &str,
        plan_limit: Option<i64>,
    ) -> Verdict {
        let mut conn = self.conn.clone();
        let mut call = self.admit.prepare_invoke();
        call.key(format!("{}:rate:device:{device_id}", self.namespace))
            .key(format!("{}:rate:plan:{workspace_id}", self.namespace))
            .arg(command_id)
            .arg(device_limit)
            .arg(plan_limit.unwrap_or(-1));
        match tokio::time::timeout(TIMEOUT, call.invoke_async::<i64>(&mut conn)).await {
            Ok(Ok(1)) => Verdict::OverDevice,
            Ok(Ok(2)) => Verdict::OverPlan,
            Ok(Ok(_)) => Verdict::Admitted,
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "shared command limits: Redis refused; this node's limits apply");
                Verdict::Admitted
            }
            Err(_) => {
                tracing::warn!(
                    "shared command limits: Redis did not answer in time; this node's limits apply"
                );
                Verdict::Admitted
            }
        }
    }
}
