//! Captures this thread's tracing output as text.

use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Held while a test captures: one capture at a time in this binary, because tracing's global
/// level hint is recomputed whenever a scoped subscriber comes or goes, and two tests doing so
/// at once on different threads could make one of them miss its own events.
pub struct Capturing {
    _default: tracing::subscriber::DefaultGuard,
    _serial: std::sync::MutexGuard<'static, ()>,
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Records every event at any level until the guard drops (current-thread runtimes only).
pub fn capture() -> (Captured, Capturing) {
    let serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let guard = Capturing {
        _default: tracing::subscriber::set_default(subscriber),
        _serial: serial,
    };
    (captured, guard)
}
