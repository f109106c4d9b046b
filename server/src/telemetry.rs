//! Structured logs with `tracing`.

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

#[derive(Debug, thiserror::Error)]
#[error("invalid log filter “{filter}” (key `log.filter`)")]
pub struct TelemetryError {
    filter: String,
    #[source]
    source: tracing_subscriber::filter::ParseError,
}

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `log.filter`.
pub fn init(config: &LogConfig) -> Result<(), TelemetryError> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| config.filter.clone());
    let env_filter = EnvFilter::try_new(&filter).map_err(|source| TelemetryError {
        filter: filter.clone(),
        source,
    })?;
    let builder = tracing_subscriber::fmt().with_env_filter(env_filter);
    // A second init (only in tests) keeps the first subscriber.
    let _ = match config.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    Ok(())
}

/// Written once, in the core, so the use cases log the same way.
pub use roombook_core::error_chain;
