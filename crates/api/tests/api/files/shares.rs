//! Sharing: every role × action, replacing a permission, unsharing, and the audit trail.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// Who is asking, and what each may do to the shared file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Owner,
    View,
    Download,
    Edit,
    Stranger,
}

const ROLES: [Role; 5] = [
    Role::Owner,
    Role::View,
    Role::Download,
    Role::Edit,
    Role::Stranger,
];

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
    let part = reqwest::multipart::Part::bytes(b"new plan\n".to_vec()).file_name("plan.txt");
    app.client
        .put(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn listed(app: &TestApp, token: &str, id: &str) -> bool {
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

/// The status (and, for an error, the code) expected of `role` doing something only the
/// `allowed` roles may do: `ok` for them, 404 for a stranger, 403 for any other sharee.
fn expected(role: Role, allowed: &[Role], ok: u16) -> (u16, Option<&'static str>) {
    match role {
        Role::Stranger => (404, Some("not_found")),
        r if allowed.contains(&r) => (ok, None),
        _ => (403, Some("forbidden")),
    }
}

async fn check(res: reqwest::Response, want: (u16, Option<&str>), what: &str) {
    match want {
        (status, None) => assert_eq!(res.status().as_u16(), status, "{what}"),
        (status, Some(code)) => {
            assert_problem(res, status, code).await;
        }
    }
}

#[tokio::test]
async fn every_role_gets_exactly_what_its_share_allows() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let all_sharees = [Role::Owner, Role::View, Role::Download, Role::Edit];
    for role in ROLES {
        let token = s.token(role);
        let what = |action: &str| format!("{role:?} {action}");

        let res = app.get(&format!("/api/v1/files/{id}"), Some(token)).await;
        check(res, expected(role, &all_sharees, 200), &what("get")).await;

        let res = app
            .get(&format!("/api/v1/files/{id}/versions"), Some(token))
            .await;
        check(res, expected(role, &all_sharees, 200), &what("versions")).await;

        assert_eq!(
            listed(app, token, id).await,
            role != Role::Stranger,
            "{role:?} list"
        );

        let res = app
            .get(&format!("/api/v1/files/{id}/content"), Some(token))
            .await;
        let want = expected(role, &[Role::Owner, Role::Download, Role::Edit], 200);
        if want.0 == 200 {
            assert_eq!(res.status(), 200, "{role:?} download");
            assert!(res.headers().contains_key("etag"));
            assert!(!res.bytes().await.unwrap().is_empty());
        } else {
            check(res, want, &what("download")).await;
        }

        let res = put_content(app, token, id).await;
        check(
            res,
            expected(role, &[Role::Owner, Role::Edit], 200),
            &what("put"),
        )
        .await;

        let res = share(app, token, id, "friend@example.com", "view").await;
        check(res, expected(role, &[Role::Owner], 201), &what("share")).await;

        let res = app
            .get(&format!("/api/v1/files/{id}/shares"), Some(token))
            .await;
        check(
            res,
            expected(role, &[Role::Owner], 200),
            &what("list shares"),
        )
        .await;

        let res = delete(
            app,
            token,
            &format!("/api/v1/files/{id}/shares/friend@example.com"),
        )
        .await;
        let want = match role {
            // Only the owner's own share call made the share; the owner removes it here.
            Role::Owner => (204, None),
            other => expected(other, &[], 204),
        };
        check(res, want, &what("unshare")).await;
        if role == Role::Owner {
            // Put it back so later roles find something to (fail to) remove.
            share(app, token, id, "friend@example.com", "view").await;
        }
    }
    let file: Value = app
        .get(&format!("/api/v1/files/{id}"), Some(s.token(Role::Owner)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        file["version"], 3,
        "the owner and the edit sharee each added a version"
    );

    for role in [Role::View, Role::Download, Role::Edit, Role::Stranger] {
        let res = delete(app, s.token(role), &format!("/api/v1/files/{id}")).await;
        check(res, expected(role, &[], 204), &format!("{role:?} delete")).await;
    }
    let res = delete(app, s.token(Role::Owner), &format!("/api/v1/files/{id}")).await;
    assert_eq!(res.status(), 204);
    for role in ROLES {
        let res = app
            .get(&format!("/api/v1/files/{id}"), Some(s.token(role)))
            .await;
        assert_problem(res, 404, "not_found").await;
        assert!(!listed(app, s.token(role), id).await);
    }
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
async fn an_address_without_an_account_is_shared_with_and_works_once_it_registers() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    let res = share(app, owner, id, "later@example.com", "download").await;
    assert_eq!(res.status(), 201, "same answer as for an existing account");
    let later = app.token("later@example.com").await;
    assert_eq!(
        app.get(&format!("/api/v1/files/{id}/content"), Some(&later))
            .await
            .status(),
        200
    );
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
