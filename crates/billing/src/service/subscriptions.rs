//! Subscribing, changing plan, cancelling and renewing. Every change and its
//! `billing.subscription_changed` audit entry commit together.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Days, SubsecRound};
use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Money, RepoError, RequestMeta, Timestamp, Transaction, UserId};

use super::BillingService;
use crate::subscription::{
    BillingPeriod, InvoiceOutcome, PendingItem, PendingItemId, PeriodInvoicer, PeriodReason,
    Subscription, SubscriptionError, SubscriptionId, SubscriptionRepository, SubscriptionStatus,
    period_end_after, prorate,
};
use crate::{FeatureValue, Plan, PlanId};

/// How many due subscriptions [`BillingService::renew_due`] reads at a time.
const RENEWAL_BATCH: u64 = 100;

/// What [`BillingService::subscribe`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A new subscription (HTTP 201).
    Created,
    /// The existing subscription was changed, or already was on that plan (HTTP 200).
    Changed,
}

/// What one [`BillingService::renew_due`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewalReport {
    /// Periods started.
    pub renewed: u32,
    /// Subscriptions ended by a cancellation at period end.
    pub canceled: u32,
    /// Subscriptions whose renewal failed (logged; retried by the next run).
    pub failed: u32,
    /// Periods the [`PeriodInvoicer`] made an invoice for, and final invoices of ended
    /// subscriptions (their pending items).
    pub invoiced: u32,
}

impl BillingService {
    /// Adds subscription storage (needed by every subscription use case).
    #[must_use]
    pub fn with_subscriptions(mut self, subscriptions: Arc<dyn SubscriptionRepository>) -> Self {
        self.subscriptions = Some(subscriptions);
        self
    }

    /// Sets what invoices each paid period (see [`PeriodInvoicer`]).
    #[must_use]
    pub fn with_invoicer(mut self, invoicer: Arc<dyn PeriodInvoicer>) -> Self {
        self.invoicer = invoicer;
        self
    }

    pub(crate) fn subscriptions(&self) -> Result<&dyn SubscriptionRepository, SubscriptionError> {
        self.subscriptions.as_deref().ok_or_else(|| {
            SubscriptionError::Repo(RepoError::internal(
                "BillingService was built without subscription storage",
            ))
        })
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
        self.subscriptions()?
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
        let plan = match self.billing.plan(plan_id).await? {
            Some(plan) if plan.active => plan,
            _ => return Err(SubscriptionError::PlanUnavailable(plan_id.to_string())),
        };
        let repo = self.subscriptions()?;
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
        let repo = self.subscriptions()?;
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
                    self.subscriptions()?
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
        self.subscriptions()?
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
        let repo = self.subscriptions()?;
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

    /// Starts the next period of every `trialing` or `active` subscription whose period ended
    /// at or before `now` (several periods if it is far behind): applies a scheduled plan
    /// change (at that plan's current price), ends those cancelled at period end (invoicing
    /// their pending items, see [`PeriodReason::Ended`]), moves a
    /// trial to `active`, and hands each new period to the [`PeriodInvoicer`], each period in
    /// its own transaction with its audit entry. A period is recorded under the unique key
    /// `(subscription, period start)`, so running this twice, even at once on two replicas,
    /// renews each period once.
    ///
    /// # Errors
    /// [`SubscriptionError::Repo`] when the due subscriptions cannot be listed; failures of
    /// single subscriptions are logged and counted in [`RenewalReport::failed`].
    #[tracing::instrument(skip(self))]
    pub async fn renew_due(&self, now: Timestamp) -> Result<RenewalReport, SubscriptionError> {
        let repo = self.subscriptions()?;
        let now = now.trunc_subsecs(6);
        let mut report = RenewalReport::default();
        let mut seen = HashSet::new();
        loop {
            let due = repo.due_for_renewal(now, RENEWAL_BATCH).await?;
            let fresh: Vec<SubscriptionId> =
                due.iter().copied().filter(|id| seen.insert(*id)).collect();
            if fresh.is_empty() {
                return Ok(report);
            }
            for id in fresh {
                if let Err(e) = self.renew_one(id, now, &mut report).await {
                    tracing::error!(subscription = %id, error = ?e, "renewal failed");
                    report.failed += 1;
                }
            }
            if (due.len() as u64) < RENEWAL_BATCH {
                return Ok(report);
            }
        }
    }

    async fn renew_one(
        &self,
        id: SubscriptionId,
        now: Timestamp,
        report: &mut RenewalReport,
    ) -> Result<(), SubscriptionError> {
        let repo = self.subscriptions()?;
        let meta = RequestMeta::default();
        loop {
            let mut tx = self.uow.begin().await?;
            let Some(current) = repo.lock_subscription(tx.as_mut(), id).await? else {
                return Ok(());
            };
            // `past_due` and `unpaid` are not renewed, but a cancellation still ends them.
            let renewable = matches!(
                current.status,
                SubscriptionStatus::Trialing | SubscriptionStatus::Active
            ) || (current.status.is_live() && current.cancel_at_period_end);
            if !renewable || current.current_period_end > now {
                return Ok(());
            }
            let start = current.current_period_end;
            match repo.record_renewal(tx.as_mut(), id, start, now).await {
                Err(RepoError::Duplicate { .. }) => return Ok(()),
                other => other?,
            }
            if current.cancel_at_period_end {
                let ended = Subscription {
                    status: SubscriptionStatus::Canceled,
                    canceled_at: Some(start),
                    updated_at: now,
                    ..current
                };
                repo.update_subscription(tx.as_mut(), &ended).await?;
                let invoiced = self.invoice_at_end(tx.as_mut(), &ended, now).await?;
                self.audit_change(
                    tx.as_mut(),
                    None,
                    &ended,
                    "canceled",
                    serde_json::json!({}),
                    now,
                    &meta,
                )
                .await?;
                tx.commit().await?;
                report.canceled += 1;
                report.invoiced += u32::from(invoiced);
                return Ok(());
            }
            let plan_id = current.scheduled_plan_id.unwrap_or(current.plan_id);
            let plan = self.billing.plan(plan_id).await?.ok_or_else(|| {
                RepoError::internal(format!(
                    "subscription {id} refers to missing plan {plan_id}"
                ))
            })?;
            let mut next = current.clone();
            if current.scheduled_plan_id.is_some() {
                next.plan_id = plan.id;
                next.price = plan.price;
                next.scheduled_plan_id = None;
                if plan.interval != current.interval {
                    next.interval = plan.interval;
                    next.billing_anchor = start;
                }
            }
            let end = period_end_after(next.billing_anchor, next.interval, start)
                .ok_or(SubscriptionError::PeriodOutOfRange)?;
            next.status = SubscriptionStatus::Active;
            next.current_period_start = start;
            next.current_period_end = end;
            next.updated_at = now;
            repo.update_subscription(tx.as_mut(), &next).await?;
            let invoiced = self
                .invoice_period(tx.as_mut(), &next, &plan, PeriodReason::Renewed, now)
                .await?;
            let extra = serde_json::json!({
                "from_plan_id": current.plan_id.to_string(),
                "from_status": current.status.as_str(),
            });
            self.audit_change(tx.as_mut(), None, &next, "renewed", extra, now, &meta)
                .await?;
            tx.commit().await?;
            report.renewed += 1;
            report.invoiced += u32::from(invoiced);
        }
    }

    /// Hands the period of `subscription` (with its pending items) to the invoicer, and marks
    /// the items invoiced when it made an invoice (then `true`).
    async fn invoice_period(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
        plan: &Plan,
        reason: PeriodReason,
        now: Timestamp,
    ) -> Result<bool, SubscriptionError> {
        let items = self
            .subscriptions()?
            .pending_items(tx, subscription.id)
            .await?;
        let period = BillingPeriod {
            subscription: subscription.clone(),
            plan: plan.clone(),
            start: subscription.current_period_start,
            end: subscription.current_period_end,
            price: subscription.price,
            items,
            reason,
            at: now,
        };
        self.hand_to_invoicer(tx, period).await
    }

    /// The final invoice of `ended`, just moved to `canceled` in `tx` (whatever ended it): its
    /// pending items (an upgrade's proration charged for the period that just ran) would
    /// otherwise never be billed, since no period follows. Invoiced once: the subscription's
    /// row lock is held and it is `canceled` only once; the items are marked invoiced in `tx`.
    /// Returns whether an invoice was made (not when nothing is charged).
    pub(super) async fn invoice_at_end(
        &self,
        tx: &mut dyn Transaction,
        ended: &Subscription,
        now: Timestamp,
    ) -> Result<bool, SubscriptionError> {
        let items = self.subscriptions()?.pending_items(tx, ended.id).await?;
        if !items.iter().any(|i| i.amount.amount > 0) {
            return Ok(false);
        }
        let plan = self.billing.plan(ended.plan_id).await?.ok_or_else(|| {
            RepoError::internal(format!(
                "subscription {} refers to missing plan {}",
                ended.id, ended.plan_id
            ))
        })?;
        let at = ended.canceled_at.unwrap_or(now);
        let period = BillingPeriod {
            subscription: ended.clone(),
            plan,
            start: at,
            end: at,
            price: Money::new(0, ended.price.currency),
            items,
            reason: PeriodReason::Ended,
            at: now,
        };
        self.hand_to_invoicer(tx, period).await
    }

    /// Hands `period` to the invoicer, and marks its items invoiced when it made an invoice
    /// (then `true`).
    async fn hand_to_invoicer(
        &self,
        tx: &mut dyn Transaction,
        period: BillingPeriod,
    ) -> Result<bool, SubscriptionError> {
        let repo = self.subscriptions()?;
        if self.invoicer.invoice_period(tx, &period).await? != InvoiceOutcome::Invoiced {
            return Ok(false);
        }
        let ids: Vec<PendingItemId> = period.items.iter().map(|i| i.id).collect();
        if !ids.is_empty() {
            repo.mark_items_invoiced(tx, &ids, period.at).await?;
        }
        Ok(true)
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

    /// Whether `user`'s entitlements switch `feature` on (`true`) or give it a limit above 0.
    ///
    /// # Errors
    /// As [`BillingService::entitlements`].
    pub async fn has_feature(
        &self,
        user: UserId,
        feature: &str,
    ) -> Result<bool, SubscriptionError> {
        Ok(match self.entitlements(user).await?.get(feature) {
            Some(FeatureValue::Flag(on)) => *on,
            Some(FeatureValue::Limit(n)) => *n > 0,
            None => false,
        })
    }
}
