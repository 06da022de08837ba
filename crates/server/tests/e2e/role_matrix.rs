//! The role matrix on the real stores (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): every
//! operation under `/api/v1/admin` in the OpenAPI document × `user`, `admin`, `super_admin`, a
//! custom role stored in the `roles` tables and an anonymous caller, with the table the
//! in-memory matrix uses (`role_matrix_table`). Roles are assigned over HTTP and read back from
//! the database when each holder's token is minted.

use reqwest::StatusCode;
use serde_json::json;

use crate::admin_users::super_admin;
use crate::helpers::{PASSWORD, TestApp, spawn_app};
use crate::role_matrix_table::{ADMIN, AUDITOR, MatrixCaller, SUPER_ADMIN, failures};

/// A new account given `role` by `root`, signed in again so that its token carries it.
async fn holder_of(app: &TestApp, root: &str, role: &str) -> String {
    let (email, pair) = app.register_user().await;
    let id = pair["user"]["id"].as_str().unwrap();
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(root)
        .json(&json!({ "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{role}");
    app.login(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_admin_operation_answers_each_role_as_its_permissions_say_on_the_real_store() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let res = app
        .post_json(
            "/api/v1/admin/roles",
            &json!({ "name": "auditor", "permissions": AUDITOR }),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, user) = app.register_user().await;
    let user = user["access_token"].as_str().unwrap().to_owned();
    let callers: Vec<MatrixCaller> = vec![
        ("anonymous", None, &[]),
        ("user", Some(user), &[]),
        ("admin", Some(holder_of(&app, &root, "admin").await), ADMIN),
        (
            "auditor (custom)",
            Some(holder_of(&app, &root, "auditor").await),
            AUDITOR,
        ),
        ("super_admin", Some(root), SUPER_ADMIN),
    ];
    let failures = failures(&app.client, &app.address, &callers).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
