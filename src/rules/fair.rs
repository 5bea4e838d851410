//! Fair turns between workspaces on the way into the rule engine: each workspace's events wait
//! in a queue of their own, and the engine takes them in turn, one workspace after another. A
//! workspace that floods its livestreams (or its test events) only ever waits behind itself;
//! another workspace's next event is decided after at most one event of each busy workspace.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::protocol::Event;
use crate::telemetry::metrics::BusMetrics;

/// Events one workspace may have waiting; past it, its newest are dropped (counted under
/// the subscriber "rules-fair"), never another workspace's.
pub const PER_WORKSPACE: usize = 20_000;
/// Events handed to the engine ahead of its work: small, so turns are taken close to it.
const AHEAD: usize = 64;
/// Events taken from the bus at most between two handed to the engine.
const DRAIN: usize = 1024;

#[derive(Default)]
struct Turns {
    queues: HashMap<String, VecDeque<Arc<Event>>>,
    /// Workspaces with events waiting, in the order of their turns.
    order: VecDeque<String>,
}

impl Turns {
    /// False when the workspace already has [`PER_WORKSPACE`] events waiting.
    fn push(&mut self, event: Arc<Event>) -> bool {
        let queue = self.queues.entry(event.workspace_id.clone()).or_default();
        if queue.len() >= PER_WORKSPACE {
            return false;
        }
        if queue.is_empty() {
            self.order.push_back(event.workspace_id.clone());
        }
        queue.push_back(event);
        true
    }

    /// The next workspace's oldest event.
    fn pop(&mut self) -> Option<Arc<Event>> {
        let workspace = self.order.pop_front()?;
        let queue = self.queues.get_mut(&workspace)?;
        let event = queue.pop_front();
        if queue.is_empty() {
            self.queues.remove(&workspace);
        } else {
            self.order.push_back(workspace);
        }
        event
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// The events of `input`, reordered so that workspaces take turns.
pub fn in_turns(
    mut input: mpsc::Receiver<Arc<Event>>,
    metrics: BusMetrics,
) -> mpsc::Receiver<Arc<Event>> {
    let (tx, output) = mpsc::channel(AHEAD);
    tokio::spawn(async move {
        let mut turns = Turns::default();
        let mut open = true;
        let take = |turns: &mut Turns, event: Arc<Event>| {
            if !turns.push(event) {
                metrics.dropped("rules-fair");
            }
        };
        loop {
            // Whatever arrived meanwhile is queued first, so it takes part in the next turns.
            for _ in 0..DRAIN {
                match input.try_recv() {
                    Ok(event) => take(&mut turns, event),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            if turns.is_empty() {
                if !open {
                    return;
                }
                match input.recv().await {
                    Some(event) => take(&mut turns, event),
                    None => return,
                }
                continue;
            }
            tokio::select! {
                permit = tx.reserve() => {
                    let Ok(permit) = permit else { return };
                    if let Some(event) = turns.pop() {
                        permit.send(event);
                    }
                }
                event = input.recv(), if open => match event {
                    Some(event) => take(&mut turns, event),
                    None => open = false,
                },
            }
        }
    });
    output
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{EventKind, StreamStatus};

    fn event(ws: &str, n: i64) -> Arc<Event> {
        Arc::new(Event {
            id: format!("evt_{ws}_{n}"),
            workspace_id: ws.into(),
            stream_id: "ls_1".into(),
            kind: EventKind::StreamStatus {
                status: StreamStatus::Live,
            },
            ts: n,
            simulated: true,
        })
    }

    #[test]
    fn a_flooding_workspace_waits_behind_itself_only() {
        let mut turns = Turns::default();
        for n in 0..1000 {
            assert!(turns.push(event("flood", n)));
        }
        turns.push(event("quiet", 0));
        let order: Vec<String> = std::iter::from_fn(|| turns.pop())
            .take(3)
            .map(|e| e.id.clone())
            .collect();
        assert_eq!(order, ["evt_flood_0", "evt_quiet_0", "evt_flood_1"]);
    }

    #[test]
    fn a_full_workspace_queue_refuses_only_that_workspace() {
        let mut turns = Turns::default();
        for n in 0..PER_WORKSPACE as i64 {
            assert!(turns.push(event("flood", n)));
        }
        assert!(!turns.push(event("flood", -1)));
        assert!(turns.push(event("quiet", 0)));
    }
}
