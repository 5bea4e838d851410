//! The limits of [`super::rate_limit`], counted in Redis so that several nodes behave as one
//! (`bus.kind = "redis"`): a guesser spread over the nodes behind a load balancer meets the
//! same limit as on one node. Each node keeps its own counters too (they only ever count less);
//! when Redis does not answer, those are what hold.

use std::time::Duration;

use redis::aio::ConnectionManager;
use sha2::{Digest as _, Sha256};

const WINDOW_MS: u64 = 60_000;
const FIRST_LOCKOUT_MS: u64 = 60_000;
const MAX_LOCKOUT_MS: u64 = 3_600_000;
const TIMEOUT: Duration = Duration::from_millis(500);

pub struct SharedLimits {
    conn: ConnectionManager,
    namespace: String,
}

fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Seconds to wait, from a key's remaining milliseconds.
fn retry_after(pttl_ms: i64) -> u64 {
    u64::try_from(pttl_ms).map_or(1, |ms| ms.div_ceil(1000).max(1))
}

impl SharedLimits {
    pub async fn connect(client: &redis::Client, namespace: &str) -> anyhow::Result<Self> {
        Ok(SharedLimits {
            conn: client.get_connection_manager().await?,
            namespace: namespace.to_owned(),
        })
    }

    fn key(&self, kind: &str, parts: &[&str]) -> String {
        format!("{}:limit:{kind}:{}", self.namespace, digest(parts))
    }

    /// Counts one attempt of `kind` for `key` across the nodes: `Err(seconds)` over `limit` a
    /// minute. `Ok` when Redis does not answer (the node's own limit still applies).
    pub async fn hit(&self, kind: &str, key: &str, limit: u32) -> Result<(), u64> {
        let key = self.key(kind, &[key]);
        let mut conn = self.conn.clone();
        let counted = tokio::time::timeout(TIMEOUT, async {
            let (count, pttl): (i64, i64) = redis::pipe()
                .atomic()
                .cmd("INCR")
                .arg(&key)
                .cmd("PTTL")
                .arg(&key)
                .query_async(&mut conn)
                .await?;
            if pttl < 0 {
                let _: () = redis::cmd("PEXPIRE")
                    .arg(&key)
                    .arg(WINDOW_MS)
                    .query_async(&mut conn)
                    .await?;
            }
            Ok::<_, redis::RedisError>((count, pttl))
        })
        .await;
        match counted {
            Ok(Ok((count, pttl))) if count > i64::from(limit) => Err(retry_after(pttl)),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "shared limits: Redis refused; this node's limit applies");
                Ok(())
            }
            Err(_) => {
                tracing::warn!(
                    "shared limits: Redis did not answer in time; this node's limit applies"
                );
                Ok(())
            }
        }
    }

    /// `Err(seconds)` while this account is locked out for this address on any node.
    pub async fn locked(&self, account: &str, address: &str) -> Result<(), u64> {
        let lock = self.key("lock", &[account, address]);
        let mut conn = self.conn.clone();
        let pttl = tokio::time::timeout(
            TIMEOUT,
            redis::cmd("PTTL").arg(&lock).query_async::<i64>(&mut conn),
        )
        .await;
        match pttl {
            Ok(Ok(ms)) if ms > 0 => Err(retry_after(ms)),
            _ => Ok(()),
        }
    }

    /// A failed sign-in: the one that reaches `limit` within a minute starts a lock-out, twice
    /// as long as the previous one (up to an hour).
    pub async fn failed(&self, account: &str, address: &str, limit: u32) {
        let (fails, strikes, lock) = (
            self.key("fail", &[account, address]),
            self.key("strikes", &[account, address]),
            self.key("lock", &[account, address]),
        );
        let mut conn = self.conn.clone();
        let done = tokio::time::timeout(TIMEOUT, async {
            let count: i64 = redis::cmd("INCR")
                .arg(&fails)
                .query_async(&mut conn)
                .await?;
            if count == 1 {
                let _: () = redis::cmd("PEXPIRE")
                    .arg(&fails)
                    .arg(WINDOW_MS)
                    .query_async(&mut conn)
                    .await?;
            }
            if count >= i64::from(limit) {
                let strike: i64 = redis::cmd("INCR")
                    .arg(&strikes)
                    .query_async(&mut conn)
                    .await?;
                let _: () = redis::cmd("PEXPIRE")
                    .arg(&strikes)
                    .arg(MAX_LOCKOUT_MS)
                    .query_async(&mut conn)
                    .await?;
                let shift = u32::try_from(strike.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
                let lock_ms = (FIRST_LOCKOUT_MS << shift).min(MAX_LOCKOUT_MS);
                let _: () = redis::pipe()
                    .cmd("SET")
                    .arg(&lock)
                    .arg(1)
                    .arg("PX")
                    .arg(lock_ms)
                    .cmd("DEL")
                    .arg(&fails)
                    .query_async(&mut conn)
                    .await?;
            }
            Ok::<_, redis::RedisError>(())
        })
        .await;
        if !matches!(done, Ok(Ok(()))) {
            tracing::warn!("shared limits: could not count a failed sign-in in Redis");
        }
    }

    /// A success: this pair starts afresh on every node.
    pub async fn succeeded(&self, account: &str, address: &str) {
        let keys = [
            self.key("fail", &[account, address]),
            self.key("strikes", &[account, address]),
            self.key("lock", &[account, address]),
        ];
        let mut conn = self.conn.clone();
        let _ = tokio::time::timeout(
            TIMEOUT,
            redis::cmd("DEL").arg(&keys).query_async::<i64>(&mut conn),
        )
        .await;
    }
}
