//! Editing and deleting drafts. A draft is the only invoice that changes: its new lines and
//! rates are checked and priced exactly as at creation, and written only if it is still a
//! draft when the change commits.

use plinth_audit::AuditAction;
use plinth_kernel::{Caller, Permission, RepoError, RequestMeta};

use super::{InvoiceService, NewInvoice, NewInvoiceLine, invoice_event, validate};
use crate::BillingError;
use crate::invoice::{InvoiceId, InvoiceRecord, InvoiceStatus};

/// What to change on a draft; `None` keeps the current value. A discount or tax rate of 0
/// removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceChanges {
    /// The new lines, replacing every current line (1–[`validate::MAX_LINES`]).
    pub lines: Option<Vec<NewInvoiceLine>>,
    /// The new discount, 0–10 000 basis points of the subtotal.
    pub discount_bps: Option<u32>,
    /// The new tax rate, 0–10 000 basis points.
    pub tax_rate_bps: Option<u32>,
    /// The new payment term, 0–365 days from finalisation.
    pub due_in_days: Option<u32>,
}

impl InvoiceChanges {
    /// The names of the fields given (for the audit entry); none means nothing to change.
    fn given(&self) -> Vec<&'static str> {
        [
            ("lines", self.lines.is_some()),
            ("discount_bps", self.discount_bps.is_some()),
            ("tax_rate_bps", self.tax_rate_bps.is_some()),
            ("due_in_days", self.due_in_days.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

impl InvoiceService {
    /// Changes a draft's lines, discount, tax rate or payment term on behalf of `actor` and
    /// re-prices it; the change and a `billing.invoice_updated` audit entry (naming the
    /// changed fields and the previous total) commit together. Nothing is stored when any
    /// field is invalid.
    ///
    /// # Errors
    /// [`BillingError::InvoiceNotFound`]; [`BillingError::NotDraft`] unless it is a draft (also
    /// when it was finalised meanwhile); [`BillingError::Invalid`] with every problem found
    /// (`body` when nothing is to change, otherwise as [`Self::create_invoice`]);
    /// [`BillingError::Repo`].
    #[tracing::instrument(skip(self, changes, meta, caller), fields(actor = %caller.user_id))]
    pub async fn update_invoice(
        &self,
        caller: &Caller,
        id: InvoiceId,
        changes: InvoiceChanges,
        meta: &RequestMeta,
    ) -> Result<InvoiceRecord, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        let actor = caller.user_id;
        // Read under the row lock and written in the same transaction: an edit committed by
        // another administrator meanwhile is merged into, never overwritten.
        let mut tx = self.uow.begin().await?;
        let current = self
            .invoices
            .lock_invoice(tx.as_mut(), id)
            .await?
            .ok_or(BillingError::InvoiceNotFound)?;
        if current.status() != InvoiceStatus::Draft {
            return Err(BillingError::NotDraft(current.status()));
        }
        let fields = changes.given();
        if fields.is_empty() {
            return Err(BillingError::Invalid(
                [(
                    "body".to_owned(),
                    vec![
                        "give at least one of lines, discount_percent, discount_bps, \
                         tax_rate_bps, due_in_days"
                            .to_owned(),
                    ],
                )]
                .into(),
            ));
        }
        let old = &current.invoice;
        let merged = NewInvoice {
            user_id: current.user_id,
            currency: old.currency(),
            lines: changes.lines.unwrap_or_else(|| {
                old.lines()
                    .iter()
                    .map(|l| NewInvoiceLine {
                        description: l.description.clone(),
                        quantity: l.quantity,
                        unit_amount: l.unit_amount,
                    })
                    .collect()
            }),
            discount_bps: changes.discount_bps.unwrap_or(old.discount_bps()),
            tax_rate_bps: changes.tax_rate_bps.unwrap_or(old.tax_rate_bps()),
            due_in_days: changes.due_in_days.unwrap_or(current.due_in_days),
        };
        let invoice = validate::draft(&merged, true).map_err(BillingError::Invalid)?;
        let now = self.clock.now();
        let record = InvoiceRecord {
            invoice,
            due_in_days: merged.due_in_days,
            updated_at: now,
            ..current.clone()
        };
        if let Err(e) = self.invoices.update_draft(tx.as_mut(), &record).await {
            drop(tx);
            return Err(self.draft_gone(e, id).await);
        }
        let mut event = invoice_event(AuditAction::InvoiceUpdated, &record, now, meta).actor(actor);
        if let Some(details) = event.details.as_object_mut() {
            details.insert("fields".into(), fields.into());
            details.insert("previous_total".into(), old.totals().total.into());
        }
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Deletes a draft on behalf of `actor`, with a `billing.invoice_deleted` audit entry in
    /// the same transaction. A finalised invoice is never deleted (void it instead); drafts
    /// have no number, so numbering stays gapless.
    ///
    /// # Errors
    /// [`BillingError::InvoiceNotFound`]; [`BillingError::NotDraft`] unless it is a draft (also
    /// when it was finalised meanwhile); [`BillingError::Repo`].
    #[tracing::instrument(skip(self, meta, caller), fields(actor = %caller.user_id))]
    pub async fn delete_invoice(
        &self,
        caller: &Caller,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<(), BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        let actor = caller.user_id;
        let current = self.stored_invoice(id).await?;
        if current.status() != InvoiceStatus::Draft {
            return Err(BillingError::NotDraft(current.status()));
        }
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        if let Err(e) = self.invoices.delete_draft(tx.as_mut(), id).await {
            drop(tx);
            return Err(self.draft_gone(e, id).await);
        }
        let event = invoice_event(AuditAction::InvoiceDeleted, &current, now, meta).actor(actor);
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A draft compare-and-set that found no draft: another request finalised or deleted it
    /// first. Reports where it is now.
    async fn draft_gone(&self, e: RepoError, id: InvoiceId) -> BillingError {
        if !matches!(e, RepoError::NotFound) {
            return e.into();
        }
        match self.stored_invoice(id).await {
            Ok(now) => BillingError::NotDraft(now.status()),
            Err(e) => e,
        }
    }
}
