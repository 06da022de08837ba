//! Background jobs every replica runs: subscription renewals and purging expired
//! idempotency keys. Both are safe on several replicas at once (renewals are unique per
//! period, purging is a plain delete), so no leader election is needed.

use std::sync::Arc;
use std::time::Duration;

use plinth_billing::BillingService;
use plinth_kernel::IdempotencyStore;

/// How often the jobs run.
pub const JOB_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the jobs every [`JOB_INTERVAL`] until the returned task is aborted.
#[must_use]
pub fn spawn(
    billing: BillingService,
    idempotency: Arc<dyn IdempotencyStore>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(JOB_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            run_once(&billing, idempotency.as_ref()).await;
        }
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
