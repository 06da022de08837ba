//! The contract every [`EventOutbox`] adapter must satisfy.
//!
//! Run [`event_outbox`] from an adapter's tests with an outbox of its own (the purge check
//! deletes old events); it panics with a message on the first broken promise.

// A test suite: panicking with a message is how it reports a failure.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{Duration, TimeZone as _};
use plinth_kernel::{OrgId, Timestamp, UnitOfWork, UserId};

use crate::{Audience, DomainEvent, EventId, EventOutbox, EventType, MemberAudience};

/// Runs every check of the contract against `outbox`, whose writes join transactions from
/// `uow`.
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn event_outbox(outbox: Arc<dyn EventOutbox>, uow: Arc<dyn UnitOfWork>) {
    committed_events_round_trip_in_commit_order(&*outbox, &*uow).await;
    a_rolled_back_event_never_appears_and_leaves_no_gap(&*outbox, &*uow).await;
    concurrent_appends_get_distinct_consecutive_positions(&outbox, &uow).await;
    reads_are_bounded_by_the_limit(&*outbox).await;
    purging_keeps_the_newest_event(&*outbox, &*uow).await;
}

/// A fixed instant (microsecond precision, what PostgreSQL keeps).
fn base() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
        .single()
        .expect("a valid date")
}

/// A sample event of `kind` that occurred at `at`.
#[must_use]
pub fn sample(kind: EventType, at: Timestamp) -> DomainEvent {
    let org = OrgId::new();
    DomainEvent {
        event_type: kind,
        occurred_at: at,
        actor_id: Some(UserId::new()),
        org_id: Some(org),
        resource_type: "file".into(),
        resource_id: uuid::Uuid::now_v7().to_string(),
        data: serde_json::json!({ "name": "report.pdf", "size": 42 }),
        audience: Audience {
            user: Some(UserId::new()),
            members: Some(MemberAudience::WithPermission("org_files:read".into())),
            everyone: false,
        },
    }
}

async fn newest(outbox: &dyn EventOutbox) -> EventId {
    outbox
        .bounds()
        .await
        .expect("bounds")
        .map_or(EventId(0), |b| b.newest)
}

async fn append_one(outbox: &dyn EventOutbox, uow: &dyn UnitOfWork, event: &DomainEvent) {
    let mut tx = uow.begin().await.expect("begin");
    outbox.append(tx.as_mut(), event).await.expect("append");
    tx.commit().await.expect("commit");
}

async fn committed_events_round_trip_in_commit_order(
    outbox: &dyn EventOutbox,
    uow: &dyn UnitOfWork,
) {
    let start = newest(outbox).await;
    let first = sample(EventType::FileCreated, base());
    let mut second = sample(
        EventType::AnnouncementPublished,
        base() + Duration::seconds(1),
    );
    second.org_id = None;
    second.actor_id = None;
    second.audience = Audience::everyone();
    second.data = serde_json::json!({});
    append_one(outbox, uow, &first).await;
    // Two events in one transaction: consecutive positions too.
    let mut tx = uow.begin().await.expect("begin");
    outbox.append(tx.as_mut(), &second).await.expect("append");
    outbox.append(tx.as_mut(), &first).await.expect("append");
    let early = outbox.after(start, 10).await.expect("after");
    assert_eq!(early.len(), 1, "an uncommitted event is not visible");
    tx.commit().await.expect("commit");

    let read = outbox.after(start, 10).await.expect("after");
    let ids: Vec<u64> = read.iter().map(|e| e.id.0).collect();
    assert_eq!(
        ids,
        vec![start.0 + 1, start.0 + 2, start.0 + 3],
        "positions follow commits"
    );
    assert_eq!(read[0].event, first, "every field round-trips");
    assert_eq!(read[1].event, second, "every field round-trips");
    let bounds = outbox.bounds().await.expect("bounds").expect("not empty");
    assert_eq!(bounds.newest, EventId(start.0 + 3));
    assert!(bounds.oldest <= EventId(start.0 + 1));
}

async fn a_rolled_back_event_never_appears_and_leaves_no_gap(
    outbox: &dyn EventOutbox,
    uow: &dyn UnitOfWork,
) {
    let start = newest(outbox).await;
    let mut tx = uow.begin().await.expect("begin");
    outbox
        .append(tx.as_mut(), &sample(EventType::FileDeleted, base()))
        .await
        .expect("append");
    drop(tx);
    assert!(
        outbox.after(start, 10).await.expect("after").is_empty(),
        "rolled back"
    );
    let kept = sample(EventType::FileShared, base());
    append_one(outbox, uow, &kept).await;
    let read = outbox.after(start, 10).await.expect("after");
    assert_eq!(read.len(), 1);
    assert_eq!(
        read[0].id,
        start.next(),
        "no gap where the rolled-back event was"
    );
    assert_eq!(read[0].event, kept);
}

async fn concurrent_appends_get_distinct_consecutive_positions(
    outbox: &Arc<dyn EventOutbox>,
    uow: &Arc<dyn UnitOfWork>,
) {
    let start = newest(&**outbox).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let outbox = Arc::clone(outbox);
            let uow = Arc::clone(uow);
            tokio::spawn(async move {
                let event = sample(EventType::FileUpdated, base() + Duration::seconds(i));
                append_one(&*outbox, &*uow, &event).await;
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("appender");
    }
    let ids: Vec<u64> = outbox
        .after(start, 100)
        .await
        .expect("after")
        .iter()
        .map(|e| e.id.0)
        .collect();
    assert_eq!(ids, (start.0 + 1..=start.0 + 8).collect::<Vec<_>>());
}

async fn reads_are_bounded_by_the_limit(outbox: &dyn EventOutbox) {
    let all = outbox.after(EventId(0), 1000).await.expect("after");
    assert!(all.len() >= 3);
    let two = outbox.after(EventId(0), 2).await.expect("after");
    assert_eq!(two, all[..2].to_vec());
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "ascending");
}

async fn purging_keeps_the_newest_event(outbox: &dyn EventOutbox, uow: &dyn UnitOfWork) {
    let old = sample(EventType::InvoicePaid, base() - Duration::days(30));
    append_one(outbox, uow, &old).await;
    let purged = outbox
        .purge(base() + Duration::days(365))
        .await
        .expect("purge");
    assert!(purged >= 1, "old events are purged");
    let bounds = outbox
        .bounds()
        .await
        .expect("bounds")
        .expect("the newest stays");
    assert_eq!(bounds.oldest, bounds.newest, "only the newest is kept");
    let kept = outbox.after(EventId(0), 10).await.expect("after");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].event, old);
    let next = sample(EventType::FileCreated, base());
    append_one(outbox, uow, &next).await;
    let after = outbox.after(bounds.newest, 10).await.expect("after");
    assert_eq!(
        after[0].id,
        bounds.newest.next(),
        "positions are never reused"
    );
    assert_eq!(
        outbox
            .purge(base() - Duration::days(365))
            .await
            .expect("purge"),
        0
    );
}

#[cfg(test)]
mod tests {
    use plinth_kernel::testing::MemoryUnitOfWork;

    use crate::testing::MemoryEventOutbox;

    #[tokio::test]
    async fn the_memory_outbox_keeps_the_contract() {
        super::event_outbox(
            std::sync::Arc::new(MemoryEventOutbox::new()),
            std::sync::Arc::new(MemoryUnitOfWork::new()),
        )
        .await;
    }
}
