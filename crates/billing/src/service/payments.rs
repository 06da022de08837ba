//! Payment use cases: Stripe webhook events applied once, revenue figures, and the overdue
//! job.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Money, RepoError, RequestMeta, Timestamp, Transaction};

use super::invoices::invoice_event;
use super::standing::billing_error;
use crate::invoice::{InvoiceRecord, InvoiceStatus, RevenueBucket};
use crate::payment::{
    EventOutcome, InboxEntry, PaymentEventInbox, PaymentMethod, ProviderEvent, WebhookVerifier,
};
use crate::subscription::SubscriptionStatus;
use crate::{BillingError, BillingService};

/// How many overdue invoices one [`BillingService::run_jobs`] pass handles at most.
const JOB_BATCH: u64 = 500;

/// The ports of payments.
#[derive(Clone)]
pub struct Payments {
    /// Provider events already received.
    pub inbox: Arc<dyn PaymentEventInbox>,
    /// Checks Stripe's signature; `None` when `STRIPE_WEBHOOK_SECRET` is unset, and the
    /// webhook is then refused as unavailable.
    pub verifier: Option<Arc<dyn WebhookVerifier>>,
}

/// Revenue figures per currency, each list ordered by currency code, integer minor units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Revenue {
    /// Invoices paid since the first instant of the current UTC month.
    pub paid_this_month: Vec<Money>,
    /// Open invoices not yet past `due_at`.
    pub outstanding: Vec<Money>,
    /// Open invoices past `due_at`.
    pub overdue: Vec<Money>,
}

/// What one [`BillingService::run_jobs`] pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct JobReport {
    /// Subscription periods started (renewals, trials ending).
    pub renewed: u64,
    /// Subscriptions ended by a cancellation at period end.
    pub canceled: u64,
    /// Renewed periods that got an invoice.
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

impl BillingService {
    /// Connects the payment ports.
    #[must_use]
    pub fn with_payments(mut self, payments: Payments) -> Self {
        self.payments = Some(payments);
        self
    }

    /// How long after `due_at` an open invoice becomes `uncollectible`
    /// (`BILLING_UNCOLLECTIBLE_AFTER`, 30 days unless set).
    #[must_use]
    pub const fn with_uncollectible_after(mut self, grace: chrono::Duration) -> Self {
        self.uncollectible_after = grace;
        self
    }

    /// Receives a Stripe webhook: verifies `signature` (the `Stripe-Signature` header) over
    /// the raw `body`, then, in one transaction, records the event id in the inbox (a
    /// duplicate stops here: [`EventOutcome::Duplicate`], nothing applied again), applies it
    /// (`invoice.paid` / `payment_intent.succeeded` naming an open invoice of ours in
    /// `metadata.plinth_invoice_id` pay it), marks the entry processed and appends
    /// `billing.webhook_received` (and `billing.invoice_paid`).
    ///
    /// # Errors
    /// [`BillingError::WebhookNotConfigured`] without a verifier,
    /// [`BillingError::Signature`] for a refused signature and [`BillingError::BadEvent`]
    /// for a signed body that is no event (nothing recorded in either case),
    /// [`BillingError::Repo`].
    #[tracing::instrument(skip_all)]
    pub async fn receive_stripe_event(
        &self,
        signature: Option<&str>,
        body: &[u8],
        meta: &RequestMeta,
    ) -> Result<EventOutcome, BillingError> {
        let payments = self
            .payments
            .as_ref()
            .ok_or(BillingError::WebhookNotConfigured)?;
        let verifier = payments
            .verifier
            .as_ref()
            .ok_or(BillingError::WebhookNotConfigured)?;
        let now = self.clock.now();
        verifier.verify(signature, body, now)?;
        let event = ProviderEvent::parse(body).map_err(BillingError::BadEvent)?;
        // Read before the transaction; the compare-and-set below decides.
        let target = match event.invoice_id() {
            Some(id) if event.is_payment() => match &self.invoicing {
                Some(ports) => ports.invoices.invoice(id).await?,
                None => None,
            },
            _ => None,
        };
        let mut entry = InboxEntry {
            id: event.id.clone(),
            kind: event.kind.clone(),
            received_at: now,
            processed_at: None,
            outcome: None,
            invoice_id: None,
        };
        let mut tx = self.uow.begin().await?;
        if !payments.inbox.insert_new(tx.as_mut(), &entry).await? {
            tracing::info!(event_id = %event.id, kind = %event.kind, "duplicate Stripe event");
            return Ok(EventOutcome::Duplicate);
        }
        let mut subscription_id = None;
        let outcome = if event.is_subscription_change() {
            let (outcome, id) = self
                .sync_from_stripe(tx.as_mut(), &event, now, meta)
                .await
                .map_err(billing_error)?;
            if outcome == EventOutcome::Ignored {
                tracing::warn!(
                    event_id = %event.id,
                    kind = %event.kind,
                    "Stripe subscription event names no subscription of ours or an unmapped status; recorded as ignored"
                );
            }
            subscription_id = id;
            outcome
        } else if !event.is_payment() {
            EventOutcome::Unhandled
        } else if let Some(record) = target {
            entry.invoice_id = Some(record.id);
            self.pay_in(tx.as_mut(), record, PaymentMethod::Stripe, &event, meta)
                .await?
        } else {
            tracing::warn!(
                event_id = %event.id,
                kind = %event.kind,
                "Stripe payment event names no invoice of ours; recorded as ignored"
            );
            EventOutcome::Ignored
        };
        entry.processed_at = Some(now);
        entry.outcome = Some(outcome.as_str().to_owned());
        payments.inbox.mark_processed(tx.as_mut(), &entry).await?;
        let audit = AuditEvent::new(AuditAction::WebhookReceived, now, meta)
            .target("stripe_event", &event.id)
            .details(serde_json::json!({
                "provider": "stripe",
                "type": event.kind,
                "outcome": outcome.as_str(),
                "invoice_id": entry.invoice_id,
                "subscription_id": subscription_id.map(|id| id.to_string()),
            }));
        self.audit.append(tx.as_mut(), &audit).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// `open → paid` inside `tx`, audited; [`EventOutcome::AlreadySettled`] (nothing
    /// written) when the invoice is not open.
    async fn pay_in(
        &self,
        tx: &mut dyn Transaction,
        mut record: InvoiceRecord,
        method: PaymentMethod,
        event: &ProviderEvent,
        meta: &RequestMeta,
    ) -> Result<EventOutcome, BillingError> {
        let ports = self.invoicing()?;
        if record.invoice.mark_paid().is_err() {
            return Ok(EventOutcome::AlreadySettled);
        }
        let now = self.clock.now();
        record.paid_at = Some(now);
        record.updated_at = now;
        match ports
            .invoices
            .update_invoice(tx, &record, InvoiceStatus::Open)
            .await
        {
            Ok(()) => {}
            Err(RepoError::NotFound) => return Ok(EventOutcome::AlreadySettled),
            Err(e) => return Err(e.into()),
        }
        // Row locks before the audit chain's lock (see `lock_billed_subscription`).
        let billed = self
            .lock_billed_subscription(tx, record.id)
            .await
            .map_err(billing_error)?;
        let mut audit = invoice_event(AuditAction::InvoicePaid, &record, now, meta);
        if let Some(details) = audit.details.as_object_mut() {
            details.insert("method".into(), method.as_str().into());
            details.insert("stripe_event_id".into(), event.id.clone().into());
        }
        self.audit.append(tx, &audit).await?;
        self.follow_invoice(tx, &record, billed, now, meta)
            .await
            .map_err(billing_error)?;
        Ok(EventOutcome::Applied)
    }

    /// Revenue at `now`: paid this (UTC) month, outstanding and overdue, per currency.
    ///
    /// # Errors
    /// [`BillingError::Repo`].
    pub async fn revenue(&self, now: Timestamp) -> Result<Revenue, BillingError> {
        let invoices = &self.invoicing()?.invoices;
        let month_start = month_start(now);
        Ok(Revenue {
            paid_this_month: invoices
                .totals_by_currency(RevenueBucket::PaidSince(month_start))
                .await?,
            outstanding: invoices
                .totals_by_currency(RevenueBucket::OpenDueFrom(now))
                .await?,
            overdue: invoices
                .totals_by_currency(RevenueBucket::OpenDueBefore(now))
                .await?,
        })
    }

    /// The scheduled billing work at `now`, in this order (each step audited, no actor):
    /// 1. every `open` invoice whose `due_at` is more than the grace
    ///    ([`Self::with_uncollectible_after`]) in the past becomes `uncollectible`, and the
    ///    subscription it bills, if any, `unpaid` in the same transaction;
    /// 2. every `trialing` or `active` subscription with an overdue period invoice becomes
    ///    `past_due`;
    /// 3. renewals ([`Self::renew_due`]): due periods start and are invoiced.
    ///
    /// Idempotent, and safe on several replicas at once: invoice moves are compare-and-sets
    /// from `open`, subscription moves re-check under the row lock, and a period is renewed
    /// and invoiced once (unique keys). Steps 2 and 3 need subscription storage and are
    /// skipped without it.
    ///
    /// # Errors
    /// [`BillingError::Repo`] (whatever moved before the failure stays moved; failures of a
    /// single renewal are only counted in [`JobReport::renewals_failed`]).
    #[tracing::instrument(skip(self))]
    pub async fn run_jobs(&self, now: Timestamp) -> Result<JobReport, BillingError> {
        let invoices = Arc::clone(&self.invoicing()?.invoices);
        let cutoff = now - self.uncollectible_after;
        let mut report = JobReport::default();
        let meta = RequestMeta::default();
        loop {
            let due = invoices.open_due_before(cutoff, JOB_BATCH).await?;
            let batch = due.len();
            let mut moved_here = 0_u64;
            for id in due {
                match self.uncollect(None, id, &meta).await {
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
        if self.subscriptions.is_some() {
            report.past_due = self.mark_past_due(now).await.map_err(billing_error)?;
            let renewals = self.renew_due(now).await.map_err(billing_error)?;
            report.renewed = renewals.renewed.into();
            report.canceled = renewals.canceled.into();
            report.invoiced = renewals.invoiced.into();
            report.renewals_failed = renewals.failed.into();
        }
        if report != JobReport::default() {
            tracing::info!(?report, "billing jobs ran");
        }
        Ok(report)
    }
}

/// 00:00:00 UTC on the first day of `now`'s month.
fn month_start(now: Timestamp) -> Timestamp {
    use chrono::{Datelike as _, TimeZone as _};
    chrono::Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}
