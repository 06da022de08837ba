//! Sharing: replacing a permission, unsharing, pending shares, bad requests and the audit
//! trail; the fixtures the matrix and signed-URL tests share.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, verify_email};

/// Who is asking, and what each may do to the shared file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Owner,
    View,
    Download,
    Edit,
    Stranger,
}

pub(super) struct Shared {
    pub app: TestApp,
    pub id: String,
    tokens: Vec<(Role, String)>,
}

impl Shared {
    pub(super) fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }
}

/// An owner's file shared with `view@`, `download@` and `edit@`; `stranger@` has an account too.
/// Every account's address is verified.
pub(super) async fn shared_file() -> Shared {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for (role, email) in [
        (Role::Owner, "owner@example.com"),
        (Role::View, "view@example.com"),
        (Role::Download, "download@example.com"),
        (Role::Edit, "edit@example.com"),
        (Role::Stranger, "stranger@example.com"),
    ] {
        tokens.push((role, app.token(email).await));
        // Shares count only for a verified address.
        verify_email(&app, email).await;
    }
    let owner = tokens[0].1.clone();
    let file: Value = app
        .upload(&owner, "plan.txt", b"the plan\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = file["id"].as_str().unwrap().to_owned();
    for (email, permission) in [
        ("View@Example.com", "view"),
        ("download@example.com", "download"),
        ("edit@example.com", "edit"),
    ] {
        let res = share(&app, &owner, &id, email, permission).await;
        assert_eq!(res.status(), 201, "share with {email}");
    }
    Shared { app, id, tokens }
}

pub(super) async fn share(
    app: &TestApp,
    token: &str,
    id: &str,
    email: &str,
    permission: &str,
) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/files/{id}/shares"),
        &json!({ "email": email, "permission": permission }),
        Some(token),
    )
    .await
}

pub(super) async fn put_content(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.put_content(token, id, "plan.txt", b"new plan\n".to_vec())
        .await
}

pub(super) async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub(super) async fn listed(app: &TestApp, token: &str, id: &str) -> bool {
    let list: Value = app
        .get("/api/v1/files", Some(token))
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id)
}

#[tokio::test]
async fn sharing_again_replaces_the_permission_and_unsharing_revokes() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    let viewer = s.token(Role::View);
    let content = format!("/api/v1/files/{id}/content");
    assert_problem(app.get(&content, Some(viewer)).await, 403, "forbidden").await;

    let first: Value = app
        .get(&format!("/api/v1/files/{id}/shares"), Some(owner))
        .await
        .json()
        .await
        .unwrap();
    let before = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["email"] == "view@example.com")
        .unwrap()
        .clone();
    assert_eq!(before["permission"], "view");

    let res = share(app, owner, id, "view@example.com", "download").await;
    assert_eq!(res.status(), 201);
    let share_body: Value = res.json().await.unwrap();
    assert_eq!(share_body["permission"], "download");
    assert_eq!(share_body["email"], "view@example.com");
    assert_eq!(share_body["file_id"], id);
    assert_eq!(
        share_body["created_at"], before["created_at"],
        "replacing keeps the first date"
    );
    let list: Value = app
        .get(&format!("/api/v1/files/{id}/shares"), Some(owner))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        3,
        "replaced, not added: {list}"
    );
    assert_eq!(app.get(&content, Some(viewer)).await.status(), 200);

    // Unshare by user id.
    let me: Value = app
        .get("/api/v1/me", Some(viewer))
        .await
        .json()
        .await
        .unwrap();
    let user_id = me["id"].as_str().unwrap();
    let res = delete(app, owner, &format!("/api/v1/files/{id}/shares/{user_id}")).await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get(&format!("/api/v1/files/{id}"), Some(viewer)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get(&content, Some(viewer)).await, 404, "not_found").await;
    assert!(!listed(app, viewer, id).await);
    let res = delete(app, owner, &format!("/api/v1/files/{id}/shares/{user_id}")).await;
    assert_problem(res, 404, "not_found").await;

    let filter = AuditFilter {
        action: Some(AuditAction::FileShared),
        target_id: Some(id.to_owned()),
        ..AuditFilter::default()
    };
    let events = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 5, "three shares, one change, one removal");
    assert_eq!(
        events[0].details,
        json!({ "email": "view@example.com", "permission": null })
    );
    assert_eq!(
        events[1].details,
        json!({ "email": "view@example.com", "permission": "download" })
    );
    let owner_me: Value = app
        .get("/api/v1/me", Some(owner))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events[0].actor_id.map(|a| a.to_string()).as_deref(),
        owner_me["id"].as_str()
    );
}

#[tokio::test]
async fn an_address_without_an_account_is_shared_with_and_works_once_it_is_verified() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    let res = share(app, owner, id, "later@example.com", "download").await;
    assert_eq!(res.status(), 201, "same answer as for an existing account");
    app.clock.advance(chrono::Duration::minutes(1));
    let later = app.token("later@example.com").await;
    // Whoever registers the address first must not get what was shared with it before.
    let content = format!("/api/v1/files/{id}/content");
    assert_problem(app.get(&content, Some(&later)).await, 404, "not_found").await;
    let list: Value = app
        .get("/api/v1/files", Some(&later))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    // Once the address is proven theirs, the share counts.
    verify_email(app, "later@example.com").await;
    assert_eq!(app.get(&content, Some(&later)).await.status(), 200);
    let list: Value = app
        .get("/api/v1/files", Some(&later))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], id);
    let res = delete(
        app,
        owner,
        &format!("/api/v1/files/{id}/shares/nobody@example.com"),
    )
    .await;
    assert_problem(res, 404, "not_found").await;
    let res = delete(
        app,
        owner,
        &format!("/api/v1/files/{id}/shares/0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a"),
    )
    .await;
    assert_problem(res, 404, "not_found").await;

    // A pending share looks like any other, and is ended by its (encoded) address.
    let pending: Value = share(app, owner, id, "pending@example.com", "view")
        .await
        .json()
        .await
        .unwrap();
    let existing: Value = share(app, owner, id, "stranger@example.com", "view")
        .await
        .json()
        .await
        .unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&pending), keys(&existing));
    let path = format!("/api/v1/files/{id}/shares/pending%40example.com");
    assert_eq!(delete(app, owner, &path).await.status(), 204);
    assert_problem(delete(app, owner, &path).await, 404, "not_found").await;
}

#[tokio::test]
async fn a_share_counts_only_for_a_verified_address_and_an_admin_recovers_a_squatted_one() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    // Someone registers bob@ first, without being able to read bob@'s mail…
    let squatter = app.token("bob@example.com").await;
    // …and the owner then shares with "Bob": the share is newer than the account.
    assert_eq!(
        share(app, owner, id, "bob@example.com", "edit")
            .await
            .status(),
        201
    );
    let file = format!("/api/v1/files/{id}");
    let content = format!("/api/v1/files/{id}/content");
    assert_problem(app.get(&file, Some(&squatter)).await, 404, "not_found").await;
    assert_problem(app.get(&content, Some(&squatter)).await, 404, "not_found").await;
    assert_problem(
        app.get(&format!("{file}/versions"), Some(&squatter)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(put_content(app, &squatter, id).await, 404, "not_found").await;
    let res = app
        .post_json(
            &format!("{file}/signed-url"),
            &json!({ "expires_in": 60 }),
            Some(&squatter),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    assert!(!listed(app, &squatter, id).await);

    // An administrator deletes the squatter; the share, made to the address, stays…
    let me: Value = app
        .get("/api/v1/me", Some(&squatter))
        .await
        .json()
        .await
        .unwrap();
    let admin = app.admin_token().await;
    let res = delete(
        app,
        &admin,
        &format!("/api/v1/admin/users/{}", me["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(res.status(), 204);
    // …and the real Bob registers: nothing until he proves the address is his, then the file.
    let bob = app.token("bob@example.com").await;
    assert_problem(app.get(&content, Some(&bob)).await, 404, "not_found").await;
    assert!(!listed(app, &bob, id).await);
    verify_email(app, "bob@example.com").await;
    assert!(listed(app, &bob, id).await);
    let res = app.get(&content, Some(&bob)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"the plan\n");
}

#[tokio::test]
async fn bad_share_requests_are_422() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    let body = assert_problem(
        share(app, owner, id, "not-an-address", "view").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["email"].is_array(), "{body}");
    let body = assert_problem(
        share(app, owner, id, "a@example.com", "owner").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["permission"].is_array(), "{body}");
    let body = assert_problem(
        share(app, owner, id, "owner@example.com", "view").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["email"].is_array(), "{body}");
    let res = app
        .post_json(
            &format!("/api/v1/files/{id}/shares"),
            &json!({ "email": "a@example.com" }),
            Some(owner),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = share(app, s.token(Role::Stranger), id, "not-an-address", "view").await;
    assert_problem(res, 404, "not_found").await;
}
