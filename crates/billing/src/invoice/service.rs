//! [`InvoiceService`]: drafts, finalisation with gapless numbering, payment, voiding, and the
//! customer's view. Every change commits together with its audit entry.

mod drafts;
mod payments;
mod validate;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::Datelike as _;
use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{
    Caller, Clock, Currency, Owner, Page, PageRequest, Permission, RepoError, RequestMeta,
    Timestamp, UnitOfWork, UserId,
};

use crate::error::billing_error;
use crate::invoice::{
    CustomerDirectory, InvoiceFilter, InvoiceId, InvoiceNumber, InvoiceRecord, InvoiceRenderer,
    InvoiceStatus, InvoiceStorage, TransitionError,
};
use crate::payment::{ManualGateway, PaymentGateway as _};
use crate::subscription::{SubscriptionService, SubscriptionStatus};
use crate::{BillingError, ORG_BILLING_READ, acting_owner, billing_owner};

pub use drafts::InvoiceChanges;

/// Invoice use cases, for administrators (drafts, finalising, settling) and customers (their
/// issued invoices and documents). An invoice that bills a subscription's period moves that
/// subscription when it is paid, voided or written off, in the same transaction, through the
/// [`SubscriptionService`] it is built with.
#[derive(Clone)]
pub struct InvoiceService {
    /// Invoices, lines and number counters; the listings and sums.
    invoices: Arc<dyn InvoiceStorage>,
    /// Customer names and emails, for the snapshot taken at finalisation.
    customers: Arc<dyn CustomerDirectory>,
    /// The printable document.
    renderer: Arc<dyn InvoiceRenderer>,
    /// Moves the subscription a settled period invoice bills.
    subscriptions: SubscriptionService,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

/// A draft invoice to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    /// The customer's account.
    pub user_id: UserId,
    /// The one currency of every amount.
    pub currency: Currency,
    /// 1–[`validate::MAX_LINES`] lines.
    pub lines: Vec<NewInvoiceLine>,
    /// Discount, 0–10 000 basis points of the subtotal.
    pub discount_bps: u32,
    /// Tax rate, 0–10 000 basis points.
    pub tax_rate_bps: u32,
    /// Days from finalisation until payment is due, 0–365.
    pub due_in_days: u32,
}

/// A line of a [`NewInvoice`]: `quantity × unit_amount` minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoiceLine {
    /// 1–500 characters after trimming.
    pub description: String,
    /// At least 1.
    pub quantity: i64,
    /// At least 0, in minor units of the invoice's currency.
    pub unit_amount: i64,
}

impl InvoiceService {
    /// Wires the service to its ports: invoice storage, the customer directory (for the
    /// snapshot taken at finalisation), the renderer of printable documents, the subscription
    /// service (see [`InvoiceService`]), the audit log, transactions and the clock.
    #[must_use]
    pub fn new(
        invoices: Arc<dyn InvoiceStorage>,
        customers: Arc<dyn CustomerDirectory>,
        renderer: Arc<dyn InvoiceRenderer>,
        subscriptions: SubscriptionService,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            invoices,
            customers,
            renderer,
            subscriptions,
            audit,
            uow,
            clock,
        }
    }

    /// Creates a draft invoice for `new.user_id` on behalf of `caller`, who needs
    /// `billing:write` (so does every administrator action here). The draft and a `billing.invoice_created`
    /// audit entry commit together. Nothing is stored when any field is invalid.
    ///
    /// # Errors
    /// [`BillingError::Forbidden`] without `billing:write` (every administrator action here);
    /// [`BillingError::Invalid`] with every problem found (`user_id`, `lines`,
    /// `lines[i].description|quantity|unit_amount`, `discount_bps`, `tax_rate_bps`,
    /// `due_in_days`), [`BillingError::Repo`] on storage failure.
    #[tracing::instrument(skip(self, new, meta, caller), fields(actor = %caller.user_id, user_id = %new.user_id))]
    pub async fn create_invoice(
        &self,
        caller: &Caller,
        new: NewInvoice,
        meta: &RequestMeta,
    ) -> Result<InvoiceRecord, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        let actor = caller.user_id;
        let customer_exists = self
            .customers
            .customer(Owner::User(new.user_id))
            .await?
            .is_some();
        let invoice = validate::draft(&new, customer_exists).map_err(BillingError::Invalid)?;
        let now = self.clock.now();
        let record = InvoiceRecord {
            id: InvoiceId::new(),
            user_id: new.user_id,
            org_id: None,
            invoice,
            due_in_days: new.due_in_days,
            customer: None,
            due_at: None,
            issued_at: None,
            paid_at: None,
            voided_at: None,
            created_at: now,
            updated_at: now,
            provider_payment_id: None,
        };
        let mut tx = self.uow.begin().await?;
        self.invoices.insert_invoice(tx.as_mut(), &record).await?;
        let event = invoice_event(AuditAction::InvoiceCreated, &record, now, meta).actor(actor);
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// `draft → open`: takes the next number of the current year from the counter inside the
    /// same transaction as the invoice update and a `billing.invoice_finalized` audit entry
    /// (a failure anywhere gives the number back), snapshots the customer's email and name,
    /// and sets `issued_at` and `due_at = issued_at + due_in_days`. The lines and amounts the
    /// draft has then never change again.
    ///
    /// # Errors
    /// [`BillingError::InvoiceNotFound`], [`BillingError::Transition`] unless the invoice
    /// is a draft (also when another request changed it meanwhile),
    /// [`BillingError::DraftChanged`] when the draft was edited while this ran,
    /// [`BillingError::CustomerGone`], [`BillingError::NumbersExhausted`],
    /// [`BillingError::Repo`].
    #[tracing::instrument(skip(self, meta, caller), fields(actor = %caller.user_id))]
    pub async fn finalize_invoice(
        &self,
        caller: &Caller,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<InvoiceRecord, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        let actor = caller.user_id;
        let mut record = self.stored_invoice(id).await?;
        record.status().transition(InvoiceStatus::Open)?;
        let customer = self
            .customers
            .customer(record.owner())
            .await?
            .ok_or(BillingError::CustomerGone)?;
        let now = self.clock.now();
        let year = now.year();
        let mut tx = self.uow.begin().await?;
        let seq = self.invoices.next_invoice_number(tx.as_mut(), year).await?;
        let number =
            InvoiceNumber::new(year, seq).map_err(|_| BillingError::NumbersExhausted(year))?;
        record.invoice.finalize(number)?;
        record.customer = Some(customer);
        record.issued_at = Some(now);
        record.due_at = Some(now + chrono::Duration::days(i64::from(record.due_in_days)));
        record.updated_at = now;
        if let Err(e) = self
            .invoices
            .update_invoice(tx.as_mut(), &record, InvoiceStatus::Draft)
            .await
        {
            drop(tx);
            return Err(self.changed_meanwhile(e, id, InvoiceStatus::Open).await);
        }
        // The row is ours now: no edit can commit before this transaction ends. One that
        // committed after the read above would be frozen unseen; give the number back instead.
        let frozen = self.invoices.invoice_in(tx.as_mut(), id).await?;
        if frozen.is_none_or(|f| f.invoice != record.invoice || f.due_in_days != record.due_in_days)
        {
            drop(tx);
            return Err(BillingError::DraftChanged);
        }
        let event = invoice_event(AuditAction::InvoiceFinalized, &record, now, meta).actor(actor);
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// `open → paid` (sets `paid_at`), audited as `billing.invoice_paid`.
    ///
    /// # Errors
    /// As [`Self::finalize_invoice`], with [`BillingError::Transition`] unless it is open.
    pub async fn mark_invoice_paid(
        &self,
        caller: &Caller,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<InvoiceRecord, BillingError> {
        self.close_invoice(caller, id, InvoiceStatus::Paid, meta)
            .await
    }

    /// `open → void` (sets `voided_at`), audited as `billing.invoice_voided`.
    ///
    /// # Errors
    /// As [`Self::mark_invoice_paid`].
    pub async fn void_invoice(
        &self,
        caller: &Caller,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<InvoiceRecord, BillingError> {
        self.close_invoice(caller, id, InvoiceStatus::Void, meta)
            .await
    }

    /// `open → uncollectible`, audited as `billing.invoice_uncollectible` (for the overdue
    /// job; `actor` is `None` when the system does it).
    ///
    /// # Errors
    /// As [`Self::mark_invoice_paid`].
    pub async fn mark_invoice_uncollectible(
        &self,
        actor: Option<UserId>,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<InvoiceRecord, BillingError> {
        Ok(self.uncollect(actor, id, meta).await?.0)
    }

    /// [`Self::mark_invoice_uncollectible`], also returning the status the subscription the
    /// invoice bills moved to, if it moved.
    pub(crate) async fn uncollect(
        &self,
        actor: Option<UserId>,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<(InvoiceRecord, Option<SubscriptionStatus>), BillingError> {
        let mut record = self.stored_invoice(id).await?;
        record.invoice.mark_uncollectible()?;
        let followed = self
            .save_transition(&mut record, actor, AuditAction::InvoiceUncollectible, meta)
            .await?;
        Ok((record, followed))
    }

    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    async fn close_invoice(
        &self,
        caller: &Caller,
        id: InvoiceId,
        to: InvoiceStatus,
        meta: &RequestMeta,
    ) -> Result<InvoiceRecord, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        let actor = caller.user_id;
        let mut record = self.stored_invoice(id).await?;
        let now = self.clock.now();
        let action = match to {
            InvoiceStatus::Paid => {
                record.invoice.mark_paid()?;
                record.paid_at = Some(now);
                AuditAction::InvoicePaid
            }
            InvoiceStatus::Void => {
                record.invoice.void()?;
                record.voided_at = Some(now);
                AuditAction::InvoiceVoided
            }
            other => {
                return Err(TransitionError {
                    from: record.status(),
                    to: other,
                }
                .into());
            }
        };
        self.save_transition(&mut record, Some(actor), action, meta)
            .await?;
        Ok(record)
    }

    /// Writes a transition out of `open` with its audit entry, and moves the subscription the
    /// invoice bills (if any) in the same transaction (see
    /// [`SubscriptionService::follow_invoice`]); returns where the subscription moved.
    async fn save_transition(
        &self,
        record: &mut InvoiceRecord,
        actor: Option<UserId>,
        action: AuditAction,
        meta: &RequestMeta,
    ) -> Result<Option<SubscriptionStatus>, BillingError> {
        let now = self.clock.now();
        record.updated_at = now;
        let mut tx = self.uow.begin().await?;
        if let Err(e) = self
            .invoices
            .update_invoice(tx.as_mut(), record, InvoiceStatus::Open)
            .await
        {
            drop(tx);
            return Err(self.changed_meanwhile(e, record.id, record.status()).await);
        }
        // Row locks before the audit chain's lock (see `lock_billed_subscription`).
        let billed = self
            .subscriptions
            .lock_billed_subscription(tx.as_mut(), record.id)
            .await
            .map_err(billing_error)?;
        let mut event = invoice_event(action, record, now, meta);
        if action == AuditAction::InvoicePaid
            && let Some(details) = event.details.as_object_mut()
        {
            // Admin `mark-paid` is the manual gateway: the money arrived outside Plinth.
            let method = ManualGateway.method();
            details.insert("method".into(), method.as_str().into());
        }
        if let Some(actor) = actor {
            event = event.actor(actor);
        }
        self.audit.append(tx.as_mut(), &event).await?;
        let followed = self
            .subscriptions
            .follow_invoice(tx.as_mut(), record, billed, now, meta)
            .await
            .map_err(billing_error)?;
        tx.commit().await?;
        Ok(followed)
    }

    /// A compare-and-set that found the invoice no longer in the expected status: another
    /// request moved it first. Reports the move from where it is now.
    async fn changed_meanwhile(
        &self,
        e: RepoError,
        id: InvoiceId,
        to: InvoiceStatus,
    ) -> BillingError {
        if !matches!(e, RepoError::NotFound) {
            return e.into();
        }
        match self.stored_invoice(id).await {
            Ok(now) => TransitionError {
                from: now.status(),
                to,
            }
            .into(),
            Err(e) => e,
        }
    }

    async fn stored_invoice(&self, id: InvoiceId) -> Result<InvoiceRecord, BillingError> {
        self.invoices
            .invoice(id)
            .await?
            .ok_or(BillingError::InvoiceNotFound)
    }

    /// Any invoice, drafts included (for administrators: `billing:write`).
    ///
    /// # Errors
    /// [`BillingError::Forbidden`], [`BillingError::InvoiceNotFound`], [`BillingError::Repo`].
    pub async fn invoice(
        &self,
        caller: &Caller,
        id: InvoiceId,
    ) -> Result<InvoiceRecord, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        self.stored_invoice(id).await
    }

    /// Invoices matching `filter`, newest first (for administrators: `billing:write`).
    ///
    /// # Errors
    /// [`BillingError::Forbidden`], [`BillingError::Repo`].
    pub async fn list_invoices(
        &self,
        caller: &Caller,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        Ok(self.invoices.invoices(filter, page).await?)
    }

    /// An invoice of `owner` (an account's own, or an organization's). Drafts are not issued
    /// yet, and so are as invisible to the customer as other customers' invoices; an
    /// organization's invoice is not the own invoice of the member answerable for it.
    ///
    /// # Errors
    /// [`BillingError::InvoiceNotFound`] for a draft, another customer's or an unknown
    /// invoice.
    pub async fn customer_invoice(
        &self,
        owner: impl Into<Owner> + Send,
        id: InvoiceId,
    ) -> Result<InvoiceRecord, BillingError> {
        let owner = owner.into();
        let record = self.stored_invoice(id).await?;
        if record.owner() != owner || record.status() == InvoiceStatus::Draft {
            return Err(BillingError::InvoiceNotFound);
        }
        Ok(record)
    }

    /// An invoice of whoever's billing `caller` reaches (see [`billing_owner`]): their own,
    /// or, acting for an organization with `org_billing:read`, the organization's. Anyone
    /// else's invoice is a 404 first, whatever the caller's permissions.
    ///
    /// # Errors
    /// As [`Self::customer_invoice`]; then [`BillingError::Forbidden`] for the organization's
    /// invoice without `org_billing:read`.
    pub async fn customer_invoice_for(
        &self,
        caller: &Caller,
        id: InvoiceId,
    ) -> Result<InvoiceRecord, BillingError> {
        let record = self.customer_invoice(acting_owner(caller), id).await?;
        billing_owner(caller, ORG_BILLING_READ)?;
        Ok(record)
    }

    /// `owner`'s issued invoices (every status but draft), newest first.
    ///
    /// # Errors
    /// [`BillingError::Repo`].
    pub async fn customer_invoices(
        &self,
        owner: impl Into<Owner> + Send,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, BillingError> {
        Ok(self.invoices.issued_invoices_of(owner.into(), page).await?)
    }

    /// The issued invoices of whoever's billing `caller` reaches with `org_billing:read`.
    ///
    /// # Errors
    /// [`BillingError::Forbidden`], [`BillingError::Repo`].
    pub async fn customer_invoices_for(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, BillingError> {
        self.customer_invoices(billing_owner(caller, ORG_BILLING_READ)?, page)
            .await
    }

    /// `owner`'s invoice as a printable document: `(content type, bytes)`.
    ///
    /// # Errors
    /// As [`Self::customer_invoice`]; [`BillingError::Render`].
    pub async fn customer_invoice_document(
        &self,
        owner: impl Into<Owner> + Send,
        id: InvoiceId,
    ) -> Result<(&'static str, Vec<u8>), BillingError> {
        let record = self.customer_invoice(owner, id).await?;
        self.render(record).await
    }

    /// Renders any invoice (a draft is marked DRAFT): `(content type, bytes)`.
    ///
    /// # Errors
    /// [`BillingError::Render`], [`BillingError::Repo`].
    pub async fn render(
        &self,
        record: InvoiceRecord,
    ) -> Result<(&'static str, Vec<u8>), BillingError> {
        let renderer = Arc::clone(&self.renderer);
        let content_type = renderer.content_type();
        let bytes = tokio::task::spawn_blocking(move || renderer.render(&record))
            .await
            .map_err(|e| BillingError::Repo(RepoError::internal(e)))??;
        Ok((content_type, bytes))
    }
}

/// The audit entry of an invoice change: target, number, status and total.
pub(crate) fn invoice_event(
    action: AuditAction,
    record: &InvoiceRecord,
    at: Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    let inv = &record.invoice;
    let event = AuditEvent::new(action, at, meta)
        .target("invoice", record.id)
        .details(serde_json::json!({
            "user_id": record.user_id,
            "number": inv.number().map(|n| n.to_string()),
            "status": inv.status().as_str(),
            "total": inv.totals().total,
            "currency": inv.currency().code(),
        }));
    // An organization's invoice is filed under it: its admins see it in their audit trail.
    match record.org_id {
        Some(org) => event.org(org),
        None => event,
    }
}
