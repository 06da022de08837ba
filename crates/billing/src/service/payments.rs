//! Payment use cases: starting the payment of an open invoice through the gateway, Stripe
//! webhook events applied once, revenue figures, and the overdue job.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Money, RepoError, RequestMeta, Timestamp, Transaction, UserId};

use super::invoices::invoice_event;
use super::standing::billing_error;
use crate::invoice::{InvoiceId, InvoiceRecord, InvoiceStatus, RevenueBucket};
use crate::payment::{
    EventOutcome, GatewayError, InboxEntry, PaymentEventInbox, PaymentGateway, PaymentMethod,
    PaymentRequest, PaymentStart, ProviderEvent, WebhookVerifier,
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

/// A payment of an open invoice, started (or found again) at the gateway: what the client
/// needs to confirm it (Stripe.js `confirmPayment` with `client_secret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePayment {
    /// The invoice paid.
    pub invoice_id: InvoiceId,
    /// The gateway collecting it.
    pub method: PaymentMethod,
    /// The provider's payment id (Stripe `pi_…`), the same on every attempt.
    pub provider_payment_id: String,
    /// What the client-side SDK confirms the payment with. Never logged or audited.
    pub client_secret: String,
    /// The provider's status of the payment, when it said.
    pub status: Option<String>,
    /// The invoice's total.
    pub amount: Money,
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

impl BillingService {
    /// Connects the payment ports.
    #[must_use]
    pub fn with_payments(mut self, payments: Payments) -> Self {
        self.payments = Some(payments);
        self
    }

    /// Connects the gateway that collects invoice payments ([`Self::start_invoice_payment`]);
    /// without one, paying answers [`BillingError::PaymentsNotConfigured`].
    #[must_use]
    pub fn with_gateway(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// Starts paying `customer`'s open invoice `id` through the gateway, or finds again the
    /// payment started for it before.
    ///
    /// The first time, the gateway starts a payment (Stripe: a payment intent under a key
    /// fixed per invoice, so a retry never charges twice); its id is then recorded on the
    /// invoice together with a `billing.payment_started` audit entry (the invoice id and the
    /// provider's payment id, never the client secret), in one transaction. The gateway call
    /// is outside the database, so nothing is written when it fails. Every later call reuses
    /// the recorded payment ([`PaymentGateway::payment`]) and writes nothing: no second
    /// payment, however long after.
    ///
    /// # Errors
    /// [`BillingError::InvoiceNotFound`] for an unknown id, another user's invoice or a
    /// draft (not issued, so not the customer's to see), checked first;
    /// [`BillingError::PaymentsNotConfigured`] without a gateway; [`BillingError::NotPayable`] unless
    /// it is open, [`BillingError::Gateway`], [`BillingError::Repo`].
    #[tracing::instrument(skip(self, meta))]
    pub async fn start_invoice_payment(
        &self,
        customer: UserId,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<InvoicePayment, BillingError> {
        // The invoice first: an unknown one is a 404 whether or not payments are configured.
        let record = self.customer_invoice(customer, id).await?;
        let gateway = self
            .gateway
            .as_ref()
            .ok_or(BillingError::PaymentsNotConfigured)?;
        if record.status() != InvoiceStatus::Open {
            return Err(BillingError::NotPayable(record.status()));
        }
        if let Some(existing) = &record.provider_payment_id {
            let found = gateway.payment(existing).await?;
            return invoice_payment(gateway.as_ref(), &record, found);
        }
        let inv = &record.invoice;
        let request = PaymentRequest {
            invoice_id: id,
            user_id: customer,
            amount: Money::new(inv.totals().total, inv.currency()),
            customer: record.customer.clone(),
        };
        let started = gateway.start_payment(&request).await?;
        let payment = invoice_payment(gateway.as_ref(), &record, started)?;
        let invoices = &self.invoicing()?.invoices;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        match invoices
            .set_provider_payment_id(tx.as_mut(), id, &payment.provider_payment_id)
            .await
        {
            Ok(()) => {}
            Err(RepoError::NotFound) => {
                drop(tx);
                // Another request recorded a payment first, or the invoice left `open`.
                let now_stored = self.customer_invoice(customer, id).await?;
                return match now_stored.provider_payment_id.clone() {
                    _ if now_stored.status() != InvoiceStatus::Open => {
                        Err(BillingError::NotPayable(now_stored.status()))
                    }
                    Some(kept) if kept != payment.provider_payment_id => {
                        let found = gateway.payment(&kept).await?;
                        invoice_payment(gateway.as_ref(), &now_stored, found)
                    }
                    _ => Ok(payment),
                };
            }
            Err(e) => return Err(e.into()),
        }
        let event = AuditEvent::new(AuditAction::PaymentStarted, now, meta)
            .actor(customer)
            .target("invoice", id)
            .details(serde_json::json!({
                "provider": payment.method.as_str(),
                "provider_payment_id": payment.provider_payment_id,
                "amount": payment.amount.amount,
                "currency": payment.amount.currency.code(),
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(payment)
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
    /// `metadata.plinth_invoice_id` pay it when the amount, the currency and the payment id
    /// match the invoice; otherwise [`EventOutcome::PaymentMismatch`] is recorded and
    /// `billing.payment_mismatch` audited, and the invoice is left as it is), marks the entry
    /// processed and appends `billing.webhook_received` (and `billing.invoice_paid`).
    ///
    /// A mismatch is still an `Ok`: the webhook answers 2xx, because Stripe would otherwise
    /// redeliver the same event for days and it would never match; an administrator looks at
    /// the audit entry and settles the invoice by hand.
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
        // Read in the transaction (the payment id is recorded by the pay request); the
        // compare-and-set from `open` in `pay_in` decides between concurrent movers.
        let target = match (event.invoice_id(), &self.invoicing) {
            (Some(id), Some(ports)) if event.is_payment() => {
                ports.invoices.invoice_in(tx.as_mut(), id).await?
            }
            _ => None,
        };
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
            if let Some(details) = payment_mismatch(&record, &event) {
                tracing::warn!(
                    event_id = %event.id,
                    invoice_id = %record.id,
                    %details,
                    "Stripe payment does not match the invoice; recorded, not applied"
                );
                let audit = AuditEvent::new(AuditAction::PaymentMismatch, now, meta)
                    .target("invoice", record.id)
                    .details(details);
                self.audit.append(tx.as_mut(), &audit).await?;
                EventOutcome::PaymentMismatch
            } else {
                self.pay_in(tx.as_mut(), record, PaymentMethod::Stripe, &event, meta)
                    .await?
            }
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

/// The payment `found` at `gateway` for `record`; a gateway answer without a payment id or a
/// client secret is a provider failure (nothing can be confirmed with it).
fn invoice_payment(
    gateway: &dyn PaymentGateway,
    record: &InvoiceRecord,
    found: PaymentStart,
) -> Result<InvoicePayment, BillingError> {
    let (Some(provider_payment_id), Some(client_secret)) =
        (found.provider_payment_id, found.client_secret)
    else {
        return Err(GatewayError::Unavailable(
            "the payment provider returned no payment id or client secret".to_owned(),
        )
        .into());
    };
    let inv = &record.invoice;
    Ok(InvoicePayment {
        invoice_id: record.id,
        method: gateway.method(),
        provider_payment_id,
        client_secret,
        status: found.status,
        amount: Money::new(inv.totals().total, inv.currency()),
    })
}

/// Why a payment event naming `record` must not pay it, as the audit details of
/// `billing.payment_mismatch` (`expected` and `received` amount, currency and
/// `provider_payment_id`, and the Stripe event), or `None` when all three match: the amount
/// is the invoice's total, the currency its currency, and the payment the one recorded on the
/// invoice when its payment was started (an invoice with none recorded matches no payment).
fn payment_mismatch(record: &InvoiceRecord, event: &ProviderEvent) -> Option<serde_json::Value> {
    let inv = &record.invoice;
    let total = inv.totals().total;
    let code = inv.currency();
    let currency = code.code();
    let paid = &event.paid;
    let matches = paid.amount == Some(total)
        && paid.currency.as_deref() == Some(currency)
        && record.provider_payment_id.is_some()
        && paid.provider_payment_id == record.provider_payment_id;
    (!matches).then(|| {
        serde_json::json!({
            "provider": "stripe",
            "stripe_event_id": event.id,
            "type": event.kind,
            "user_id": record.user_id,
            "number": inv.number().map(|n| n.to_string()),
            "status": inv.status().as_str(),
            "expected": {
                "amount": total,
                "currency": currency,
                "provider_payment_id": record.provider_payment_id,
            },
            "received": {
                "amount": paid.amount,
                "currency": paid.currency,
                "provider_payment_id": paid.provider_payment_id,
            },
        })
    })
}

/// 00:00:00 UTC on the first day of `now`'s month.
fn month_start(now: Timestamp) -> Timestamp {
    use chrono::{Datelike as _, TimeZone as _};
    chrono::Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}
