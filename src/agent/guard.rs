//! Every check of `protocols.md` §4 that a command must pass before a byte reaches the board,
//! in the contract's order. A failure becomes an ack with `rejected` (or `expired`) and the
//! reason; the board never hears of it.

use std::collections::{HashSet, VecDeque};

use crate::protocol::{Command, CommandStatus};

/// Ids remembered to refuse a replayed command.
const SEEN_IDS: usize = 4096;
const MINUTE_MS: i64 = 60_000;
/// A command expiring further ahead than this was not made by a livectl server (whose
/// `commands.ttl_ms` is at most 60 s, plus clock skew): refused.
pub const MAX_EXPIRY_HORIZON_MS: i64 = 65_000;
/// No board runs a command longer than this, whatever a server says (the firmware's cap).
pub const MAX_DURATION_MS: i64 = 600_000;

/// What a binding (token + port) is allowed to do: the server's `hello`, narrowed by the
/// binding's own limits from `agent.toml` (a server can never widen them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub workspace_id: String,
    pub device_id: String,
    pub allowed_commands: HashSet<String>,
    pub max_duration_ms: i64,
    pub max_commands_per_minute: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: CommandStatus,
    pub detail: String,
}

fn rejected(detail: impl Into<String>) -> Refusal {
    Refusal {
        status: CommandStatus::Rejected,
        detail: detail.into(),
    }
}

pub struct Guard {
    limits: Limits,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
    recent: VecDeque<i64>,
    remote_kill: bool,
    /// The server's clock minus ours, measured at `hello`: expiries are the server's times.
    clock_offset_ms: i64,
}

impl Guard {
    pub fn new(limits: Limits, remote_kill: bool, clock_offset_ms: i64) -> Self {
        Self {
            limits,
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            recent: VecDeque::new(),
            remote_kill,
            clock_offset_ms,
        }
    }

    /// A server time (`expires_at`) on this machine's clock.
    pub fn local_time(&self, server_ms: i64) -> i64 {
        server_ms.saturating_sub(self.clock_offset_ms)
    }

    pub fn set_remote_kill(&mut self, engaged: bool) {
        self.remote_kill = engaged;
    }

    pub fn remote_kill(&self) -> bool {
        self.remote_kill
    }

    /// Decides one command. `Ok` means: send it to the board now. A command that reached this
    /// point once (passed or not) is never accepted again.
    pub fn check(&mut self, cmd: &Command, now_ms: i64, local_kill: bool) -> Result<(), Refusal> {
        let server_now = now_ms.saturating_add(self.clock_offset_ms);
        let l = &self.limits;
        if cmd.workspace_id != l.workspace_id {
            return Err(rejected("wrong workspace"));
        }
        if cmd.device_id != l.device_id {
            return Err(rejected("wrong device"));
        }
        if !l.allowed_commands.contains(&cmd.cmd) {
            return Err(rejected(format!(
                "command {} is not allowed on this device",
                cmd.cmd
            )));
        }
        if cmd.duration_ms < 0 || cmd.duration_ms > l.max_duration_ms {
            return Err(rejected(format!(
                "duration {} ms is over the maximum of {} ms",
                cmd.duration_ms, l.max_duration_ms
            )));
        }
        while self.recent.front().is_some_and(|t| now_ms - t >= MINUTE_MS) {
            self.recent.pop_front();
        }
        if self.recent.len() as i64 >= l.max_commands_per_minute {
            return Err(rejected(format!(
                "over {} commands per minute",
                l.max_commands_per_minute
            )));
        }
        if server_now >= cmd.expires_at {
            return Err(Refusal {
                status: CommandStatus::Expired,
                detail: "arrived after expires_at".into(),
            });
        }
        if cmd.expires_at.saturating_sub(server_now) > MAX_EXPIRY_HORIZON_MS {
            return Err(rejected("expires_at is too far ahead"));
        }
        if !self.remember(&cmd.id) {
            return Err(rejected("replayed command id"));
        }
        if self.remote_kill || local_kill {
            return Err(rejected(if local_kill {
                "local kill switch engaged"
            } else {
                "kill switch engaged"
            }));
        }
        self.recent.push_back(now_ms);
        Ok(())
    }

    fn remember(&mut self, id: &str) -> bool {
        if !self.seen.insert(id.to_owned()) {
            return false;
        }
        self.seen_order.push_back(id.to_owned());
        if self.seen_order.len() > SEEN_IDS
            && let Some(old) = self.seen_order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            workspace_id: "ws_a".into(),
            device_id: "dev_a".into(),
            allowed_commands: ["MOTOR_SPIN".to_owned()].into(),
            max_duration_ms: 2000,
            max_commands_per_minute: 2,
        }
    }

    fn cmd(id: &str) -> Command {
        Command {
            id: id.into(),
            workspace_id: "ws_a".into(),
            device_id: "dev_a".into(),
            cmd: "MOTOR_SPIN".into(),
            duration_ms: 1000,
            params: serde_json::json!({}),
            rule_id: None,
            event_id: None,
            issued_at: 1_000,
            expires_at: 3_000,
        }
    }

    fn detail(r: Result<(), Refusal>) -> String {
        r.unwrap_err().detail
    }

    #[test]
    fn every_check_refuses_what_it_should() {
        let mut g = Guard::new(limits(), false, 0);
        assert!(
            detail(g.check(
                &Command {
                    workspace_id: "ws_b".into(),
                    ..cmd("c1")
                },
                2_000,
                false
            ))
            .contains("workspace")
        );
        assert!(
            detail(g.check(
                &Command {
                    device_id: "dev_b".into(),
                    ..cmd("c2")
                },
                2_000,
                false
            ))
            .contains("device")
        );
        assert!(
            detail(g.check(
                &Command {
                    cmd: "SELF_DESTRUCT".into(),
                    ..cmd("c3")
                },
                2_000,
                false
            ))
            .contains("not allowed")
        );
        assert!(
            detail(g.check(
                &Command {
                    duration_ms: 5_000,
                    ..cmd("c4")
                },
                2_000,
                false
            ))
            .contains("maximum")
        );
        assert!(
            detail(g.check(
                &Command {
                    duration_ms: -1,
                    ..cmd("c5")
                },
                2_000,
                false
            ))
            .contains("maximum")
        );
        let late = g.check(&cmd("c6"), 3_000, false).unwrap_err();
        assert_eq!(late.status, CommandStatus::Expired);
        assert!(
            detail(g.check(
                &Command {
                    expires_at: 2_000 + MAX_EXPIRY_HORIZON_MS + 1,
                    ..cmd("far")
                },
                2_000,
                false
            ))
            .contains("too far ahead")
        );
        assert!(g.check(&cmd("ok1"), 2_000, false).is_ok());
        assert!(detail(g.check(&cmd("ok1"), 2_000, false)).contains("replayed"));
        assert!(detail(g.check(&cmd("k1"), 2_000, true)).contains("local kill"));
        g.set_remote_kill(true);
        assert!(detail(g.check(&cmd("k2"), 2_000, false)).contains("kill switch"));
        g.set_remote_kill(false);
        assert!(g.check(&cmd("ok2"), 2_000, false).is_ok());
        assert!(
            detail(g.check(&cmd("ok3"), 2_000, false)).contains("per minute"),
            "two a minute"
        );
        // A minute later the window has room again.
        assert!(
            g.check(
                &Command {
                    expires_at: 70_000,
                    ..cmd("ok4")
                },
                62_001,
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn expiries_are_read_on_the_servers_clock() {
        // The server's clock is 10 s ahead of ours: at our 2 000 it is 12 000 there.
        let mut g = Guard::new(limits(), false, 10_000);
        let late = g
            .check(
                &Command {
                    expires_at: 11_000,
                    ..cmd("a")
                },
                2_000,
                false,
            )
            .unwrap_err();
        assert_eq!(late.status, CommandStatus::Expired);
        assert!(
            g.check(
                &Command {
                    expires_at: 13_000,
                    ..cmd("b")
                },
                2_000,
                false
            )
            .is_ok()
        );
        assert_eq!(g.local_time(13_000), 3_000);
    }
}
