//! Captures this thread's tracing output as text.
//!
//! One global subscriber is installed for the whole test binary, writing each event to the
//! buffer of the thread that emitted it (if that thread is capturing). A global subscriber, not
//! a scoped one per test: with scoped subscribers coming and going on other threads, tracing's
//! cached per-callsite interest and global level hint could make a test miss its own events.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

thread_local! {
    static SINK: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Writes to the current thread's capture buffer, or nowhere.
struct ThreadSink;

impl Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        SINK.with(|sink| {
            if let Some(captured) = sink.borrow().as_ref() {
                captured.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Capturing lasts until this drops.
pub struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        SINK.with(|sink| *sink.borrow_mut() = None);
    }
}

static INIT: Once = Once::new();

/// Records every event this thread emits, at any level, until the guard drops
/// (current-thread runtimes only).
pub fn capture() -> (Captured, Capturing) {
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| ThreadSink)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
    let captured = Captured::default();
    SINK.with(|sink| *sink.borrow_mut() = Some(captured.clone()));
    (captured, Capturing)
}
