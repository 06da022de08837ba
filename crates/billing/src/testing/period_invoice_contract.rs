//! The contract of the [`crate::PeriodInvoiceRepository`] seam of [`SubscriptionStorage`],
//! whose methods join subscriptions with their period invoices (`claim_period_invoice`,
//! `subscription_of_invoice`, `has_overdue_invoice`, `overdue_subscriptions`), and of
//! `due_for_renewal` for ended-by-cancellation `past_due`/`unpaid` subscriptions. Run unchanged against every adapter pair;
//! it filters listings down to its own rows, so storage may hold other data.

// This function is a test body: a failed expectation is meant to panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, SubsecRound};
use plinth_kernel::{Currency, Money, Timestamp, UnitOfWork, UserId};

use crate::invoice::{
    Invoice, InvoiceId, InvoiceNumber, InvoiceRecord, InvoiceRepository, InvoiceStatus, LineInput,
};
use crate::subscription::{Subscription, SubscriptionId, SubscriptionStatus, SubscriptionStorage};
use crate::{BillingRepository, Interval, Plan, PlanId};

/// Runs every promise: a claim per `(subscription, period start)` (`false` for the second,
/// leaving the transaction usable), rolled back with its transaction; the invoice → subscription
/// lookup; overdue = an `open` period invoice with `due_at` before `now` (not one due later,
/// not a paid one, not another subscription's); `overdue_subscriptions` lists only
/// `trialing`/`active` ones; `due_for_renewal` includes a due `past_due`/`unpaid` one only
/// with `cancel_at_period_end`. `users` must exist.
pub async fn period_invoices(
    subs: Arc<dyn SubscriptionStorage>,
    invoices: Arc<dyn InvoiceRepository>,
    plans: Arc<dyn BillingRepository>,
    uow: Arc<dyn UnitOfWork>,
    users: [UserId; 2],
) {
    let now = chrono::Utc::now().trunc_subsecs(6);
    let day = Duration::days(1);
    let year = 2000 + i32::try_from(uuid::Uuid::now_v7().as_u128() % 7000).unwrap();
    let plan = plan(now);
    let mut tx = uow.begin().await.unwrap();
    plans.insert_plan(tx.as_mut(), &plan).await.unwrap();
    let late = subscription(users[0], &plan, now);
    let punctual = subscription(users[1], &plan, now);
    subs.insert_subscription(tx.as_mut(), &late).await.unwrap();
    subs.insert_subscription(tx.as_mut(), &punctual)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // late: one invoice due yesterday (overdue) and one paid; punctual: one due tomorrow.
    let overdue = open_invoice(&*invoices, &*uow, users[0], year, 1, now - day, false).await;
    let paid = open_invoice(&*invoices, &*uow, users[0], year, 2, now - day * 3, true).await;
    let not_yet = open_invoice(&*invoices, &*uow, users[1], year, 3, now + day, false).await;

    let start = now - day * 30;
    let mut tx = uow.begin().await.unwrap();
    assert!(
        subs.claim_period_invoice(tx.as_mut(), late.id, start, overdue)
            .await
            .unwrap()
    );
    assert!(
        !subs
            .claim_period_invoice(tx.as_mut(), late.id, start, InvoiceId::new())
            .await
            .unwrap(),
        "a period has one invoice"
    );
    assert_eq!(
        subs.subscription_of_invoice(tx.as_mut(), overdue)
            .await
            .unwrap(),
        Some(late.id),
        "the transaction is still usable after a refused claim, and sees its claim"
    );
    assert!(
        subs.claim_period_invoice(tx.as_mut(), late.id, start - day * 30, paid)
            .await
            .unwrap()
    );
    assert!(
        subs.claim_period_invoice(tx.as_mut(), punctual.id, start, not_yet)
            .await
            .unwrap(),
        "the same instant of another subscription is another period"
    );
    tx.commit().await.unwrap();

    let mut tx = uow.begin().await.unwrap();
    let never = InvoiceId::new();
    assert!(
        subs.claim_period_invoice(tx.as_mut(), punctual.id, now, never)
            .await
            .unwrap()
    );
    drop(tx);
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        subs.subscription_of_invoice(tx.as_mut(), never)
            .await
            .unwrap(),
        None,
        "a dropped transaction takes its claim with it"
    );
    assert_eq!(
        subs.subscription_of_invoice(tx.as_mut(), InvoiceId::new())
            .await
            .unwrap(),
        None
    );
    assert!(
        subs.has_overdue_invoice(tx.as_mut(), late.id, now)
            .await
            .unwrap()
    );
    assert!(
        !subs
            .has_overdue_invoice(tx.as_mut(), late.id, now - day * 2)
            .await
            .unwrap(),
        "not yet overdue two days ago; the paid one never is"
    );
    assert!(
        !subs
            .has_overdue_invoice(tx.as_mut(), punctual.id, now)
            .await
            .unwrap()
    );
    assert!(
        subs.has_overdue_invoice(tx.as_mut(), punctual.id, now + day * 2)
            .await
            .unwrap()
    );
    drop(tx);

    let ours = |ids: Vec<SubscriptionId>| -> Vec<SubscriptionId> {
        ids.into_iter()
            .filter(|id| *id == late.id || *id == punctual.id)
            .collect()
    };
    assert_eq!(
        ours(subs.overdue_subscriptions(now, 10_000).await.unwrap()),
        vec![late.id]
    );
    let mut both = vec![late.id, punctual.id];
    both.sort();
    assert_eq!(
        ours(
            subs.overdue_subscriptions(now + day * 2, 10_000)
                .await
                .unwrap()
        ),
        both,
        "by id"
    );
    assert!(
        subs.overdue_subscriptions(now + day * 2, 1)
            .await
            .unwrap()
            .len()
            <= 1
    );

    // past_due is not listed again; neither renewed unless it was cancelled.
    let ended_period = Subscription {
        status: SubscriptionStatus::PastDue,
        current_period_end: now - day,
        ..late.clone()
    };
    let unpaid = Subscription {
        status: SubscriptionStatus::Unpaid,
        current_period_end: now - day,
        ..punctual.clone()
    };
    let mut tx = uow.begin().await.unwrap();
    subs.update_subscription(tx.as_mut(), &ended_period)
        .await
        .unwrap();
    subs.update_subscription(tx.as_mut(), &unpaid)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(ours(subs.overdue_subscriptions(now, 10_000).await.unwrap()).is_empty());
    assert!(ours(subs.due_for_renewal(now, 10_000).await.unwrap()).is_empty());
    let mut tx = uow.begin().await.unwrap();
    let cancelled = Subscription {
        cancel_at_period_end: true,
        ..unpaid.clone()
    };
    subs.update_subscription(tx.as_mut(), &cancelled)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        ours(subs.due_for_renewal(now, 10_000).await.unwrap()),
        vec![punctual.id],
        "a cancelled unpaid subscription is due to end"
    );
}

fn plan(now: Timestamp) -> Plan {
    Plan {
        id: PlanId::new(),
        code: format!("period-contract-{}", uuid::Uuid::now_v7().simple()),
        name: "Contract plan".into(),
        active: true,
        price: Money::new(1_000, Currency::parse("USD").unwrap()),
        interval: Interval::Month,
        trial_days: 0,
        features: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    }
}

fn subscription(user: UserId, plan: &Plan, now: Timestamp) -> Subscription {
    Subscription {
        id: SubscriptionId::new(),
        user_id: user,
        org_id: None,
        quantity: 1,
        plan_id: plan.id,
        price: plan.price,
        interval: plan.interval,
        status: SubscriptionStatus::Active,
        current_period_start: now,
        current_period_end: now + Duration::days(30),
        billing_anchor: now,
        trial_end: None,
        cancel_at_period_end: false,
        scheduled_plan_id: None,
        canceled_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// An open invoice due at `due_at` (then paid, when `paid`), committed.
async fn open_invoice(
    repo: &dyn InvoiceRepository,
    uow: &dyn UnitOfWork,
    user: UserId,
    year: i32,
    seq: u32,
    due_at: Timestamp,
    paid: bool,
) -> InvoiceId {
    let currency = Currency::parse("USD").unwrap();
    let mut invoice = Invoice::draft(currency);
    invoice
        .add_line(LineInput {
            description: "Period".into(),
            quantity: 1,
            unit_amount: Money::new(1_000, currency),
        })
        .unwrap();
    let now = due_at.trunc_subsecs(6);
    let mut r = InvoiceRecord {
        id: InvoiceId::new(),
        user_id: user,
        org_id: None,
        invoice,
        due_in_days: 0,
        customer: None,
        due_at: None,
        issued_at: None,
        paid_at: None,
        voided_at: None,
        created_at: now,
        updated_at: now,
        provider_payment_id: None,
    };
    let mut tx = uow.begin().await.unwrap();
    repo.insert_invoice(tx.as_mut(), &r).await.unwrap();
    r.invoice
        .finalize(InvoiceNumber::new(year, seq).unwrap())
        .unwrap();
    r.issued_at = Some(now);
    r.due_at = Some(now);
    repo.update_invoice(tx.as_mut(), &r, InvoiceStatus::Draft)
        .await
        .unwrap();
    if paid {
        r.invoice.mark_paid().unwrap();
        r.paid_at = Some(now);
        repo.update_invoice(tx.as_mut(), &r, InvoiceStatus::Open)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    r.id
}
