//! `GET /api/v1/events`: the realtime stream over HTTP — who sees what, resuming with
//! `Last-Event-ID`, reloads past retention, and nothing for a change that rolled back.

use std::sync::Arc;
use std::time::Duration;

use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditEvent, AuditFilter, AuditLog, StoredEntry};
use plinth_events::EventOutbox;
use plinth_kernel::{Page, PageRequest, RepoError, Transaction};
use serde_json::json;

use crate::helpers::{Options, SseStream, TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::orgs::{Account, account, add_member, create, remove_member, send};

/// Opens the caller's stream, resuming after `last_event_id` when given.
async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> SseStream {
    let mut req = app.client.get(app.url("/api/v1/events")).bearer_auth(token);
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    SseStream::new(req.send().await.unwrap())
}

/// The stream's position from its first message.
async fn position(stream: &mut SseStream) -> u64 {
    let first = stream
        .next_frame(Duration::from_secs(2))
        .await
        .expect("the first message");
    assert!(
        first.comments.contains(&"connected".to_owned()),
        "{first:?}"
    );
    first.position()
}

async fn put_data(app: &TestApp, who: &Account, body: serde_json::Value) {
    let res = send(
        app,
        reqwest::Method::PUT,
        "/api/v1/me/data",
        &who.token,
        Some(body),
    )
    .await;
    assert_eq!(res.status(), 200);
}

async fn rename(app: &TestApp, org: &str, by: &Account, name: &str) {
    let res = send(
        app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{org}"),
        &by.token,
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_stream_needs_a_signed_in_user() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/events", None).await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_users_own_changes_arrive_live_and_nobody_elses() {
    let app = spawn_app().await;
    let alice = account(&app, "alice@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let mut stream = open(&app, &alice.token, None).await;
    let start = position(&mut stream).await;

    put_data(&app, &bob, json!({ "theme": "dark" })).await;
    let res = app.upload(&bob.token, "notes.txt", b"bob's".to_vec()).await;
    assert_eq!(res.status(), 201);
    put_data(&app, &alice, json!({ "theme": "light" })).await;

    let event = stream.expect_event().await;
    assert_eq!(event.event.as_deref(), Some("app_data.changed"));
    let body = event.json();
    assert_eq!(body["type"], "app_data.changed");
    assert_eq!(body["id"], json!(event.position()));
    assert!(event.position() > start);
    assert_eq!(body["actor_id"], json!(alice.id.to_string()));
    assert_eq!(
        body["resource"],
        json!({ "type": "app_data", "id": alice.id.to_string() })
    );
    assert_eq!(body["data"]["etag"].as_str().map(str::len), Some(64));

    let res = app
        .upload(&alice.token, "mine.txt", b"alice's".to_vec())
        .await;
    assert_eq!(res.status(), 201);
    let file: serde_json::Value = res.json().await.unwrap();
    let event = stream.expect_event().await;
    assert_eq!(event.event.as_deref(), Some("file.created"));
    let body = event.json();
    assert_eq!(body["resource"]["id"], file["id"]);
    assert_eq!(
        body["data"],
        json!({ "name": "mine.txt", "size": 7, "version": 1 })
    );
    assert!(
        stream.quiet_for(Duration::from_millis(300)).await,
        "bob's changes are not hers"
    );
}

#[tokio::test]
async fn idle_streams_hear_heartbeats_carrying_their_position() {
    let app = spawn_app().await;
    let alice = account(&app, "alice@example.com").await;
    let mut stream = open(&app, &alice.token, None).await;
    let start = position(&mut stream).await;
    let beat = stream
        .next_frame(Duration::from_secs(2))
        .await
        .expect("a heartbeat");
    assert_eq!(beat.comments, vec!["heartbeat".to_owned()]);
    assert_eq!(beat.position(), start);
    assert_eq!(beat.event, None);
}

#[tokio::test]
async fn resuming_with_last_event_id_misses_nothing() {
    let app = spawn_app().await;
    let alice = account(&app, "alice@example.com").await;
    let mut stream = open(&app, &alice.token, None).await;
    let start = position(&mut stream).await;
    drop(stream);

    for n in 0..3 {
        put_data(&app, &alice, json!({ "n": n })).await;
    }
    let mut resumed = open(&app, &alice.token, Some(&start.to_string())).await;
    assert_eq!(position(&mut resumed).await, start);
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(resumed.expect_event().await.position());
    }
    assert_eq!(seen, vec![start + 1, start + 2, start + 3]);

    // The query parameter works too (for a first connection that cannot send the header).
    let res = app
        .client
        .get(app.url(&format!("/api/v1/events?last_event_id={}", start + 2)))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let mut from_query = SseStream::new(res);
    assert_eq!(from_query.expect_event().await.position(), start + 3);
    assert!(from_query.quiet_for(Duration::from_millis(200)).await);
}

#[tokio::test]
async fn an_unknown_position_asks_the_client_to_reload() {
    let app = spawn_app().await;
    let alice = account(&app, "alice@example.com").await;
    put_data(&app, &alice, json!({})).await;
    for last in ["999999", "not-a-number"] {
        let mut stream = open(&app, &alice.token, Some(last)).await;
        position(&mut stream).await;
        let reload = stream.expect_event().await;
        assert_eq!(reload.event.as_deref(), Some("reload"));
        assert_eq!(reload.json(), json!({ "reason": "retention" }));
        let newest = reload.position();
        put_data(&app, &alice, json!({ "after": last })).await;
        assert_eq!(stream.expect_event().await.position(), newest + 1);
    }
}

#[tokio::test]
async fn a_member_of_one_organization_never_sees_anothers_events() {
    let app = spawn_app().await;
    let alice = account(&app, "alice@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let org_a = create(&app, &alice, "Acme").await;
    let org_b = create(&app, &bob, "Globex").await;
    let mut alices = open(&app, &alice.token, None).await;
    let mut bobs = open(&app, &bob.token, None).await;

    rename(&app, &org_b, &bob, "Globex Corp").await;
    rename(&app, &org_a, &alice, "Acme Inc").await;

    let event = alices.expect_event().await;
    assert_eq!(event.event.as_deref(), Some("organization.updated"));
    assert_eq!(event.json()["org_id"], json!(org_a));
    assert_eq!(
        event.json()["data"],
        json!({ "name": "Acme Inc", "change": "renamed" })
    );
    let event = bobs.expect_event().await;
    assert_eq!(event.json()["org_id"], json!(org_b));
    assert!(alices.quiet_for(Duration::from_millis(200)).await);
    assert!(bobs.quiet_for(Duration::from_millis(200)).await);
}

#[tokio::test]
async fn a_removed_member_stops_receiving_the_organizations_events_on_an_open_stream() {
    let app = spawn_app().await;
    let alice = account(&app, "alice@example.com").await;
    let carol = account(&app, "carol@example.com").await;
    let org = create(&app, &alice, "Acme").await;
    add_member(&app, &org, &carol, "member").await;
    let mut carols = open(&app, &carol.token, None).await;

    rename(&app, &org, &alice, "Acme Inc").await;
    assert_eq!(
        carols.expect_event().await.event.as_deref(),
        Some("organization.updated")
    );
    let res = remove_member(&app, &org, carol.id, &alice.token).await;
    assert_eq!(res.status(), 204);
    let removed = carols.expect_event().await;
    assert_eq!(removed.event.as_deref(), Some("membership.removed"));
    assert_eq!(
        removed.json()["data"]["user_id"],
        json!(carol.id.to_string())
    );

    // The same open stream: the organization's next change is no longer hers.
    rename(&app, &org, &alice, "Acme Ltd").await;
    put_data(&app, &carol, json!({ "still": "here" })).await;
    let next = carols.expect_event().await;
    assert_eq!(next.event.as_deref(), Some("app_data.changed"));
    assert_eq!(
        next.position(),
        removed.position() + 2,
        "the rename was skipped"
    );
}

#[tokio::test]
async fn announcements_reach_every_signed_in_user() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let alice = account(&app, "alice@example.com").await;
    let mut stream = open(&app, &alice.token, None).await;
    let res = app
        .post_json(
            "/api/v1/admin/announcements",
            &json!({ "title": "Maintenance", "body": "Saturday night." }),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), 201);
    let event = stream.expect_event().await;
    assert_eq!(event.event.as_deref(), Some("announcement.published"));
    assert_eq!(event.json()["data"], json!({ "title": "Maintenance" }));
}

/// An audit log that stores like the in-memory one but refuses an administrator's
/// `admin.role_changed` (the CLI bootstrap's, without an actor, passes): a use
/// case that appended other entries (and so their events) before it then rolls back.
struct RefusingRoleChanges(MemoryAuditLog);

#[async_trait::async_trait]
impl AuditLog for RefusingRoleChanges {
    async fn append(&self, tx: &mut dyn Transaction, event: &AuditEvent) -> Result<(), RepoError> {
        if event.action == AuditAction::RoleChanged && event.actor_id.is_some() {
            return Err(RepoError::Unavailable("refused by the test".into()));
        }
        self.0.append(tx, event).await
    }

    async fn list_rows(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        self.0.list_rows(filter, page).await
    }

    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        self.0.chain_page(after_seq, limit).await
    }
}

#[tokio::test]
async fn an_event_of_a_change_that_rolled_back_is_never_delivered() {
    let app = spawn_app_with(Options {
        audit: Some(Arc::new(RefusingRoleChanges(MemoryAuditLog::new()))),
        ..Options::default()
    })
    .await;
    let admin = app.admin_token().await;
    let alice = account(&app, "alice@example.com").await;
    let mut stream = open(&app, &alice.token, None).await;
    let start = position(&mut stream).await;
    let path = format!("/api/v1/admin/users/{}", alice.id);

    // `admin.user_updated` (and its `user.updated` event) is appended, then the role change's
    // entry fails: the whole change rolls back, its event with it.
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        &admin,
        Some(json!({ "name": "Alice A.", "role": "admin" })),
    )
    .await;
    assert_eq!(res.status(), 503);
    assert!(
        stream.quiet_for(Duration::from_millis(300)).await,
        "nothing was committed"
    );

    let res = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        &admin,
        Some(json!({ "name": "Alice B." })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let event = stream.expect_event().await;
    assert_eq!(event.event.as_deref(), Some("user.updated"));
    assert_eq!(
        event.position(),
        start + 1,
        "the rolled-back event left no position behind"
    );
    assert_eq!(event.json()["data"]["fields"], json!(["name"]));
    let bounds = app.events.bounds().await.unwrap().unwrap();
    assert_eq!(bounds.newest.0, start + 1, "one event committed in all");
}

#[tokio::test]
async fn a_stream_ends_when_its_session_is_revoked() {
    let app = spawn_app().await;
    let alice = account(&app, "alice@example.com").await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "alice@example.com", "password": crate::helpers::PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let other_session: serde_json::Value = res.json().await.unwrap();
    let other = Account {
        token: other_session["access_token"].as_str().unwrap().to_owned(),
        id: alice.id,
    };
    let mut stream = open(&app, &alice.token, None).await;
    position(&mut stream).await;

    let res = app
        .post_json("/api/v1/auth/logout", &json!({}), Some(&alice.token))
        .await;
    assert_eq!(res.status(), 204);
    app.auth.sync_revocations().await.unwrap();
    // The stream checks its token at most once a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    put_data(&app, &other, json!({ "from": "the other session" })).await;
    // Heartbeats come every 500 ms: a handful at most before the check ends the stream.
    for _ in 0..10 {
        match stream.next_frame(Duration::from_secs(3)).await {
            None => return,
            Some(frame) => assert!(frame.event.is_none(), "delivered after logout: {frame:?}"),
        }
    }
    panic!("the stream is still open after the logout");
}
