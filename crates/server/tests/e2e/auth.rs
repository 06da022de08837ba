//! register → login → refresh → me → patch me → logout, and the audit trail it leaves.

use plinth_audit::{AuditAction, AuditEvent, AuditFilter};
use plinth_kernel::PageRequest;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, USER_AGENT, spawn_app, unique_email};

/// The audit entry written for the request with `request_id`.
async fn audit_entry(app: &TestApp, action: AuditAction, request_id: &str) -> AuditEvent {
    let filter = AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    };
    let page = app
        .database
        .audit()
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap();
    let entry = page
        .items
        .into_iter()
        .find(|e| e.request_id.as_deref() == Some(request_id));
    let entry = entry.unwrap_or_else(|| panic!("no {action} entry for request {request_id}"));
    assert_eq!(entry.ip.as_deref(), Some("127.0.0.1"), "{action}: ip");
    assert_eq!(
        entry.user_agent.as_deref(),
        Some(USER_AGENT),
        "{action}: user agent"
    );
    entry
}

#[tokio::test]
async fn account_lifecycle_and_its_audit_trail() {
    let app = spawn_app().await;
    let email = unique_email();

    // Register.
    let body =
        json!({ "email": email.to_uppercase(), "password": PASSWORD, "name": "Ada Lovelace" });
    let res = app
        .post_json("/api/v1/auth/register", &body, None, Some("e2e-register"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["x-request-id"], "e2e-register");
    let registered: Value = res.json().await.unwrap();
    assert_eq!(registered["token_type"], "Bearer");
    assert_eq!(
        registered["user"]["email"], email,
        "email is normalised to lower case"
    );
    assert_eq!(registered["user"]["role"], "user");
    let user_id = registered["user"]["id"].as_str().unwrap().to_owned();
    let entry = audit_entry(&app, AuditAction::Registered, "e2e-register").await;
    assert_eq!(entry.target_id.as_deref(), Some(user_id.as_str()));

    // Registering the same email again is a conflict.
    let res = app
        .post_json("/api/v1/auth/register", &body, None, None)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // A wrong password fails and is audited.
    let wrong = json!({ "email": email, "password": "not the right password at all" });
    let res = app
        .post_json("/api/v1/auth/login", &wrong, None, Some("e2e-login-failed"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    audit_entry(&app, AuditAction::LoginFailed, "e2e-login-failed").await;

    // Login.
    let good = json!({ "email": email, "password": PASSWORD });
    let res = app
        .post_json("/api/v1/auth/login", &good, None, Some("e2e-login-ok"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let pair: Value = res.json().await.unwrap();
    let entry = audit_entry(&app, AuditAction::LoginSucceeded, "e2e-login-ok").await;
    assert_eq!(entry.actor_id.map(|a| a.to_string()), Some(user_id.clone()));

    // Refresh: the spent token replayed within the grace yields the same successor.
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": pair["refresh_token"] }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let refreshed: Value = res.json().await.unwrap();
    assert_ne!(refreshed["refresh_token"], pair["refresh_token"]);
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": pair["refresh_token"] }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replayed: Value = res.json().await.unwrap();
    assert_eq!(replayed["refresh_token"], refreshed["refresh_token"]);
    let access = refreshed["access_token"].as_str().unwrap().to_owned();

    // Me.
    let res = app.get_auth("/api/v1/me", &access).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["id"], user_id.as_str());
    assert_eq!(me["name"], "Ada Lovelace");

    // Patch me.
    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&access)
        .json(&json!({ "name": "Augusta Ada King" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["name"], "Augusta Ada King");
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Augusta Ada King", "the change is stored");

    // Logout revokes the session: its refresh token no longer works.
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refreshed["refresh_token"] }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // No credentials, no profile.
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// Two replicas' worth of contention on the real database: sixteen parallel refreshes of one
/// token all succeed with one and the same successor, and the token was spent exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_refreshes_share_one_successor_on_the_database() {
    let app = spawn_app().await;
    let (_, pair) = app.register_user().await;
    let token = pair["refresh_token"].as_str().unwrap().to_owned();
    let body = json!({ "refresh_token": token });
    let answers = futures::future::join_all(
        (0..16).map(|_| app.post_json("/api/v1/auth/refresh", &body, None, None)),
    )
    .await;
    let mut successors = std::collections::BTreeSet::new();
    for res in answers {
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        successors.insert(body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(successors.len(), 1, "{successors:?}");
    let filter = AuditFilter {
        action: Some(AuditAction::Refreshed),
        ..AuditFilter::default()
    };
    let spent = app
        .database
        .audit()
        .list(&filter, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(spent.items.len(), 1, "spent once");
}
