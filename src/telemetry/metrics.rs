//! `/metrics`: every series of the process in one `prometheus-client` registry, rendered as
//! OpenMetrics text. Each domain increments its own handles here, so that `/metrics` stays the
//! one place to look; counters only ever go up.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// Upper bounds (seconds) of the latency histograms.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

fn latency() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabel {
    pub class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SubscriberLabel {
    pub subscriber: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: String,
}

/// The bus's series, handed to whichever bus runs (memory or Redis).
#[derive(Clone, Default)]
pub struct BusMetrics {
    pub published: Counter,
    /// By subscriber name; every live view counts under `watch`.
    pub dropped: Family<SubscriberLabel, Counter>,
    pub reclaimed: Counter,
}

impl BusMetrics {
    pub fn dropped(&self, subscriber: &str) {
        self.dropped
            .get_or_create(&SubscriberLabel {
                subscriber: subscriber.to_owned(),
            })
            .inc();
    }
}

pub struct Metrics {
    registry: Registry,
    http_responses: Family<ClassLabel, Counter>,
    pub http_latency: Histogram,
    pub logins_rate_limited: Counter,
    pub logins_failed: Counter,
    pub live_events: Counter,
    pub live_actors: Gauge,
    pub agents_connected: Gauge,
    pub commands_sent: Counter,
    pub rule_matches: Counter,
    pub rule_events: Counter,
    pub rule_state_errors: Counter,
    pub rule_events_repeated: Counter,
    pub command_latency: Histogram,
    commands_by_status: Family<StatusLabel, Counter>,
    db_connections: Family<StateLabel, Gauge>,
    pub bus: BusMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut m = Metrics {
            registry: Registry::with_prefix("livectl"),
            http_responses: Family::default(),
            http_latency: latency(),
            logins_rate_limited: Counter::default(),
            logins_failed: Counter::default(),
            live_events: Counter::default(),
            live_actors: Gauge::default(),
            agents_connected: Gauge::default(),
            commands_sent: Counter::default(),
            rule_matches: Counter::default(),
            rule_events: Counter::default(),
            rule_state_errors: Counter::default(),
            rule_events_repeated: Counter::default(),
            command_latency: latency(),
            commands_by_status: Family::default(),
            db_connections: Family::default(),
            bus: BusMetrics::default(),
        };
        let r = &mut m.registry;
        r.register(
            "build",
            "Version of this binary",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        r.register(
            "http_responses",
            "HTTP answers by status class",
            m.http_responses.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time from request to answer",
            m.http_latency.clone(),
        );
        r.register(
            "logins_failed",
            "Login attempts with a wrong email or password",
            m.logins_failed.clone(),
        );
        r.register(
            "logins_rate_limited",
            "Login attempts refused by a rate limit or a lock-out",
            m.logins_rate_limited.clone(),
        );
        r.register(
            "live_events",
            "Normalised events published by livestreams",
            m.live_events.clone(),
        );
        r.register(
            "livestreams_connected",
            "Livestream actors running",
            m.live_actors.clone(),
        );
        r.register(
            "agents_connected",
            "Agent sockets open on this node",
            m.agents_connected.clone(),
        );
        r.register(
            "commands_sent",
            "Commands handed to a device connection",
            m.commands_sent.clone(),
        );
        r.register(
            "rule_events",
            "Events the rule engine handled",
            m.rule_events.clone(),
        );
        r.register("rule_matches", "Rules that fired", m.rule_matches.clone());
        r.register(
            "rule_events_repeated",
            "Events delivered again (a consumer taken over, a duplicate) and handled once",
            m.rule_events_repeated.clone(),
        );
        r.register(
            "rule_state_errors",
            "Event batches that fired nothing because the shared rule state did not answer",
            m.rule_state_errors.clone(),
        );
        r.register(
            "commands",
            "Commands by final status",
            m.commands_by_status.clone(),
        );
        r.register(
            "command_ack_seconds",
            "Time from a command being issued to its acknowledgement",
            m.command_latency.clone(),
        );
        r.register(
            "db_connections",
            "Open database connections by state",
            m.db_connections.clone(),
        );
        r.register(
            "bus_events_published",
            "Events published on the bus",
            m.bus.published.clone(),
        );
        r.register(
            "bus_events_dropped",
            "Events dropped because a subscriber's queue was full (or a Redis write failed)",
            m.bus.dropped.clone(),
        );
        r.register(
            "bus_events_reclaimed",
            "Pending Redis entries taken over from a crashed consumer",
            m.bus.reclaimed.clone(),
        );
        m
    }

    /// A command's final status and, when it was acknowledged, issued → ack in ms.
    pub fn record_command(&self, status: crate::protocol::CommandStatus, ack_ms: Option<i64>) {
        self.commands_by_status
            .get_or_create(&StatusLabel {
                status: status.as_str().to_owned(),
            })
            .inc();
        if let Some(ms) = ack_ms {
            self.command_latency.observe(ms.max(0) as f64 / 1000.0);
        }
    }

    pub fn record_http(&self, status: u16, seconds: f64) {
        let class = format!("{}xx", (status / 100).clamp(1, 5));
        self.http_responses
            .get_or_create(&ClassLabel { class })
            .inc();
        self.http_latency.observe(seconds);
    }

    /// The OpenMetrics text, with the database pool's `(open, idle)` connections.
    pub fn render(&self, pool: (u32, u32)) -> String {
        for (state, n) in [("open", pool.0), ("idle", pool.1)] {
            self.db_connections
                .get_or_create(&StateLabel {
                    state: state.to_owned(),
                })
                .set(i64::from(n));
        }
        let mut out = String::with_capacity(8192);
        if let Err(err) = encode(&mut out, &self.registry) {
            tracing::error!(error = %err, "could not render the metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::CommandStatus;

    #[test]
    fn every_series_renders_once_and_counters_only_grow() {
        let m = Metrics::new();
        m.commands_sent.inc();
        m.record_command(CommandStatus::Done, Some(12));
        m.record_http(204, 0.001);
        m.bus.dropped("watch");
        m.bus.dropped("watch");
        let text = m.render((3, 1));
        for series in [
            "livectl_commands_sent_total 1",
            "livectl_commands_total{status=\"done\"} 1",
            "livectl_http_responses_total{class=\"2xx\"} 1",
            "livectl_bus_events_dropped_total{subscriber=\"watch\"} 2",
            "livectl_db_connections{state=\"open\"} 3",
            "livectl_build_info{version=",
            "livectl_command_ack_seconds_count 1",
        ] {
            assert_eq!(text.matches(series).count(), 1, "{series} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
