//! Limits on attempts that cost the server (bcrypt) or help a guesser: fixed-window counters
//! per client address, and lock-outs of one account from one address after failed sign-ins.
//!
//! Keys are hashed (an attacker's 64 KiB "email" costs 32 bytes) and the maps are bounded:
//! past [`MAX_KEYS`] the expired entries go, and if that is not enough the oldest half, so a
//! flood of distinct keys costs at most a bounded amount of memory and an occasional sweep.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sha2::{Digest as _, Sha256};

const WINDOW: Duration = Duration::from_secs(60);
/// Bound on remembered keys per limiter.
const MAX_KEYS: usize = 100_000;
/// The first lock-out lasts this long; each one after it doubles, up to [`MAX_LOCKOUT`].
const FIRST_LOCKOUT: Duration = Duration::from_secs(60);
const MAX_LOCKOUT: Duration = Duration::from_secs(3600);

type Key = [u8; 32];

fn key_of(parts: &[&str]) -> Key {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

/// Keeps `map` under [`MAX_KEYS`]: drops what `stale` says is over, then the oldest half.
fn bound<V>(map: &mut HashMap<Key, V>, stale: impl Fn(&V) -> bool, age: impl Fn(&V) -> Instant) {
    if map.len() < MAX_KEYS {
        return;
    }
    map.retain(|_, v| !stale(v));
    if map.len() >= MAX_KEYS / 2 {
        let mut ages: Vec<Instant> = map.values().map(&age).collect();
        let middle = ages.len() / 2;
        let (_, cut, _) = ages.select_nth_unstable(middle);
        let cut = *cut;
        map.retain(|_, v| age(v) > cut);
    }
}

/// At most `limit` attempts per key per minute.
pub struct RateLimiter {
    limit: u32,
    windows: Mutex<HashMap<Key, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit_per_minute: u32) -> Self {
        Self {
            limit: limit_per_minute.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key`. `Err(seconds)` when over the limit: retry after that long.
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        self.hit_at(key, Instant::now())
    }

    /// [`RateLimiter::hit`] at a given time (tests move the time instead of waiting).
    pub fn hit_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock();
        bound(
            &mut windows,
            |(start, _)| now.duration_since(*start) >= WINDOW,
            |(start, _)| *start,
        );
        let entry = windows.entry(key_of(&[key])).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    /// Failed attempts in the current window.
    count: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
    /// Lock-outs so far: each doubles the next one.
    strikes: u32,
    last: Instant,
}

/// Locks one account out for one client address after `limit` failed sign-ins within a
/// minute, for a minute, then two, four… up to an hour. Keyed on the pair, so a stranger who
/// guesses wrong from elsewhere never locks the owner out; a success clears the pair.
pub struct LoginLockout {
    limit: u32,
    pairs: Mutex<HashMap<Key, Failures>>,
}

impl LoginLockout {
    pub fn new(failures_per_minute: u32) -> Self {
        Self {
            limit: failures_per_minute.max(1),
            pairs: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` while this account is locked for this address.
    pub fn check(&self, account: &str, address: &str, now: Instant) -> Result<(), u64> {
        let pairs = self.pairs.lock();
        match pairs
            .get(&key_of(&[account, address]))
            .and_then(|f| f.locked_until)
        {
            Some(until) if until > now => Err(until.duration_since(now).as_secs().max(1)),
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt; the one that reaches the limit starts a lock-out.
    pub fn failed(&self, account: &str, address: &str, now: Instant) {
        let mut pairs = self.pairs.lock();
        bound(
            &mut pairs,
            |f| {
                f.locked_until.is_none_or(|until| until <= now)
                    && now.duration_since(f.last) >= MAX_LOCKOUT
            },
            |f| f.last,
        );
        let entry = pairs
            .entry(key_of(&[account, address]))
            .or_insert(Failures {
                count: 0,
                window_start: now,
                locked_until: None,
                strikes: 0,
                last: now,
            });
        entry.last = now;
        if now.duration_since(entry.window_start) >= WINDOW {
            entry.count = 0;
            entry.window_start = now;
        }
        entry.count += 1;
        if entry.count >= self.limit {
            let lock = FIRST_LOCKOUT
                .saturating_mul(1 << entry.strikes.min(6))
                .min(MAX_LOCKOUT);
            entry.locked_until = Some(now + lock);
            entry.strikes += 1;
            entry.count = 0;
            entry.window_start = now;
        }
    }

    /// A success: this pair starts afresh.
    pub fn succeeded(&self, account: &str, address: &str) {
        self.pairs.lock().remove(&key_of(&[account, address]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_says_when_to_retry() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_ok());
        let retry = limiter.hit("a").unwrap_err();
        assert!((1..=60).contains(&retry));
        assert!(limiter.hit("b").is_ok(), "keys are independent");
    }

    #[test]
    fn a_window_opens_again_after_its_minute() {
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        assert!(limiter.hit_at("a", t0).is_ok());
        assert_eq!(limiter.hit_at("a", t0 + Duration::from_secs(45)), Err(15));
        assert!(limiter.hit_at("a", t0 + WINDOW).is_ok());
    }

    #[test]
    fn a_lockout_holds_one_pair_and_doubles_each_time() {
        let lockout = LoginLockout::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(lockout.check("owner@x", "203.0.113.9", t0).is_ok());
            lockout.failed("owner@x", "203.0.113.9", t0);
        }
        assert_eq!(lockout.check("owner@x", "203.0.113.9", t0), Err(60));
        // The owner, from home, is not locked out by the stranger.
        assert!(lockout.check("owner@x", "198.51.100.1", t0).is_ok());
        // After the minute, three more failures lock for two minutes.
        let t1 = t0 + Duration::from_secs(61);
        assert!(lockout.check("owner@x", "203.0.113.9", t1).is_ok());
        for _ in 0..3 {
            lockout.failed("owner@x", "203.0.113.9", t1);
        }
        assert_eq!(lockout.check("owner@x", "203.0.113.9", t1), Err(120));
        lockout.succeeded("owner@x", "203.0.113.9");
        assert!(lockout.check("owner@x", "203.0.113.9", t1).is_ok());
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_bounded() {
        let limiter = RateLimiter::new(1);
        for i in 0..(MAX_KEYS + 10) {
            let _ = limiter.hit(&i.to_string());
        }
        assert!(limiter.windows.lock().len() <= MAX_KEYS);
        let lockout = LoginLockout::new(5);
        let now = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            lockout.failed(&i.to_string(), "a", now);
        }
        assert!(lockout.pairs.lock().len() <= MAX_KEYS);
    }
}
