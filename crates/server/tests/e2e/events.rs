//! `GET /api/v1/events` on the real store (SQLite, or PostgreSQL with `TEST_DATABASE_URL`):
//! an event committed through one replica reaches a stream on another, a client resuming with
//! `Last-Event-ID` after that replica restarted misses nothing, a rolled-back event is never
//! delivered, and organizations' events stay within their members.

use std::time::Duration;

use plinth_events::{Audience, DomainEvent, EventType};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Server, TestApp, spawn_app_with, start_binary_with};
use crate::orgs::{Account, account, add_member, create};
use crate::sse::SseStream;

/// The test settings with a short poll, so events arrive quickly.
async fn app() -> TestApp {
    spawn_app_with(|s| s.events.poll_interval = Duration::from_millis(50)).await
}

/// Opens `who`'s stream on the server at `address`, resuming after `last` when given.
async fn open(app: &TestApp, address: &str, who: &Account, last: Option<u64>) -> SseStream {
    let mut req = app
        .client
        .get(format!("{address}/api/v1/events"))
        .bearer_auth(&who.token);
    if let Some(last) = last {
        req = req.header("Last-Event-ID", last.to_string());
    }
    SseStream::new(req.send().await.unwrap())
}

async fn put_data(app: &TestApp, who: &Account, body: serde_json::Value) {
    let res = app
        .client
        .put(app.url("/api/v1/me/data"))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn rename(app: &TestApp, org: &str, by: &Account, name: &str) {
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/orgs/{org}")))
        .bearer_auth(&by.token)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// A `plinth serve` process beside `a`, on its database and storage.
async fn replica(a: &TestApp) -> Server {
    start_binary_with(
        a.storage_dir.parent().unwrap(),
        &a.database_url,
        &a.storage_dir,
        &[("EVENT_POLL_INTERVAL", "50ms")],
        std::process::Stdio::null(),
    )
    .await
}

#[tokio::test]
async fn a_stream_on_another_replica_gets_the_event_and_resumes_across_its_restart() {
    let a = app().await;
    let b = replica(&a).await;
    let alice = account(&a).await;
    let mut stream = open(&a, &b.address, &alice, None).await;

    put_data(&a, &alice, json!({ "through": "a" })).await;
    let first = stream.expect_event().await;
    assert_eq!(first.event.as_deref(), Some("app_data.changed"));
    let last = first.position();

    // Replica B goes away with the stream; changes keep coming through A meanwhile.
    drop(stream);
    drop(b);
    put_data(&a, &alice, json!({ "n": 1 })).await;
    put_data(&a, &alice, json!({ "n": 2 })).await;
    let b = replica(&a).await;
    let mut resumed = open(&a, &b.address, &alice, Some(last)).await;
    assert_eq!(resumed.expect_event().await.position(), last + 1);
    assert_eq!(resumed.expect_event().await.position(), last + 2);
    put_data(&a, &alice, json!({ "n": 3 })).await;
    assert_eq!(
        resumed.expect_event().await.position(),
        last + 3,
        "and live again"
    );
    assert!(resumed.quiet_for(Duration::from_millis(300)).await);
}

#[tokio::test]
async fn an_event_whose_transaction_rolled_back_is_never_delivered() {
    let a = app().await;
    let alice = account(&a).await;
    let mut stream = open(&a, &a.address, &alice, None).await;
    let event = |n: u32| DomainEvent {
        event_type: EventType::AppDataChanged,
        occurred_at: chrono::DateTime::UNIX_EPOCH,
        actor_id: Some(alice.id),
        org_id: None,
        resource_type: "app_data".into(),
        resource_id: alice.id.to_string(),
        data: json!({ "n": n }),
        audience: Audience::user(alice.id),
    };
    let (uow, outbox) = (a.database.unit_of_work(), a.database.events());
    let mut tx = uow.begin().await.unwrap();
    outbox.append(tx.as_mut(), &event(1)).await.unwrap();
    drop(tx);
    let mut tx = uow.begin().await.unwrap();
    outbox.append(tx.as_mut(), &event(2)).await.unwrap();
    tx.commit().await.unwrap();

    let delivered = stream.expect_event().await;
    assert_eq!(delivered.json()["data"], json!({ "n": 2 }));
    assert!(stream.quiet_for(Duration::from_millis(300)).await);
    // Through a use case: a write refused before it commits (a stale `If-Match`) says nothing.
    let res = a
        .client
        .put(a.url("/api/v1/me/data"))
        .bearer_auth(&alice.token)
        .header("If-Match", "\"stale\"")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert!(stream.quiet_for(Duration::from_millis(300)).await);
}

#[tokio::test]
async fn organizations_events_reach_their_members_only_while_they_are_members() {
    let a = app().await;
    let (alice, bob, carol) = (account(&a).await, account(&a).await, account(&a).await);
    let org_a = create(&a, &alice, "Acme").await;
    let org_b = create(&a, &bob, "Globex").await;
    add_member(&a, &org_a, &carol, "member").await;
    let mut bobs = open(&a, &a.address, &bob, None).await;
    let mut carols = open(&a, &a.address, &carol, None).await;

    rename(&a, &org_a, &alice, "Acme Inc").await;
    let seen = carols.expect_event().await;
    assert_eq!(seen.json()["org_id"], json!(org_a));
    rename(&a, &org_b, &bob, "Globex Corp").await;
    assert_eq!(
        bobs.expect_event().await.json()["org_id"],
        json!(org_b),
        "org A's rename skipped"
    );

    let res = a
        .client
        .delete(a.url(&format!("/api/v1/orgs/{org_a}/members/{}", carol.id)))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        carols.expect_event().await.event.as_deref(),
        Some("membership.removed")
    );
    rename(&a, &org_a, &alice, "Acme Ltd").await;
    put_data(&a, &carol, json!({})).await;
    assert_eq!(
        carols.expect_event().await.event.as_deref(),
        Some("app_data.changed"),
        "the open stream no longer carries org A's events"
    );
}
