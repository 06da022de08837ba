//! How invoices and Stripe move a subscription's status:
//! - an overdue period invoice (open past `due_at`) makes a `trialing`/`active` subscription
//!   `past_due` (the overdue job);
//! - a period invoice written off (`uncollectible`) makes a live subscription `unpaid`, in
//!   the transaction that writes it off;
//! - paying (or voiding) a period invoice brings a `past_due` subscription back to `active`
//!   when no other of its invoices is overdue, in the transaction that settles it;
//! - Stripe's `customer.subscription.updated` / `.deleted` set the status Stripe reports.
//!
//! Each move locks the subscription row, re-reads it, and is audited as
//! `billing.subscription_changed` in the same transaction, so two replicas never apply (or
//! audit) one move twice.

use std::collections::HashSet;

use chrono::SubsecRound as _;

use plinth_kernel::{RequestMeta, Timestamp, Transaction};

use super::SubscriptionService;
use crate::invoice::{InvoiceId, InvoiceRecord, InvoiceStatus};
use crate::payment::{EventOutcome, ProviderEvent};
use crate::subscription::{Subscription, SubscriptionError, SubscriptionId, SubscriptionStatus};

/// How many overdue subscriptions one read of the past-due job takes.
const PAST_DUE_BATCH: u64 = 500;

impl SubscriptionService {
    /// Moves the locked `current` to `to` and audits it (`details.change` = `change`,
    /// `details.from_status`, plus `extra`). Canceling sets `canceled_at`, drops a
    /// scheduled plan change and invoices the pending items (see
    /// [`Self::invoice_at_end`]).
    #[allow(clippy::too_many_arguments)]
    async fn move_subscription(
        &self,
        tx: &mut dyn Transaction,
        current: &Subscription,
        to: SubscriptionStatus,
        change: &str,
        mut extra: serde_json::Value,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<Subscription, SubscriptionError> {
        let now = now.trunc_subsecs(6);
        let mut next = current.clone();
        next.status = to;
        next.updated_at = now;
        if to == SubscriptionStatus::Canceled {
            next.canceled_at = Some(now);
            next.scheduled_plan_id = None;
        }
        self.subscriptions.update_subscription(tx, &next).await?;
        if to == SubscriptionStatus::Canceled {
            // Ended: what is still pending (an upgrade's proration) goes on a final invoice.
            self.invoice_at_end(tx, &next, now).await?;
        }
        if let Some(map) = extra.as_object_mut() {
            map.insert("from_status".into(), current.status.as_str().into());
        }
        self.audit_change(tx, None, &next, change, extra, now, meta)
            .await?;
        Ok(next)
    }

    /// The subscription whose period `invoice` bills, locked in `tx`, if there is one.
    ///
    /// Call it right after moving the invoice and **before** any audit append of `tx`: on
    /// PostgreSQL an append holds the audit chain's lock until commit, and renewals take the
    /// subscription's row lock first and the chain's last, so taking them the other way round
    /// could deadlock.
    pub(crate) async fn lock_billed_subscription(
        &self,
        tx: &mut dyn Transaction,
        invoice: InvoiceId,
    ) -> Result<Option<Subscription>, SubscriptionError> {
        let repo = self.subscriptions.as_ref();
        let Some(id) = repo.subscription_of_invoice(tx, invoice).await? else {
            return Ok(None);
        };
        Ok(repo.lock_subscription(tx, id).await?)
    }

    /// Follows invoice `record`, just moved in `tx` to `paid`, `void` or `uncollectible`, to
    /// `billed`, the subscription whose period it bills (from
    /// [`Self::lock_billed_subscription`]): `uncollectible` makes it `unpaid`; `paid`/`void`
    /// makes a `past_due` one `active` unless another of its invoices is still overdue.
    /// Returns the status it moved to.
    pub(crate) async fn follow_invoice(
        &self,
        tx: &mut dyn Transaction,
        record: &InvoiceRecord,
        billed: Option<Subscription>,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<Option<SubscriptionStatus>, SubscriptionError> {
        let Some(current) = billed else {
            return Ok(None);
        };
        let repo = self.subscriptions.as_ref();
        let id = current.id;
        let to = match record.status() {
            InvoiceStatus::Uncollectible
                if current.status.is_live() && current.status != SubscriptionStatus::Unpaid =>
            {
                (SubscriptionStatus::Unpaid, "unpaid")
            }
            InvoiceStatus::Paid | InvoiceStatus::Void
                if current.status == SubscriptionStatus::PastDue
                    && !repo.has_overdue_invoice(tx, id, now).await? =>
            {
                (SubscriptionStatus::Active, "reactivated")
            }
            _ => return Ok(None),
        };
        let extra = serde_json::json!({ "invoice_id": record.id.to_string() });
        self.move_subscription(tx, &current, to.0, to.1, extra, now, meta)
            .await?;
        Ok(Some(to.0))
    }

    /// The past-due job: every `trialing` or `active` subscription with an overdue period
    /// invoice at `now` becomes `past_due`. Returns how many this run moved.
    pub(crate) async fn mark_past_due(&self, now: Timestamp) -> Result<u64, SubscriptionError> {
        let repo = self.subscriptions.as_ref();
        let meta = RequestMeta::default();
        let mut seen = HashSet::new();
        let mut moved = 0;
        loop {
            let batch = repo.overdue_subscriptions(now, PAST_DUE_BATCH).await?;
            let fresh: Vec<SubscriptionId> = batch
                .iter()
                .copied()
                .filter(|id| seen.insert(*id))
                .collect();
            if fresh.is_empty() {
                break;
            }
            for id in fresh {
                let mut tx = self.uow.begin().await?;
                let Some(current) = repo.lock_subscription(tx.as_mut(), id).await? else {
                    continue;
                };
                // Re-checked under the lock: another replica or a payment may have won.
                let overdue_now = matches!(
                    current.status,
                    SubscriptionStatus::Trialing | SubscriptionStatus::Active
                ) && repo.has_overdue_invoice(tx.as_mut(), id, now).await?;
                if !overdue_now {
                    continue;
                }
                let extra = serde_json::json!({});
                self.move_subscription(
                    tx.as_mut(),
                    &current,
                    SubscriptionStatus::PastDue,
                    "past_due",
                    extra,
                    now,
                    &meta,
                )
                .await?;
                tx.commit().await?;
                moved += 1;
            }
            if (batch.len() as u64) < PAST_DUE_BATCH {
                break;
            }
        }
        Ok(moved)
    }

    /// Applies Stripe's `customer.subscription.updated` / `.deleted` in `tx`: the subscription
    /// named in `metadata.plinth_subscription_id` takes the status Stripe reports. Returns the
    /// outcome and the subscription, when the event named one of ours.
    pub(crate) async fn sync_from_stripe(
        &self,
        tx: &mut dyn Transaction,
        event: &ProviderEvent,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<(EventOutcome, Option<SubscriptionId>), SubscriptionError> {
        let Some(id) = event.subscription_id() else {
            return Ok((EventOutcome::Ignored, None));
        };
        let repo = self.subscriptions.as_ref();
        let Some(current) = repo.lock_subscription(tx, id).await? else {
            return Ok((EventOutcome::Ignored, None));
        };
        let Some(to) = event.subscription_status() else {
            return Ok((EventOutcome::Ignored, Some(id)));
        };
        // An ended subscription stays ended; a status already held changes nothing.
        if current.status == SubscriptionStatus::Canceled || current.status == to {
            return Ok((EventOutcome::AlreadySettled, Some(id)));
        }
        let extra = serde_json::json!({ "stripe_event_id": event.id });
        self.move_subscription(tx, &current, to, "stripe_synced", extra, now, meta)
            .await?;
        Ok((EventOutcome::Applied, Some(id)))
    }
}
