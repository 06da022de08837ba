//! [`SubscriptionInvoicer`]: the [`PeriodInvoicer`] that issues one finalised invoice per paid
//! period, inside the transaction that starts the period.
//!
//! The invoice has one line for the period (`price × quantity`, the seats of an
//! organization's subscription) and one per pending charge (an
//! upgrade's proration). Invoice lines are never negative, so a pending **credit** is netted:
//! it lowers the period line, then the charges in order, each down to 0 at most (the line's
//! description says how much credit it took); what is left of the credit is carried to the
//! next invoice as a new pending credit. A total is therefore never negative, and no credit is
//! lost. An invoice whose total comes to 0 (a charge a credit covered) is issued and marked
//! `paid` at once: nothing is owed, so it can never become overdue. A period that charges
//! nothing (a free plan with no pending charge) makes no invoice at all; its pending credits
//! wait for the next invoice that charges something.
//!
//! When a subscription ends ([`PeriodReason::Ended`]) the final invoice has no period line:
//! only the pending charges (netted with the pending credits), so an upgrade's proration is
//! billed even though no period follows. Credits left over when nothing is charged stay
//! recorded as pending items (Plinth does not refund them by itself).

use std::sync::Arc;

use chrono::Datelike as _;
use plinth_audit::{AuditAction, AuditLog};
use plinth_kernel::{Money, RepoError, RequestMeta, Transaction};

use super::{
    BillingPeriod, InvoiceOutcome, PendingItem, PendingItemId, PeriodInvoicer, PeriodReason,
    SubscriptionStorage,
};
use crate::invoice::invoice_event;
use crate::invoice::{
    CustomerDirectory, Invoice, InvoiceId, InvoiceNumber, InvoiceRecord, InvoiceRepository,
    InvoiceStatus, LineInput,
};

/// Days from issue until a period invoice is due, unless
/// [`SubscriptionInvoicer::with_due_in_days`] says otherwise (the server passes
/// `INVOICE_DUE_DAYS`, whose default this is; also the admin invoices' default).
pub const PERIOD_INVOICE_DUE_DAYS: u32 = 30;

/// Issues a finalised invoice for each paid period: numbered from the year's counter, with
/// the customer snapshot, `billing.invoice_finalized` in the audit trail, and at most one
/// invoice per `(subscription, period start)` (a claim with a unique key, so a second run is
/// harmless). Everything happens in the transaction it is handed.
#[derive(Clone)]
pub struct SubscriptionInvoicer {
    invoices: Arc<dyn InvoiceRepository>,
    customers: Arc<dyn CustomerDirectory>,
    subscriptions: Arc<dyn SubscriptionStorage>,
    audit: Arc<dyn AuditLog>,
    due_in_days: u32,
}

impl SubscriptionInvoicer {
    /// An invoicer writing through these ports, with [`PERIOD_INVOICE_DUE_DAYS`].
    #[must_use]
    pub fn new(
        invoices: Arc<dyn InvoiceRepository>,
        customers: Arc<dyn CustomerDirectory>,
        subscriptions: Arc<dyn SubscriptionStorage>,
        audit: Arc<dyn AuditLog>,
    ) -> Self {
        Self {
            invoices,
            customers,
            subscriptions,
            audit,
            due_in_days: PERIOD_INVOICE_DUE_DAYS,
        }
    }

    /// Sets the payment term of period invoices, in days from issue (`due_at = issued_at +
    /// days`).
    #[must_use]
    pub const fn with_due_in_days(mut self, days: u32) -> Self {
        self.due_in_days = days;
        self
    }
}

/// The lines of a period invoice after netting credits, and the credit left over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeriodLines {
    /// `(description, amount ≥ 0)`, the period first (none for [`PeriodReason::Ended`]),
    /// then the pending charges.
    pub lines: Vec<(String, i64)>,
    /// Credit not used up by these lines (≥ 0), for the next invoice.
    pub credit_left: i64,
}

/// Nets the period's credits into its lines (see the module documentation).
pub(crate) fn period_lines(period: &BillingPeriod) -> Result<PeriodLines, RepoError> {
    let currency = period.price.currency;
    let mut lines = Vec::new();
    if period.reason != PeriodReason::Ended {
        let seats = match period.subscription.quantity {
            1 => String::new(),
            n => format!(" × {n} seats"),
        };
        lines.push((
            format!(
                "{}{seats}, {} – {}",
                period.plan.name,
                period.start.format("%Y-%m-%d"),
                period.end.format("%Y-%m-%d")
            ),
            period.price.amount.max(0),
        ));
    }
    let mut credit: i64 = 0;
    for item in &period.items {
        if item.amount.currency != currency {
            return Err(RepoError::internal(format!(
                "pending item {} is in {}, the subscription in {currency}",
                item.id, item.amount.currency
            )));
        }
        if item.amount.amount >= 0 {
            lines.push((item.description.clone(), item.amount.amount));
        } else {
            credit = item
                .amount
                .amount
                .checked_neg()
                .and_then(|c| credit.checked_add(c))
                .ok_or_else(|| RepoError::internal("pending credits overflow"))?;
        }
    }
    for (description, amount) in &mut lines {
        let used = credit.min(*amount);
        if used > 0 {
            *amount -= used;
            credit -= used;
            description.push_str(&format!(
                " (less a credit of {})",
                Money::new(used, currency)
            ));
        }
    }
    Ok(PeriodLines {
        lines,
        credit_left: credit,
    })
}

#[async_trait::async_trait]
impl PeriodInvoicer for SubscriptionInvoicer {
    async fn invoice_period(
        &self,
        tx: &mut dyn Transaction,
        period: &BillingPeriod,
    ) -> Result<InvoiceOutcome, RepoError> {
        let sub = &period.subscription;
        let charges_anything =
            period.price.amount > 0 || period.items.iter().any(|i| i.amount.amount > 0);
        if !charges_anything {
            // A free period: no invoice; any pending credit waits for a charge.
            return Ok(InvoiceOutcome::NotInvoiced);
        }
        let netted = period_lines(period)?;
        let id = InvoiceId::new();
        if !self
            .subscriptions
            .claim_period_invoice(tx, sub.id, period.start, id)
            .await?
        {
            tracing::info!(subscription = %sub.id, start = %period.start, "period already invoiced");
            return Ok(InvoiceOutcome::NotInvoiced);
        }
        let mut customer = self.customers.customer_in(tx, sub.owner()).await?;
        if customer.is_none() && sub.org_id.is_some() {
            // The organization was deleted in this transaction (its final invoice): the member
            // answerable for the subscription is who is left to address it to.
            customer = self
                .customers
                .customer_in(tx, plinth_kernel::Owner::User(sub.user_id))
                .await?;
        }
        let customer = customer
            .ok_or_else(|| RepoError::internal(format!("subscriber {} is gone", sub.owner())))?;
        let currency = period.price.currency;
        let mut invoice = Invoice::draft(currency);
        for (description, amount) in netted.lines {
            invoice
                .add_line(LineInput {
                    description,
                    quantity: 1,
                    unit_amount: Money::new(amount, currency),
                })
                .map_err(RepoError::internal)?;
        }
        let now = period.at;
        let mut record = InvoiceRecord {
            id,
            user_id: sub.user_id,
            org_id: sub.org_id,
            invoice,
            due_in_days: self.due_in_days,
            customer: None,
            due_at: None,
            issued_at: None,
            paid_at: None,
            voided_at: None,
            created_at: now,
            updated_at: now,
            provider_payment_id: None,
        };
        self.invoices.insert_invoice(tx, &record).await?;
        // Finalised as the admin path does: the year's next number, in this transaction.
        let year = now.year();
        let seq = self.invoices.next_invoice_number(tx, year).await?;
        let number = InvoiceNumber::new(year, seq).map_err(RepoError::internal)?;
        record
            .invoice
            .finalize(number)
            .map_err(RepoError::internal)?;
        record.customer = Some(customer);
        record.issued_at = Some(now);
        record.due_at = Some(now + chrono::Duration::days(i64::from(self.due_in_days)));
        self.invoices
            .update_invoice(tx, &record, InvoiceStatus::Draft)
            .await?;
        let meta = RequestMeta::default();
        let mut event = invoice_event(AuditAction::InvoiceFinalized, &record, now, &meta);
        if let Some(details) = event.details.as_object_mut() {
            details.insert("subscription_id".into(), sub.id.to_string().into());
            details.insert("period_start".into(), period.start.to_rfc3339().into());
            details.insert("period_end".into(), period.end.to_rfc3339().into());
            let reason = match period.reason {
                PeriodReason::Subscribed => "subscribed",
                PeriodReason::Renewed => "renewed",
                PeriodReason::Ended => "ended",
            };
            details.insert("reason".into(), reason.into());
        }
        self.audit.append(tx, &event).await?;
        if record.invoice.totals().total == 0 {
            record.invoice.mark_paid().map_err(RepoError::internal)?;
            record.paid_at = Some(now);
            self.invoices
                .update_invoice(tx, &record, InvoiceStatus::Open)
                .await?;
            let mut event = invoice_event(AuditAction::InvoicePaid, &record, now, &meta);
            if let Some(details) = event.details.as_object_mut() {
                details.insert("method".into(), "nothing_due".into());
            }
            self.audit.append(tx, &event).await?;
        }
        if netted.credit_left > 0 {
            let carried = PendingItem {
                id: PendingItemId::new(),
                subscription_id: sub.id,
                user_id: sub.user_id,
                description: format!("Credit carried forward from {number}"),
                amount: Money::new(-netted.credit_left, currency),
                created_at: now,
                invoiced_at: None,
            };
            self.subscriptions.insert_pending_item(tx, &carried).await?;
        }
        Ok(InvoiceOutcome::Invoiced)
    }
}

#[cfg(test)]
mod tests;
