//! The netting rule, zero totals, carried credits and the one-invoice-per-period claim.

use std::collections::BTreeMap;

use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditFilter, AuditLog as _};
use plinth_kernel::testing::MemoryUnitOfWork;
use plinth_kernel::{Currency, PageRequest, Timestamp, UnitOfWork, UserId};

use super::*;
use crate::subscription::{Subscription, SubscriptionId, SubscriptionStatus};
use crate::testing::{
    MemoryCustomerDirectory, MemoryInvoiceRepository, MemorySubscriptionRepository,
};
use crate::{Interval, InvoiceFilter, Plan, PlanId};

fn at(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn usd(amount: i64) -> Money {
    Money::new(amount, Currency::parse("USD").unwrap())
}

fn period(price: i64, items: &[i64]) -> BillingPeriod {
    let now = at("2026-05-01T00:00:00Z");
    let plan = Plan {
        id: PlanId::new(),
        code: "pro".into(),
        name: "Pro".into(),
        active: true,
        price: usd(price),
        interval: Interval::Month,
        trial_days: 0,
        features: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    };
    let subscription = Subscription {
        id: SubscriptionId::new(),
        user_id: UserId::new(),
        org_id: None,
        quantity: 1,
        plan_id: plan.id,
        price: plan.price,
        interval: Interval::Month,
        status: SubscriptionStatus::Active,
        current_period_start: now,
        current_period_end: at("2026-06-01T00:00:00Z"),
        billing_anchor: now,
        trial_end: None,
        cancel_at_period_end: false,
        scheduled_plan_id: None,
        canceled_at: None,
        created_at: now,
        updated_at: now,
    };
    let items = items
        .iter()
        .enumerate()
        .map(|(i, amount)| PendingItem {
            id: PendingItemId::new(),
            subscription_id: subscription.id,
            user_id: subscription.user_id,
            description: format!("item {i}"),
            amount: usd(*amount),
            created_at: now,
            invoiced_at: None,
        })
        .collect();
    BillingPeriod {
        start: subscription.current_period_start,
        end: subscription.current_period_end,
        price: plan.price,
        plan,
        subscription,
        items,
        reason: PeriodReason::Renewed,
        at: now,
    }
}

#[test]
fn credits_are_netted_into_the_lines_in_order_and_never_go_below_zero() {
    let netted = period_lines(&period(1_000, &[500, -1_200])).unwrap();
    assert_eq!(
        netted.lines,
        [
            (
                "Pro, 2026-05-01 – 2026-06-01 (less a credit of 10.00 USD)".to_owned(),
                0
            ),
            ("item 0 (less a credit of 2.00 USD)".to_owned(), 300),
        ]
    );
    assert_eq!(netted.credit_left, 0);

    let big = period_lines(&period(1_000, &[-700, 250, -900])).unwrap();
    assert_eq!(big.lines.iter().map(|l| l.1).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(big.credit_left, 350, "1 600 credit − 1 250 charged");

    let plain = period_lines(&period(1_000, &[])).unwrap();
    assert_eq!(
        plain.lines,
        [("Pro, 2026-05-01 – 2026-06-01".to_owned(), 1_000)]
    );

    let mut foreign = period(1_000, &[100]);
    foreign.items[0].amount = Money::new(100, Currency::parse("EUR").unwrap());
    assert!(period_lines(&foreign).is_err());
}

struct Parts {
    invoicer: SubscriptionInvoicer,
    invoices: MemoryInvoiceRepository,
    subs: MemorySubscriptionRepository,
    audit: MemoryAuditLog,
    uow: MemoryUnitOfWork,
}

fn parts(customer: UserId) -> Parts {
    let invoices = MemoryInvoiceRepository::new();
    let subs = MemorySubscriptionRepository::new().with_invoices(invoices.clone());
    let customers = MemoryCustomerDirectory::new();
    customers.insert(customer, "ada@example.com", "Ada");
    let audit = MemoryAuditLog::new();
    let invoicer = SubscriptionInvoicer::new(
        Arc::new(invoices.clone()),
        Arc::new(customers),
        Arc::new(subs.clone()),
        Arc::new(audit.clone()),
    )
    .with_due_in_days(7);
    Parts {
        invoicer,
        invoices,
        subs,
        audit,
        uow: MemoryUnitOfWork::new(),
    }
}

async fn invoice(p: &Parts, period: &BillingPeriod) -> InvoiceOutcome {
    let mut tx = p.uow.begin().await.unwrap();
    let outcome = p
        .invoicer
        .invoice_period(tx.as_mut(), period)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    outcome
}

async fn all(p: &Parts) -> Vec<crate::InvoiceRecord> {
    use crate::InvoiceReportRepository as _;
    p.invoices
        .invoices(&InvoiceFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_covered_charge_is_issued_and_paid_at_once_and_the_rest_is_carried() {
    let period = period(1_000, &[-1_500]);
    let p = parts(period.subscription.user_id);
    assert_eq!(invoice(&p, &period).await, InvoiceOutcome::Invoiced);
    let issued = all(&p).await;
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].invoice.totals().total, 0);
    assert_eq!(issued[0].status(), InvoiceStatus::Paid, "nothing is owed");
    assert_eq!(issued[0].paid_at, issued[0].issued_at);
    assert_eq!(issued[0].due_at, Some(at("2026-05-08T00:00:00Z")));
    let carried = p.subs.items_of(period.subscription.user_id);
    assert_eq!(
        carried.len(),
        1,
        "the new credit (the old item is the caller's to mark)"
    );
    assert_eq!(carried[0].amount, usd(-500));
    assert_eq!(
        carried[0].description,
        "Credit carried forward from INV-2026-000001"
    );
    let paid = p
        .audit
        .list(
            &AuditFilter {
                action: Some(AuditAction::InvoicePaid),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].details["method"], "nothing_due");
}

#[tokio::test]
async fn a_period_is_invoiced_once_and_a_free_one_not_at_all() {
    let period = period(1_000, &[]);
    let p = parts(period.subscription.user_id);
    assert_eq!(invoice(&p, &period).await, InvoiceOutcome::Invoiced);
    assert_eq!(invoice(&p, &period).await, InvoiceOutcome::NotInvoiced);
    assert_eq!(
        all(&p).await.len(),
        1,
        "one invoice per (subscription, period)"
    );

    let free = super::tests::period(0, &[-300]);
    let p = parts(free.subscription.user_id);
    assert_eq!(invoice(&p, &free).await, InvoiceOutcome::NotInvoiced);
    assert!(all(&p).await.is_empty());
}

#[tokio::test]
async fn a_failure_later_in_the_transaction_gives_the_claim_and_the_number_back() {
    let period = period(1_000, &[]);
    let p = parts(period.subscription.user_id);
    let mut tx = p.uow.begin().await.unwrap();
    p.invoicer
        .invoice_period(tx.as_mut(), &period)
        .await
        .unwrap();
    drop(tx); // the renewal failed after invoicing: everything rolls back
    assert!(all(&p).await.is_empty());
    assert_eq!(invoice(&p, &period).await, InvoiceOutcome::Invoiced);
    assert_eq!(
        all(&p).await[0].invoice.number().unwrap().to_string(),
        "INV-2026-000001"
    );
}
