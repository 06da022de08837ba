//! Subscription use cases with the in-memory adapters and a recording invoicer.

use crate::testing::billing_admin;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use plinth_audit::testing::{FailingAuditLog, MemoryAuditLog};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{
    Currency, Money, PageRequest, RepoError, RequestMeta, Timestamp, Transaction, UnitOfWork,
    UserId,
};

use super::*;
use crate::subscription::{
    BillingPeriod, InvoiceOutcome, PeriodInvoicer, PeriodReason, PlanPriceRepository as _,
    Subscription, SubscriptionError, SubscriptionStatus,
};
use crate::testing::{MemoryBillingRepository, MemorySubscriptionRepository};
use crate::{FeatureValue, Interval, PlanService};

/// Records every period it is given and says it invoiced them.
#[derive(Clone, Default)]
struct RecordingInvoicer(Arc<Mutex<Vec<BillingPeriod>>>);

#[async_trait::async_trait]
impl PeriodInvoicer for RecordingInvoicer {
    async fn invoice_period(
        &self,
        _tx: &mut dyn Transaction,
        period: &BillingPeriod,
    ) -> Result<InvoiceOutcome, RepoError> {
        self.0.lock().unwrap().push(period.clone());
        Ok(InvoiceOutcome::Invoiced)
    }
}

struct Fixture {
    service: SubscriptionService,
    plan_service: PlanService,
    plans: MemoryBillingRepository,
    subs: MemorySubscriptionRepository,
    audit: MemoryAuditLog,
    clock: ManualClock,
    invoiced: RecordingInvoicer,
    customers: crate::testing::MemoryCustomerDirectory,
    uow: Arc<dyn UnitOfWork>,
}

fn at(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn fixture_with(audit: Arc<dyn AuditLog>, memory_audit: MemoryAuditLog) -> Fixture {
    let plans = MemoryBillingRepository::new();
    let subs = MemorySubscriptionRepository::new();
    let clock = ManualClock::new(at("2026-04-01T00:00:00Z"));
    let invoiced = RecordingInvoicer::default();
    let customers = crate::testing::MemoryCustomerDirectory::new();
    let uow: Arc<dyn UnitOfWork> = Arc::new(MemoryUnitOfWork::new());
    let service = SubscriptionService::new(
        Arc::new(plans.clone()),
        Arc::new(subs.clone()),
        Arc::new(invoiced.clone()),
        Arc::new(customers.clone()),
        Arc::clone(&audit),
        Arc::clone(&uow),
        Arc::new(clock.clone()),
        BTreeMap::from([("storage_bytes".to_owned(), FeatureValue::Limit(1_000))]),
    );
    let plan_service = PlanService::new(
        Arc::new(plans.clone()),
        Arc::new(subs.clone()),
        audit,
        Arc::clone(&uow),
        Arc::new(clock.clone()),
    );
    Fixture {
        service,
        plan_service,
        plans,
        subs,
        audit: memory_audit,
        clock,
        invoiced,
        customers,
        uow,
    }
}

fn fixture() -> Fixture {
    let audit = MemoryAuditLog::new();
    fixture_with(Arc::new(audit.clone()), audit)
}

impl Fixture {
    async fn plan(&self, code: &str, amount: i64, trial_days: u32) -> Plan {
        self.plan_service
            .create_plan(
                &billing_admin(UserId::new()),
                crate::NewPlan {
                    code: code.into(),
                    name: code.to_uppercase(),
                    active: true,
                    price: Money::new(amount, Currency::parse("USD").unwrap()),
                    interval: Interval::Month,
                    trial_days,
                    features: BTreeMap::from([
                        ("api_access".to_owned(), FeatureValue::Flag(true)),
                        ("storage_bytes".to_owned(), FeatureValue::Limit(amount * 10)),
                    ]),
                },
                &RequestMeta::default(),
            )
            .await
            .unwrap()
    }

    async fn changes(&self) -> Vec<plinth_audit::AuditEvent> {
        let filter = AuditFilter {
            action: Some(AuditAction::SubscriptionChanged),
            ..AuditFilter::default()
        };
        self.audit
            .list(&filter, PageRequest::default())
            .await
            .unwrap()
            .items
    }

    fn periods(&self) -> Vec<BillingPeriod> {
        self.invoiced.0.lock().unwrap().clone()
    }

    async fn subscribe(&self, user: UserId, plan: &Plan) -> (Subscription, SubscribeOutcome) {
        self.service
            .subscribe(user, plan.id, &RequestMeta::default())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn subscribing_without_trial_starts_a_paid_month_invoiced_and_audited() {
    let f = fixture();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = UserId::new();
    let (sub, outcome) = f.subscribe(user, &basic).await;
    assert_eq!(outcome, SubscribeOutcome::Created);
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(sub.current_period_start, at("2026-04-01T00:00:00Z"));
    assert_eq!(sub.current_period_end, at("2026-05-01T00:00:00Z"));
    assert_eq!(sub.trial_end, None);
    assert_eq!(sub.price, basic.price);
    assert_eq!(f.service.subscription(user).await.unwrap(), sub);
    let periods = f.periods();
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].reason, PeriodReason::Subscribed);
    assert_eq!(periods[0].price.amount, 1_000);
    let changes = f.changes().await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].actor_id, Some(user.as_uuid()));
    assert_eq!(
        changes[0].target_id.as_deref(),
        Some(sub.id.to_string().as_str())
    );
    assert_eq!(changes[0].details["change"], "subscribed");
}

#[tokio::test]
async fn a_trial_comes_first_and_its_end_starts_the_first_paid_period() {
    let f = fixture();
    let pro = f.plan("pro", 3_000, 14).await;
    let user = UserId::new();
    let (sub, _) = f.subscribe(user, &pro).await;
    assert_eq!(sub.status, SubscriptionStatus::Trialing);
    assert_eq!(sub.trial_end, Some(at("2026-04-15T00:00:00Z")));
    assert_eq!(sub.current_period_end, at("2026-04-15T00:00:00Z"));
    assert!(f.periods().is_empty(), "a trial is not invoiced");

    let report = f
        .service
        .renew_due(at("2026-04-15T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(report.renewed, 1);
    let sub = f.service.subscription(user).await.unwrap();
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(sub.current_period_start, at("2026-04-15T00:00:00Z"));
    assert_eq!(sub.current_period_end, at("2026-05-15T00:00:00Z"));
    assert_eq!(f.periods()[0].reason, PeriodReason::Renewed);
}

#[tokio::test]
async fn unknown_or_inactive_plans_are_refused_and_nothing_is_stored() {
    let f = fixture();
    let mut retired = f.plan("retired", 500, 0).await;
    retired.active = false;
    let mut tx = f.uow.begin().await.unwrap();
    f.plans.update_plan(tx.as_mut(), &retired).await.unwrap();
    tx.commit().await.unwrap();
    let user = UserId::new();
    for id in [retired.id, PlanId::new()] {
        let err = f
            .service
            .subscribe(user, id, &RequestMeta::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, SubscriptionError::PlanUnavailable(_)),
            "{err:?}"
        );
    }
    assert!(f.subs.all_of(user).is_empty());
    assert!(f.changes().await.is_empty());
}

#[tokio::test]
async fn an_upgrade_applies_now_and_leaves_an_exact_prorated_charge() {
    let f = fixture();
    let basic = f.plan("basic", 1_000, 0).await;
    let pro = f.plan("pro", 3_001, 0).await;
    let user = UserId::new();
    f.subscribe(user, &basic).await;
    // 20 of April's 30 days left: 2 001 × 20 / 30 = 1 334.
    f.clock.set(at("2026-04-11T00:00:00Z"));
    let (sub, outcome) = f.subscribe(user, &pro).await;
    assert_eq!(outcome, SubscribeOutcome::Changed);
    assert_eq!(sub.plan_id, pro.id);
    assert_eq!(sub.price.amount, 3_001);
    assert_eq!(
        sub.current_period_end,
        at("2026-05-01T00:00:00Z"),
        "period unchanged"
    );
    let items = f.subs.items_of(user);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].amount.amount, 1_334);
    assert_eq!(items[0].invoiced_at, None);
    let change = f.changes().await.remove(0); // newest first
    assert_eq!(change.details["change"], "upgraded");
    assert_eq!(change.details["proration"], 1_334);

    // The next period's invoice carries it, and then it is no longer pending.
    f.service
        .renew_due(at("2026-05-01T00:00:00Z"))
        .await
        .unwrap();
    let renewal = f.periods().pop().unwrap();
    assert_eq!(renewal.price.amount, 3_001);
    assert_eq!(renewal.items.len(), 1);
    assert_eq!(renewal.items[0].amount.amount, 1_334);
    assert!(f.subs.items_of(user)[0].invoiced_at.is_some());
}

#[tokio::test]
async fn a_downgrade_waits_for_the_period_end() {
    let f = fixture();
    let basic = f.plan("basic", 1_000, 0).await;
    let pro = f.plan("pro", 3_000, 0).await;
    let user = UserId::new();
    f.subscribe(user, &pro).await;
    f.clock.set(at("2026-04-20T00:00:00Z"));
    let (sub, outcome) = f.subscribe(user, &basic).await;
    assert_eq!(outcome, SubscribeOutcome::Changed);
    assert_eq!(sub.plan_id, pro.id, "still on pro until the period ends");
    assert_eq!(sub.scheduled_plan_id, Some(basic.id));
    assert!(
        f.subs.items_of(user).is_empty(),
        "no credit for a downgrade"
    );
    assert_eq!(
        f.service.entitlements(user).await.unwrap()["storage_bytes"],
        FeatureValue::Limit(30_000)
    );

    f.service
        .renew_due(at("2026-05-01T00:00:00Z"))
        .await
        .unwrap();
    let sub = f.service.subscription(user).await.unwrap();
    assert_eq!(sub.plan_id, basic.id);
    assert_eq!(sub.price.amount, 1_000);
    assert_eq!(sub.scheduled_plan_id, None);
    assert_eq!(f.periods().pop().unwrap().price.amount, 1_000);
}

#[tokio::test]
async fn cancelling_ends_the_subscription_at_period_end_only() {
    let f = fixture();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = UserId::new();
    f.subscribe(user, &basic).await;
    let sub = f
        .service
        .cancel_subscription(user, &RequestMeta::default())
        .await
        .unwrap();
    assert!(sub.cancel_at_period_end);
    assert_eq!(sub.status, SubscriptionStatus::Active);
    let again = f
        .service
        .cancel_subscription(user, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(again, sub, "cancelling twice changes nothing");
    assert_eq!(f.changes().await.len(), 2, "subscribed + cancel_scheduled");

    f.service
        .renew_due(at("2026-04-30T23:59:59Z"))
        .await
        .unwrap();
    assert!(
        f.service.subscription(user).await.is_ok(),
        "not before the end"
    );
    let report = f
        .service
        .renew_due(at("2026-05-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(report.canceled, 1);
    assert!(matches!(
        f.service.subscription(user).await,
        Err(SubscriptionError::NotFound)
    ));
    assert_eq!(f.periods().len(), 1, "no invoice after the end");
    assert_eq!(
        f.service.entitlements(user).await.unwrap(),
        BTreeMap::from([("storage_bytes".to_owned(), FeatureValue::Limit(1_000))])
    );
    assert!(matches!(
        f.service
            .cancel_subscription(user, &RequestMeta::default())
            .await,
        Err(SubscriptionError::NotFound)
    ));
    // A new subscription is possible again.
    let (_, outcome) = f.subscribe(user, &basic).await;
    assert_eq!(outcome, SubscribeOutcome::Created);
}

#[tokio::test]
async fn renewing_twice_is_harmless_and_catches_up_missed_periods() {
    let f = fixture();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = UserId::new();
    f.subscribe(user, &basic).await;
    let now = at("2026-07-15T00:00:00Z");
    let first = f.service.renew_due(now).await.unwrap();
    assert_eq!(first.renewed, 3, "May, June and July");
    let second = f.service.renew_due(now).await.unwrap();
    assert_eq!(second, RenewalReport::default());
    let sub = f.service.subscription(user).await.unwrap();
    assert_eq!(sub.current_period_start, at("2026-07-01T00:00:00Z"));
    assert_eq!(sub.current_period_end, at("2026-08-01T00:00:00Z"));
    assert_eq!(f.periods().len(), 4);
}

#[tokio::test]
async fn a_new_plan_price_does_not_change_an_existing_subscription() {
    let f = fixture();
    let mut basic = f.plan("basic", 1_000, 0).await;
    let user = UserId::new();
    f.subscribe(user, &basic).await;
    basic.price.amount = 1_500;
    let mut tx = f.uow.begin().await.unwrap();
    f.plans.update_plan(tx.as_mut(), &basic).await.unwrap();
    tx.commit().await.unwrap();
    f.service
        .renew_due(at("2026-05-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        f.service.subscription(user).await.unwrap().price.amount,
        1_000
    );
    assert_eq!(f.periods().pop().unwrap().price.amount, 1_000);
    let newcomer = UserId::new();
    let (sub, _) = f.subscribe(newcomer, &basic).await;
    assert_eq!(sub.price.amount, 1_500);
}

#[tokio::test]
async fn entitlements_come_from_a_trialing_or_active_plan_over_the_defaults() {
    let f = fixture();
    let pro = f.plan("pro", 3_000, 7).await;
    let user = UserId::new();
    assert_eq!(
        f.service.entitlements(user).await.unwrap(),
        BTreeMap::from([("storage_bytes".to_owned(), FeatureValue::Limit(1_000))])
    );
    assert_eq!(f.service.storage_limit(user).await.unwrap(), Some(1_000));
    assert!(!f.service.has_feature(user, "api_access").await.unwrap());
    f.subscribe(user, &pro).await;
    assert_eq!(f.service.storage_limit(user).await.unwrap(), Some(30_000));
    assert!(f.service.has_feature(user, "api_access").await.unwrap());
}

#[tokio::test]
async fn a_failed_audit_keeps_nothing() {
    let f = fixture_with(Arc::new(FailingAuditLog::new()), MemoryAuditLog::new());
    // Plans cannot be created through the failing log: store one directly.
    let now = f.clock.now();
    let plan = Plan {
        id: PlanId::new(),
        code: "basic".into(),
        name: "Basic".into(),
        active: true,
        price: Money::new(1_000, Currency::parse("USD").unwrap()),
        interval: Interval::Month,
        trial_days: 0,
        features: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = f.uow.begin().await.unwrap();
    f.plans.insert_plan(tx.as_mut(), &plan).await.unwrap();
    tx.commit().await.unwrap();
    let user = UserId::new();
    let err = f
        .service
        .subscribe(user, plan.id, &RequestMeta::default())
        .await
        .unwrap_err();
    assert!(matches!(err, SubscriptionError::Repo(_)), "{err:?}");
    assert!(f.subs.all_of(user).is_empty());
}

#[tokio::test]
async fn editing_a_price_adds_a_price_version_and_spares_existing_subscriptions() {
    let f = fixture();
    let basic = f.plan("basic", 1_000, 0).await;
    let user = UserId::new();
    f.subscribe(user, &basic).await;
    let admin = UserId::new();
    let changed = f
        .plan_service
        .update_plan(
            &billing_admin(admin),
            basic.id,
            crate::PlanChanges {
                price: Some(Money::new(1_500, Currency::parse("USD").unwrap())),
                name: Some("  Basic 2027 ".into()),
                ..crate::PlanChanges::default()
            },
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    assert_eq!(changed.price.amount, 1_500);
    assert_eq!(changed.name, "Basic 2027");
    assert_eq!(changed.code, "basic", "unnamed fields are kept");
    let mut tx = f.uow.begin().await.unwrap();
    let versions = f.subs.plan_prices(tx.as_mut(), basic.id).await.unwrap();
    drop(tx);
    let amounts: Vec<(u32, i64)> = versions
        .iter()
        .map(|v| (v.version, v.price.amount))
        .collect();
    assert_eq!(amounts, vec![(1, 1_000), (2, 1_500)]);
    assert_eq!(
        f.service.subscription(user).await.unwrap().price.amount,
        1_000
    );
    let (newcomer, _) = f.subscribe(UserId::new(), &changed).await;
    assert_eq!(newcomer.price.amount, 1_500);

    // A change without a new price adds no version; bad input changes nothing.
    f.plan_service
        .update_plan(
            &billing_admin(admin),
            basic.id,
            crate::PlanChanges {
                active: Some(false),
                ..crate::PlanChanges::default()
            },
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    let err = f
        .plan_service
        .update_plan(
            &billing_admin(admin),
            basic.id,
            crate::PlanChanges {
                price: Some(Money::new(-1, Currency::parse("USD").unwrap())),
                ..crate::PlanChanges::default()
            },
            &RequestMeta::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, crate::BillingError::Invalid(_)), "{err:?}");
    let mut tx = f.uow.begin().await.unwrap();
    assert_eq!(
        f.subs
            .plan_prices(tx.as_mut(), basic.id)
            .await
            .unwrap()
            .len(),
        2
    );
    drop(tx);
    assert!(matches!(
        f.plan_service
            .update_plan(
                &billing_admin(admin),
                PlanId::new(),
                crate::PlanChanges::default(),
                &RequestMeta::default()
            )
            .await,
        Err(crate::BillingError::NotFound)
    ));
}

fn acting(user: UserId, org: plinth_kernel::OrgId, permissions: &[&str]) -> plinth_kernel::Caller {
    plinth_kernel::Caller::new(user, vec![]).acting_for(Some(plinth_kernel::ActingFor {
        org_id: org,
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
    }))
}

#[tokio::test]
async fn an_organization_pays_per_seat_while_its_member_may_still_change_its_billing() {
    let f = fixture();
    let team = f.plan("team", 1_000, 0).await;
    let (ada, org) = (UserId::new(), plinth_kernel::OrgId::new());
    let writer = acting(
        ada,
        org,
        &[crate::ORG_BILLING_WRITE, crate::ORG_BILLING_READ],
    );
    let meta = RequestMeta::default();

    // Her token says she may, but she is no longer a member: refused, nothing kept.
    let err = f
        .service
        .subscribe_for(&writer, team.id, Some(3), &meta)
        .await
        .unwrap_err();
    assert!(matches!(err, SubscriptionError::OrgStandingGone), "{err:?}");
    assert!(f.subs.all_of(ada).is_empty());

    f.customers.set_standing(
        ada,
        org,
        &[crate::ORG_BILLING_WRITE, crate::ORG_BILLING_READ],
    );
    let (sub, outcome) = f
        .service
        .subscribe_for(&writer, team.id, Some(3), &meta)
        .await
        .unwrap();
    assert_eq!(outcome, SubscribeOutcome::Created);
    assert_eq!((sub.org_id, sub.quantity, sub.user_id), (Some(org), 3, ada));
    assert_eq!(f.periods()[0].price.amount, 3_000, "price × seats");
    assert!(
        f.service.subscription(ada).await.is_err(),
        "not her own subscription"
    );
    let features = f.service.entitlements(org).await.unwrap();
    assert_eq!(features[crate::SEATS], FeatureValue::Limit(3));
    assert_eq!(features["storage_bytes"], FeatureValue::Limit(10_000));
    let changes = f.changes().await;
    assert_eq!(
        changes[0].org_id,
        Some(org.as_uuid()),
        "filed under the organization"
    );

    // A reader may look, not change; nobody buys seats for themselves.
    let reader = acting(ada, org, &[crate::ORG_BILLING_READ]);
    assert_eq!(f.service.subscription_for(&reader).await.unwrap(), sub);
    let err = f.service.cancel_for(&reader, &meta).await.unwrap_err();
    assert!(matches!(err, SubscriptionError::Forbidden(_)), "{err:?}");
    let own = plinth_kernel::Caller::new(ada, vec![]);
    let err = f
        .service
        .subscribe_for(&own, team.id, Some(2), &meta)
        .await
        .unwrap_err();
    assert!(matches!(err, SubscriptionError::InvalidSeats(_)), "{err:?}");
    for seats in [0, crate::MAX_SEATS + 1] {
        let err = f
            .service
            .subscribe_for(&writer, team.id, Some(seats), &meta)
            .await
            .unwrap_err();
        assert!(matches!(err, SubscriptionError::InvalidSeats(_)), "{err:?}");
    }
    assert_eq!(
        f.service.subscription_for(&reader).await.unwrap().quantity,
        3,
        "refusals change nothing"
    );

    // Fewer seats half-way through the month: a credit of half a seat.
    f.clock.set(at("2026-04-16T00:00:00Z"));
    let (fewer, _) = f
        .service
        .subscribe_for(&writer, team.id, Some(2), &meta)
        .await
        .unwrap();
    assert_eq!(fewer.quantity, 2);
    let credit: Vec<i64> = f
        .subs
        .items_of(ada)
        .iter()
        .map(|i| i.amount.amount)
        .collect();
    assert_eq!(credit, [-500]);
    assert_eq!(f.changes().await[0].details["change"], "seats_changed");
}
