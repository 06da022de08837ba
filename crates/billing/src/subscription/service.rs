//! [`SubscriptionService`]: subscribing, changing plan, cancelling, renewing, entitlements,
//! and how invoices and Stripe move a subscription's status. Every change and its
//! `billing.subscription_changed` audit entry commit together.

mod entitlements;
mod renewals;
mod standing;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Days, SubsecRound};
use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{
    Caller, Clock, Owner, RepoError, RequestMeta, Timestamp, Transaction, UnitOfWork, UserId,
};

use crate::subscription::{
    PendingItem, PendingItemId, PeriodInvoicer, PeriodReason, Subscription, SubscriptionError,
    SubscriptionId, SubscriptionStatus, SubscriptionStorage, period_end_after, prorate, times,
};
use crate::{
    BillingMembers, BillingRepository, FeatureValue, ORG_BILLING_READ, ORG_BILLING_WRITE, Plan,
    PlanId, billing_owner,
};

/// The most seats an organization's subscription can have.
pub const MAX_SEATS: u32 = 10_000;

pub use entitlements::{SEATS, STORAGE_BYTES};
pub use renewals::RenewalReport;

/// What [`SubscriptionService::subscribe`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A new subscription (HTTP 201).
    Created,
    /// The existing subscription was changed, or already was on that plan (HTTP 200).
    Changed,
}

/// Subscription use cases. Also the owner of subscription standing: an invoice service
/// settling a period invoice, a Stripe event or the billing jobs move a subscription through
/// it, in their own transaction.
#[derive(Clone)]
pub struct SubscriptionService {
    /// Plans, read to subscribe and renew.
    plans: Arc<dyn BillingRepository>,
    subscriptions: Arc<dyn SubscriptionStorage>,
    /// Invoices each paid period, in the transaction that starts it.
    invoicer: Arc<dyn PeriodInvoicer>,
    /// Who may still act for an organization's billing (read again before a change).
    members: Arc<dyn BillingMembers>,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
    /// Entitlements of a user without a subscription (and the base under a plan's features).
    default_features: BTreeMap<String, FeatureValue>,
}

impl SubscriptionService {
    /// Wires the service to its ports. `invoicer` makes the invoice of each paid period
    /// ([`crate::SubscriptionInvoicer`] in production; [`crate::subscription::NoInvoices`]
    /// invoices nothing). `default_features` are the entitlements of users without a
    /// `trialing`, `active` or `past_due` subscription, and the base a plan's own features
    /// override (for example a default `storage_bytes` for plans that do not name one).
    /// `members` says who may still act for an organization's billing.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plans: Arc<dyn BillingRepository>,
        subscriptions: Arc<dyn SubscriptionStorage>,
        invoicer: Arc<dyn PeriodInvoicer>,
        members: Arc<dyn BillingMembers>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        default_features: BTreeMap<String, FeatureValue>,
    ) -> Self {
        Self {
            plans,
            subscriptions,
            invoicer,
            members,
            audit,
            uow,
            clock,
            default_features,
        }
    }

    /// The current time at the precision SQL keeps (microseconds).
    fn now(&self) -> Timestamp {
        self.clock.now().trunc_subsecs(6)
    }

    /// `user`'s own live subscription.
    ///
    /// # Errors
    /// [`SubscriptionError::NotFound`] when there is none; [`SubscriptionError::Repo`].
    #[tracing::instrument(skip(self))]
    pub async fn subscription(&self, user: UserId) -> Result<Subscription, SubscriptionError> {
        self.live(Owner::User(user)).await
    }

    /// The live subscription of whoever's billing `caller` reaches (see [`billing_owner`]):
    /// their own, or, acting for an organization with `org_billing:read`, the organization's.
    ///
    /// # Errors
    /// [`SubscriptionError::Forbidden`] acting without `org_billing:read`;
    /// [`SubscriptionError::NotFound`] when there is none; [`SubscriptionError::Repo`].
    #[tracing::instrument(skip(self))]
    pub async fn subscription_for(
        &self,
        caller: &Caller,
    ) -> Result<Subscription, SubscriptionError> {
        self.live(billing_owner(caller, ORG_BILLING_READ)?).await
    }

    async fn live(&self, owner: Owner) -> Result<Subscription, SubscriptionError> {
        self.subscriptions
            .live_subscription(owner)
            .await?
            .ok_or(SubscriptionError::NotFound)
    }

    /// Subscribes `user` (for themselves) to `plan_id`, or changes their live subscription to
    /// it: [`SubscriptionService::subscribe_for`] for a caller acting for nobody.
    ///
    /// # Errors
    /// As [`SubscriptionService::subscribe_for`].
    #[tracing::instrument(skip(self, meta))]
    pub async fn subscribe(
        &self,
        user: UserId,
        plan_id: PlanId,
        meta: &RequestMeta,
    ) -> Result<(Subscription, SubscribeOutcome), SubscriptionError> {
        self.subscribe_owner(Owner::User(user), user, plan_id, None, meta)
            .await
    }

    /// Subscribes whoever's billing `caller` reaches with `org_billing:write` (their own, or
    /// the organization they act for) to `plan_id` with `seats` (an organization's only; its
    /// current count, or 1, when `None`), or changes the live subscription to them.
    ///
    /// - New: with a trial when the plan has `trial_days` (`trialing` until `trial_end`, which
    ///   is also when the first paid period starts), else `active` for one interval from now,
    ///   invoiced at once through the [`PeriodInvoicer`] (`price × seats`).
    /// - Other seats: apply now; for a paid period the prorated difference of `price × seats`
    ///   (see [`prorate`]) is recorded as a pending item (a charge for more seats, a credit
    ///   for fewer).
    /// - Same plan: clears a scheduled downgrade or cancellation, else changes nothing more.
    /// - Upgrade (same interval, higher price): the new plan and its current price apply now;
    ///   for a paid period, the prorated difference (× seats) is recorded as a pending item
    ///   for the next invoice.
    /// - Anything else (cheaper, equal price, other interval): scheduled for the period end.
    ///
    /// A plan change also clears `cancel_at_period_end`. For an organization the caller's
    /// standing is read again inside the transaction (a token minted before their removal
    /// cannot commit the organization to pay).
    ///
    /// # Errors
    /// [`SubscriptionError::Forbidden`] acting without `org_billing:write`,
    /// [`SubscriptionError::OrgStandingGone`], [`SubscriptionError::InvalidSeats`],
    /// [`SubscriptionError::PlanUnavailable`] for an unknown or inactive plan,
    /// [`SubscriptionError::CurrencyMismatch`] for a plan in another currency,
    /// [`SubscriptionError::Repo`] (nothing is kept).
    #[tracing::instrument(skip(self, meta))]
    pub async fn subscribe_for(
        &self,
        caller: &Caller,
        plan_id: PlanId,
        seats: Option<u32>,
        meta: &RequestMeta,
    ) -> Result<(Subscription, SubscribeOutcome), SubscriptionError> {
        let owner = billing_owner(caller, ORG_BILLING_WRITE)?;
        self.subscribe_owner(owner, caller.user_id, plan_id, seats, meta)
            .await
    }

    async fn subscribe_owner(
        &self,
        owner: Owner,
        actor: UserId,
        plan_id: PlanId,
        seats: Option<u32>,
        meta: &RequestMeta,
    ) -> Result<(Subscription, SubscribeOutcome), SubscriptionError> {
        check_seats(owner, seats)?;
        let plan = match self.plans.plan(plan_id).await? {
            Some(plan) if plan.active => plan,
            _ => return Err(SubscriptionError::PlanUnavailable(plan_id.to_string())),
        };
        let repo = self.subscriptions.as_ref();
        // A concurrent first subscription of the same owner loses on the unique live index;
        // its second attempt finds the winner and changes it instead.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let now = self.now();
            let mut tx = self.uow.begin().await?;
            self.confirm_standing(tx.as_mut(), owner, actor).await?;
            if let Some(current) = repo.lock_live_subscription(tx.as_mut(), owner).await? {
                let changed = self
                    .change_plan(tx, current, &plan, seats, actor, now, meta)
                    .await?;
                return Ok((changed, SubscribeOutcome::Changed));
            }
            let seats = seats.unwrap_or(1);
            match self.create(tx, owner, actor, &plan, seats, now, meta).await {
                Err(SubscriptionError::Repo(RepoError::Duplicate { constraint }))
                    if constraint.starts_with("subscriptions.live_") && attempts < 3 =>
                {
                    tracing::info!(%owner, "concurrent subscribe; retrying as a plan change");
                }
                other => return other.map(|s| (s, SubscribeOutcome::Created)),
            }
        }
    }

    /// For an organization's billing: `actor` may still change it (read now, past the token
    /// they hold), and the organization is still there (its row locked in `tx`, so a deletion
    /// waits for this change or this change sees the deletion).
    async fn confirm_standing(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
        actor: UserId,
    ) -> Result<(), SubscriptionError> {
        let Owner::Org(org) = owner else {
            return Ok(());
        };
        let may = self
            .members
            .standing(actor, org)
            .await?
            .is_some_and(|standing| standing.can(ORG_BILLING_WRITE));
        if may && self.subscriptions.lock_org(tx, org).await? {
            Ok(())
        } else {
            Err(SubscriptionError::OrgStandingGone)
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn create(
        &self,
        mut tx: Box<dyn Transaction>,
        owner: Owner,
        actor: UserId,
        plan: &Plan,
        seats: u32,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        let (status, end, anchor, trial_end) = if plan.trial_days > 0 {
            let trial_end = now
                .checked_add_days(Days::new(u64::from(plan.trial_days)))
                .ok_or(SubscriptionError::PeriodOutOfRange)?;
            (
                SubscriptionStatus::Trialing,
                trial_end,
                trial_end,
                Some(trial_end),
            )
        } else {
            let end = period_end_after(now, plan.interval, now)
                .ok_or(SubscriptionError::PeriodOutOfRange)?;
            (SubscriptionStatus::Active, end, now, None)
        };
        let subscription = Subscription {
            id: SubscriptionId::new(),
            user_id: actor,
            org_id: match owner {
                Owner::Org(org) => Some(org),
                Owner::User(_) => None,
            },
            quantity: seats,
            plan_id: plan.id,
            price: plan.price,
            interval: plan.interval,
            status,
            current_period_start: now,
            current_period_end: end,
            billing_anchor: anchor,
            trial_end,
            cancel_at_period_end: false,
            scheduled_plan_id: None,
            canceled_at: None,
            created_at: now,
            updated_at: now,
        };
        let repo = self.subscriptions.as_ref();
        repo.insert_subscription(tx.as_mut(), &subscription).await?;
        if status == SubscriptionStatus::Active {
            self.invoice_period(
                tx.as_mut(),
                &subscription,
                plan,
                PeriodReason::Subscribed,
                now,
            )
            .await?;
        }
        self.audit_change(
            tx.as_mut(),
            Some(actor),
            &subscription,
            "subscribed",
            serde_json::json!({}),
            now,
            meta,
        )
        .await?;
        tx.commit().await?;
        Ok(subscription)
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_plan(
        &self,
        mut tx: Box<dyn Transaction>,
        current: Subscription,
        plan: &Plan,
        seats: Option<u32>,
        actor: UserId,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        let seats = seats.unwrap_or(current.quantity);
        let mut next = current.clone();
        let mut extra = serde_json::json!({ "from_plan_id": current.plan_id.to_string() });
        let until = current.current_period_end.format("%Y-%m-%d");
        let paid_period = current.status != SubscriptionStatus::Trialing;
        if seats != current.quantity {
            extra["from_quantity"] = serde_json::json!(current.quantity);
            if paid_period {
                let amount = prorate(
                    times(current.price, current.quantity)?,
                    times(current.price, seats)?,
                    current.current_period_start,
                    current.current_period_end,
                    now,
                )?;
                let description = format!(
                    "Seats {} → {seats} until {until}, prorated",
                    current.quantity
                );
                self.add_pending(tx.as_mut(), &current, description, amount, now)
                    .await?;
                extra["seat_proration"] = serde_json::json!(amount.amount);
            }
            next.quantity = seats;
        }
        let change = if plan.id == current.plan_id {
            if current.scheduled_plan_id.is_none() && !current.cancel_at_period_end {
                if seats == current.quantity {
                    return Ok(current);
                }
                "seats_changed"
            } else {
                "resumed"
            }
        } else if plan.price.currency != current.price.currency {
            return Err(SubscriptionError::CurrencyMismatch {
                plan: plan.price.currency.to_string(),
                subscription: current.price.currency.to_string(),
            });
        } else if plan.interval == current.interval && plan.price.amount > current.price.amount {
            if paid_period {
                let amount = prorate(
                    times(current.price, seats)?,
                    times(plan.price, seats)?,
                    current.current_period_start,
                    current.current_period_end,
                    now,
                )?;
                let description = format!("Upgrade to {} until {until}, prorated", plan.name);
                self.add_pending(tx.as_mut(), &current, description, amount, now)
                    .await?;
                if amount.amount != 0 {
                    extra["proration"] = serde_json::json!(amount.amount);
                }
            }
            next.plan_id = plan.id;
            next.price = plan.price;
            "upgraded"
        } else {
            next.scheduled_plan_id = Some(plan.id);
            extra["effective_at"] = serde_json::json!(current.current_period_end.to_rfc3339());
            "change_scheduled"
        };
        if change != "change_scheduled" && change != "seats_changed" {
            next.scheduled_plan_id = None;
        }
        if change != "seats_changed" {
            next.cancel_at_period_end = false;
        }
        next.updated_at = now;
        self.subscriptions
            .update_subscription(tx.as_mut(), &next)
            .await?;
        self.audit_change(tx.as_mut(), Some(actor), &next, change, extra, now, meta)
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Records `amount` (unless 0) for `subscription`'s next invoice.
    async fn add_pending(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
        description: String,
        amount: plinth_kernel::Money,
        now: Timestamp,
    ) -> Result<(), SubscriptionError> {
        if amount.amount == 0 {
            return Ok(());
        }
        let item = PendingItem {
            id: PendingItemId::new(),
            subscription_id: subscription.id,
            user_id: subscription.user_id,
            description,
            amount,
            created_at: now,
            invoiced_at: None,
        };
        self.subscriptions.insert_pending_item(tx, &item).await?;
        Ok(())
    }

    /// Cancels `user`'s own subscription at the end of its current period:
    /// [`SubscriptionService::cancel_for`] for a caller acting for nobody.
    ///
    /// # Errors
    /// As [`SubscriptionService::cancel_for`].
    #[tracing::instrument(skip(self, meta))]
    pub async fn cancel_subscription(
        &self,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        self.cancel_owner(Owner::User(user), user, meta).await
    }

    /// Cancels the subscription of whoever's billing `caller` reaches with
    /// `org_billing:write` at the end of its current period (idempotent; a scheduled plan
    /// change is dropped).
    ///
    /// # Errors
    /// [`SubscriptionError::Forbidden`], [`SubscriptionError::OrgStandingGone`],
    /// [`SubscriptionError::NotFound`] without a live subscription; [`SubscriptionError::Repo`].
    #[tracing::instrument(skip(self, meta))]
    pub async fn cancel_for(
        &self,
        caller: &Caller,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        let owner = billing_owner(caller, ORG_BILLING_WRITE)?;
        self.cancel_owner(owner, caller.user_id, meta).await
    }

    async fn cancel_owner(
        &self,
        owner: Owner,
        actor: UserId,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        let repo = self.subscriptions.as_ref();
        let now = self.now();
        let mut tx = self.uow.begin().await?;
        self.confirm_standing(tx.as_mut(), owner, actor).await?;
        let current = repo
            .lock_live_subscription(tx.as_mut(), owner)
            .await?
            .ok_or(SubscriptionError::NotFound)?;
        if current.cancel_at_period_end {
            return Ok(current);
        }
        let next = Subscription {
            cancel_at_period_end: true,
            scheduled_plan_id: None,
            updated_at: now,
            ..current
        };
        repo.update_subscription(tx.as_mut(), &next).await?;
        let extra = serde_json::json!({ "effective_at": next.current_period_end.to_rfc3339() });
        self.audit_change(
            tx.as_mut(),
            Some(actor),
            &next,
            "cancel_scheduled",
            extra,
            now,
            meta,
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Ends organization `org`'s live subscription at once, inside the caller's `tx` (its
    /// deletion): `canceled` now, with a final invoice for its pending charges (as at a
    /// period end); the unused part of the period is not refunded. Returns whether there
    /// was one. Call it before the organization's row is deleted, so the final invoice is
    /// addressed to its billing contact (after, it goes to the member answerable for the
    /// subscription).
    ///
    /// # Errors
    /// [`SubscriptionError::Repo`] (the caller's transaction should roll back).
    pub async fn end_for_deleted_org(
        &self,
        tx: &mut dyn Transaction,
        org: plinth_kernel::OrgId,
        actor: UserId,
        meta: &RequestMeta,
    ) -> Result<bool, SubscriptionError> {
        let repo = self.subscriptions.as_ref();
        // The organization's row first, as a subscribe does: one lock order, no deadlock.
        repo.lock_org(tx, org).await?;
        let Some(current) = repo.lock_live_subscription(tx, Owner::Org(org)).await? else {
            return Ok(false);
        };
        let now = self.now();
        let ended = Subscription {
            status: SubscriptionStatus::Canceled,
            canceled_at: Some(now),
            cancel_at_period_end: false,
            scheduled_plan_id: None,
            updated_at: now,
            ..current
        };
        repo.update_subscription(tx, &ended).await?;
        self.invoice_at_end(tx, &ended, now).await?;
        let extra = serde_json::json!({ "reason": "organization_deleted" });
        self.audit_change(tx, Some(actor), &ended, "canceled", extra, now, meta)
            .await?;
        Ok(true)
    }

    /// Makes `to` the member answerable for organization `org`'s subscriptions that `from`
    /// answers for, inside the caller's `tx` (`from` leaves the organization; its account
    /// may be erased next without taking the organization's subscription with it).
    ///
    /// # Errors
    /// [`SubscriptionError::Repo`] (the caller's transaction should roll back).
    pub async fn hand_over_org_subscriptions(
        &self,
        tx: &mut dyn Transaction,
        org: plinth_kernel::OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, SubscriptionError> {
        Ok(self
            .subscriptions
            .hand_over_org_subscriptions(tx, org, from, to)
            .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn audit_change(
        &self,
        tx: &mut dyn Transaction,
        actor: Option<UserId>,
        subscription: &Subscription,
        change: &str,
        extra: serde_json::Value,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<(), SubscriptionError> {
        let mut details = serde_json::json!({
            "change": change,
            "user_id": subscription.user_id.to_string(),
            "org_id": subscription.org_id.map(|o| o.to_string()),
            "quantity": subscription.quantity,
            "plan_id": subscription.plan_id.to_string(),
            "status": subscription.status.as_str(),
            "price": subscription.price.amount,
            "currency": subscription.price.currency.code(),
            "current_period_start": subscription.current_period_start.to_rfc3339(),
            "current_period_end": subscription.current_period_end.to_rfc3339(),
            "cancel_at_period_end": subscription.cancel_at_period_end,
        });
        if let (Some(map), serde_json::Value::Object(extra)) = (details.as_object_mut(), extra) {
            map.extend(extra);
        }
        let mut event = AuditEvent::new(AuditAction::SubscriptionChanged, now, meta)
            .target("subscription", subscription.id)
            .details(details);
        if let Some(actor) = actor {
            event = event.actor(actor);
        }
        if let Some(org) = subscription.org_id {
            event = event.org(org);
        }
        self.audit.append(tx, &event).await?;
        Ok(())
    }
}

/// `seats` fits `owner`: an account's own subscription has exactly 1, an organization's
/// 1..=[`MAX_SEATS`].
fn check_seats(owner: Owner, seats: Option<u32>) -> Result<(), SubscriptionError> {
    match (owner, seats) {
        (_, None) | (Owner::User(_), Some(1)) => Ok(()),
        (Owner::User(_), Some(_)) => Err(SubscriptionError::InvalidSeats(
            "Seats are for an organization's subscription: act for the organization \
             (POST /auth/org) to buy seats; your own subscription has 1."
                .to_owned(),
        )),
        (Owner::Org(_), Some(n)) if (1..=MAX_SEATS).contains(&n) => Ok(()),
        (Owner::Org(_), Some(_)) => Err(SubscriptionError::InvalidSeats(format!(
            "An organization's subscription has from 1 to {MAX_SEATS} seats."
        ))),
    }
}
