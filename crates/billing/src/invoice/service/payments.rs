//! What payments and the billing jobs need of invoices, each step inside the caller's
//! transaction or as a plain read: paying an invoice from a provider event, recording the
//! provider's payment id, revenue totals and the invoices overdue past a cutoff. Invoice
//! storage stays the [`InvoiceService`]'s own.

use plinth_audit::AuditAction;
use plinth_kernel::{Money, RepoError, RequestMeta, Timestamp, Transaction};

use super::{InvoiceService, invoice_event};
use crate::BillingError;
use crate::error::billing_error;
use crate::invoice::{InvoiceId, InvoiceRecord, InvoiceStatus, RevenueBucket};
use crate::payment::{EventOutcome, PaymentMethod, ProviderEvent};

impl InvoiceService {
    /// `open → paid` inside `tx`, audited (with `method` and the provider event's id), and
    /// the subscription the invoice bills followed in `tx`; [`EventOutcome::AlreadySettled`]
    /// (nothing written) when the invoice is not open.
    pub(crate) async fn pay_in(
        &self,
        tx: &mut dyn Transaction,
        mut record: InvoiceRecord,
        method: PaymentMethod,
        event: &ProviderEvent,
        meta: &RequestMeta,
    ) -> Result<EventOutcome, BillingError> {
        if record.invoice.mark_paid().is_err() {
            return Ok(EventOutcome::AlreadySettled);
        }
        let now = self.clock.now();
        record.paid_at = Some(now);
        record.updated_at = now;
        match self
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
            .subscriptions
            .lock_billed_subscription(tx, record.id)
            .await
            .map_err(billing_error)?;
        let mut audit = invoice_event(AuditAction::InvoicePaid, &record, now, meta);
        if let Some(details) = audit.details.as_object_mut() {
            details.insert("method".into(), method.as_str().into());
            details.insert("stripe_event_id".into(), event.id.clone().into());
        }
        self.audit.append(tx, &audit).await?;
        self.subscriptions
            .follow_invoice(tx, &record, billed, now, meta)
            .await
            .map_err(billing_error)?;
        Ok(EventOutcome::Applied)
    }

    /// Invoice `id` as `tx` sees it.
    pub(crate) async fn invoice_in(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
    ) -> Result<Option<InvoiceRecord>, RepoError> {
        self.invoices.invoice_in(tx, id).await
    }

    /// Records in `tx` the provider's payment id on open invoice `id` that has none yet
    /// ([`RepoError::NotFound`] otherwise; see
    /// [`crate::InvoiceRepository::set_provider_payment_id`]).
    pub(crate) async fn set_provider_payment_id(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
        provider_payment_id: &str,
    ) -> Result<(), RepoError> {
        self.invoices
            .set_provider_payment_id(tx, id, provider_payment_id)
            .await
    }

    /// The totals of the invoices in `bucket`, per currency.
    pub(crate) async fn totals_by_currency(
        &self,
        bucket: RevenueBucket,
    ) -> Result<Vec<Money>, RepoError> {
        self.invoices.totals_by_currency(bucket).await
    }

    /// Up to `limit` open invoices due before `cutoff`.
    pub(crate) async fn open_due_before(
        &self,
        cutoff: Timestamp,
        limit: u64,
    ) -> Result<Vec<InvoiceId>, RepoError> {
        self.invoices.open_due_before(cutoff, limit).await
    }
}
