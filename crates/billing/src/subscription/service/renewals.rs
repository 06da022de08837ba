//! Renewals: every due period starts (or the subscription ends) in a transaction of its own,
//! and each paid period is handed to the [`crate::PeriodInvoicer`], as is the final invoice
//! of an ended subscription.

use std::collections::HashSet;

use chrono::SubsecRound as _;
use plinth_kernel::{Money, RepoError, RequestMeta, Timestamp, Transaction};

use super::SubscriptionService;
use crate::Plan;
use crate::subscription::{
    BillingPeriod, InvoiceOutcome, PendingItemId, PeriodReason, Subscription, SubscriptionError,
    SubscriptionId, SubscriptionStatus, period_end_after,
};

/// How many due subscriptions [`SubscriptionService::renew_due`] reads at a time.
const RENEWAL_BATCH: u64 = 100;

/// What one [`SubscriptionService::renew_due`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewalReport {
    /// Periods started.
    pub renewed: u32,
    /// Subscriptions ended by a cancellation at period end.
    pub canceled: u32,
    /// Subscriptions whose renewal failed (logged; retried by the next run).
    pub failed: u32,
    /// Periods the [`crate::PeriodInvoicer`] made an invoice for, and final invoices of
    /// ended subscriptions (their pending items).
    pub invoiced: u32,
}

impl SubscriptionService {
    /// Starts the next period of every `trialing` or `active` subscription whose period ended
    /// at or before `now` (several periods if it is far behind): applies a scheduled plan
    /// change (at that plan's current price), ends those cancelled at period end (invoicing
    /// their pending items, see [`PeriodReason::Ended`]), moves a trial to `active`, and
    /// hands each new period to the [`crate::PeriodInvoicer`], each period in its own
    /// transaction with its audit entry. A period is recorded under the unique key
    /// `(subscription, period start)`, so running this twice, even at once on two replicas,
    /// renews each period once.
    ///
    /// # Errors
    /// [`SubscriptionError::Repo`] when the due subscriptions cannot be listed; failures of
    /// single subscriptions are logged and counted in [`RenewalReport::failed`].
    #[tracing::instrument(skip(self))]
    pub async fn renew_due(&self, now: Timestamp) -> Result<RenewalReport, SubscriptionError> {
        let repo = self.subscriptions.as_ref();
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
        let repo = self.subscriptions.as_ref();
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
            let plan = self.plans.plan(plan_id).await?.ok_or_else(|| {
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
    pub(super) async fn invoice_period(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
        plan: &Plan,
        reason: PeriodReason,
        now: Timestamp,
    ) -> Result<bool, SubscriptionError> {
        let items = self
            .subscriptions
            .pending_items(tx, subscription.id)
            .await?;
        let period = BillingPeriod {
            subscription: subscription.clone(),
            plan: plan.clone(),
            start: subscription.current_period_start,
            end: subscription.current_period_end,
            price: subscription.period_price()?,
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
        let items = self.subscriptions.pending_items(tx, ended.id).await?;
        if !items.iter().any(|i| i.amount.amount > 0) {
            return Ok(false);
        }
        let plan = self.plans.plan(ended.plan_id).await?.ok_or_else(|| {
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
        let repo = self.subscriptions.as_ref();
        if self.invoicer.invoice_period(tx, &period).await? != InvoiceOutcome::Invoiced {
            return Ok(false);
        }
        let ids: Vec<PendingItemId> = period.items.iter().map(|i| i.id).collect();
        if !ids.is_empty() {
            repo.mark_items_invoiced(tx, &ids, period.at).await?;
        }
        Ok(true)
    }
}
