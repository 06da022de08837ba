//! `DELETE /me`: the account, its files and blobs, its sessions and the shares with its
//! address go; the audit trail keeps only a pseudonymous id.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

const ADA: &str = "ada@example.com";

async fn delete_me(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(token)
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn deleting_my_account_erases_its_files_sessions_and_shares() {
    let app = spawn_app().await;
    let pair = app.register(ADA).await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let ada_id = pair["user"]["id"].as_str().unwrap().to_owned();
    for name in ["one.txt", "two.txt"] {
        assert_eq!(
            app.upload(&token, name, b"mine\n".to_vec()).await.status(),
            201
        );
    }
    let bob = app.token("bob@example.com").await;
    let bobs: Value = app
        .upload(&bob, "bobs.txt", b"for ada\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let bobs_id = bobs["id"].as_str().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/files/{bobs_id}/shares"),
            &json!({ "email": ADA, "permission": "view" }),
            Some(&bob),
        )
        .await;
    assert_eq!(res.status(), 201);
    let blobs_before = app.blobs.keys().len();
    assert_eq!(blobs_before, 3);

    let body = assert_problem(
        delete_me(&app, &token, "not my password").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["password"].is_array(), "{body}");
    assert_eq!(
        app.blobs.keys().len(),
        3,
        "a wrong password changes nothing"
    );
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);

    assert_eq!(delete_me(&app, &token, PASSWORD).await.status(), 204);
    assert_eq!(
        app.blobs.keys().len(),
        1,
        "ada's blobs are gone, bob's stays"
    );
    assert!(
        app.file_rows
            .all()
            .iter()
            .all(|f| f.owner_id.to_string() != ada_id),
        "no file row of ada is left"
    );
    app.auth.sync_revocations().await.unwrap();
    assert_problem(
        app.get("/api/v1/me", Some(&token)).await,
        401,
        "unauthenticated",
    )
    .await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": ADA, "password": PASSWORD }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;

    let shares: Value = app
        .get(&format!("/api/v1/files/{bobs_id}/shares"), Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        shares["items"],
        json!([]),
        "the share with ada's address ended"
    );

    let filter = AuditFilter {
        action: Some(AuditAction::UserDeleted),
        ..AuditFilter::default()
    };
    let deleted = app
        .audit_log
        .list(&filter, PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        deleted[0].actor_id.map(|id| id.to_string()),
        Some(ada_id.clone())
    );
    assert_eq!(deleted[0].details["by"], "self");
    assert!(
        !deleted[0].details.to_string().contains(ADA),
        "the audit entry does not name the address"
    );

    // Someone registering the address later inherits nothing.
    let again = app.token(ADA).await;
    let visible: Value = app
        .get("/api/v1/files", Some(&again))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(visible["items"], json!([]));
}

#[tokio::test]
async fn deleting_needs_a_signed_in_caller() {
    let app = spawn_app().await;
    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
}
