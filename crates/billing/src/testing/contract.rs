//! The [`BillingRepository`] contract suite: a plain `async fn` that panics on the first broken
//! promise, run unchanged against every adapter. It uses fresh random plan codes and never
//! asserts global counts, so storage may already hold plans from earlier runs.

// This function is a test body: a failed expectation is meant to panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::SubsecRound;
use plinth_kernel::{Currency, Money, RepoError, UnitOfWork};

use crate::{BillingRepository, FeatureValue, Interval, Plan, PlanId};

/// Runs every [`BillingRepository`] promise against `repo`: insert/get round trip of every
/// field (JPY and KWD prices, a features map mixing flags and limits), `Duplicate` with
/// constraint `plans.code` for a taken code, update round trip, `NotFound` when updating a
/// missing plan, `plans(true)` excluding inactive plans and ordering by price then code, and
/// rollback of a dropped transaction.
///
/// # Panics
/// On the first broken promise.
pub async fn billing_repository(repo: Arc<dyn BillingRepository>, uow: Arc<dyn UnitOfWork>) {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let run = &run[run.len() - 12..];
    let code = |name: &str| format!("contract-{run}-{name}");

    // Round trip, with currencies of 0 and 3 decimals and mixed features.
    let yen = sample(&code("yen"), Money::new(1_500, currency("JPY")), true);
    let dinar = Plan {
        interval: Interval::Month,
        trial_days: 0,
        features: BTreeMap::new(),
        ..sample(&code("dinar"), Money::new(12_345, currency("KWD")), true)
    };
    for p in [&yen, &dinar] {
        commit_insert(&*repo, &*uow, p).await;
        assert_eq!(
            repo.plan(p.id).await.unwrap().as_ref(),
            Some(p),
            "plan() returns every field"
        );
    }
    assert_eq!(
        repo.plan(PlanId::new()).await.unwrap(),
        None,
        "plan() of an unknown id"
    );

    // A taken code.
    let clash = sample(&yen.code, Money::new(1, currency("USD")), true);
    let mut tx = uow.begin().await.unwrap();
    match repo.insert_plan(tx.as_mut(), &clash).await {
        Err(RepoError::Duplicate { constraint }) => assert_eq!(constraint, "plans.code"),
        other => panic!("inserting a taken code must be Duplicate(plans.code), got {other:?}"),
    }
    drop(tx);
    assert_eq!(repo.plan(clash.id).await.unwrap(), None);

    // Update round trip.
    let mut changed = yen.clone();
    changed.name = "Yen plan, renamed".into();
    changed.active = false;
    changed.price = Money::new(2_000, currency("JPY"));
    changed.interval = Interval::Month;
    changed.trial_days = 30;
    changed.features = BTreeMap::from([
        ("api_access".to_owned(), FeatureValue::Flag(false)),
        ("projects".to_owned(), FeatureValue::Limit(-1)),
    ]);
    changed.updated_at = yen.updated_at + chrono::Duration::hours(1);
    let mut tx = uow.begin().await.unwrap();
    repo.update_plan(tx.as_mut(), &changed).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        repo.plan(yen.id).await.unwrap().as_ref(),
        Some(&changed),
        "update_plan stores every mutable field"
    );

    let mut tx = uow.begin().await.unwrap();
    let missing = repo
        .update_plan(
            tx.as_mut(),
            &sample(&code("ghost"), Money::new(1, currency("USD")), true),
        )
        .await;
    assert!(
        matches!(missing, Err(RepoError::NotFound)),
        "update of a missing plan: {missing:?}"
    );
    drop(tx);

    // Listing: inactive excluded from plans(true), order by price then code.
    let usd = currency("USD");
    let cheap = sample(&code("c-cheap"), Money::new(100, usd), true);
    let same_price_b = sample(&code("b-same"), Money::new(500, usd), true);
    let same_price_a = sample(&code("a-same"), Money::new(500, usd), true);
    let retired = sample(&code("retired"), Money::new(50, usd), false);
    for p in [&same_price_b, &retired, &cheap, &same_price_a] {
        commit_insert(&*repo, &*uow, p).await;
    }
    let ours = [
        cheap.id,
        same_price_a.id,
        same_price_b.id,
        retired.id,
        changed.id,
    ];
    let active: Vec<PlanId> = repo
        .plans(true)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .filter(|id| ours.contains(id))
        .collect();
    assert_eq!(
        active,
        vec![cheap.id, same_price_a.id, same_price_b.id],
        "active plans by price, then code"
    );
    let all: Vec<PlanId> = repo
        .plans(false)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .filter(|id| ours.contains(id))
        .collect();
    assert_eq!(
        all,
        vec![
            retired.id,
            cheap.id,
            same_price_a.id,
            same_price_b.id,
            changed.id
        ],
        "plans(false) keeps inactive ones"
    );
    let listed = repo
        .plans(true)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == cheap.id);
    assert_eq!(
        listed.as_ref(),
        Some(&cheap),
        "listed plans carry every field"
    );

    // Rollback of an insert and of an update.
    let ghost = sample(&code("rolled-back"), Money::new(7, usd), true);
    {
        let mut tx = uow.begin().await.unwrap();
        repo.insert_plan(tx.as_mut(), &ghost).await.unwrap();
        let mut renamed = cheap.clone();
        renamed.name = "not kept".into();
        repo.update_plan(tx.as_mut(), &renamed).await.unwrap();
    }
    assert_eq!(
        repo.plan(ghost.id).await.unwrap(),
        None,
        "a rolled-back insert is not visible"
    );
    assert_eq!(
        repo.plan(cheap.id).await.unwrap().as_ref(),
        Some(&cheap),
        "a rolled-back update is undone"
    );
    assert!(
        !repo
            .plans(false)
            .await
            .unwrap()
            .iter()
            .any(|p| p.id == ghost.id)
    );
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

/// A plan with every field set (timestamps at microsecond precision, as SQL keeps them).
fn sample(code: &str, price: Money, active: bool) -> Plan {
    let created_at = chrono::Utc::now().trunc_subsecs(6) - chrono::Duration::days(1);
    Plan {
        id: PlanId::new(),
        code: code.to_owned(),
        name: format!("Plan {code}"),
        active,
        price,
        interval: Interval::Year,
        trial_days: 14,
        features: BTreeMap::from([
            ("api_access".to_owned(), FeatureValue::Flag(true)),
            ("priority_support".to_owned(), FeatureValue::Flag(false)),
            ("seats".to_owned(), FeatureValue::Limit(25)),
            (
                "storage_bytes".to_owned(),
                FeatureValue::Limit(10_737_418_240),
            ),
        ]),
        created_at,
        updated_at: created_at + chrono::Duration::microseconds(1_500_001),
    }
}

async fn commit_insert(repo: &dyn BillingRepository, uow: &dyn UnitOfWork, plan: &Plan) {
    let mut tx = uow.begin().await.unwrap();
    repo.insert_plan(tx.as_mut(), plan).await.unwrap();
    tx.commit().await.unwrap();
}
