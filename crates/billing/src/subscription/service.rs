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
use plinth_kernel::{Clock, RepoError, RequestMeta, Timestamp, Transaction, UnitOfWork, UserId};

use crate::subscription::{
    PendingItem, PendingItemId, PeriodInvoicer, PeriodReason, Subscription, SubscriptionError,
    SubscriptionId, SubscriptionStatus, SubscriptionStorage, period_end_after, prorate,
};
use crate::{BillingRepository, FeatureValue, Plan, PlanId};

pub use entitlements::STORAGE_BYTES;
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
    #[must_use]
    pub fn new(
        plans: Arc<dyn BillingRepository>,
        subscriptions: Arc<dyn SubscriptionStorage>,
        invoicer: Arc<dyn PeriodInvoicer>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        default_features: BTreeMap<String, FeatureValue>,
    ) -> Self {
        Self {
            plans,
            subscriptions,
            invoicer,
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

    /// `user`'s live subscription.
    ///
    /// # Errors
    /// [`SubscriptionError::NotFound`] when there is none; [`SubscriptionError::Repo`].
    #[tracing::instrument(skip(self))]
    pub async fn subscription(&self, user: UserId) -> Result<Subscription, SubscriptionError> {
        self.subscriptions
            .live_subscription(user)
            .await?
            .ok_or(SubscriptionError::NotFound)
    }

    /// Subscribes `user` to `plan_id`, or changes their live subscription to it.
    ///
    /// - New: with a trial when the plan has `trial_days` (`trialing` until `trial_end`, which
    ///   is also when the first paid period starts), else `active` for one interval from now,
    ///   invoiced at once through the [`PeriodInvoicer`].
    /// - Same plan: clears a scheduled downgrade or cancellation, else changes nothing.
    /// - Upgrade (same interval, higher price): the new plan and its current price apply now;
    ///   for a paid period, the prorated difference (see [`prorate`]) is recorded as a pending
    ///   item for the next invoice.
    /// - Anything else (cheaper, equal price, other interval): scheduled for the period end.
    ///
    /// A plan change also clears `cancel_at_period_end`.
    ///
    /// # Errors
    /// [`SubscriptionError::PlanUnavailable`] for an unknown or inactive plan,
    /// [`SubscriptionError::CurrencyMismatch`] for a plan in another currency,
    /// [`SubscriptionError::Repo`] (nothing is kept).
    #[tracing::instrument(skip(self, meta))]
    pub async fn subscribe(
        &self,
        user: UserId,
        plan_id: PlanId,
        meta: &RequestMeta,
    ) -> Result<(Subscription, SubscribeOutcome), SubscriptionError> {
        let plan = match self.plans.plan(plan_id).await? {
            Some(plan) if plan.active => plan,
            _ => return Err(SubscriptionError::PlanUnavailable(plan_id.to_string())),
        };
        let repo = self.subscriptions.as_ref();
        // A concurrent first subscription of the same user loses on the unique live index;
        // its second attempt finds the winner and changes it instead.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let now = self.now();
            let mut tx = self.uow.begin().await?;
            if let Some(current) = repo.lock_live_subscription(tx.as_mut(), user).await? {
                let changed = self.change_plan(tx, current, &plan, now, meta).await?;
                return Ok((changed, SubscribeOutcome::Changed));
            }
            match self.create(tx, user, &plan, now, meta).await {
                Err(SubscriptionError::Repo(RepoError::Duplicate { constraint }))
                    if constraint == "subscriptions.live_user_id" && attempts < 3 =>
                {
                    tracing::info!(%user, "concurrent subscribe; retrying as a plan change");
                }
                other => return other.map(|s| (s, SubscribeOutcome::Created)),
            }
        }
    }

    async fn create(
        &self,
        mut tx: Box<dyn Transaction>,
        user: UserId,
        plan: &Plan,
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
            user_id: user,
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
            Some(user),
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

    async fn change_plan(
        &self,
        mut tx: Box<dyn Transaction>,
        current: Subscription,
        plan: &Plan,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        let mut next = current.clone();
        let mut extra = serde_json::json!({ "from_plan_id": current.plan_id.to_string() });
        let change = if plan.id == current.plan_id {
            if current.scheduled_plan_id.is_none() && !current.cancel_at_period_end {
                return Ok(current);
            }
            "resumed"
        } else if plan.price.currency != current.price.currency {
            return Err(SubscriptionError::CurrencyMismatch {
                plan: plan.price.currency.to_string(),
                subscription: current.price.currency.to_string(),
            });
        } else if plan.interval == current.interval && plan.price.amount > current.price.amount {
            if current.status != SubscriptionStatus::Trialing {
                let amount = prorate(
                    current.price,
                    plan.price,
                    current.current_period_start,
                    current.current_period_end,
                    now,
                )?;
                if amount.amount != 0 {
                    let item = PendingItem {
                        id: PendingItemId::new(),
                        subscription_id: current.id,
                        user_id: current.user_id,
                        description: format!(
                            "Upgrade to {} until {}, prorated",
                            plan.name,
                            current.current_period_end.format("%Y-%m-%d")
                        ),
                        amount,
                        created_at: now,
                        invoiced_at: None,
                    };
                    self.subscriptions
                        .insert_pending_item(tx.as_mut(), &item)
                        .await?;
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
        if change != "change_scheduled" {
            next.scheduled_plan_id = None;
        }
        next.cancel_at_period_end = false;
        next.updated_at = now;
        self.subscriptions
            .update_subscription(tx.as_mut(), &next)
            .await?;
        self.audit_change(
            tx.as_mut(),
            Some(current.user_id),
            &next,
            change,
            extra,
            now,
            meta,
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Cancels `user`'s subscription at the end of its current period (idempotent; a
    /// scheduled plan change is dropped).
    ///
    /// # Errors
    /// [`SubscriptionError::NotFound`] without a live subscription; [`SubscriptionError::Repo`].
    #[tracing::instrument(skip(self, meta))]
    pub async fn cancel_subscription(
        &self,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        let repo = self.subscriptions.as_ref();
        let now = self.now();
        let mut tx = self.uow.begin().await?;
        let current = repo
            .lock_live_subscription(tx.as_mut(), user)
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
            Some(user),
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
        self.audit.append(tx, &event).await?;
        Ok(())
    }
}
