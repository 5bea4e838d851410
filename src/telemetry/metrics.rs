//! A small Prometheus registry: counters and histograms kept in atomics, rendered as text.
//! Each domain adds its own series here so that `/metrics` stays the one place to look.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the latency histograms.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: f64) {
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1_000_000.0) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

#[derive(Default)]
pub struct Metrics {
    /// HTTP answers by status class: 1xx..5xx at index 0..4.
    http_responses: [AtomicU64; 5],
    pub http_latency: Histogram,
    pub logins_rate_limited: AtomicU64,
    pub logins_failed: AtomicU64,
    pub live_events: AtomicU64,
    pub live_actors: std::sync::atomic::AtomicI64,
    pub agents_connected: std::sync::atomic::AtomicI64,
    pub commands_sent: AtomicU64,
    pub rule_matches: AtomicU64,
    pub rule_events: AtomicU64,
    pub command_latency: Histogram,
    commands_by_status: parking_lot::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// A command's final status and, when it was acknowledged, issued → ack in ms.
    pub fn record_command(&self, status: crate::protocol::CommandStatus, ack_ms: Option<i64>) {
        *self
            .commands_by_status
            .lock()
            .entry(status.as_str())
            .or_default() += 1;
        if let Some(ms) = ack_ms {
            self.command_latency.observe(ms.max(0) as f64 / 1000.0);
        }
    }

    pub fn record_http(&self, status: u16, seconds: f64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.http_responses[class].fetch_add(1, Ordering::Relaxed);
        self.http_latency.observe(seconds);
    }

    pub fn render(&self, pool: (u32, u32)) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP livectl_build_info Version of this binary.\n# TYPE livectl_build_info gauge\nlivectl_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP livectl_http_responses_total HTTP answers by status class.\n# TYPE livectl_http_responses_total counter"
        );
        for (i, value) in self.http_responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "livectl_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                value.load(Ordering::Relaxed)
            );
        }
        self.http_latency.render(
            &mut out,
            "livectl_http_request_duration_seconds",
            "Time from request to answer.",
        );
        counter(
            &mut out,
            "livectl_logins_failed_total",
            "Login attempts with a wrong email or password.",
            self.logins_failed.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "livectl_logins_rate_limited_total",
            "Login attempts refused by the rate limit.",
            self.logins_rate_limited.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "livectl_live_events_total",
            "Normalised events published by livestreams.",
            self.live_events.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP livectl_livestreams_connected Livestream actors running.\n# TYPE livectl_livestreams_connected gauge\nlivectl_livestreams_connected {}",
            self.live_actors.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP livectl_agents_connected Agent sockets open on this node.\n# TYPE livectl_agents_connected gauge\nlivectl_agents_connected {}",
            self.agents_connected.load(Ordering::Relaxed)
        );
        counter(
            &mut out,
            "livectl_rule_events_total",
            "Events the rule engine handled.",
            self.rule_events.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "livectl_rule_matches_total",
            "Rules that fired.",
            self.rule_matches.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP livectl_commands_total Commands by final status.\n# TYPE livectl_commands_total counter"
        );
        for (status, n) in self.commands_by_status.lock().iter() {
            let _ = writeln!(out, "livectl_commands_total{{status=\"{status}\"}} {n}");
        }
        self.command_latency.render(
            &mut out,
            "livectl_command_ack_seconds",
            "Time from a command being issued to its acknowledgement.",
        );
        let _ = writeln!(
            out,
            "# HELP livectl_db_connections Open database connections by state.\n# TYPE livectl_db_connections gauge\nlivectl_db_connections{{state=\"open\"}} {}\nlivectl_db_connections{{state=\"idle\"}} {}",
            pool.0, pool.1
        );
        out
    }
}
