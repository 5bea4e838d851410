//! One device's line (`games.md` § Device modes): how long the device is still running, what
//! waits for it, and how much of the last minute each viewer held it. The router asks the lane
//! whether a command may join ([`LaneState::admit`]) and the lane's worker asks when it may go
//! ([`LaneState::turn`]).

use std::collections::{HashMap, VecDeque};

use crate::devices::model::{Concurrency, Device};
use crate::protocol::CommandStatus;

const MINUTE_MS: i64 = 60_000;

/// Where a command stands in its device's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// Commands queued before a `restart` have an older generation and are dropped.
    pub generation: u64,
    /// The latest it may still be sent: its expected start plus the command time to live.
    pub start_by: i64,
    /// The device's mode when the command joined: a command keeps the rules it joined under.
    pub mode: Concurrency,
}

/// What the worker does with the command at the head of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// Send it now.
    Go,
    /// The device still runs the previous command for this long (ms).
    Wait(i64),
    /// A `restart` replaced it, or its line was cleared: why.
    Replaced(String),
}

#[derive(Default)]
pub struct LaneState {
    /// Until when the device runs what was sent to it (the router's clock, ms).
    busy_until: i64,
    /// Commands in the line, not yet sent, and their total duration.
    waiting: usize,
    waiting_ms: i64,
    generation: u64,
    /// Why the commands of older generations were dropped.
    replaced_why: String,
    /// Per viewer: when each of their commands was admitted and for how long (fair share).
    held: HashMap<String, VecDeque<(i64, i64)>>,
    /// Who the running command is for (the overlay's "busy").
    pub running_for: Option<String>,
}

impl LaneState {
    /// Whether a command of `duration_ms` for `viewer` may join the line now; on success it
    /// is counted as waiting until [`LaneState::left`].
    pub fn admit(
        &mut self,
        device: &Device,
        viewer: Option<&str>,
        duration_ms: i64,
        now: i64,
        ttl_ms: i64,
    ) -> Result<Ticket, (CommandStatus, String)> {
        let running = self.busy_until > now;
        let wait = match device.concurrency {
            Concurrency::Single if running || self.waiting > 0 => {
                return Err((
                    CommandStatus::Busy,
                    "the device is running a command (mode single)".into(),
                ));
            }
            Concurrency::Queued if self.waiting as i64 >= device.max_queue => {
                return Err((
                    CommandStatus::Busy,
                    format!(
                        "{} commands already wait for the device (its max_queue)",
                        self.waiting
                    ),
                ));
            }
            Concurrency::Queued => (self.busy_until - now).max(0) + self.waiting_ms,
            Concurrency::Restart => {
                self.replace_waiting("replaced by a newer command (mode restart)");
                0
            }
            Concurrency::Single | Concurrency::Parallel => 0,
        };
        if let Some(viewer) = viewer
            && device.fair_share_pct < 100
        {
            let share_ms = MINUTE_MS * device.fair_share_pct / 100;
            let held = self.held.entry(viewer.to_owned()).or_default();
            while held.front().is_some_and(|(at, _)| now - at >= MINUTE_MS) {
                held.pop_front();
            }
            let used: i64 = held.iter().map(|(_, ms)| ms).sum();
            if used + duration_ms.max(1) > share_ms {
                return Err((
                    CommandStatus::RateLimited,
                    format!(
                        "{viewer} already held the device {used} ms of the last minute (fair share {} %)",
                        device.fair_share_pct
                    ),
                ));
            }
            held.push_back((now, duration_ms.max(1)));
        }
        self.waiting += 1;
        self.waiting_ms += duration_ms;
        Ok(Ticket {
            generation: self.generation,
            start_by: now + wait + ttl_ms,
            mode: device.concurrency,
        })
    }

    /// Whether the command holding `ticket` may go now.
    pub fn turn(&self, ticket: Ticket, now: i64) -> Turn {
        if ticket.generation < self.generation {
            return Turn::Replaced(self.replaced_why.clone());
        }
        match ticket.mode {
            Concurrency::Queued | Concurrency::Single if self.busy_until > now => {
                Turn::Wait(self.busy_until - now)
            }
            _ => Turn::Go,
        }
    }

    /// The commands waiting now will be dropped, for `why`.
    pub fn replace_waiting(&mut self, why: &str) {
        self.generation += 1;
        why.clone_into(&mut self.replaced_why);
    }

    /// A command left the line (sent or dropped).
    pub fn left(&mut self, duration_ms: i64) {
        self.waiting = self.waiting.saturating_sub(1);
        self.waiting_ms = (self.waiting_ms - duration_ms).max(0);
    }

    /// A command was sent: the device runs it from `now`. Returns what `busy_until` was, to
    /// put back when the device did not run it.
    pub fn started(
        &mut self,
        mode: Concurrency,
        duration_ms: i64,
        viewer: Option<String>,
        now: i64,
    ) -> i64 {
        let before = self.busy_until;
        self.busy_until = match mode {
            Concurrency::Parallel => self.busy_until.max(now + duration_ms),
            _ => now + duration_ms,
        };
        self.running_for = viewer;
        before
    }

    /// The device did not run the command that set `busy_until` to `until`.
    pub fn not_run(&mut self, until: i64, before: i64) {
        if self.busy_until == until {
            self.busy_until = before;
            self.running_for = None;
        }
    }

    pub fn busy_until(&self) -> i64 {
        self.busy_until
    }

    pub fn waiting(&self) -> usize {
        self.waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::model::Transport;

    const T0: i64 = 1_800_000_000_000;
    const TTL: i64 = 2_000;

    fn device(concurrency: Concurrency, max_queue: i64, fair_share_pct: i64) -> Device {
        Device {
            id: "dev_1".into(),
            workspace_id: "ws_1".into(),
            name: "Claw".into(),
            transport: Transport::Agent,
            allowed_commands: vec!["LEFT".into()],
            max_duration_ms: 10_000,
            max_commands_per_minute: 600,
            concurrency,
            max_queue,
            fair_share_pct,
        }
    }

    #[test]
    fn queued_commands_wait_for_the_running_one_and_the_line_has_a_maximum() {
        let dev = device(Concurrency::Queued, 2, 100);
        let mut lane = LaneState::default();
        let first = lane.admit(&dev, None, 3_000, T0, TTL).unwrap();
        assert_eq!(first.start_by, T0 + TTL);
        assert_eq!(lane.turn(first, T0), Turn::Go);
        lane.left(3_000);
        lane.started(dev.concurrency, 3_000, None, T0);
        // The second waits for the first's three seconds, and may still go up to its TTL
        // after that.
        let second = lane.admit(&dev, None, 1_000, T0 + 500, TTL).unwrap();
        assert_eq!(second.start_by, T0 + 3_000 + TTL);
        assert_eq!(lane.turn(second, T0 + 500), Turn::Wait(2_500));
        let third = lane.admit(&dev, None, 1_000, T0 + 500, TTL).unwrap();
        assert_eq!(third.start_by, T0 + 4_000 + TTL, "after the second as well");
        let (status, detail) = lane.admit(&dev, None, 1_000, T0 + 500, TTL).unwrap_err();
        assert_eq!(status, CommandStatus::Busy);
        assert!(detail.contains("max_queue"), "{detail}");
        assert_eq!(lane.turn(second, T0 + 3_000), Turn::Go);
    }

    #[test]
    fn single_drops_a_command_while_the_device_runs() {
        let dev = device(Concurrency::Single, 16, 100);
        let mut lane = LaneState::default();
        lane.admit(&dev, None, 2_000, T0, TTL).unwrap();
        // Waiting to be sent counts as running.
        assert!(lane.admit(&dev, None, 2_000, T0, TTL).is_err());
        lane.left(2_000);
        lane.started(dev.concurrency, 2_000, None, T0);
        let (status, _) = lane.admit(&dev, None, 2_000, T0 + 1_999, TTL).unwrap_err();
        assert_eq!(status, CommandStatus::Busy);
        assert!(lane.admit(&dev, None, 2_000, T0 + 2_000, TTL).is_ok());
    }

    #[test]
    fn restart_replaces_what_waits_and_goes_at_once() {
        let queued = device(Concurrency::Queued, 16, 100);
        let mut lane = LaneState::default();
        lane.started(Concurrency::Queued, 5_000, None, T0);
        let waiting = lane.admit(&queued, None, 1_000, T0, TTL).unwrap();
        let restart = device(Concurrency::Restart, 16, 100);
        let now = lane.admit(&restart, None, 1_000, T0 + 100, TTL).unwrap();
        assert!(
            matches!(lane.turn(waiting, T0 + 100), Turn::Replaced(why) if why.contains("restart"))
        );
        assert_eq!(lane.turn(now, T0 + 100), Turn::Go);
        lane.started(Concurrency::Restart, 1_000, None, T0 + 100);
        assert_eq!(
            lane.busy_until(),
            T0 + 1_100,
            "the device's time starts again"
        );
    }

    #[test]
    fn parallel_never_waits_and_keeps_the_longest_end() {
        let dev = device(Concurrency::Parallel, 16, 100);
        let mut lane = LaneState::default();
        lane.started(dev.concurrency, 5_000, None, T0);
        let t = lane.admit(&dev, None, 1_000, T0 + 10, TTL).unwrap();
        assert_eq!(lane.turn(t, T0 + 10), Turn::Go);
        lane.started(dev.concurrency, 1_000, None, T0 + 10);
        assert_eq!(lane.busy_until(), T0 + 5_000);
    }

    #[test]
    fn one_viewer_holds_at_most_their_share_of_a_minute() {
        // 25 % of a minute: 15 s.
        let dev = device(Concurrency::Parallel, 16, 25);
        let mut lane = LaneState::default();
        for i in 0..3 {
            lane.admit(&dev, Some("alice"), 5_000, T0 + i, TTL).unwrap();
        }
        let (status, detail) = lane
            .admit(&dev, Some("alice"), 1, T0 + 10, TTL)
            .unwrap_err();
        assert_eq!(status, CommandStatus::RateLimited);
        assert!(detail.contains("fair share 25 %"), "{detail}");
        // Others are not held back by alice, and commands without a viewer are not counted.
        assert!(lane.admit(&dev, Some("bob"), 5_000, T0 + 10, TTL).is_ok());
        assert!(lane.admit(&dev, None, 10_000, T0 + 10, TTL).is_ok());
        // A minute after her first, alice has room again.
        assert!(
            lane.admit(&dev, Some("alice"), 5_000, T0 + MINUTE_MS, TTL)
                .is_ok()
        );
    }

    #[test]
    fn a_command_the_device_did_not_run_gives_its_time_back() {
        let mut lane = LaneState::default();
        let before = lane.started(Concurrency::Queued, 3_000, Some("alice".into()), T0);
        lane.not_run(T0 + 3_000, before);
        assert_eq!(lane.busy_until(), before);
        assert_eq!(lane.running_for, None);
    }
}
