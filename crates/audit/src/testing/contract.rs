//! The contract every [`AuditLog`] adapter must satisfy.
//!
//! Run [`audit_log`] from an adapter's tests; it panics with a message on the first broken
//! promise. It tolerates a log that already holds entries (each run uses fresh actor and target
//! ids) and never asserts global counts. Timestamps are truncated to microseconds, the
//! precision PostgreSQL keeps; an adapter must store at least that much.
//!
//! The hash-chain checks ([`chain`]) need the log's chain to be intact when the suite starts,
//! and run last: they edit and delete entries through an [`AuditTamper`] (raw storage access,
//! bypassing the port) and leave the chain broken, so give the suite a log of its own.

// A test suite: panicking with a message is how it reports a failure.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, SubsecRound};
use plinth_kernel::{PageRequest, RequestMeta, Timestamp, UnitOfWork};

use crate::{AuditAction, AuditEvent, AuditEventId, AuditFilter, AuditLog};

mod chain;

/// Direct access to an adapter's storage, bypassing the port, as an attacker with database
/// access would have: used by the contract to prove that tampering is detected. SQL adapters
/// implement it with raw `UPDATE` / `DELETE` statements.
#[async_trait::async_trait]
pub trait AuditTamper: Send + Sync {
    /// Overwrites the stored `details` of entry `id`, leaving its hashes as they are.
    async fn set_details(&self, id: AuditEventId, details: serde_json::Value);
    /// Deletes the stored entry `id`.
    async fn delete(&self, id: AuditEventId);
}

/// Runs every check of the contract against `log`, whose writes join transactions from `uow`;
/// `tamper` edits the same storage behind the port's back.
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn audit_log(log: Arc<dyn AuditLog>, uow: Arc<dyn UnitOfWork>, tamper: &dyn AuditTamper) {
    append_commit_round_trips_every_field(&*log, &*uow).await;
    dropped_transaction_is_not_visible(&*log, &*uow).await;
    filters_narrow_newest_first(&*log, &*uow).await;
    entries_are_filed_under_their_organization(&*log, &*uow).await;
    pagination_covers_every_row_once(&*log, &*uow).await;
    chain::checks(&log, &uow, tamper).await;
}

fn now_micros() -> Timestamp {
    chrono::Utc::now().trunc_subsecs(6)
}

fn by_actor(actor: uuid::Uuid) -> AuditFilter {
    AuditFilter {
        actor_id: Some(actor),
        ..AuditFilter::default()
    }
}

async fn commit_all(log: &dyn AuditLog, uow: &dyn UnitOfWork, events: &[AuditEvent]) {
    let mut tx = uow.begin().await.expect("begin");
    for e in events {
        log.append(tx.as_mut(), e).await.expect("append");
    }
    tx.commit().await.expect("commit");
}

async fn list(log: &dyn AuditLog, filter: &AuditFilter) -> Vec<AuditEvent> {
    log.list(filter, PageRequest::first(100))
        .await
        .expect("list")
        .items
}

async fn append_commit_round_trips_every_field(log: &dyn AuditLog, uow: &dyn UnitOfWork) {
    let actor = uuid::Uuid::now_v7();
    let meta = RequestMeta {
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0 (contract; \u{e9}t\u{e9})".into()),
        request_id: Some(format!("req-{}", uuid::Uuid::now_v7())),
    };
    let event = AuditEvent::new(AuditAction::LoginSucceeded, now_micros(), &meta)
        .actor(actor)
        .target("session", uuid::Uuid::now_v7())
        .details(serde_json::json!({
            "reason": "contract",
            "count": 3,
            "flag": true,
            "nested": { "list": [1, "two", null], "empty": {} }
        }));
    commit_all(log, uow, std::slice::from_ref(&event)).await;
    let found = list(log, &by_actor(actor)).await;
    assert_eq!(
        found,
        vec![event],
        "a committed entry must read back with every field unchanged"
    );
}

async fn entries_are_filed_under_their_organization(log: &dyn AuditLog, uow: &dyn UnitOfWork) {
    let (org, other) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let actor = uuid::Uuid::now_v7();
    let filed = AuditEvent::new(
        AuditAction::OrgRenamed,
        now_micros(),
        &RequestMeta::default(),
    )
    .actor(actor)
    .org(org);
    let elsewhere = AuditEvent::new(
        AuditAction::OrgRenamed,
        now_micros(),
        &RequestMeta::default(),
    )
    .actor(actor)
    .org(other);
    let unfiled = AuditEvent::new(
        AuditAction::UserUpdated,
        now_micros(),
        &RequestMeta::default(),
    )
    .actor(actor);
    commit_all(log, uow, &[filed.clone(), elsewhere, unfiled.clone()]).await;
    let of_org = AuditFilter {
        org_id: Some(org),
        ..AuditFilter::default()
    };
    assert_eq!(
        list(log, &of_org).await,
        vec![filed],
        "an organization's filter finds its entries only, org_id read back"
    );
    let mine = list(log, &by_actor(actor)).await;
    assert_eq!(mine.len(), 3);
    assert_eq!(
        mine[0], unfiled,
        "an entry without an organization reads back without one"
    );
}

async fn dropped_transaction_is_not_visible(log: &dyn AuditLog, uow: &dyn UnitOfWork) {
    let actor = uuid::Uuid::now_v7();
    let event = AuditEvent::new(
        AuditAction::Registered,
        now_micros(),
        &RequestMeta::default(),
    )
    .actor(actor);
    {
        let mut tx = uow.begin().await.expect("begin");
        log.append(tx.as_mut(), &event).await.expect("append");
        // dropped without commit: rolled back
    }
    assert!(
        list(log, &by_actor(actor)).await.is_empty(),
        "an entry whose transaction was dropped must not be stored"
    );
}

async fn filters_narrow_newest_first(log: &dyn AuditLog, uow: &dyn UnitOfWork) {
    let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let (x, y) = (
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
    );
    let t0 = now_micros() - Duration::hours(1);
    let meta = RequestMeta::default();
    let e1 = AuditEvent::new(AuditAction::LoginFailed, t0, &meta)
        .actor(a)
        .target("user", &x);
    let e2 = AuditEvent::new(
        AuditAction::LoginSucceeded,
        t0 + Duration::minutes(1),
        &meta,
    )
    .actor(a)
    .target("user", &y);
    let e3 = AuditEvent::new(AuditAction::LoginFailed, t0 + Duration::minutes(2), &meta)
        .actor(b)
        .target("user", &x);
    commit_all(log, uow, &[e1.clone(), e2.clone(), e3.clone()]).await;

    assert_eq!(
        list(log, &by_actor(a)).await,
        vec![e2.clone(), e1.clone()],
        "actor filter, newest first"
    );
    let f = AuditFilter {
        actor_id: Some(a),
        action: Some(AuditAction::LoginFailed),
        ..AuditFilter::default()
    };
    assert_eq!(
        list(log, &f).await,
        vec![e1.clone()],
        "actor + action filter"
    );
    let by_target = AuditFilter {
        target_id: Some(x.clone()),
        ..AuditFilter::default()
    };
    assert_eq!(
        list(log, &by_target).await,
        vec![e3.clone(), e1.clone()],
        "target filter, newest first"
    );
    let f = AuditFilter {
        action: Some(AuditAction::LoginSucceeded),
        ..by_target.clone()
    };
    assert!(
        list(log, &f).await.is_empty(),
        "target + action filter with no match"
    );
    let f = AuditFilter {
        from: Some(t0 + Duration::minutes(1)),
        ..by_target.clone()
    };
    assert_eq!(
        list(log, &f).await,
        vec![e3.clone()],
        "`from` is inclusive and narrows"
    );
    let f = AuditFilter {
        to: Some(t0 + Duration::minutes(2)),
        ..by_target.clone()
    };
    assert_eq!(
        list(log, &f).await,
        vec![e1.clone()],
        "`to` is exclusive and narrows"
    );
    let f = AuditFilter {
        from: Some(t0),
        to: Some(t0 + Duration::minutes(2)),
        ..by_actor(a)
    };
    assert_eq!(
        list(log, &f).await,
        vec![e2, e1],
        "`from` and `to` together"
    );
}

async fn pagination_covers_every_row_once(log: &dyn AuditLog, uow: &dyn UnitOfWork) {
    let actor = uuid::Uuid::now_v7();
    let t = now_micros();
    let events: Vec<AuditEvent> = (0..5)
        .map(|i| {
            AuditEvent::new(AuditAction::Refreshed, t, &RequestMeta::default())
                .actor(actor)
                .details(serde_json::json!({ "i": i }))
        })
        .collect();
    commit_all(log, uow, &events).await;

    let filter = by_actor(actor);
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    let mut sizes = Vec::new();
    loop {
        let got = log.list(&filter, page).await.expect("list page");
        sizes.push(got.items.len());
        seen.extend(got.items);
        match got.next_cursor {
            Some(c) => {
                page = PageRequest::new(Some(2), Some(&c.encode())).expect("cursor round-trips")
            }
            None => break,
        }
        assert!(sizes.len() <= 5, "pagination does not terminate");
    }
    assert_eq!(
        sizes,
        vec![2, 2, 1],
        "pages of 2 over 5 rows; the last page carries no cursor"
    );
    let ids: HashSet<_> = seen.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 5, "no row twice");
    let mut expected: Vec<AuditEvent> = events;
    expected.reverse();
    assert_eq!(
        seen, expected,
        "every row exactly once, newest first across pages"
    );
}
