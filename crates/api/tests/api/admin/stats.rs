//! `GET /admin/stats`: counts that follow what happens to accounts, sessions and files.

use plinth_users::RoleName;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn stats(app: &TestApp, token: &str) -> Value {
    let res = app.get("/api/v1/admin/stats", Some(token)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn stats_count_users_sessions_and_files() {
    let app = spawn_app().await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let bob = app.sign_in_as("bob@example.com", RoleName::user()).await;
    let res = app.upload(&ada.access, "a.txt", b"hello".to_vec()).await;
    assert_eq!(res.status(), 201);
    let root = app.admin_token().await;
    // Each sign_in_as registers (one session) and signs in again (another); root signs in once.
    let body = stats(&app, &root).await;
    assert_eq!(
        body["users"],
        json!({ "total": 3, "active": 3, "new_7d": 3 })
    );
    assert_eq!(body["sessions"], json!({ "active": 5 }));
    assert_eq!(body["files"], json!({ "count": 1, "bytes": 5 }));
    assert!(body.get("revenue").is_none(), "revenue is not tracked yet");

    let res = app
        .patch_json(
            &format!("/api/v1/admin/users/{}", bob.id),
            &json!({ "status": "suspended" }),
            &root,
        )
        .await;
    assert_eq!(res.status(), 200);
    let admin = app.admin_role_token("admin@example.com").await;
    let body = stats(&app, &admin).await;
    assert_eq!(
        body["users"],
        json!({ "total": 4, "active": 3, "new_7d": 4 })
    );
    assert_eq!(
        body["sessions"],
        json!({ "active": 5 }),
        "bob's two ended, the new admin's two began"
    );

    assert_problem(
        app.get("/api/v1/admin/stats", None).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.get("/api/v1/admin/stats", Some(&ada.access)).await,
        403,
        "forbidden",
    )
    .await;
}
