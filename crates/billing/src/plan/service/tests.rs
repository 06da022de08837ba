//! PlanService behaviour with the in-memory adapters.

use crate::testing::billing_admin;
use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_audit::testing::{FailingAuditLog, MemoryAuditLog};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Currency, Money, PageRequest, RequestMeta, UserId};

use super::*;
use crate::testing::{MemoryBillingRepository, MemorySubscriptionRepository};
use crate::{FeatureValue, Interval};

struct Fixture {
    service: PlanService,
    repo: MemoryBillingRepository,
    audit: MemoryAuditLog,
    clock: ManualClock,
}

fn fixture_with(audit: Arc<dyn AuditLog>, memory_audit: MemoryAuditLog) -> Fixture {
    let repo = MemoryBillingRepository::new();
    let clock = ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-01T09:30:00Z")
            .unwrap()
            .to_utc(),
    );
    let service = PlanService::new(
        Arc::new(repo.clone()),
        Arc::new(MemorySubscriptionRepository::new()),
        audit,
        Arc::new(MemoryUnitOfWork::new()),
        Arc::new(clock.clone()),
    );
    Fixture {
        service,
        repo,
        audit: memory_audit,
        clock,
    }
}

fn fixture() -> Fixture {
    let audit = MemoryAuditLog::new();
    fixture_with(Arc::new(audit.clone()), audit)
}

fn new_plan(code: &str, amount: i64) -> NewPlan {
    NewPlan {
        code: code.into(),
        name: format!("  {code} plan "),
        active: true,
        price: Money::new(amount, Currency::parse("EUR").unwrap()),
        interval: Interval::Month,
        trial_days: 14,
        features: BTreeMap::from([
            ("api_access".to_owned(), FeatureValue::Flag(true)),
            ("seats".to_owned(), FeatureValue::Limit(5)),
        ]),
    }
}

async fn audit_entries(audit: &MemoryAuditLog) -> Vec<plinth_audit::AuditEvent> {
    audit
        .list(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn create_plan_stores_the_plan_and_audits_it() {
    let f = fixture();
    let admin = UserId::new();
    let meta = RequestMeta {
        request_id: Some("req-9".into()),
        ..RequestMeta::default()
    };
    let plan = f
        .service
        .create_plan(&billing_admin(admin), new_plan("pro", 1999), &meta)
        .await
        .unwrap();

    assert_eq!(plan.code, "pro");
    assert_eq!(plan.name, "pro plan", "the name is stored trimmed");
    assert_eq!(
        plan.price,
        Money::new(1999, Currency::parse("EUR").unwrap())
    );
    assert_eq!(plan.features["seats"], FeatureValue::Limit(5));
    assert_eq!(plan.created_at, f.clock.now());
    assert_eq!(plan.updated_at, f.clock.now());
    assert_eq!(f.repo.plan(plan.id).await.unwrap(), Some(plan.clone()));

    let events = audit_entries(&f.audit).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.action, AuditAction::PlanChanged);
    assert_eq!(e.actor_id, Some(admin.as_uuid()));
    assert_eq!(
        (e.target_type.as_deref(), e.target_id.clone()),
        (Some("plan"), Some(plan.id.to_string()))
    );
    assert_eq!(e.request_id.as_deref(), Some("req-9"));
    assert_eq!(
        e.details,
        serde_json::json!({ "code": "pro", "price": 1999, "currency": "EUR" })
    );
}

#[tokio::test]
async fn a_taken_code_is_refused_and_nothing_more_is_audited() {
    let f = fixture();
    let admin = UserId::new();
    f.service
        .create_plan(
            &billing_admin(admin),
            new_plan("team", 4900),
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    let err = f
        .service
        .create_plan(
            &billing_admin(admin),
            new_plan("team", 100),
            &RequestMeta::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::CodeTaken), "{err:?}");
    assert_eq!(f.repo.plans(false).await.unwrap().len(), 1);
    assert_eq!(audit_entries(&f.audit).await.len(), 1);
}

#[tokio::test]
async fn invalid_plans_report_every_field_and_store_nothing() {
    let f = fixture();
    let mut plan = new_plan("Not Valid!", -1);
    plan.name = " ".into();
    plan.trial_days = 400;
    plan.features
        .insert("Max-Seats".into(), FeatureValue::Limit(3));
    let err = f
        .service
        .create_plan(&billing_admin(UserId::new()), plan, &RequestMeta::default())
        .await
        .unwrap_err();
    let BillingError::Invalid(errors) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    let expected: BTreeMap<String, Vec<String>> = [
        (
            "code",
            "code may contain only lower-case letters a-z, digits, '_' and '-'",
        ),
        (
            "features",
            "feature key \"Max-Seats\" must be 1 to 64 lower-case letters a-z, digits or '_'",
        ),
        ("name", "name is required"),
        ("price", "price must not be negative"),
        ("trial_days", "trial_days must be at most 365"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), vec![v.to_owned()]))
    .collect();
    assert_eq!(errors, expected);
    assert!(f.repo.plans(false).await.unwrap().is_empty());
    assert!(audit_entries(&f.audit).await.is_empty());
}

/// Turns a valid plan into an invalid one.
type Change = Box<dyn Fn(&mut NewPlan)>;

#[tokio::test]
async fn each_validation_message_as_a_client_sees_it() {
    let f = fixture();
    let long_key = "f".repeat(65);
    let long_key_message =
        format!("feature key {long_key:?} must be 1 to 64 lower-case letters a-z, digits or '_'");
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|p| p.code = String::new()),
            "code",
            "code is required",
        ),
        (
            Box::new(|p| p.code = "x".repeat(65)),
            "code",
            "code must be at most 64 characters",
        ),
        (
            Box::new(|p| p.code = "PRO".into()),
            "code",
            "code may contain only lower-case letters a-z, digits, '_' and '-'",
        ),
        (
            Box::new(|p| p.name = "\t".into()),
            "name",
            "name is required",
        ),
        (
            Box::new(|p| p.name = "n".repeat(101)),
            "name",
            "name must be at most 100 characters",
        ),
        (
            Box::new(|p| p.price.amount = -5),
            "price",
            "price must not be negative",
        ),
        (
            Box::new(|p| p.trial_days = 366),
            "trial_days",
            "trial_days must be at most 365",
        ),
        (
            Box::new(|p| {
                p.features.insert(String::new(), FeatureValue::Flag(true));
            }),
            "features",
            "feature key \"\" must be 1 to 64 lower-case letters a-z, digits or '_'",
        ),
        (
            Box::new(move |p| {
                p.features.insert("f".repeat(65), FeatureValue::Flag(true));
            }),
            "features",
            &long_key_message,
        ),
    ];
    for (change, field, message) in cases {
        let mut plan = new_plan("basic", 0);
        change(&mut plan);
        let err = f
            .service
            .create_plan(&billing_admin(UserId::new()), plan, &RequestMeta::default())
            .await
            .unwrap_err();
        let BillingError::Invalid(errors) = err else {
            panic!("expected Invalid for {field}, got {err:?}")
        };
        assert_eq!(
            errors,
            BTreeMap::from([(field.to_owned(), vec![message.to_owned()])])
        );
    }
}

#[tokio::test]
async fn boundary_values_are_accepted() {
    let f = fixture();
    let mut plan = new_plan(&"a".repeat(64), 0);
    plan.name = "n".repeat(100);
    plan.trial_days = 365;
    plan.features.insert("k".repeat(64), FeatureValue::Limit(0));
    let created = f
        .service
        .create_plan(&billing_admin(UserId::new()), plan, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(created.price.amount, 0, "free plans are allowed");
}

#[tokio::test]
async fn when_the_audit_append_fails_no_plan_is_created() {
    let f = fixture_with(Arc::new(FailingAuditLog::new()), MemoryAuditLog::new());
    let err = f
        .service
        .create_plan(
            &billing_admin(UserId::new()),
            new_plan("pro", 1999),
            &RequestMeta::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::Repo(_)), "{err:?}");
    assert!(
        f.repo.plans(false).await.unwrap().is_empty(),
        "the plan was rolled back with its audit entry"
    );
}

#[tokio::test]
async fn active_plans_are_listed_cheapest_first_without_inactive_ones() {
    let f = fixture();
    let admin = UserId::new();
    let meta = RequestMeta::default();
    let mut retired = new_plan("legacy", 10);
    retired.active = false;
    f.service
        .create_plan(&billing_admin(admin), retired, &meta)
        .await
        .unwrap();
    f.service
        .create_plan(&billing_admin(admin), new_plan("team", 4900), &meta)
        .await
        .unwrap();
    f.service
        .create_plan(&billing_admin(admin), new_plan("free", 0), &meta)
        .await
        .unwrap();
    f.service
        .create_plan(&billing_admin(admin), new_plan("pro", 1900), &meta)
        .await
        .unwrap();
    f.service
        .create_plan(&billing_admin(admin), new_plan("growth", 1900), &meta)
        .await
        .unwrap();
    let codes: Vec<String> = f
        .service
        .list_active_plans()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.code)
        .collect();
    assert_eq!(codes, vec!["free", "growth", "pro", "team"]);
}
