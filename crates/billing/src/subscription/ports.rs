//! Ports of the subscription use cases: where subscriptions live, one port per seam
//! (subscriptions and renewals, pending items, plan price versions, period invoices; together
//! [`SubscriptionStorage`]), and the hook that turns a billing period into an invoice.

use plinth_kernel::{ActingFor, Money, OrgId, Owner, RepoError, Timestamp, Transaction, UserId};

use super::{PendingItem, PendingItemId, PlanPrice, Subscription, SubscriptionId};
use crate::{InvoiceId, Plan};

/// Storage of subscriptions and their renewals (one per period).
///
/// Reads that take a transaction see that transaction's writes; the `lock_*` methods also
/// serialise concurrent writers of the same subscription (a row lock on SQL) until the
/// transaction ends.
#[async_trait::async_trait]
pub trait SubscriptionRepository: Send + Sync {
    /// Inserts a subscription.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "subscriptions.live_user_id"`
    /// when it is live, the account's own, and the user already has a live subscription of
    /// their own; with `"subscriptions.live_org_id"` when it is live, an organization's, and
    /// the organization already has a live subscription.
    async fn insert_subscription(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
    ) -> Result<(), RepoError>;

    /// Replaces every mutable field of a subscription (all but id, user and `created_at`).
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such subscription.
    async fn update_subscription(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
    ) -> Result<(), RepoError>;

    /// The owner's live subscription (any status but `canceled`), committed data only: for a
    /// user their own, never an organization's they answer for.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn live_subscription(&self, owner: Owner) -> Result<Option<Subscription>, RepoError>;

    /// [`Self::live_subscription`] inside `tx`, locking it against concurrent writers.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn lock_live_subscription(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Option<Subscription>, RepoError>;

    /// Locks organization `org`'s row in `tx` until it ends (so that deleting the
    /// organization waits for, or is waited for by, a change to its subscription); `false`
    /// when there is no such organization.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn lock_org(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<bool, RepoError>;

    /// Makes `to` the member answerable for every subscription of organization `org` that
    /// `from` answers for (when `from` leaves it, so that erasing `from` keeps them); returns
    /// how many changed.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn hand_over_org_subscriptions(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, RepoError>;

    /// A subscription by id inside `tx`, locked against concurrent writers.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn lock_subscription(
        &self,
        tx: &mut dyn Transaction,
        id: SubscriptionId,
    ) -> Result<Option<Subscription>, RepoError>;

    /// Up to `limit` subscriptions whose period ended at or before `now` and that the renewal
    /// job must handle, earliest end first: every `trialing` or `active` one, and a `past_due`
    /// or `unpaid` one with `cancel_at_period_end` (it ends).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn due_for_renewal(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError>;

    /// Records that the period of `subscription` starting at `period_start` was handled.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "subscription_renewals.period"`
    /// when that period was already recorded (a second renewal run).
    async fn record_renewal(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        at: Timestamp,
    ) -> Result<(), RepoError>;
}

/// Where members stand in their organizations, for an organization's billing.
#[async_trait::async_trait]
pub trait BillingMembers: Send + Sync {
    /// Account `user`'s standing in organization `org` now, as a token acting for it would
    /// carry it; `None` when they are not a member, or the organization is suspended or gone.
    /// Read again before an organization's subscription changes, so a token minted before a
    /// removal cannot commit the organization to pay.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn standing(&self, user: UserId, org: OrgId) -> Result<Option<ActingFor>, RepoError>;
}

/// Storage of pending invoice items: the proration charges and credits a plan change leaves
/// for the subscription's next invoice.
#[async_trait::async_trait]
pub trait PendingItemRepository: Send + Sync {
    /// Stores a pending invoice item.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn insert_pending_item(
        &self,
        tx: &mut dyn Transaction,
        item: &PendingItem,
    ) -> Result<(), RepoError>;

    /// The items of `subscription` no invoice has taken yet, oldest first.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn pending_items(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
    ) -> Result<Vec<PendingItem>, RepoError>;

    /// Marks items as taken by an invoice at `at`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn mark_items_invoiced(
        &self,
        tx: &mut dyn Transaction,
        items: &[PendingItemId],
        at: Timestamp,
    ) -> Result<(), RepoError>;
}

/// Storage of a plan's price versions (what a plan cost when, kept when its price changes).
#[async_trait::async_trait]
pub trait PlanPriceRepository: Send + Sync {
    /// Records a price version of a plan.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "plan_prices.version"` when the
    /// plan already has this version.
    async fn insert_plan_price(
        &self,
        tx: &mut dyn Transaction,
        price: &PlanPrice,
    ) -> Result<(), RepoError>;

    /// Every price version of `plan`, oldest first, as `tx` sees them.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn plan_prices(
        &self,
        tx: &mut dyn Transaction,
        plan: crate::PlanId,
    ) -> Result<Vec<PlanPrice>, RepoError>;
}

/// Storage of the link from a subscription's period to the invoice that bills it (one
/// invoice per period), and the overdue queries that join it with the invoices.
#[async_trait::async_trait]
pub trait PeriodInvoiceRepository: Send + Sync {
    /// Records that `invoice` bills the period of `subscription` starting at `period_start`,
    /// unless that period already has an invoice: returns `false` (writing nothing, and
    /// leaving `tx` usable) when it has. With a concurrent claim of the same period, one
    /// returns `true` and the other `false` once the first commits.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn claim_period_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        invoice: InvoiceId,
    ) -> Result<bool, RepoError>;

    /// The subscription whose period `invoice` bills, if it bills one, as `tx` sees it.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn subscription_of_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: InvoiceId,
    ) -> Result<Option<SubscriptionId>, RepoError>;

    /// Whether one of the invoices of `subscription`'s periods is `open` with `due_at`
    /// before `now` (overdue), as `tx` sees it.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn has_overdue_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<bool, RepoError>;

    /// Up to `limit` `trialing` or `active` subscriptions with an overdue period invoice at
    /// `now` (see [`Self::has_overdue_invoice`]), by id.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn overdue_subscriptions(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError>;
}

/// Every storage port of subscriptions, one per seam, as one object: what
/// `SubscriptionService` and `SubscriptionInvoicer` are built from. Implemented for any type
/// that implements the four (the SQL and in-memory adapters do).
pub trait SubscriptionStorage:
    SubscriptionRepository + PendingItemRepository + PlanPriceRepository + PeriodInvoiceRepository
{
}

impl<T> SubscriptionStorage for T where
    T: SubscriptionRepository
        + PendingItemRepository
        + PlanPriceRepository
        + PeriodInvoiceRepository
{
}

/// Why a period is being invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodReason {
    /// The first paid period of a new subscription without a trial.
    Subscribed,
    /// A renewal (including the first paid period after a trial).
    Renewed,
    /// The subscription ended (cancelled at period end, or by Stripe): the final invoice
    /// carries only what is still pending (an upgrade's proration), with no period line;
    /// [`BillingPeriod::start`] and [`BillingPeriod::end`] are both the instant it ended and
    /// [`BillingPeriod::price`] is 0.
    Ended,
}

/// A paid period to invoice: the subscription as it is for that period, its plan, the price
/// and the pending items (proration charges and credits) waiting for the next invoice.
#[derive(Debug, Clone)]
pub struct BillingPeriod {
    /// The subscription, already moved to this period.
    pub subscription: Subscription,
    /// Its plan.
    pub plan: Plan,
    /// Period start.
    pub start: Timestamp,
    /// Period end.
    pub end: Timestamp,
    /// The price of the period (the subscription's price × its seats).
    pub price: Money,
    /// Pending items of the subscription not yet invoiced.
    pub items: Vec<PendingItem>,
    /// Why.
    pub reason: PeriodReason,
    /// When it is invoiced (the subscribe request's or the renewal run's `now`).
    pub at: Timestamp,
}

/// What the invoicer did with a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceOutcome {
    /// An invoice was created carrying the period's price and every item of
    /// [`BillingPeriod::items`]; they are marked invoiced in the same transaction.
    Invoiced,
    /// Nothing was invoiced; the items stay pending for the next invoice.
    NotInvoiced,
}

/// Turns a billing period into an invoice, inside the transaction that starts the period (so
/// the period, its invoice and the audit entry commit together, and a failed invoice rolls the
/// renewal back for the next run to retry).
#[async_trait::async_trait]
pub trait PeriodInvoicer: Send + Sync {
    /// Invoices `period` in `tx`.
    ///
    /// # Errors
    /// Any [`RepoError`]; the whole renewal (or subscription) is then rolled back.
    async fn invoice_period(
        &self,
        tx: &mut dyn Transaction,
        period: &BillingPeriod,
    ) -> Result<InvoiceOutcome, RepoError>;
}

/// The default invoicer until invoices are wired in: invoices nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInvoices;

#[async_trait::async_trait]
impl PeriodInvoicer for NoInvoices {
    async fn invoice_period(
        &self,
        _tx: &mut dyn Transaction,
        _period: &BillingPeriod,
    ) -> Result<InvoiceOutcome, RepoError> {
        Ok(InvoiceOutcome::NotInvoiced)
    }
}
