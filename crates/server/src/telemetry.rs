//! Logging: a `tracing` subscriber writing pretty or JSON lines, filtered by `RUST_LOG`.
//!
//! The server's log lines are formatted on the thread that logs them and written to standard
//! output by a dedicated thread ([`tracing_appender::non_blocking`]), in batches: a request
//! never waits for a `write` system call. Nothing is dropped (a full queue makes the logging
//! thread wait), and the lines still queued are written when the [`LogGuard`] drops, which
//! the `serve` command does after its graceful shutdown.

use std::io::{BufWriter, Stdout};
use std::sync::OnceLock;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::settings::{LogFormat, LogSettings};

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard output: the server, whose stdout is its log stream (written by a background
    /// thread, see the module documentation).
    Stdout,
    /// Standard error: one-shot commands whose stdout is their result (`openapi`, `admin create`).
    Stderr,
}

/// The subscriber could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up logging: {0}")]
pub struct TelemetryError(String);

/// Keeps the background log writer running; dropping it writes every queued line and stops
/// the writer. Hold it until the program ends.
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug, Default)]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

static INSTALLED: OnceLock<()> = OnceLock::new();

/// How many lines may wait for the writer thread before loggers wait for it: about a second
/// of lines at full load. The queue is allocated up front (32 bytes a slot), so a longer one
/// only costs memory: 65,536 slots took 2 MiB of the server's resident memory.
const QUEUED_LINES: usize = 8 * 1024;

/// Installs the global subscriber once; later calls (tests spawning several apps) do nothing
/// and return an empty guard.
///
/// # Errors
/// [`TelemetryError`] when the filter does not parse or another subscriber is already global.
pub fn init(settings: &LogSettings, target: LogTarget) -> Result<LogGuard, TelemetryError> {
    if INSTALLED.get().is_some() {
        return Ok(LogGuard::default());
    }
    let filter = EnvFilter::try_new(&settings.filter)
        .map_err(|e| TelemetryError(format!("RUST_LOG: {e}")))?;
    let (writer, guard) = match target {
        LogTarget::Stdout => {
            let (writer, worker) = NonBlockingBuilder::default()
                .lossy(false)
                .buffered_lines_limit(QUEUED_LINES)
                .thread_name("plinth-log")
                .finish(batched_stdout());
            let guard = LogGuard {
                _writer: Some(worker),
            };
            (BoxMakeWriter::new(writer), guard)
        }
        LogTarget::Stderr => (BoxMakeWriter::new(std::io::stderr), LogGuard::default()),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = match settings.format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    result.map_err(|e| TelemetryError(e.to_string()))?;
    let _ = INSTALLED.set(());
    Ok(guard)
}

/// Standard output behind a buffer: the writer thread writes every line it has queued and
/// then flushes, so a burst of lines costs one system call instead of one per line.
fn batched_stdout() -> BufWriter<Stdout> {
    BufWriter::with_capacity(64 * 1024, std::io::stdout())
}
