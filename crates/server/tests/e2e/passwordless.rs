//! Passwordless sign-in on the real database (SQLite, and PostgreSQL with `TEST_DATABASE_URL`):
//! the link and the code are read from the outbox the server writes; a parallel burst of wrong
//! codes gets exactly `LOCKOUT_THRESHOLD` checks (the rest 423); either secret ends the
//! request; `PASSWORDLESS_SIGNUP` creates a verified account.

use std::path::Path;
use std::time::{Duration, Instant};

use plinth_audit::{AuditAction, AuditFilter};
use plinth_kernel::PageRequest;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with, unique_email};

/// The link token and code of the newest passwordless mail to `email` in the outbox `dir`,
/// waiting up to 5 s for one that is not in `seen`.
pub async fn outbox_passwordless(dir: &Path, email: &str, seen: &[String]) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter(|text| text.contains(&format!("To: {email}")))
                .filter_map(|text| {
                    let link = text
                        .lines()
                        .find_map(|l| l.strip_prefix("X-Plinth-Link: "))?
                        .to_owned();
                    let token = link.split_once("/passwordless?token=")?.1.to_owned();
                    let code = text
                        .lines()
                        .map(str::trim)
                        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))?
                        .to_owned();
                    Some((token, code))
                })
                .find(|(token, _)| !seen.contains(token))
        });
        if let Some(found) = found {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no new passwordless mail to {email}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start(app: &TestApp, email: &str) {
    let res = app
        .post_json(
            "/api/v1/auth/passwordless",
            &json!({ "email": email }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

async fn verify(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("/api/v1/auth/passwordless/verify", body, None, None)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_codes_in_parallel_get_the_threshold_and_either_secret_ends_the_request() {
    let app = spawn_app_with(|_| {}).await;
    let outbox = app.storage_dir.parent().unwrap().join("outbox");
    let (email, pair) = app.register_user().await;
    let user_id = pair["user"]["id"].as_str().unwrap().to_owned();
    start(&app, &email).await;
    let (token, code) = outbox_passwordless(&outbox, &email, &[]).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };

    let body = json!({ "email": email, "code": wrong });
    let statuses: Vec<StatusCode> = futures::future::join_all((0..16).map(|_| verify(&app, &body)))
        .await
        .iter()
        .map(reqwest::Response::status)
        .collect();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = statuses
        .iter()
        .filter(|s| **s == StatusCode::LOCKED)
        .count();
    assert_eq!(
        (refused, locked),
        (4, 12),
        "the fifth wrong code locks: {statuses:?}"
    );
    let filter = AuditFilter {
        action: Some(AuditAction::LoginFailed),
        ..AuditFilter::default()
    };
    let failed = app
        .database
        .audit()
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let checked = failed
        .iter()
        .filter(|e| e.target_id.as_deref() == Some(user_id.as_str()))
        .filter(|e| e.details["reason"] == "wrong_code")
        .count();
    assert_eq!(checked, 5, "exactly LOCKOUT_THRESHOLD codes were checked");
    let res = verify(&app, &json!({ "email": email, "code": code })).await;
    assert_eq!(
        res.status(),
        StatusCode::LOCKED,
        "the right code waits for the lock"
    );

    // The link is a 256-bit secret: it works during the lock, once, and ends the code.
    let res = verify(&app, &json!({ "token": token })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["user"]["email"], email.as_str());
    let res = verify(&app, &json!({ "token": token })).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a link works once");

    // A new mail: its code signs in, and its link is then worthless.
    start(&app, &email).await;
    let (token, code) = outbox_passwordless(&outbox, &email, &[token]).await;
    let res = verify(&app, &json!({ "email": email, "code": code })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = verify(&app, &json!({ "token": token })).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the code ended the request"
    );
}

#[tokio::test]
async fn with_signup_on_an_unknown_address_becomes_a_verified_account() {
    let app = spawn_app_with(|s| s.auth.passwordless_signup = true).await;
    let outbox = app.storage_dir.parent().unwrap().join("outbox");
    let email = unique_email();
    start(&app, &email).await;
    let (token, code) = outbox_passwordless(&outbox, &email, &[]).await;
    let res = verify(&app, &json!({ "email": email, "code": code })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pair: Value = res.json().await.unwrap();
    let me: Value = app
        .get_auth("/api/v1/me", pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email.as_str());
    assert_eq!(me["email_verified"], true);
    let res = verify(&app, &json!({ "token": token })).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_signup_an_unknown_address_gets_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let outbox = app.storage_dir.parent().unwrap().join("outbox");
    let email = unique_email();
    start(&app, &email).await;
    // The request is handled in the background: wait for its audit entry, then look.
    let filter = AuditFilter {
        action: Some(AuditAction::PasswordlessRequested),
        ..AuditFilter::default()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let entry = loop {
        let items = app
            .database
            .audit()
            .list(&filter, PageRequest::first(10))
            .await
            .unwrap()
            .items;
        if let Some(entry) = items.into_iter().next() {
            break entry;
        }
        assert!(Instant::now() < deadline, "the request was not handled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(entry.details["outcome"], "no_account");
    let mailed = std::fs::read_dir(&outbox).map_or(0, |entries| {
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .filter(|text| text.contains(&format!("To: {email}")))
            .count()
    });
    assert_eq!(mailed, 0);
    let res = verify(&app, &json!({ "email": email, "code": "123456" })).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
