//! Logging (`tracing`, filtered by `RUST_LOG`) and the metrics served at `/metrics`.

pub mod metrics;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls are ignored (tests build many apps).
pub fn init(format: LogFormat) {
    // The embedded broker logs every subscription at INFO: only its warnings by default.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rumqttd=warn"));
    let writer = std::io::stderr.with_max_level(tracing::Level::TRACE);
    let result = match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .with_target(true)
            .try_init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(writer)
            .try_init(),
    };
    // Already installed: keep the first one.
    let _ = result;
}
