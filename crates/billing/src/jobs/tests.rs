//! The billing cycle with the real [`SubscriptionInvoicer`] over the in-memory adapters:
//! periods become finalised invoices, overdue invoices move the subscription (the jobs),
//! payments bring it back, and Stripe's subscription events set its status.

use crate::testing::billing_admin;
use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditEvent, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Clock, Currency, Money, PageRequest, RequestMeta, UnitOfWork, UserId};

use super::*;
use crate::payment::{EventOutcome, GatewaySetup, PaymentService, WebhookSetup};
use crate::subscription::SubscriptionInvoicer;
use crate::testing::{
    FakeWebhookVerifier, MemoryBillingRepository, MemoryCustomerDirectory, MemoryInvoiceRepository,
    MemoryPaymentEventInbox, MemorySubscriptionRepository, TextInvoiceRenderer,
};
use crate::{
    FeatureValue, Interval, InvoiceId, InvoiceRecord, InvoiceStatus, NewInvoice, NewInvoiceLine,
    Plan, PlanService,
};

struct Cycle {
    plans: PlanService,
    subscriptions: SubscriptionService,
    invoicing: InvoiceService,
    payments: PaymentService,
    jobs: BillingJobs,
    subs: MemorySubscriptionRepository,
    audit: MemoryAuditLog,
    clock: ManualClock,
    customers: MemoryCustomerDirectory,
}

fn at(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn cycle() -> Cycle {
    let invoices = MemoryInvoiceRepository::new();
    let subs = MemorySubscriptionRepository::new().with_invoices(invoices.clone());
    let audit = MemoryAuditLog::new();
    let customers = MemoryCustomerDirectory::new();
    let clock = ManualClock::new(at("2026-04-01T00:00:00Z"));
    let invoicer = SubscriptionInvoicer::new(
        Arc::new(invoices.clone()),
        Arc::new(customers.clone()),
        Arc::new(subs.clone()),
        Arc::new(audit.clone()),
    );
    let plan_rows = Arc::new(MemoryBillingRepository::new());
    let uow: Arc<dyn UnitOfWork> = Arc::new(MemoryUnitOfWork::new());
    let audit_log: Arc<dyn AuditLog> = Arc::new(audit.clone());
    let now: Arc<dyn Clock> = Arc::new(clock.clone());
    let plans = PlanService::new(
        plan_rows.clone(),
        Arc::new(subs.clone()),
        Arc::clone(&audit_log),
        Arc::clone(&uow),
        Arc::clone(&now),
    );
    let subscriptions = SubscriptionService::new(
        plan_rows,
        Arc::new(subs.clone()),
        Arc::new(invoicer),
        Arc::new(customers.clone()),
        Arc::clone(&audit_log),
        Arc::clone(&uow),
        Arc::clone(&now),
        BTreeMap::from([("storage_bytes".to_owned(), FeatureValue::Limit(1_000))]),
    );
    let invoicing = InvoiceService::new(
        Arc::new(invoices),
        Arc::new(customers.clone()),
        Arc::new(TextInvoiceRenderer),
        subscriptions.clone(),
        Arc::clone(&audit_log),
        Arc::clone(&uow),
        Arc::clone(&now),
    );
    let payments = PaymentService::new(
        invoicing.clone(),
        subscriptions.clone(),
        Arc::new(MemoryPaymentEventInbox::new()),
        GatewaySetup::NotConfigured,
        WebhookSetup::Configured(Arc::new(FakeWebhookVerifier)),
        audit_log,
        uow,
        now,
    );
    let jobs = BillingJobs::new(invoicing.clone(), subscriptions.clone());
    Cycle {
        plans,
        subscriptions,
        invoicing,
        payments,
        jobs,
        subs,
        audit,
        clock,
        customers,
    }
}

impl Cycle {
    async fn plan(&self, code: &str, amount: i64, trial_days: u32) -> Plan {
        self.plans
            .create_plan(
                &billing_admin(UserId::new()),
                crate::NewPlan {
                    code: code.into(),
                    name: code.to_uppercase(),
                    active: true,
                    price: Money::new(amount, Currency::parse("USD").unwrap()),
                    interval: Interval::Month,
                    trial_days,
                    features: BTreeMap::from([(
                        "storage_bytes".to_owned(),
                        FeatureValue::Limit(amount * 10),
                    )]),
                },
                &RequestMeta::default(),
            )
            .await
            .unwrap()
    }

    fn customer(&self) -> UserId {
        let user = UserId::new();
        self.customers
            .insert(user, "ada@example.com", "Ada Lovelace");
        user
    }

    async fn subscribe(&self, user: UserId, plan: &Plan) {
        self.subscriptions
            .subscribe(user, plan.id, &RequestMeta::default())
            .await
            .unwrap();
    }

    /// The customer's invoices, oldest first.
    async fn invoices(&self, user: UserId) -> Vec<InvoiceRecord> {
        let mut page = self
            .invoicing
            .customer_invoices(user, PageRequest::default())
            .await
            .unwrap()
            .items;
        page.reverse();
        page
    }

    /// An admin's invoice of 14 900 USD for `user`, finalised now, due in `due_in_days`.
    async fn open_invoice(&self, user: UserId, due_in_days: u32) -> InvoiceId {
        let meta = RequestMeta::default();
        let admin = UserId::new();
        let draft = self
            .invoicing
            .create_invoice(
                &billing_admin(admin),
                NewInvoice {
                    user_id: user,
                    currency: Currency::parse("USD").unwrap(),
                    lines: vec![NewInvoiceLine {
                        description: "Pro plan".into(),
                        quantity: 1,
                        unit_amount: 14_900,
                    }],
                    discount_bps: 0,
                    tax_rate_bps: 0,
                    due_in_days,
                },
                &meta,
            )
            .await
            .unwrap();
        self.invoicing
            .finalize_invoice(&billing_admin(admin), draft.id, &meta)
            .await
            .unwrap()
            .id
    }

    async fn status(&self, user: UserId) -> SubscriptionStatus {
        self.subscriptions.subscription(user).await.unwrap().status
    }

    async fn audit(&self, action: AuditAction) -> Vec<AuditEvent> {
        let filter = AuditFilter {
            action: Some(action),
            ..AuditFilter::default()
        };
        self.audit
            .list(&filter, PageRequest::default())
            .await
            .unwrap()
            .items
    }

    async fn changes(&self) -> Vec<String> {
        let mut changes: Vec<String> = self
            .audit(AuditAction::SubscriptionChanged)
            .await
            .into_iter()
            .map(|e| e.details["change"].as_str().unwrap().to_owned())
            .collect();
        changes.reverse();
        changes
    }
}

#[tokio::test]
async fn subscribing_issues_the_first_periods_invoice_finalised_numbered_and_audited() {
    let f = cycle();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await;
    let invoices = f.invoices(user).await;
    assert_eq!(invoices.len(), 1);
    let inv = &invoices[0];
    assert_eq!(inv.status(), InvoiceStatus::Open);
    assert_eq!(inv.invoice.number().unwrap().to_string(), "INV-2026-000001");
    assert_eq!(inv.invoice.totals().total, 1_000);
    assert_eq!(
        inv.invoice.lines()[0].description,
        "BASIC, 2026-04-01 – 2026-05-01"
    );
    assert_eq!(inv.customer.as_ref().unwrap().email, "ada@example.com");
    assert_eq!(inv.issued_at, Some(at("2026-04-01T00:00:00Z")));
    assert_eq!(inv.due_at, Some(at("2026-05-01T00:00:00Z")), "30 days");
    let finalized = f.audit(AuditAction::InvoiceFinalized).await;
    assert_eq!(finalized.len(), 1);
    assert_eq!(
        finalized[0].target_id.as_deref(),
        Some(&*inv.id.to_string())
    );
    assert_eq!(finalized[0].details["reason"], "subscribed");
    assert_eq!(finalized[0].details["total"], 1_000);
}

#[tokio::test]
async fn a_renewal_invoices_the_period_with_the_upgrade_proration_once() {
    let f = cycle();
    let basic = f.plan("basic", 1_000, 0).await;
    let pro = f.plan("pro", 3_001, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await;
    f.clock.set(at("2026-04-11T00:00:00Z"));
    f.subscribe(user, &pro).await; // 2 001 × 20/30 = 1 334 for the next invoice
    assert_eq!(
        f.invoices(user).await.len(),
        1,
        "an upgrade invoices nothing now"
    );

    let report = f.jobs.run_jobs(at("2026-05-01T00:00:00Z")).await.unwrap();
    assert_eq!((report.renewed, report.invoiced), (1, 1), "{report:?}");
    let invoices = f.invoices(user).await;
    assert_eq!(invoices.len(), 2);
    let renewal = &invoices[1];
    assert_eq!(
        renewal.invoice.number().unwrap().to_string(),
        "INV-2026-000002"
    );
    let lines: Vec<(&str, i64)> = renewal
        .invoice
        .lines()
        .iter()
        .map(|l| (l.description.as_str(), l.amount))
        .collect();
    assert_eq!(
        lines,
        [
            ("PRO, 2026-05-01 – 2026-06-01", 3_001),
            ("Upgrade to PRO until 2026-05-01, prorated", 1_334),
        ]
    );
    assert_eq!(renewal.invoice.totals().total, 4_335);
    assert_eq!(renewal.issued_at, Some(at("2026-05-01T00:00:00Z")));
    assert!(f.subs.items_of(user)[0].invoiced_at.is_some());

    let again = f.jobs.run_jobs(at("2026-05-01T00:00:00Z")).await.unwrap();
    assert_eq!(again, JobReport::default(), "a second run adds nothing");
    assert_eq!(f.invoices(user).await.len(), 2);
    assert_eq!(f.audit(AuditAction::InvoiceFinalized).await.len(), 2);
}

#[tokio::test]
async fn a_trial_is_invoiced_when_it_ends_and_a_free_plan_never() {
    let f = cycle();
    let pro = f.plan("pro", 3_000, 14).await;
    let free = f.plan("free", 0, 0).await;
    let (trial, gratis) = (f.customer(), f.customer());
    f.subscribe(trial, &pro).await;
    f.subscribe(gratis, &free).await;
    assert!(f.invoices(trial).await.is_empty());
    let report = f.jobs.run_jobs(at("2026-04-20T00:00:00Z")).await.unwrap();
    assert_eq!((report.renewed, report.invoiced), (1, 1), "{report:?}");
    let invoices = f.invoices(trial).await;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].invoice.totals().total, 3_000);
    assert_eq!(
        invoices[0].invoice.lines()[0].description,
        "PRO, 2026-04-15 – 2026-05-15"
    );
    let report = f.jobs.run_jobs(at("2026-05-01T00:00:00Z")).await.unwrap();
    assert_eq!((report.renewed, report.invoiced), (1, 0), "{report:?}");
    assert!(f.invoices(gratis).await.is_empty(), "nothing to bill");
    assert_eq!(f.status(gratis).await, SubscriptionStatus::Active);
}

#[tokio::test]
async fn an_overdue_invoice_makes_it_past_due_and_paying_brings_it_back() {
    let f = cycle();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await;
    let first = f.invoices(user).await[0].id;

    // Due 2026-05-01 00:00: overdue a second later. Overdue subscriptions are not renewed.
    let late = at("2026-05-01T00:00:01Z");
    let report = f.jobs.run_jobs(late).await.unwrap();
    assert_eq!((report.past_due, report.renewed), (1, 0), "{report:?}");
    assert_eq!(f.status(user).await, SubscriptionStatus::PastDue);
    assert_eq!(
        f.subscriptions.storage_limit(user).await.unwrap(),
        Some(10_000),
        "past_due keeps the plan's features during the grace"
    );
    assert_eq!(f.jobs.run_jobs(late).await.unwrap(), JobReport::default());

    f.clock.set(at("2026-05-03T00:00:00Z"));
    f.invoicing
        .mark_invoice_paid(
            &billing_admin(UserId::new()),
            first,
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    assert_eq!(f.status(user).await, SubscriptionStatus::Active);
    let reactivated = f.audit(AuditAction::SubscriptionChanged).await.remove(0);
    assert_eq!(reactivated.details["change"], "reactivated");
    assert_eq!(reactivated.details["from_status"], "past_due");
    assert_eq!(reactivated.details["invoice_id"], first.to_string());

    // Now renewed, catching up the period it missed.
    let report = f.jobs.run_jobs(at("2026-05-03T00:00:00Z")).await.unwrap();
    assert_eq!((report.renewed, report.invoiced), (1, 1), "{report:?}");
    assert_eq!(
        f.changes().await,
        ["subscribed", "past_due", "reactivated", "renewed"]
    );
}

#[tokio::test]
async fn paying_one_of_two_overdue_invoices_keeps_it_past_due() {
    let mut f = cycle();
    f.jobs = f.jobs.with_uncollectible_after(chrono::Duration::days(90));
    let basic = f.plan("basic", 1_000, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await;
    // Renewed on time (first invoice not overdue yet), then both invoices go overdue.
    f.jobs.run_jobs(at("2026-05-01T00:00:00Z")).await.unwrap();
    let ids: Vec<_> = f.invoices(user).await.iter().map(|i| i.id).collect();
    assert_eq!(ids.len(), 2);
    let late = at("2026-05-31T00:00:01Z");
    let report = f.jobs.run_jobs(late).await.unwrap();
    assert_eq!((report.past_due, report.renewed), (1, 0), "{report:?}");
    f.clock.set(late);
    f.invoicing
        .mark_invoice_paid(
            &billing_admin(UserId::new()),
            ids[0],
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    assert_eq!(f.status(user).await, SubscriptionStatus::PastDue);
    f.invoicing
        .void_invoice(
            &billing_admin(UserId::new()),
            ids[1],
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    assert_eq!(f.status(user).await, SubscriptionStatus::Active);
}

#[tokio::test]
async fn a_written_off_invoice_makes_it_unpaid_until_a_cancellation_ends_it() {
    let f = cycle();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await;
    // Past due on 2026-05-01, written off 30 days later.
    f.jobs.run_jobs(at("2026-05-02T00:00:00Z")).await.unwrap();
    let report = f.jobs.run_jobs(at("2026-06-01T00:00:00Z")).await.unwrap();
    assert_eq!((report.uncollectible, report.unpaid), (1, 1), "{report:?}");
    assert_eq!(f.status(user).await, SubscriptionStatus::Unpaid);
    assert_eq!(
        f.subscriptions.storage_limit(user).await.unwrap(),
        Some(1_000),
        "unpaid falls back to the defaults"
    );
    assert_eq!(
        f.jobs.run_jobs(at("2026-06-01T00:00:00Z")).await.unwrap(),
        JobReport::default()
    );
    assert_eq!(f.invoices(user).await.len(), 1, "unpaid is not renewed");

    // A cancellation ends it at the (long past) period end, and the user may start again.
    f.subscriptions
        .cancel_subscription(user, &RequestMeta::default())
        .await
        .unwrap();
    let report = f.jobs.run_jobs(at("2026-06-01T00:00:00Z")).await.unwrap();
    assert_eq!(report.canceled, 1);
    assert!(f.subscriptions.subscription(user).await.is_err());
    f.subscribe(user, &basic).await;
    assert_eq!(
        f.changes().await,
        [
            "subscribed",
            "past_due",
            "unpaid",
            "cancel_scheduled",
            "canceled",
            "subscribed"
        ]
    );
}

#[tokio::test]
async fn jobs_make_invoices_uncollectible_only_after_the_grace_and_once() {
    let f = cycle();
    let user = f.customer();
    let jobs = f
        .jobs
        .clone()
        .with_uncollectible_after(chrono::Duration::days(10));
    let late = f.open_invoice(user, 1).await;
    let recent = f.open_invoice(user, 5).await;
    f.clock.advance(chrono::Duration::days(12));
    // late: due 11 days ago (> 10); recent: due 7 days ago.
    let report = jobs.run_jobs(f.clock.now()).await.unwrap();
    assert_eq!(report.uncollectible, 1);
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), late)
            .await
            .unwrap()
            .status(),
        InvoiceStatus::Uncollectible
    );
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), recent)
            .await
            .unwrap()
            .status(),
        InvoiceStatus::Open
    );
    assert_eq!(jobs.run_jobs(f.clock.now()).await.unwrap().uncollectible, 0);
    assert_eq!(f.audit(AuditAction::InvoiceUncollectible).await.len(), 1);
    // The default grace is 30 days.
    f.clock.advance(chrono::Duration::days(20));
    assert_eq!(
        f.jobs.run_jobs(f.clock.now()).await.unwrap().uncollectible,
        0
    );
    f.clock.advance(chrono::Duration::days(4));
    assert_eq!(
        f.jobs.run_jobs(f.clock.now()).await.unwrap().uncollectible,
        1
    );
}

fn subscription_event(id: &str, kind: &str, sub: &str, status: &str) -> Vec<u8> {
    serde_json::json!({
        "id": id, "type": kind,
        "data": { "object": { "id": "sub_1", "status": status,
            "metadata": { "plinth_subscription_id": sub } } }
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn stripe_subscription_events_set_the_status_once() {
    let f = cycle();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await;
    let sub = f
        .subscriptions
        .subscription(user)
        .await
        .unwrap()
        .id
        .to_string();
    let receive = |body: Vec<u8>| {
        let service = f.payments.clone();
        async move {
            service
                .receive_stripe_event(
                    Some(FakeWebhookVerifier::VALID),
                    &body,
                    &RequestMeta::default(),
                )
                .await
                .unwrap()
        }
    };
    let updated = "customer.subscription.updated";
    let past_due = subscription_event("evt_1", updated, &sub, "past_due");
    assert_eq!(receive(past_due.clone()).await, EventOutcome::Applied);
    assert_eq!(f.status(user).await, SubscriptionStatus::PastDue);
    assert_eq!(receive(past_due).await, EventOutcome::Duplicate);
    let again = subscription_event("evt_2", updated, &sub, "past_due");
    assert_eq!(receive(again).await, EventOutcome::AlreadySettled);
    let odd = subscription_event("evt_3", updated, &sub, "incomplete");
    assert_eq!(receive(odd).await, EventOutcome::Ignored);
    let stranger = subscription_event("evt_4", updated, &UserId::new().to_string(), "active");
    assert_eq!(receive(stranger).await, EventOutcome::Ignored);
    assert_eq!(f.status(user).await, SubscriptionStatus::PastDue);
    let active = subscription_event("evt_5", updated, &sub, "active");
    assert_eq!(receive(active).await, EventOutcome::Applied);
    assert_eq!(f.status(user).await, SubscriptionStatus::Active);

    let deleted = subscription_event("evt_6", "customer.subscription.deleted", &sub, "canceled");
    assert_eq!(receive(deleted).await, EventOutcome::Applied);
    assert!(
        f.subscriptions.subscription(user).await.is_err(),
        "no live subscription"
    );
    let ended = f.subs.all_of(user).remove(0);
    assert_eq!(ended.status, SubscriptionStatus::Canceled);
    assert_eq!(ended.canceled_at, Some(at("2026-04-01T00:00:00Z")));
    let revive = subscription_event("evt_7", updated, &sub, "active");
    assert_eq!(receive(revive).await, EventOutcome::AlreadySettled);
    assert!(
        f.subscriptions.subscription(user).await.is_err(),
        "ended stays ended"
    );

    let synced = f.audit(AuditAction::SubscriptionChanged).await;
    let synced: Vec<&AuditEvent> = synced
        .iter()
        .filter(|e| e.details["change"] == "stripe_synced")
        .collect();
    assert_eq!(synced.len(), 3);
    assert_eq!(synced[0].details["status"], "canceled");
    assert_eq!(synced[0].details["stripe_event_id"], "evt_6");
    assert_eq!(synced[0].actor_id, None);
    let received = f.audit(AuditAction::WebhookReceived).await;
    assert_eq!(received.len(), 7, "every delivery but the duplicate");
    assert_eq!(received[0].details["subscription_id"], sub);
}

/// The `(description, amount)` of each line of `invoice`.
fn lines_of(invoice: &InvoiceRecord) -> Vec<(String, i64)> {
    invoice
        .invoice
        .lines()
        .iter()
        .map(|l| (l.description.clone(), l.amount))
        .collect()
}

#[tokio::test]
async fn upgrade_then_cancel_invoices_the_proration_when_it_ends_across_the_new_year() {
    let f = cycle();
    f.clock.set(at("2026-12-15T10:00:00Z"));
    let basic = f.plan("basic", 100, 0).await;
    let pro = f.plan("pro", 100_000, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await; // 2026-12-15 – 2027-01-15, INV-2026-000001
    f.subscribe(user, &pro).await; // the whole period's difference: 99 900 pending
    f.subscriptions
        .cancel_subscription(user, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(f.invoices(user).await.len(), 1);

    let end = at("2027-01-15T10:00:00Z");
    let report = f.jobs.run_jobs(end).await.unwrap();
    assert_eq!((report.canceled, report.invoiced), (1, 1), "{report:?}");
    assert!(f.subscriptions.subscription(user).await.is_err(), "ended");
    let invoices = f.invoices(user).await;
    assert_eq!(invoices.len(), 2);
    let last = &invoices[1];
    assert_eq!(
        last.invoice.number().unwrap().to_string(),
        "INV-2027-000001",
        "numbered in the year it ended"
    );
    assert_eq!(
        lines_of(last),
        [(
            "Upgrade to PRO until 2027-01-15, prorated".to_owned(),
            99_900
        )],
        "no period line: no period follows"
    );
    assert_eq!(last.status(), InvoiceStatus::Open);
    assert_eq!(last.issued_at, Some(end));
    let items = f.subs.items_of(user);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].invoiced_at, Some(end));
    let finalized = f.audit(AuditAction::InvoiceFinalized).await;
    assert_eq!(finalized[0].details["reason"], "ended");

    // Exactly once: later runs find nothing to end or invoice.
    let again = f.jobs.run_jobs(end).await.unwrap();
    assert_eq!((again.canceled, again.invoiced), (0, 0), "{again:?}");
    let later = f.jobs.run_jobs(at("2027-03-01T00:00:00Z")).await.unwrap();
    assert_eq!((later.canceled, later.invoiced), (0, 0), "{later:?}");
    assert_eq!(f.invoices(user).await.len(), 2);
}

#[tokio::test]
async fn a_stripe_deletion_ends_it_at_once_and_invoices_the_proration_once() {
    let f = cycle();
    f.clock.set(at("2028-02-10T00:00:00Z"));
    let basic = f.plan("basic", 1_000, 0).await;
    let pro = f.plan("pro", 3_900, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await; // 2028-02-10 – 2028-03-10 (29 days, a leap year)
    f.clock.set(at("2028-02-29T00:00:00Z"));
    f.subscribe(user, &pro).await;
    let pending = f.subs.items_of(user)[0].amount.amount;
    assert!(pending > 0, "{pending}");
    let sub = f
        .subscriptions
        .subscription(user)
        .await
        .unwrap()
        .id
        .to_string();
    let receive = |body: Vec<u8>| {
        let service = f.payments.clone();
        async move {
            service
                .receive_stripe_event(
                    Some(FakeWebhookVerifier::VALID),
                    &body,
                    &RequestMeta::default(),
                )
                .await
                .unwrap()
        }
    };
    let deleted = "customer.subscription.deleted";
    let first = subscription_event("evt_del_1", deleted, &sub, "canceled");
    assert_eq!(receive(first).await, EventOutcome::Applied);
    let invoices = f.invoices(user).await;
    assert_eq!(invoices.len(), 2);
    assert_eq!(
        lines_of(&invoices[1]),
        [(
            "Upgrade to PRO until 2028-03-10, prorated".to_owned(),
            pending
        )]
    );
    assert_eq!(invoices[1].issued_at, Some(at("2028-02-29T00:00:00Z")));
    assert!(f.subs.items_of(user)[0].invoiced_at.is_some());

    // Another deletion, and the renewal job past the period end: nothing more.
    let second = subscription_event("evt_del_2", deleted, &sub, "canceled");
    assert_eq!(receive(second).await, EventOutcome::AlreadySettled);
    let report = f.jobs.run_jobs(at("2028-03-10T00:00:00Z")).await.unwrap();
    assert_eq!((report.canceled, report.invoiced), (0, 0), "{report:?}");
    assert_eq!(f.invoices(user).await.len(), 2);
}

#[tokio::test]
async fn a_written_off_subscription_that_is_cancelled_invoices_its_proration_when_it_ends() {
    let f = cycle();
    let basic = f.plan("basic", 1_000, 0).await;
    let pro = f.plan("pro", 3_000, 0).await;
    let user = f.customer();
    f.subscribe(user, &basic).await; // 2026-04-01 – 2026-05-01
    f.subscribe(user, &pro).await; // the whole period's difference: 2 000 pending
    // Past due, then written off: `unpaid` does not end it, the item waits.
    f.jobs.run_jobs(at("2026-05-02T00:00:00Z")).await.unwrap();
    f.jobs.run_jobs(at("2026-06-01T00:00:00Z")).await.unwrap();
    assert_eq!(f.status(user).await, SubscriptionStatus::Unpaid);
    assert_eq!(f.subs.items_of(user)[0].invoiced_at, None);
    f.subscriptions
        .cancel_subscription(user, &RequestMeta::default())
        .await
        .unwrap();
    let report = f.jobs.run_jobs(at("2026-06-01T00:00:00Z")).await.unwrap();
    assert_eq!((report.canceled, report.invoiced), (1, 1), "{report:?}");
    let invoices = f.invoices(user).await;
    assert_eq!(invoices.len(), 2);
    assert_eq!(
        lines_of(&invoices[1]),
        [(
            "Upgrade to PRO until 2026-05-01, prorated".to_owned(),
            2_000
        )]
    );
    assert!(f.subs.items_of(user)[0].invoiced_at.is_some());
}
