//! Background loops every replica runs (revocation sync, storage reconciler, billing jobs,
//! metrics gauges, allocator trim): one shape for all of them, stopped when their guard drops.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

/// Aborts its task when dropped.
pub(crate) struct AbortOnDrop(pub(crate) JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// When a periodic job first runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstRun {
    /// At once, then every interval.
    Now,
    /// One interval after start, then every interval.
    AfterOneInterval,
}

/// Runs `job` every `interval` (a run that overruns delays the next, never stacks), or not at
/// all when `interval` is zero. The job logs its own failures; the loop never stops on them.
pub(crate) fn every<F, Fut>(interval: Duration, first: FirstRun, mut job: F) -> Option<AbortOnDrop>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    if interval.is_zero() {
        return None;
    }
    Some(AbortOnDrop(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        if first == FirstRun::AfterOneInterval {
            ticks.tick().await;
        }
        loop {
            ticks.tick().await;
            job().await;
        }
    })))
}
