//! The role matrix on the real stores (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): every
//! operation under `/api/v1/admin` in the OpenAPI document × `user`, `admin`, `super_admin`, a
//! custom role stored in the `roles` tables and an anonymous caller, with the table the
//! in-memory matrix uses (`role_matrix_table`). Roles are assigned over HTTP and read back from
//! the database when each holder's token is minted.

use reqwest::StatusCode;
use serde_json::json;

use crate::admin_users::super_admin;
use crate::helpers::{PASSWORD, TestApp, spawn_app};
use crate::role_matrix_table::{
    ADMIN, AUDITOR, PERMISSIONS, SIGNED_IN, SUPER_ADMIN, admin_operations, as_expected, body_for,
    concrete,
};

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

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> u16 {
    let method_name = method.to_lowercase();
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = app.client.request(method, app.url(&concrete(path)));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body_for(&method_name, path) {
        req = req.json(&body);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_admin_operation_answers_each_role_as_its_permissions_say_on_the_real_store() {
    let ops = admin_operations();
    assert!(ops.len() >= PERMISSIONS.len(), "{ops:?}");
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
    let callers: Vec<(&str, Option<String>, &[&str])> = vec![
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
    let mut failures = Vec::new();
    for (method, path) in &ops {
        let Some((_, _, permission)) = PERMISSIONS
            .iter()
            .find(|(m, p, _)| m == method && p == path)
        else {
            failures.push(format!(
                "{method} {path}: not in the table; list its permission"
            ));
            continue;
        };
        for (role, token, perms) in &callers {
            let status = call(&app, method, path, token.as_deref()).await;
            if !as_expected(token.is_some(), perms.contains(permission), status) {
                failures.push(format!(
                    "{method} {path} as {role} (needs {permission}): got {status}"
                ));
            }
        }
    }
    for (method, path) in SIGNED_IN {
        for (role, token, _) in &callers {
            let status = call(&app, method, path, token.as_deref()).await;
            let ok = if token.is_some() {
                status == 200
            } else {
                status == 401
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {role} (signed in): got {status}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
