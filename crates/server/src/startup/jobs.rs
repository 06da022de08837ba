//! Background jobs every replica runs: subscription renewals and purging expired
//! idempotency keys. Both are safe on several replicas at once (renewals are unique per
//! period, purging is a plain delete), so no leader election is needed.

use std::sync::Arc;
use std::time::Duration;

use plinth_billing::BillingService;
use plinth_kernel::IdempotencyStore;

use super::background::{AbortOnDrop, FirstRun, every};

/// How often the jobs run.
pub const JOB_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the jobs at once and then every [`JOB_INTERVAL`] until the guard drops.
#[must_use]
pub(crate) fn spawn(
    billing: BillingService,
    idempotency: Arc<dyn IdempotencyStore>,
) -> Option<AbortOnDrop> {
    every(JOB_INTERVAL, FirstRun::Now, move || {
        let (billing, idempotency) = (billing.clone(), Arc::clone(&idempotency));
        async move { run_once(&billing, idempotency.as_ref()).await }
    })
}

/// One round of every job; failures are logged and retried next round.
pub async fn run_once(billing: &BillingService, idempotency: &dyn IdempotencyStore) {
    let now = chrono::Utc::now();
    match billing.renew_due(now).await {
        Ok(report) if report == plinth_billing::RenewalReport::default() => {}
        Ok(report) => tracing::info!(
            renewed = report.renewed,
            canceled = report.canceled,
            failed = report.failed,
            "subscription renewals"
        ),
        Err(e) => tracing::error!(error = ?e, "subscription renewals failed"),
    }
    match idempotency.purge_expired(now).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(purged = n, "expired idempotency keys removed"),
        Err(e) => tracing::warn!(error = ?e, "purging idempotency keys failed"),
    }
}
