//! The idempotency-key purge every replica runs: a plain delete of expired rows, safe on
//! several replicas at once. It is one of the loops `spawn_background` in `startup.rs` starts,
//! with every other one.

use std::sync::Arc;
use std::time::Duration;

use plinth_kernel::IdempotencyStore;

use super::background::{AbortOnDrop, FirstRun, every};

/// How often expired idempotency keys are purged.
pub const JOB_INTERVAL: Duration = Duration::from_secs(60);

/// Purges at once and then every [`JOB_INTERVAL`] until the guard drops.
#[must_use]
pub(crate) fn spawn(idempotency: Arc<dyn IdempotencyStore>) -> Option<AbortOnDrop> {
    every(JOB_INTERVAL, FirstRun::Now, move || {
        let idempotency = Arc::clone(&idempotency);
        async move { run_once(idempotency.as_ref()).await }
    })
}

/// One purge; a failure is logged and retried next round.
pub async fn run_once(idempotency: &dyn IdempotencyStore) {
    match idempotency.purge_expired(chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(purged = n, "expired idempotency keys removed"),
        Err(e) => tracing::warn!(error = ?e, "purging idempotency keys failed"),
    }
}

/// Purges events older than `retention` (by `clock`) at once and then every [`JOB_INTERVAL`]
/// until the guard drops; the outbox always keeps its newest event. Safe on several replicas
/// at once (a plain delete).
#[must_use]
pub(crate) fn spawn_event_purge(
    outbox: Arc<dyn plinth_events::EventOutbox>,
    clock: Arc<dyn plinth_kernel::Clock>,
    retention: Duration,
) -> Option<AbortOnDrop> {
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    every(JOB_INTERVAL, FirstRun::Now, move || {
        let outbox = Arc::clone(&outbox);
        let before = clock.now().checked_sub_signed(retention);
        async move {
            let Some(before) = before else { return };
            match outbox.purge(before).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(purged = n, "events past their retention removed"),
                Err(e) => tracing::warn!(error = ?e, "purging events failed"),
            }
        }
    })
}
