//! [`BillingJobs`]: the scheduled billing work (write-offs, `past_due`, renewals).

#[cfg(test)]
mod tests;

use plinth_kernel::{RequestMeta, Timestamp};

use crate::BillingError;
use crate::error::billing_error;
use crate::invoice::InvoiceService;
use crate::subscription::{SubscriptionService, SubscriptionStatus};

/// How many overdue invoices one [`BillingJobs::run_jobs`] pass handles at most.
const JOB_BATCH: u64 = 500;

/// The grace after `due_at` before an open invoice becomes `uncollectible`, in days, unless
/// [`BillingJobs::with_uncollectible_after`] says otherwise.
pub const UNCOLLECTIBLE_AFTER_DAYS: i64 = 30;

/// What one [`BillingJobs::run_jobs`] pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct JobReport {
    /// Subscription periods started (renewals, trials ending).
    pub renewed: u64,
    /// Subscriptions ended by a cancellation at period end.
    pub canceled: u64,
    /// Renewed periods that got an invoice, and subscriptions that ended with pending items
    /// (an upgrade's proration) put on a final invoice.
    pub invoiced: u64,
    /// Subscriptions whose renewal failed (logged; retried by the next pass).
    pub renewals_failed: u64,
    /// Subscriptions this pass made `past_due` (an invoice of theirs is overdue).
    pub past_due: u64,
    /// Subscriptions this pass made `unpaid` (an invoice of theirs became uncollectible).
    pub unpaid: u64,
    /// Open invoices past `due_at` + grace that this pass made `uncollectible`.
    pub uncollectible: u64,
}

/// The scheduled billing work, one pass at a time ([`Self::run_jobs`]).
///
/// It is a struct of its own, holding the two services it drives, because a pass spans two
/// subdomains and belongs to neither: writing off an overdue invoice is invoice work that also
/// moves the subscription the invoice bills (the [`InvoiceService`] does both in one
/// transaction), while marking subscriptions `past_due` and renewing them is subscription work
/// (the [`SubscriptionService`]). Putting the pass on either service would have one service
/// schedule the other's work; here each step stays with its owner and only the order of the
/// steps lives in one place.
#[derive(Clone)]
pub struct BillingJobs {
    invoices: InvoiceService,
    subscriptions: SubscriptionService,
    /// How long after `due_at` an open invoice becomes `uncollectible`.
    uncollectible_after: chrono::Duration,
}

impl BillingJobs {
    /// The jobs over these services, with a grace of 30 days before an overdue invoice is
    /// written off.
    #[must_use]
    pub fn new(invoices: InvoiceService, subscriptions: SubscriptionService) -> Self {
        Self {
            invoices,
            subscriptions,
            uncollectible_after: chrono::Duration::days(UNCOLLECTIBLE_AFTER_DAYS),
        }
    }

    /// How long after `due_at` an open invoice becomes `uncollectible`
    /// (`BILLING_UNCOLLECTIBLE_AFTER`, 30 days unless set).
    #[must_use]
    pub const fn with_uncollectible_after(mut self, grace: chrono::Duration) -> Self {
        self.uncollectible_after = grace;
        self
    }

    /// The scheduled billing work at `now`, in this order (each step audited, no actor):
    /// 1. every `open` invoice whose `due_at` is more than the grace
    ///    ([`Self::with_uncollectible_after`]) in the past becomes `uncollectible`, and the
    ///    subscription it bills, if any, `unpaid` in the same transaction;
    /// 2. every `trialing` or `active` subscription with an overdue period invoice becomes
    ///    `past_due`;
    /// 3. renewals ([`SubscriptionService::renew_due`]): due periods start and are invoiced.
    ///
    /// Idempotent, and safe on several replicas at once: invoice moves are compare-and-sets
    /// from `open`, subscription moves re-check under the row lock, and a period is renewed
    /// and invoiced once (unique keys).
    ///
    /// # Errors
    /// [`BillingError::Repo`] (whatever moved before the failure stays moved; failures of a
    /// single renewal are only counted in [`JobReport::renewals_failed`]).
    #[tracing::instrument(skip(self))]
    pub async fn run_jobs(&self, now: Timestamp) -> Result<JobReport, BillingError> {
        let cutoff = now - self.uncollectible_after;
        let mut report = JobReport::default();
        let meta = RequestMeta::default();
        loop {
            let due = self.invoices.open_due_before(cutoff, JOB_BATCH).await?;
            let batch = due.len();
            let mut moved_here = 0_u64;
            for id in due {
                match self.invoices.uncollect(None, id, &meta).await {
                    Ok((_, followed)) => {
                        moved_here += 1;
                        report.unpaid += u64::from(followed == Some(SubscriptionStatus::Unpaid));
                    }
                    // Another replica (or an administrator) moved it first.
                    Err(BillingError::Transition(_) | BillingError::InvoiceNotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            report.uncollectible += moved_here;
            if (batch as u64) < JOB_BATCH || moved_here == 0 {
                break;
            }
        }
        report.past_due = self
            .subscriptions
            .mark_past_due(now)
            .await
            .map_err(billing_error)?;
        let renewals = self
            .subscriptions
            .renew_due(now)
            .await
            .map_err(billing_error)?;
        report.renewed = renewals.renewed.into();
        report.canceled = renewals.canceled.into();
        report.invoiced = renewals.invoiced.into();
        report.renewals_failed = renewals.failed.into();
        if report != JobReport::default() {
            tracing::info!(?report, "billing jobs ran");
        }
        Ok(report)
    }
}
