//! Logging: a `tracing` subscriber writing pretty or JSON lines, filtered by `RUST_LOG`.

use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, LogSettings};

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard output: the server, whose stdout is its log stream.
    Stdout,
    /// Standard error: one-shot commands whose stdout is their result (`openapi`, `admin create`).
    Stderr,
}

/// The subscriber could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up logging: {0}")]
pub struct TelemetryError(String);

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Installs the global subscriber once; later calls (tests spawning several apps) do nothing.
///
/// # Errors
/// [`TelemetryError`] when the filter does not parse or another subscriber is already global.
pub fn init(settings: &LogSettings, target: LogTarget) -> Result<(), TelemetryError> {
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let filter = EnvFilter::try_new(&settings.filter)
        .map_err(|e| TelemetryError(format!("RUST_LOG: {e}")))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match (settings.format, target) {
        (LogFormat::Json, LogTarget::Stdout) => builder.json().with_current_span(true).try_init(),
        (LogFormat::Json, LogTarget::Stderr) => builder
            .json()
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .try_init(),
        (LogFormat::Pretty, LogTarget::Stdout) => builder.try_init(),
        (LogFormat::Pretty, LogTarget::Stderr) => builder.with_writer(std::io::stderr).try_init(),
    };
    result.map_err(|e| TelemetryError(e.to_string()))?;
    let _ = INSTALLED.set(());
    Ok(())
}
