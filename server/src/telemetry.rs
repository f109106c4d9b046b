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

/// An error and its causes on one line: `outer: middle: root`. For logs, never for responses.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
