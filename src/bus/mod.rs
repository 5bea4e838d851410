//! The event bus between livestreams and their consumers (rule engine, live feed).
//!
//! Publishing never waits: each subscriber has a bounded queue, and an event that does not fit
//! is dropped for that subscriber and counted (`/metrics`), so a slow consumer can never stall
//! a livestream. This file holds the trait and the in-process implementation.

pub mod redis;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use tokio::sync::mpsc;

use crate::protocol::Event;
use crate::telemetry::metrics::BusMetrics;

pub trait EventBus: Send + Sync + 'static {
    /// Hands `event` to every subscriber without waiting.
    fn publish(&self, event: Arc<Event>);
    /// A new subscriber receiving every event published from now on.
    fn subscribe(&self, name: &str, capacity: usize) -> mpsc::Receiver<Arc<Event>>;
    /// Prometheus lines about this bus.
    /// Every event from now on, for this process alone (live views). Unlike `subscribe`, which
    /// on a shared bus splits events between the nodes of a group, each watcher sees them all,
    /// and learns how many it lost to a full queue.
    fn watch(&self, capacity: usize) -> Watch;
    /// Whether the bus works (for `/readyz`).
    fn ready(&self) -> bool {
        true
    }
}

/// A live view's events, and how many of them were dropped because it fell behind.
pub struct Watch {
    pub events: mpsc::Receiver<Arc<Event>>,
    pub dropped: Arc<AtomicU64>,
}

struct Subscriber {
    name: String,
    tx: mpsc::Sender<Arc<Event>>,
    dropped: Arc<AtomicU64>,
}

pub struct MemoryBus {
    subscribers: RwLock<Vec<Arc<Subscriber>>>,
    metrics: BusMetrics,
}

impl MemoryBus {
    pub fn new(metrics: BusMetrics) -> Self {
        Self {
            subscribers: RwLock::default(),
            metrics,
        }
    }

    pub fn dropped_total(&self) -> u64 {
        self.subscribers
            .read()
            .iter()
            .map(|s| s.dropped.load(Ordering::Relaxed))
            .sum()
    }
}

impl MemoryBus {
    fn add_subscriber(&self, name: &str, capacity: usize) -> Watch {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        self.subscribers.write().push(Arc::new(Subscriber {
            name: name.to_owned(),
            tx,
            dropped: dropped.clone(),
        }));
        Watch {
            events: rx,
            dropped,
        }
    }
}

impl EventBus for MemoryBus {
    fn publish(&self, event: Arc<Event>) {
        self.metrics.published.inc();
        let mut closed = false;
        for sub in self.subscribers.read().iter() {
            match sub.tx.try_send(event.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    let before = sub.dropped.fetch_add(1, Ordering::Relaxed);
                    self.metrics.dropped(&sub.name);
                    // Say it once per thousand, not once per event.
                    if before % 1000 == 0 {
                        tracing::warn!(subscriber = %sub.name, dropped = before + 1, "bus subscriber is too slow; dropping events");
                    }
                }
                Err(mpsc::error::TrySendError::Closed(_)) => closed = true,
            }
        }
        if closed {
            self.subscribers.write().retain(|s| !s.tx.is_closed());
        }
    }

    fn subscribe(&self, name: &str, capacity: usize) -> mpsc::Receiver<Arc<Event>> {
        self.add_subscriber(name, capacity).events
    }

    fn watch(&self, capacity: usize) -> Watch {
        self.add_subscriber("watch", capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{EventKind, StreamStatus};

    fn event(n: i64) -> Arc<Event> {
        Arc::new(Event {
            id: format!("evt_{n}"),
            workspace_id: "ws_1".into(),
            stream_id: "ls_1".into(),
            kind: EventKind::StreamStatus {
                status: StreamStatus::Live,
            },
            ts: n,
            simulated: true,
        })
    }

    #[tokio::test]
    async fn a_slow_subscriber_loses_events_but_never_blocks_the_publisher() {
        let metrics = crate::telemetry::metrics::Metrics::new();
        let bus = MemoryBus::new(metrics.bus.clone());
        let mut fast = bus.subscribe("fast", 100);
        let _slow = bus.subscribe("slow", 2);
        for n in 0..10 {
            bus.publish(event(n));
        }
        assert_eq!(bus.dropped_total(), 8);
        for n in 0..10 {
            assert_eq!(fast.recv().await.unwrap().ts, n);
        }
        // A closed subscriber's drops still count: a counter never goes down.
        drop(_slow);
        bus.publish(event(10));
        let text = metrics.render((0, 0));
        assert!(
            text.contains("livectl_bus_events_dropped_total{subscriber=\"slow\"} 8"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn closed_subscribers_are_forgotten() {
        let bus = MemoryBus::new(BusMetrics::default());
        drop(bus.subscribe("gone", 1));
        bus.publish(event(1));
        assert!(bus.subscribers.read().is_empty());
    }
}
