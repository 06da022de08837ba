#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use plinth_kernel::testing::{MemoryUnitOfWork, fixed_now};
use plinth_kernel::{OrgId, UnitOfWork, UserId};

use super::*;
use crate::testing::contract::sample;
use crate::testing::{MemoryEventOutbox, MemoryMemberPermissions};
use crate::{Audience, DomainEvent, EventType, MemberAudience};

struct World {
    outbox: MemoryEventOutbox,
    access: MemoryMemberPermissions,
    uow: MemoryUnitOfWork,
    hub: EventHub,
    poller: tokio::task::JoinHandle<()>,
}

impl Drop for World {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

fn world() -> World {
    let outbox = MemoryEventOutbox::new();
    let access = MemoryMemberPermissions::new();
    let hub = EventHub::new(
        Arc::new(outbox.clone()),
        Arc::new(access.clone()),
        HubSettings {
            poll_interval: Duration::from_millis(5),
            heartbeat: Duration::from_millis(200),
            batch: 3,
        },
    );
    let poller = tokio::spawn({
        let hub = hub.clone();
        async move { hub.run_poller().await }
    });
    World {
        outbox,
        access,
        uow: MemoryUnitOfWork::new(),
        hub,
        poller,
    }
}

fn personal(user: UserId) -> DomainEvent {
    DomainEvent {
        org_id: None,
        audience: Audience::user(user),
        ..sample(EventType::FileCreated, fixed_now())
    }
}

fn of_org(org: OrgId, permission: &str) -> DomainEvent {
    DomainEvent {
        org_id: Some(org),
        audience: Audience {
            members: Some(MemberAudience::WithPermission(permission.to_owned())),
            ..Audience::default()
        },
        ..sample(EventType::FileCreated, fixed_now())
    }
}

impl World {
    async fn commit(&self, event: &DomainEvent) {
        let mut tx = self.uow.begin().await.unwrap();
        self.outbox.append(tx.as_mut(), event).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// The next event (skipping heartbeats), within a second.
async fn next_event(stream: &mut EventStream) -> StreamItem {
    tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            match stream.next().await.unwrap() {
                StreamItem::Heartbeat { .. } => {}
                other => return other,
            }
        }
    })
    .await
    .expect("an item within a second")
}

/// Whether nothing but heartbeats comes for a while.
async fn quiet(stream: &mut EventStream) -> bool {
    tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            if !matches!(stream.next().await.unwrap(), StreamItem::Heartbeat { .. }) {
                return;
            }
        }
    })
    .await
    .is_err()
}

fn event_id(item: &StreamItem) -> EventId {
    match item {
        StreamItem::Event(e) => e.id,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[tokio::test]
async fn a_stream_gets_its_viewers_events_live_and_nobody_elses() {
    let w = world();
    let (alice, bob) = (UserId::new(), UserId::new());
    let mut stream = w.hub.open(alice, None).await.unwrap();
    w.commit(&personal(bob)).await;
    w.commit(&personal(alice)).await;
    assert_eq!(event_id(&next_event(&mut stream).await), EventId(2));
    assert!(quiet(&mut stream).await);
}

#[tokio::test]
async fn a_rolled_back_event_is_never_delivered() {
    let w = world();
    let alice = UserId::new();
    let mut stream = w.hub.open(alice, None).await.unwrap();
    let mut tx = w.uow.begin().await.unwrap();
    w.outbox
        .append(tx.as_mut(), &personal(alice))
        .await
        .unwrap();
    drop(tx);
    w.commit(&personal(alice)).await;
    assert_eq!(event_id(&next_event(&mut stream).await), EventId(1));
    assert!(quiet(&mut stream).await);
}

#[tokio::test]
async fn resuming_after_the_last_seen_event_misses_nothing() {
    let w = world();
    let alice = UserId::new();
    for _ in 0..7 {
        w.commit(&personal(alice)).await;
    }
    // More than one batch (3) behind: read from the outbox, in order.
    let mut stream = w.hub.open(alice, Some(EventId(2))).await.unwrap();
    for expected in 3..=7 {
        assert_eq!(event_id(&next_event(&mut stream).await), EventId(expected));
    }
    w.commit(&personal(alice)).await;
    assert_eq!(event_id(&next_event(&mut stream).await), EventId(8));
}

#[tokio::test]
async fn a_removed_member_stops_receiving_the_organizations_events_on_an_open_stream() {
    let w = world();
    let (alice, org, other) = (UserId::new(), OrgId::new(), OrgId::new());
    w.access.grant(alice, org, &["org_files:read"]);
    let mut stream = w.hub.open(alice, None).await.unwrap();
    w.commit(&of_org(other, "org_files:read")).await;
    w.commit(&of_org(org, "org_billing:read")).await;
    w.commit(&of_org(org, "org_files:read")).await;
    assert_eq!(
        event_id(&next_event(&mut stream).await),
        EventId(3),
        "only what her role grants"
    );
    w.access.remove(alice, org);
    w.commit(&of_org(org, "org_files:read")).await;
    w.commit(&personal(alice)).await;
    assert_eq!(
        event_id(&next_event(&mut stream).await),
        EventId(5),
        "no longer org's"
    );
}

#[tokio::test]
async fn a_position_behind_retention_or_unknown_asks_for_a_reload() {
    let w = world();
    let alice = UserId::new();
    let mut old = personal(alice);
    old.occurred_at = fixed_now() - chrono::Duration::days(30);
    w.commit(&old).await;
    w.commit(&old).await;
    w.commit(&personal(alice)).await;
    w.outbox
        .purge(fixed_now() - chrono::Duration::days(7))
        .await
        .unwrap();
    let mut stream = w.hub.open(alice, Some(EventId(1))).await.unwrap();
    assert_eq!(
        next_event(&mut stream).await,
        StreamItem::Reload {
            resume_at: EventId(3)
        }
    );
    w.commit(&personal(alice)).await;
    assert_eq!(event_id(&next_event(&mut stream).await), EventId(4));

    let mut future = w.hub.open(alice, Some(EventId(99))).await.unwrap();
    assert_eq!(
        next_event(&mut future).await,
        StreamItem::Reload {
            resume_at: EventId(4)
        }
    );
    // The position just before the oldest retained one is fine.
    let mut edge = w.hub.open(alice, Some(EventId(2))).await.unwrap();
    assert_eq!(event_id(&next_event(&mut edge).await), EventId(3));
}

#[tokio::test]
async fn idle_streams_hear_heartbeats_and_closing_ends_them() {
    let w = world();
    let mut stream = w.hub.open(UserId::new(), None).await.unwrap();
    assert_eq!(
        stream.next().await.unwrap(),
        StreamItem::Heartbeat {
            position: EventId(0)
        }
    );
    w.hub.close();
    assert_eq!(stream.next().await.unwrap(), StreamItem::Closed);
}

#[tokio::test]
async fn a_stream_that_sees_none_of_a_steady_flow_still_hears_heartbeats() {
    let w = world();
    let (alice, bob) = (UserId::new(), UserId::new());
    let mut stream = w.hub.open(alice, None).await.unwrap();
    let flow = async {
        for _ in 0..40 {
            w.commit(&personal(bob)).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (item, ()) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(1), stream.next()),
        flow
    );
    assert!(
        matches!(item, Ok(Ok(StreamItem::Heartbeat { .. }))),
        "a heartbeat within one interval: {item:?}"
    );
}
