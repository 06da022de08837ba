//! `POST · GET /api/v1/admin/announcements` (`announcements:write`) and
//! `GET /api/v1/announcements` (any signed-in user).

use chrono::{Duration, SubsecRound, Utc};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::MemoryUnitOfWork;
use plinth_kernel::{Clock as _, PageRequest, UnitOfWork, UserId};
use plinth_users::{Announcement, AnnouncementId, AnnouncementRepository, RoleName};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_fields, spawn_app};

const ADMIN: &str = "/api/v1/admin/announcements";
const CURRENT: &str = "/api/v1/announcements";

async fn post(app: &TestApp, body: &Value, token: &str) -> reqwest::Response {
    app.post_json(ADMIN, body, Some(token)).await
}

async fn listed(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

fn titles(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect()
}

async fn audited(app: &TestApp) -> Vec<plinth_audit::AuditEvent> {
    let filter = AuditFilter {
        action: Some(AuditAction::AnnouncementCreated),
        ..AuditFilter::default()
    };
    app.audit_log
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn an_admin_posts_an_announcement_that_every_signed_in_user_reads() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin@example.com", RoleName::admin()).await;
    let user = app.token("user@example.com").await;
    let ends_at = (app.clock.now() + Duration::days(2)).trunc_subsecs(0);
    let res = post(
        &app,
        &json!({
            "title": "  Maintenance on Saturday ",
            "body": "Read-only from 22:00 to 23:00 UTC.\nThank you for your patience.",
            "ends_at": ends_at,
        }),
        &admin.access,
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["title"], "Maintenance on Saturday", "trimmed");
    assert_eq!(
        created["body"],
        "Read-only from 22:00 to 23:00 UTC.\nThank you for your patience."
    );
    assert_eq!(created["created_by"], admin.id.as_str());
    assert!(created["starts_at"].is_null());
    assert_eq!(
        created["ends_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        ends_at
    );
    let id = created["id"].as_str().unwrap();

    let current = listed(&app, CURRENT, &user).await;
    assert_eq!(current["items"].as_array().unwrap().len(), 1);
    let shown = &current["items"][0];
    assert_eq!(shown["id"], id);
    assert_eq!(shown["title"], "Maintenance on Saturday");
    assert_eq!(shown["body"], created["body"]);
    assert_eq!(shown["created_at"], created["created_at"]);
    assert!(
        shown.get("created_by").is_none(),
        "users are not told which administrator posted it: {shown}"
    );
    assert!(current["next_cursor"].is_null());

    let all = listed(&app, ADMIN, &admin.access).await;
    assert_eq!(
        all["items"][0], created,
        "the admin list shows what was posted"
    );

    let entries = audited(&app).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].actor_id.map(|u| u.to_string()),
        Some(admin.id.clone())
    );
    assert_eq!(entries[0].target_type.as_deref(), Some("announcement"));
    assert_eq!(entries[0].target_id.as_deref(), Some(id));
}

/// Stores an announcement straight in the rows, as if posted earlier.
async fn stored(app: &TestApp, title: &str, window: (Option<Duration>, Option<Duration>)) {
    let now = app.clock.now().trunc_subsecs(6);
    let announcement = Announcement {
        id: AnnouncementId::new(),
        title: title.to_owned(),
        body: "Stored directly.".to_owned(),
        starts_at: window.0.map(|d| now + d),
        ends_at: window.1.map(|d| now + d),
        created_by: UserId::new(),
        created_at: now - Duration::days(3),
    };
    let mut tx = MemoryUnitOfWork::new().begin().await.unwrap();
    app.announcements
        .insert(tx.as_mut(), &announcement)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn users_see_only_announcements_within_their_window_admins_see_all() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let user = app.token("user@example.com").await;
    stored(
        &app,
        "Over",
        (Some(-Duration::days(3)), Some(-Duration::days(1))),
    )
    .await;
    stored(
        &app,
        "Running",
        (Some(-Duration::days(1)), Some(Duration::days(1))),
    )
    .await;
    let starts = (app.clock.now() + Duration::hours(1)).to_rfc3339();
    let res = post(
        &app,
        &json!({ "title": "Coming", "body": "Soon.", "starts_at": starts }),
        &admin,
    )
    .await;
    assert_eq!(res.status(), 201);
    let res = post(
        &app,
        &json!({ "title": "Now", "body": "Open-ended." }),
        &admin,
    )
    .await;
    assert_eq!(res.status(), 201);

    assert_eq!(
        titles(&listed(&app, CURRENT, &user).await),
        ["Now", "Running"],
        "current ones only, newest first"
    );
    assert_eq!(
        titles(&listed(&app, ADMIN, &admin).await),
        ["Now", "Coming", "Running", "Over"],
        "every one, newest first"
    );
}

#[tokio::test]
async fn lists_page_newest_first_with_a_cursor() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let user = app.token("user@example.com").await;
    for title in ["First", "Second", "Third"] {
        let res = post(&app, &json!({ "title": title, "body": "b" }), &admin).await;
        assert_eq!(res.status(), 201);
    }
    for (path, token) in [(ADMIN, &admin), (CURRENT, &user)] {
        let first = listed(&app, &format!("{path}?limit=2"), token).await;
        assert_eq!(titles(&first), ["Third", "Second"], "{path}");
        let cursor = first["next_cursor"].as_str().expect("a cursor");
        let second = listed(&app, &format!("{path}?limit=2&cursor={cursor}"), token).await;
        assert_eq!(titles(&second), ["First"], "{path}");
        assert!(second["next_cursor"].is_null(), "{path}");
        for bad in ["limit=0", "limit=101", "cursor=not-a-cursor!"] {
            let res = app.get(&format!("{path}?{bad}"), Some(token)).await;
            assert_eq!(res.status(), 400, "{path}?{bad}");
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["code"], "bad_request");
        }
    }
}

#[tokio::test]
async fn invalid_announcements_are_422_naming_each_field_and_store_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let now = app.clock.now();
    let hour = |h: i64| (now + Duration::hours(h)).to_rfc3339();
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({ "title": " ", "body": "b" }), &["title"]),
        (json!({ "title": "t".repeat(201), "body": "b" }), &["title"]),
        (json!({ "title": "two\nlines", "body": "b" }), &["title"]),
        (json!({ "title": "t", "body": "x".repeat(5001) }), &["body"]),
        (json!({ "title": "t", "body": "<b>\u{0}</b>" }), &["body"]),
        (json!({ "title": "", "body": "" }), &["body", "title"]),
        (
            json!({ "title": "t", "body": "b", "starts_at": hour(2), "ends_at": hour(1) }),
            &["ends_at"],
        ),
        (
            json!({ "title": "t", "body": "b", "ends_at": hour(-1) }),
            &["ends_at"],
        ),
        (json!({ "title": "t" }), &["body"]),
        (
            json!({ "title": "t", "body": "b", "ends_at": "tomorrow" }),
            &[],
        ),
        (json!({ "title": "t", "body": "b", "pinned": true }), &[]),
    ];
    for (body, fields) in cases {
        let res = post(&app, &body, &admin).await;
        assert_eq!(res.status(), 422, "{body}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{body}"
        );
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "validation_failed", "{body}");
        let named = error_fields(&problem);
        if !fields.is_empty() {
            assert_eq!(named, fields, "{body}: {problem}");
        }
    }
    let res = app
        .client
        .post(app.url(ADMIN))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "malformed JSON");

    assert!(app.announcements.all().is_empty(), "nothing stored");
    assert!(audited(&app).await.is_empty(), "nothing audited");
}

#[tokio::test]
async fn users_cannot_post_or_list_everything_and_strangers_are_401() {
    let app = spawn_app().await;
    let user = app.token("user@example.com").await;
    let body = json!({ "title": "Hijack", "body": "Not allowed." });
    let res = post(&app, &body, &user).await;
    assert_eq!(res.status(), 403);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "forbidden");
    assert_eq!(app.get(ADMIN, Some(&user)).await.status(), 403);

    let res = app.post_json(ADMIN, &body, None).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    for path in [ADMIN, CURRENT] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), 401, "{path}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "unauthenticated", "{path}");
    }
    assert!(app.announcements.all().is_empty(), "nothing stored");
    assert!(audited(&app).await.is_empty());
}
