//! Subscriptions on real databases: the service over the SQL adapters, concurrent subscribes
//! and renewals of one user or subscription, and what is left in the tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use plinth_billing::testing::billing_admin;
use std::collections::BTreeMap;
use std::sync::Arc;

use common::{TestDb, create_user, postgres, sqlite};
use plinth_audit::{AuditAction, AuditFilter};
use plinth_billing::testing::TextInvoiceRenderer;
use plinth_billing::{
    BillingJobs, Interval, InvoiceService, InvoiceStatus, NewPlan, PlanChanges, PlanService,
    SubscriptionInvoicer, SubscriptionService, SubscriptionStatus,
};
use plinth_kernel::testing::ManualClock;
use plinth_kernel::{Clock, Currency, Money, PageRequest, RequestMeta, UserId};

/// The billing services of one replica.
#[derive(Clone)]
struct Billing {
    plans: PlanService,
    subscriptions: SubscriptionService,
    invoices: InvoiceService,
    jobs: BillingJobs,
}

fn service(t: &TestDb, clock: &ManualClock) -> Billing {
    service_on(&t.db, clock)
}

/// The services as a replica wires them: subscriptions, invoices and the period invoicer.
fn service_on(db: &plinth_store::Database, clock: &ManualClock) -> Billing {
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let plans = PlanService::new(
        db.billing(),
        db.subscriptions(),
        db.audit(),
        db.unit_of_work(),
        Arc::clone(&clock),
    );
    let subscriptions = SubscriptionService::new(
        db.billing(),
        db.subscriptions(),
        Arc::new(SubscriptionInvoicer::new(
            db.invoices(),
            db.customers(),
            db.subscriptions(),
            db.audit(),
        )),
        Arc::new(plinth_billing::testing::MemoryCustomerDirectory::new()),
        db.audit(),
        db.unit_of_work(),
        Arc::clone(&clock),
        BTreeMap::new(),
    );
    let invoices = InvoiceService::new(
        db.invoices(),
        db.customers(),
        Arc::new(TextInvoiceRenderer),
        subscriptions.clone(),
        db.audit(),
        db.unit_of_work(),
        clock,
    );
    let jobs = BillingJobs::new(invoices.clone(), subscriptions.clone());
    Billing {
        plans,
        subscriptions,
        invoices,
        jobs,
    }
}

fn clock() -> ManualClock {
    ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-01-31T12:00:00Z")
            .unwrap()
            .to_utc(),
    )
}

async fn plan(billing: &Billing, amount: i64) -> plinth_billing::Plan {
    billing
        .plans
        .create_plan(
            &billing_admin(UserId::new()),
            NewPlan {
                code: format!("p-{}", uuid::Uuid::now_v7().simple()),
                name: "Plan".into(),
                active: true,
                price: Money::new(amount, Currency::parse("EUR").unwrap()),
                interval: Interval::Month,
                trial_days: 0,
                features: BTreeMap::new(),
            },
            &RequestMeta::default(),
        )
        .await
        .unwrap()
}

async fn changes_of(t: &TestDb, user: UserId) -> usize {
    t.db.audit()
        .list(
            &AuditFilter {
                action: Some(AuditAction::SubscriptionChanged),
                actor_id: Some(user.as_uuid()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
        .len()
}

/// Eight concurrent subscribes of one user: exactly one subscription row, one `subscribed`
/// audit entry, and every call succeeds (the losers see the winner's subscription).
async fn concurrent_subscribes_make_one_subscription(t: TestDb) {
    let clock = clock();
    let billing = service(&t, &clock);
    let basic = plan(&billing, 900).await;
    let user = create_user(&t.db).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let billing = billing.clone();
        tasks.push(tokio::spawn(async move {
            billing
                .subscriptions
                .subscribe(user, basic.id, &RequestMeta::default())
                .await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let (sub, _) = task
            .await
            .unwrap()
            .expect("every concurrent subscribe succeeds");
        ids.push(sub.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{}: all calls see one subscription", t.label);
    let rows = subscription_rows(&t.db, user).await;
    assert_eq!(rows, 1, "{}: one row", t.label);
    assert_eq!(
        changes_of(&t, user).await,
        1,
        "{}: one audit entry",
        t.label
    );
}

/// Two renewal runs at once (two replicas) renew each period once, and month-end anchoring
/// survives the round trip through SQL.
async fn concurrent_renewals_renew_once(t: TestDb) {
    let clock = clock();
    let billing = service(&t, &clock);
    let replica = t.second_connection().await;
    let other_replica = service_on(&replica, &clock);
    let basic = plan(&billing, 900).await;
    let user = create_user(&t.db).await;
    let (sub, _) = billing
        .subscriptions
        .subscribe(user, basic.id, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(
        sub.current_period_end.to_rfc3339(),
        "2026-02-28T12:00:00+00:00"
    );
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let (a, b) = tokio::join!(
        billing.subscriptions.renew_due(at),
        other_replica.subscriptions.renew_due(at)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.renewed + b.renewed, 1, "{}: {a:?} {b:?}", t.label);
    assert_eq!(a.failed + b.failed, 0);
    let sub = billing.subscriptions.subscription(user).await.unwrap();
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(
        sub.current_period_start.to_rfc3339(),
        "2026-02-28T12:00:00+00:00"
    );
    assert_eq!(
        sub.current_period_end.to_rfc3339(),
        "2026-03-31T12:00:00+00:00",
        "{}: back to the anchor's day",
        t.label
    );
    let renewals = billing.subscriptions.renew_due(at).await.unwrap();
    assert_eq!(renewals.renewed, 0);
    let invoices = invoices_of(&billing, user).await;
    let numbers: Vec<String> = invoices
        .iter()
        .map(|i| i.invoice.number().unwrap().to_string())
        .collect();
    assert_eq!(
        numbers,
        ["INV-2026-000002", "INV-2026-000001"],
        "{}: the subscription's and the renewal's invoice, once",
        t.label
    );
    assert_eq!(invoices[0].invoice.totals().total, 900);
    assert!(
        invoices[0].customer.is_some(),
        "{}: the customer snapshot",
        t.label
    );
    assert_eq!(invoices[0].status(), InvoiceStatus::Open);
    assert_eq!(count(&t, AuditAction::InvoiceFinalized).await, 2);
}

async fn invoices_of(billing: &Billing, user: UserId) -> Vec<plinth_billing::InvoiceRecord> {
    billing
        .invoices
        .customer_invoices(user, PageRequest::default())
        .await
        .unwrap()
        .items
}

async fn count(t: &TestDb, action: AuditAction) -> usize {
    t.db.audit()
        .list(
            &AuditFilter {
                action: Some(action),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
        .len()
}

fn at(s: &str) -> plinth_kernel::Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The overdue policy on SQL with two replicas running the jobs at once: an overdue period
/// invoice makes the subscription `past_due` once, paying it makes it `active` in the same
/// transaction, a written-off one makes it `unpaid` once.
async fn overdue_jobs_move_the_subscription_once(t: TestDb) {
    let clock = clock();
    let billing = service(&t, &clock);
    let replica = t.second_connection().await;
    let other = service_on(&replica, &clock);
    let basic = plan(&billing, 900).await;
    let user = create_user(&t.db).await;
    billing
        .subscriptions
        .subscribe(user, basic.id, &RequestMeta::default())
        .await
        .unwrap();
    let first = invoices_of(&billing, user).await[0].id;
    // Issued 2026-01-31 12:00, due 30 days later: 2026-03-02 12:00.
    let late = at("2026-03-02T12:00:01Z");
    let (a, b) = tokio::join!(billing.jobs.run_jobs(late), other.jobs.run_jobs(late));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.past_due + b.past_due, 1, "{}: {a:?} {b:?}", t.label);
    assert_eq!(
        a.renewed + b.renewed,
        0,
        "{}: past_due is not renewed",
        t.label
    );
    let sub = billing.subscriptions.subscription(user).await.unwrap();
    assert_eq!(sub.status, SubscriptionStatus::PastDue, "{}", t.label);

    clock.set(late);
    billing
        .invoices
        .mark_invoice_paid(
            &billing_admin(UserId::new()),
            first,
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    let sub = billing.subscriptions.subscription(user).await.unwrap();
    assert_eq!(sub.status, SubscriptionStatus::Active, "{}", t.label);

    // Renewed (catching up), then that invoice is never paid and is written off.
    let report = billing.jobs.run_jobs(late).await.unwrap();
    assert_eq!(
        (report.renewed, report.invoiced),
        (1, 1),
        "{}: the period from 28 Feb: {report:?}",
        t.label
    );
    let gone = at("2026-06-30T00:00:00Z");
    let (a, b) = tokio::join!(billing.jobs.run_jobs(gone), other.jobs.run_jobs(gone));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.unpaid + b.unpaid, 1, "{}: {a:?} {b:?}", t.label);
    assert_eq!(a.uncollectible + b.uncollectible, 1, "{}", t.label);
    let sub = billing.subscriptions.subscription(user).await.unwrap();
    assert_eq!(sub.status, SubscriptionStatus::Unpaid, "{}", t.label);
    let changes: Vec<String> =
        t.db.audit()
            .list(
                &AuditFilter {
                    action: Some(AuditAction::SubscriptionChanged),
                    target_id: Some(sub.id.to_string()),
                    ..AuditFilter::default()
                },
                PageRequest::default(),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .rev()
            .map(|e| e.details["change"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(
        changes,
        ["subscribed", "past_due", "reactivated", "renewed", "unpaid"],
        "{}",
        t.label
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_overdue_jobs_move_the_subscription_once() {
    overdue_jobs_move_the_subscription_once(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_overdue_jobs_move_the_subscription_once() {
    let Some(t) = postgres().await else { return };
    overdue_jobs_move_the_subscription_once(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_subscribes_make_one_subscription() {
    concurrent_subscribes_make_one_subscription(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_subscribes_make_one_subscription() {
    let Some(t) = postgres().await else { return };
    concurrent_subscribes_make_one_subscription(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_renewals_renew_once() {
    concurrent_renewals_renew_once(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_renewals_renew_once() {
    let Some(t) = postgres().await else { return };
    concurrent_renewals_renew_once(t).await;
}

/// The user's subscription rows, straight from the table.
async fn subscription_rows(db: &plinth_store::Database, user: UserId) -> usize {
    use plinth_store::entities::subscriptions;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user.as_uuid()))
        .all(db.connection())
        .await
        .unwrap()
        .len()
}

/// Settling invoices on one replica while another renews the same subscriptions: every void
/// and every renewal succeeds. (Both take the subscription's row lock before the audit
/// chain's lock, which rules out a deadlock; the reverse order did not deadlock in a few runs
/// of this test either, so it guards the outcome, not the order.)
async fn settling_while_renewing_never_deadlocks(t: TestDb) {
    let clock = clock();
    let billing = service(&t, &clock);
    let replica = t.second_connection().await;
    let other = service_on(&replica, &clock);
    let basic = plan(&billing, 900).await;
    let mut firsts = Vec::new();
    for _ in 0..6 {
        let user = create_user(&t.db).await;
        billing
            .subscriptions
            .subscribe(user, basic.id, &RequestMeta::default())
            .await
            .unwrap();
        firsts.push(invoices_of(&billing, user).await[0].id);
    }
    // Period ended 28 Feb, first invoices due 2 Mar: renewals due, nothing overdue.
    let at = at("2026-03-01T00:00:00Z");
    clock.set(at);
    let voids = futures::future::join_all(firsts.iter().map(|id| {
        let billing = billing.clone();
        let id = *id;
        async move {
            billing
                .invoices
                .void_invoice(&billing_admin(UserId::new()), id, &RequestMeta::default())
                .await
        }
    }));
    let (voids, jobs) = tokio::join!(voids, other.jobs.run_jobs(at));
    for v in voids {
        v.unwrap_or_else(|e| panic!("{}: void failed: {e:?}", t.label));
    }
    let jobs = jobs.unwrap();
    assert_eq!(
        (jobs.renewed, jobs.renewals_failed),
        (6, 0),
        "{}: {jobs:?}",
        t.label
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_settling_while_renewing_never_deadlocks() {
    settling_while_renewing_never_deadlocks(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_settling_while_renewing_never_deadlocks() {
    let Some(t) = postgres().await else { return };
    settling_while_renewing_never_deadlocks(t).await;
}

/// The `(amount, invoiced_at)` of every pending item of `user`, straight from the table.
async fn pending_rows(
    db: &plinth_store::Database,
    user: UserId,
) -> Vec<(i64, Option<plinth_kernel::Timestamp>)> {
    use plinth_store::entities::billing_pending_items as items;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    items::Entity::find()
        .filter(items::Column::UserId.eq(user.as_uuid()))
        .all(db.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.amount, r.invoiced_at))
        .collect()
}

/// An upgrade's proration (pending until the next invoice) is invoiced when a subscription
/// cancelled at period end ends, once, even with two replicas ending it at once, and in the
/// year it ends (the period crosses the new year).
async fn ending_invoices_the_pending_proration_once(t: TestDb) {
    let clock = ManualClock::new(at("2026-12-15T12:00:00Z"));
    let billing = service(&t, &clock);
    let replica = t.second_connection().await;
    let other = service_on(&replica, &clock);
    let basic = plan(&billing, 100).await;
    let pro = plan(&billing, 100_000).await;
    let user = create_user(&t.db).await;
    let meta = RequestMeta::default();
    billing
        .subscriptions
        .subscribe(user, basic.id, &meta)
        .await
        .unwrap();
    billing
        .subscriptions
        .subscribe(user, pro.id, &meta)
        .await
        .unwrap();
    billing
        .subscriptions
        .cancel_subscription(user, &meta)
        .await
        .unwrap();
    assert_eq!(
        pending_rows(&t.db, user).await,
        [(99_900, None)],
        "{}",
        t.label
    );

    let end = at("2027-01-15T12:00:00Z");
    let (a, b) = tokio::join!(billing.jobs.run_jobs(end), other.jobs.run_jobs(end));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.canceled + b.canceled, 1, "{}: {a:?} {b:?}", t.label);
    assert_eq!(a.invoiced + b.invoiced, 1, "{}: {a:?} {b:?}", t.label);
    assert!(
        billing.subscriptions.subscription(user).await.is_err(),
        "{}: ended",
        t.label
    );
    let invoices = invoices_of(&billing, user).await; // newest first
    assert_eq!(invoices.len(), 2, "{}", t.label);
    let last = &invoices[0];
    assert_eq!(
        last.invoice.number().unwrap().to_string(),
        "INV-2027-000001",
        "{}",
        t.label
    );
    assert_eq!(last.invoice.totals().total, 99_900, "{}", t.label);
    assert_eq!(last.status(), InvoiceStatus::Open, "{}", t.label);
    assert_eq!(last.invoice.lines().len(), 1, "{}: no period line", t.label);
    assert_eq!(
        pending_rows(&t.db, user).await,
        [(99_900, Some(end))],
        "{}",
        t.label
    );

    // Later runs end and invoice nothing more.
    let later = billing
        .jobs
        .run_jobs(at("2027-02-15T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        (later.canceled, later.invoiced),
        (0, 0),
        "{}: {later:?}",
        t.label
    );
    assert_eq!(invoices_of(&billing, user).await.len(), 2, "{}", t.label);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_ending_invoices_the_pending_proration_once() {
    ending_invoices_the_pending_proration_once(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_ending_invoices_the_pending_proration_once() {
    let Some(t) = postgres().await else { return };
    ending_invoices_the_pending_proration_once(t).await;
}

/// Two administrators changing different fields of one plan at once, on two replicas: both
/// changes stay (the plan is read under its row lock in the transaction that writes it), and
/// the price change records versions 1 and 2.
async fn concurrent_plan_edits_both_stay(t: TestDb) {
    let clock = clock();
    let billing = service(&t, &clock);
    let replica = t.second_connection().await;
    let other = service_on(&replica, &clock);
    let meta = RequestMeta::default();
    let eur = Currency::parse("EUR").unwrap();
    for _ in 0..6 {
        let p = plan(&billing, 900).await;
        let rename = PlanChanges {
            name: Some("Renamed".into()),
            ..PlanChanges::default()
        };
        let reprice = PlanChanges {
            price: Some(Money::new(1_500, eur)),
            ..PlanChanges::default()
        };
        let admin = billing_admin(UserId::new());
        let (a, b) = tokio::join!(
            billing.plans.update_plan(&admin, p.id, rename, &meta),
            other.plans.update_plan(&admin, p.id, reprice, &meta),
        );
        a.unwrap();
        b.unwrap();
        let stored = t.db.billing().plan(p.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.name.as_str(), stored.price.amount),
            ("Renamed", 1_500),
            "{}: both changes are kept",
            t.label
        );
        let uow = t.db.unit_of_work();
        let mut tx = uow.begin().await.unwrap();
        let versions =
            t.db.subscriptions()
                .plan_prices(tx.as_mut(), p.id)
                .await
                .unwrap();
        drop(tx);
        let amounts: Vec<i64> = versions.iter().map(|v| v.price.amount).collect();
        assert_eq!(amounts, [900, 1_500], "{}", t.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_plan_edits_both_stay() {
    concurrent_plan_edits_both_stay(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_plan_edits_both_stay() {
    let Some(t) = postgres().await else { return };
    concurrent_plan_edits_both_stay(t).await;
}
