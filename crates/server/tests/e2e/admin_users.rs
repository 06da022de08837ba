//! The admin user API on the real store: suspension and deletion end sessions in the same
//! transaction as the change and its audit entry; deleting an account takes its files' rows
//! with it (`ON DELETE CASCADE`); the statistics are counted by SQL.

use std::io::Write;
use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, plinth, spawn_app, unique_email, upload};

/// Creates a super admin with `plinth admin create` and returns its access token.
pub async fn super_admin(app: &TestApp) -> String {
    let email = unique_email();
    let dir = tempfile::tempdir().unwrap();
    let mut child = plinth(dir.path())
        .args(["admin", "create", "--email", &email, "--name", "Root Admin"])
        .env("DATABASE_URL", &app.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    app.login(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn send(req: reqwest::RequestBuilder, token: &str) -> reqwest::Response {
    req.bearer_auth(token).send().await.unwrap()
}

async fn refresh_status(app: &TestApp, pair: &Value) -> StatusCode {
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({ "refresh_token": pair["refresh_token"] }),
        None,
        None,
    )
    .await
    .status()
}

#[tokio::test]
async fn suspending_and_deleting_end_sessions_and_are_audited_on_the_real_store() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (_, ada) = app.register_user().await;
    let (_, bob) = app.register_user().await;
    let ada_id = ada["user"]["id"].as_str().unwrap();
    let bob_id = bob["user"]["id"].as_str().unwrap();
    let ada_token = ada["access_token"].as_str().unwrap();
    upload(
        &app.client,
        &app.address,
        ada_token,
        "notes.txt",
        b"twelve bytes".to_vec(),
    )
    .await;

    let stats: Value = app
        .get_auth("/api/v1/admin/stats", &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["users"]["total"], 3, "{stats}");
    assert_eq!(stats["sessions"]["active"], 3, "{stats}");
    assert_eq!(
        stats["files"],
        json!({ "count": 1, "bytes": 12 }),
        "{stats}"
    );

    let res = send(
        app.client
            .patch(app.url(&format!("/api/v1/admin/users/{bob_id}")))
            .json(&json!({ "status": "suspended" })),
        &root,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(refresh_status(&app, &bob).await, StatusCode::UNAUTHORIZED);

    let res = send(
        app.client
            .delete(app.url(&format!("/api/v1/admin/users/{ada_id}"))),
        &root,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(refresh_status(&app, &ada).await, StatusCode::UNAUTHORIZED);
    let res = app
        .get_auth(&format!("/api/v1/admin/users/{ada_id}"), &root)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let stats: Value = app
        .get_auth("/api/v1/admin/stats", &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["users"],
        json!({ "total": 2, "active": 1, "new_7d": 2 }),
        "{stats}"
    );
    assert_eq!(
        stats["sessions"]["active"], 1,
        "only root's session is left: {stats}"
    );
    assert_eq!(
        stats["files"],
        json!({ "count": 0, "bytes": 0 }),
        "cascaded: {stats}"
    );

    for (action, target) in [("admin.user_updated", bob_id), ("user.deleted", ada_id)] {
        let page: Value = app
            .get_auth(
                &format!("/api/v1/admin/audit?action={action}&target_id={target}"),
                &root,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            1,
            "{action}: {page}"
        );
    }
    let report: Value = app
        .get_auth("/api/v1/admin/audit/verify", &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["ok"], true, "{report}");
}
