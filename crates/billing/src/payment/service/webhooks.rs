//! Stripe's webhook: each event verified, recorded once in the inbox and applied (an invoice
//! paid, a subscription's status set) in one transaction.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::RequestMeta;

use super::PaymentService;
use crate::BillingError;
use crate::error::billing_error;
use crate::invoice::InvoiceRecord;
use crate::payment::{EventOutcome, InboxEntry, PaymentMethod, ProviderEvent};

impl PaymentService {
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
        let verifier = self.webhooks.verifier()?;
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
        if !self.inbox.insert_new(tx.as_mut(), &entry).await? {
            tracing::info!(event_id = %event.id, kind = %event.kind, "duplicate Stripe event");
            return Ok(EventOutcome::Duplicate);
        }
        // Read in the transaction (the payment id is recorded by the pay request); the
        // compare-and-set from `open` in `pay_in` decides between concurrent movers.
        let target = match event.invoice_id() {
            Some(id) if event.is_payment() => self.invoices.invoice_in(tx.as_mut(), id).await?,
            _ => None,
        };
        let mut subscription_id = None;
        let outcome = if event.is_subscription_change() {
            let (outcome, id) = self
                .subscriptions
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
                self.invoices
                    .pay_in(tx.as_mut(), record, PaymentMethod::Stripe, &event, meta)
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
        self.inbox.mark_processed(tx.as_mut(), &entry).await?;
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
