//! Announcements on the real store (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): posted by
//! an administrator with its audit entry, read back in its window by a user, newest first.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin_users::super_admin;
use crate::helpers::spawn_app;

#[tokio::test]
async fn posted_announcements_are_stored_audited_and_shown_in_their_window() {
    let app = spawn_app().await;
    let admin = super_admin(&app).await;
    let (_, pair) = app.register_user().await;
    let user = pair["access_token"].as_str().unwrap();

    let post = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post_json("/api/v1/admin/announcements", &body, Some(&admin), None)
                .await
        }
    };
    let later = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let res = post(json!({ "title": "Later", "body": "Not yet.", "starts_at": later })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = post(json!({
        "title": "Release 2.0",
        "body": "New: dark mode.\nüñíçødé survives the round trip.",
        "ends_at": (Utc::now() + Duration::days(1)).to_rfc3339(),
    }))
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let res = post(json!({ "title": "Bad", "body": "b", "ends_at": "2000-01-01T00:00:00Z" })).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = app.get_auth("/api/v1/announcements", user).await;
    assert_eq!(res.status(), StatusCode::OK);
    let current: Value = res.json().await.unwrap();
    let items = current["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the current one: {current}");
    assert_eq!(items[0]["id"], created["id"]);
    assert_eq!(items[0]["body"], created["body"]);
    assert_eq!(
        items[0]["ends_at"], created["ends_at"],
        "times read back exactly as returned"
    );
    assert_eq!(items[0]["created_at"], created["created_at"]);

    let res = app
        .get_auth("/api/v1/admin/announcements?limit=1", &admin)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["items"][0], created, "newest first, with its author");
    let cursor = first["next_cursor"].as_str().unwrap();
    let res = app
        .get_auth(
            &format!("/api/v1/admin/announcements?limit=1&cursor={cursor}"),
            &admin,
        )
        .await;
    let second: Value = res.json().await.unwrap();
    assert_eq!(second["items"][0]["title"], "Later");
    assert!(second["next_cursor"].is_null());

    let res = app
        .get_auth(
            "/api/v1/admin/audit?action=admin.announcement_created",
            &admin,
        )
        .await;
    let audit: Value = res.json().await.unwrap();
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        2,
        "one entry per posted announcement: {audit}"
    );
    assert_eq!(entries[0]["target_id"], created["id"]);
    assert_eq!(entries[0]["actor_id"], created["created_by"]);
    let res = app.get_auth("/api/v1/admin/audit/verify", &admin).await;
    let verified: Value = res.json().await.unwrap();
    assert_eq!(verified["ok"], true, "{verified}");
}
