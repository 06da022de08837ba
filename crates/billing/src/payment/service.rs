//! [`PaymentService`]: starting the payment of an open invoice through the gateway, Stripe
//! webhook events applied once (`webhooks`), and revenue figures.

mod webhooks;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{
    Caller, Clock, Money, Owner, RepoError, RequestMeta, Timestamp, UnitOfWork, UserId,
};

use crate::invoice::{InvoiceId, InvoiceRecord, InvoiceService, InvoiceStatus, RevenueBucket};
use crate::payment::{
    GatewayError, GatewaySetup, PaymentEventInbox, PaymentGateway, PaymentMethod, PaymentRequest,
    PaymentStart, WebhookSetup,
};
use crate::subscription::SubscriptionService;
use crate::{BillingError, ORG_BILLING_WRITE, acting_owner, billing_owner};

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

/// Payment use cases. Invoices are read and settled through the [`InvoiceService`] (a paid
/// period invoice moves its subscription in the same transaction); Stripe's subscription
/// events move subscriptions through the [`SubscriptionService`]. Without a gateway or a
/// webhook secret ([`GatewaySetup::NotConfigured`], [`WebhookSetup::NotConfigured`]) the
/// matching use case answers "not configured" and changes nothing.
#[derive(Clone)]
pub struct PaymentService {
    invoices: InvoiceService,
    subscriptions: SubscriptionService,
    /// Provider events already received.
    inbox: Arc<dyn PaymentEventInbox>,
    /// Collects invoice payments ([`Self::start_invoice_payment`]).
    gateway: GatewaySetup,
    /// Checks the provider's signature on webhooks ([`Self::receive_stripe_event`]).
    webhooks: WebhookSetup,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

impl PaymentService {
    /// Wires the service: the invoice and subscription services it settles through, the inbox
    /// of provider events, the gateway and the webhook verifier (each possibly
    /// `NotConfigured`), the audit log, transactions and the clock.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub fn new(
        invoices: InvoiceService,
        subscriptions: SubscriptionService,
        inbox: Arc<dyn PaymentEventInbox>,
        gateway: GatewaySetup,
        webhooks: WebhookSetup,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            invoices,
            subscriptions,
            inbox,
            gateway,
            webhooks,
            audit,
            uow,
            clock,
        }
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
        let owner = Owner::User(customer);
        let record = self.invoices.customer_invoice(owner, id).await?;
        self.pay(owner, customer, record, meta).await
    }

    /// [`Self::start_invoice_payment`] for an invoice of whoever's billing `caller` reaches
    /// with `org_billing:write` (see [`billing_owner`]): their own, or the organization's
    /// they act for.
    ///
    /// # Errors
    /// As [`Self::start_invoice_payment`] (another customer's invoice is a 404 first); then
    /// [`BillingError::Forbidden`] for the organization's invoice without `org_billing:write`.
    #[tracing::instrument(skip(self, meta))]
    pub async fn start_invoice_payment_for(
        &self,
        caller: &Caller,
        id: InvoiceId,
        meta: &RequestMeta,
    ) -> Result<InvoicePayment, BillingError> {
        // Anyone else's invoice is a 404 before a missing permission is a 403.
        let owner = acting_owner(caller);
        let record = self.invoices.customer_invoice(owner, id).await?;
        billing_owner(caller, ORG_BILLING_WRITE)?;
        self.pay(owner, caller.user_id, record, meta).await
    }

    /// Pays `record`, an invoice of `owner` its caller has read (and may pay), for `customer`.
    async fn pay(
        &self,
        owner: Owner,
        customer: UserId,
        record: InvoiceRecord,
        meta: &RequestMeta,
    ) -> Result<InvoicePayment, BillingError> {
        let id = record.id;
        let gateway = self.gateway.gateway()?;
        if record.status() != InvoiceStatus::Open {
            return Err(BillingError::NotPayable(record.status()));
        }
        if let Some(existing) = &record.provider_payment_id {
            let found = gateway.payment(existing).await?;
            return invoice_payment(gateway, &record, found);
        }
        let inv = &record.invoice;
        let request = PaymentRequest {
            invoice_id: id,
            user_id: customer,
            amount: Money::new(inv.totals().total, inv.currency()),
            customer: record.customer.clone(),
        };
        let started = gateway.start_payment(&request).await?;
        let payment = invoice_payment(gateway, &record, started)?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        match self
            .invoices
            .set_provider_payment_id(tx.as_mut(), id, &payment.provider_payment_id)
            .await
        {
            Ok(()) => {}
            Err(RepoError::NotFound) => {
                drop(tx);
                // Another request recorded a payment first, or the invoice left `open`.
                let now_stored = self.invoices.customer_invoice(owner, id).await?;
                return match now_stored.provider_payment_id.clone() {
                    _ if now_stored.status() != InvoiceStatus::Open => {
                        Err(BillingError::NotPayable(now_stored.status()))
                    }
                    Some(kept) if kept != payment.provider_payment_id => {
                        let found = gateway.payment(&kept).await?;
                        invoice_payment(gateway, &now_stored, found)
                    }
                    _ => Ok(payment),
                };
            }
            Err(e) => return Err(e.into()),
        }
        let mut event = AuditEvent::new(AuditAction::PaymentStarted, now, meta)
            .actor(customer)
            .target("invoice", id)
            .details(serde_json::json!({
                "provider": payment.method.as_str(),
                "provider_payment_id": payment.provider_payment_id,
                "amount": payment.amount.amount,
                "currency": payment.amount.currency.code(),
            }));
        if let Some(org) = record.org_id {
            event = event.org(org);
        }
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(payment)
    }

    /// Revenue at `now`: paid this (UTC) month, outstanding and overdue, per currency.
    ///
    /// # Errors
    /// [`BillingError::Repo`].
    pub async fn revenue(&self, now: Timestamp) -> Result<Revenue, BillingError> {
        let invoices = &self.invoices;
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

/// 00:00:00 UTC on the first day of `now`'s month.
fn month_start(now: Timestamp) -> Timestamp {
    use chrono::{Datelike as _, TimeZone as _};
    chrono::Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}
