//! The [`SubscriptionStorage`] contract suite (subscription rows and renewals, pending items,
//! plan price versions), run unchanged against every adapter. It
//! stores its own plans and filters every listing down to the subscriptions it created, so
//! storage may already hold other data.

// This function is a test body: a failed expectation is meant to panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, SubsecRound};
use plinth_kernel::{Currency, Money, OrgId, Owner, RepoError, Timestamp, UnitOfWork, UserId};

use crate::subscription::{
    PendingItem, PendingItemId, PlanPrice, Subscription, SubscriptionId, SubscriptionStatus,
    SubscriptionStorage,
};
use crate::{BillingRepository, Interval, Plan, PlanId};

/// Runs every promise of the [`crate::SubscriptionRepository`],
/// [`crate::PendingItemRepository`] and [`crate::PlanPriceRepository`] seams: round trip of every field (set and unset
/// optional ones), one live subscription per user (`Duplicate` on
/// `subscriptions.live_user_id`, but a canceled one does not count), update round trip and
/// `NotFound`, `due_for_renewal` (only due `trialing`/`active`, earliest first, `limit`),
/// one renewal per `(subscription, period start)`, pending items (negative amounts, oldest
/// first, gone once invoiced), rollback of a dropped transaction, and an organization's
/// subscription beside its members' own (one live per organization, seats, hand-over).
/// `users` must exist.
///
/// # Panics
/// On the first broken promise.
pub async fn subscription_repository(
    repo: Arc<dyn SubscriptionStorage>,
    plans: Arc<dyn BillingRepository>,
    uow: Arc<dyn UnitOfWork>,
    users: [UserId; 3],
) {
    let [alice, bob, carol] = users;
    let now = chrono::Utc::now().trunc_subsecs(6);
    let basic = plan(now, 1_000);
    let pro = plan(now, 3_000);
    for p in [&basic, &pro] {
        let mut tx = uow.begin().await.unwrap();
        plans.insert_plan(tx.as_mut(), p).await.unwrap();
        tx.commit().await.unwrap();
    }

    // Round trip with every optional field set.
    let full = Subscription {
        trial_end: Some(now + Duration::days(14)),
        scheduled_plan_id: Some(pro.id),
        cancel_at_period_end: true,
        status: SubscriptionStatus::Trialing,
        ..sample(alice, &basic, now)
    };
    let mut tx = uow.begin().await.unwrap();
    repo.insert_subscription(tx.as_mut(), &full).await.unwrap();
    assert_eq!(
        repo.lock_live_subscription(tx.as_mut(), alice.into())
            .await
            .unwrap()
            .as_ref(),
        Some(&full),
        "the transaction sees its own insert"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        repo.live_subscription(alice.into()).await.unwrap().as_ref(),
        Some(&full)
    );
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.lock_subscription(tx.as_mut(), full.id)
            .await
            .unwrap()
            .as_ref(),
        Some(&full)
    );
    assert_eq!(
        repo.lock_subscription(tx.as_mut(), SubscriptionId::new())
            .await
            .unwrap(),
        None
    );
    drop(tx);
    assert_eq!(repo.live_subscription(carol.into()).await.unwrap(), None);

    // One live subscription per user.
    let second = sample(alice, &pro, now);
    let mut tx = uow.begin().await.unwrap();
    match repo.insert_subscription(tx.as_mut(), &second).await {
        Err(RepoError::Duplicate { constraint }) => {
            assert_eq!(constraint, "subscriptions.live_user_id");
        }
        other => panic!("a second live subscription must be Duplicate, got {other:?}"),
    }
    drop(tx);

    // Update round trip, every mutable field; the ended one no longer counts as live.
    let ended = Subscription {
        plan_id: pro.id,
        price: pro.price,
        interval: Interval::Year,
        status: SubscriptionStatus::Canceled,
        current_period_start: now + Duration::days(1),
        current_period_end: now + Duration::days(366),
        billing_anchor: now + Duration::days(1),
        trial_end: None,
        cancel_at_period_end: false,
        scheduled_plan_id: None,
        canceled_at: Some(now + Duration::hours(3)),
        updated_at: now + Duration::hours(3),
        ..full.clone()
    };
    let mut tx = uow.begin().await.unwrap();
    repo.update_subscription(tx.as_mut(), &ended).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.lock_subscription(tx.as_mut(), full.id)
            .await
            .unwrap()
            .as_ref(),
        Some(&ended),
        "update_subscription stores every mutable field"
    );
    let missing = repo
        .update_subscription(tx.as_mut(), &sample(carol, &basic, now))
        .await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");
    drop(tx);
    assert_eq!(repo.live_subscription(alice.into()).await.unwrap(), None);
    let mut tx = uow.begin().await.unwrap();
    repo.insert_subscription(tx.as_mut(), &second)
        .await
        .expect("a canceled subscription does not block a new one");
    tx.commit().await.unwrap();
    assert_eq!(
        repo.live_subscription(alice.into()).await.unwrap(),
        Some(second.clone())
    );

    // Renewal candidates.
    let far_past = now - Duration::days(3650);
    let due_b = Subscription {
        current_period_start: far_past - Duration::days(30),
        current_period_end: far_past,
        ..sample(bob, &basic, now)
    };
    let due_c = Subscription {
        status: SubscriptionStatus::Trialing,
        current_period_start: far_past - Duration::days(31),
        current_period_end: far_past - Duration::days(1),
        ..sample(carol, &basic, now)
    };
    let mut tx = uow.begin().await.unwrap();
    repo.insert_subscription(tx.as_mut(), &due_b).await.unwrap();
    repo.insert_subscription(tx.as_mut(), &due_c).await.unwrap();
    tx.commit().await.unwrap();
    let ours = [second.id, due_b.id, due_c.id, full.id];
    let due: Vec<SubscriptionId> = repo
        .due_for_renewal(far_past, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|id| ours.contains(id))
        .collect();
    assert_eq!(
        due,
        vec![due_c.id, due_b.id],
        "due ones only, earliest end first"
    );
    let limited = repo.due_for_renewal(far_past, 1).await.unwrap();
    assert_eq!(limited.len(), 1);
    let past_due = Subscription {
        status: SubscriptionStatus::PastDue,
        ..due_c.clone()
    };
    let mut tx = uow.begin().await.unwrap();
    repo.update_subscription(tx.as_mut(), &past_due)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let due: Vec<SubscriptionId> = repo
        .due_for_renewal(far_past, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|id| ours.contains(id))
        .collect();
    assert_eq!(due, vec![due_b.id], "past_due is not renewed");

    // One renewal per period.
    let mut tx = uow.begin().await.unwrap();
    repo.record_renewal(tx.as_mut(), due_b.id, far_past, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = uow.begin().await.unwrap();
    match repo
        .record_renewal(tx.as_mut(), due_b.id, far_past, now)
        .await
    {
        Err(RepoError::Duplicate { constraint }) => {
            assert_eq!(constraint, "subscription_renewals.period");
        }
        other => panic!("a second renewal of one period must be Duplicate, got {other:?}"),
    }
    drop(tx);
    let mut tx = uow.begin().await.unwrap();
    repo.record_renewal(tx.as_mut(), due_b.id, far_past + Duration::days(30), now)
        .await
        .expect("the next period is another key");
    tx.commit().await.unwrap();

    // Pending items.
    let usd = basic.price.currency;
    let credit = item(&due_b, Money::new(-1_234, usd), now);
    let charge = item(&due_b, Money::new(567, usd), now + Duration::seconds(1));
    let other = item(&second, Money::new(1, usd), now);
    let mut tx = uow.begin().await.unwrap();
    for i in [&charge, &credit, &other] {
        repo.insert_pending_item(tx.as_mut(), i).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.pending_items(tx.as_mut(), due_b.id).await.unwrap(),
        vec![credit.clone(), charge.clone()],
        "pending items of one subscription, oldest first, every field"
    );
    repo.mark_items_invoiced(tx.as_mut(), &[credit.id], now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.pending_items(tx.as_mut(), due_b.id).await.unwrap(),
        vec![charge.clone()],
        "an invoiced item is no longer pending"
    );
    drop(tx);

    // Plan price versions.
    let v1 = PlanPrice {
        plan_id: basic.id,
        version: 1,
        price: basic.price,
        interval: Interval::Month,
        created_at: now,
    };
    let v2 = PlanPrice {
        version: 2,
        price: Money::new(1_500, usd),
        interval: Interval::Year,
        created_at: now + Duration::days(1),
        ..v1.clone()
    };
    let mut tx = uow.begin().await.unwrap();
    repo.insert_plan_price(tx.as_mut(), &v2).await.unwrap();
    repo.insert_plan_price(tx.as_mut(), &v1).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.plan_prices(tx.as_mut(), basic.id).await.unwrap(),
        vec![v1.clone(), v2.clone()],
        "versions oldest first, every field"
    );
    assert!(
        repo.plan_prices(tx.as_mut(), pro.id)
            .await
            .unwrap()
            .is_empty()
    );
    match repo.insert_plan_price(tx.as_mut(), &v2).await {
        Err(RepoError::Duplicate { constraint }) => assert_eq!(constraint, "plan_prices.version"),
        other => panic!("a repeated version must be Duplicate, got {other:?}"),
    }
    drop(tx);

    // Rollback.
    {
        let mut tx = uow.begin().await.unwrap();
        let ghost_item = item(&due_b, Money::new(9, usd), now);
        repo.insert_pending_item(tx.as_mut(), &ghost_item)
            .await
            .unwrap();
        repo.mark_items_invoiced(tx.as_mut(), &[charge.id], now)
            .await
            .unwrap();
        repo.update_subscription(
            tx.as_mut(),
            &Subscription {
                status: SubscriptionStatus::Canceled,
                ..due_b.clone()
            },
        )
        .await
        .unwrap();
        repo.record_renewal(tx.as_mut(), due_b.id, now, now)
            .await
            .unwrap();
    }
    assert_eq!(
        repo.live_subscription(bob.into()).await.unwrap(),
        Some(due_b.clone())
    );
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.pending_items(tx.as_mut(), due_b.id).await.unwrap(),
        vec![charge],
        "a rolled-back insert and mark are undone"
    );
    repo.record_renewal(tx.as_mut(), due_b.id, now, now)
        .await
        .expect("a rolled-back renewal leaves its key free");
    drop(tx);

    organization_subscriptions(&*repo, &*uow, &basic, [alice, bob], now).await;
}

/// An organization's subscription beside its members' own: the tenant filter is the
/// repository's (a member's own live subscription is never the organization's, nor the other
/// way round), one live per organization (`subscriptions.live_org_id`), seats round trip, and
/// a hand-over to another member keeps the organization's subscription.
async fn organization_subscriptions(
    repo: &dyn SubscriptionStorage,
    uow: &dyn UnitOfWork,
    basic: &Plan,
    [alice, bob]: [UserId; 2],
    now: Timestamp,
) {
    let org = OrgId::new();
    let team = Subscription {
        org_id: Some(org),
        quantity: 7,
        ..sample(alice, basic, now)
    };
    let mut tx = uow.begin().await.unwrap();
    repo.insert_subscription(tx.as_mut(), &team).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        repo.live_subscription(Owner::Org(org)).await.unwrap(),
        Some(team.clone()),
        "seats and organization round trip"
    );
    assert_ne!(
        repo.live_subscription(Owner::User(alice))
            .await
            .unwrap()
            .map(|s| s.id),
        Some(team.id),
        "the organization's subscription is not the answerable member's own"
    );
    assert_eq!(
        repo.live_subscription(Owner::Org(OrgId::new()))
            .await
            .unwrap(),
        None,
        "another organization has none"
    );
    let mut tx = uow.begin().await.unwrap();
    let second = Subscription {
        org_id: Some(org),
        ..sample(bob, basic, now)
    };
    match repo.insert_subscription(tx.as_mut(), &second).await {
        Err(RepoError::Duplicate { constraint }) => {
            assert_eq!(constraint, "subscriptions.live_org_id");
        }
        other => panic!("a second live subscription of one organization: {other:?}"),
    }
    drop(tx);
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.lock_live_subscription(tx.as_mut(), Owner::Org(org))
            .await
            .unwrap()
            .map(|s| s.quantity),
        Some(7)
    );
    let moved = repo
        .hand_over_org_subscriptions(tx.as_mut(), org, alice, bob)
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let updated = Subscription {
        quantity: 12,
        ..team.clone()
    };
    repo.update_subscription(tx.as_mut(), &updated)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let now_held = repo
        .live_subscription(Owner::Org(org))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (now_held.user_id, now_held.quantity, now_held.org_id),
        (bob, 12, Some(org)),
        "handed to bob, who answers for it now; an update keeps the member and organization"
    );
    let mut tx = uow.begin().await.unwrap();
    repo.update_subscription(
        tx.as_mut(),
        &Subscription {
            status: SubscriptionStatus::Canceled,
            ..now_held
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(repo.live_subscription(Owner::Org(org)).await.unwrap(), None);
}

fn plan(now: Timestamp, amount: i64) -> Plan {
    let code = format!("sub-contract-{}", uuid::Uuid::now_v7().simple());
    Plan {
        id: PlanId::new(),
        code,
        name: "Contract plan".into(),
        active: true,
        price: Money::new(amount, Currency::parse("USD").unwrap()),
        interval: Interval::Month,
        trial_days: 0,
        features: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    }
}

fn sample(user: UserId, plan: &Plan, now: Timestamp) -> Subscription {
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
        updated_at: now + Duration::microseconds(1_500_001),
    }
}

fn item(subscription: &Subscription, amount: Money, at: Timestamp) -> PendingItem {
    PendingItem {
        id: PendingItemId::new(),
        subscription_id: subscription.id,
        user_id: subscription.user_id,
        description: "Upgrade to Pro until 2026-05-01, prorated".into(),
        amount,
        created_at: at,
        invoiced_at: None,
    }
}
