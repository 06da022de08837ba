//! Password-gated actions (`DELETE /me`, password change, TOTP enrolment, activation and
//! removal): a wrong password counts towards the sign-in lockout and is audited, a locked
//! account answers 423 there too, and TOTP enrolment and activation need the password.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

const EMAIL: &str = "ada@example.com";
const WRONG: &str = "not the password at all";

/// Sends `body` to the password-gated `action` (`delete_me`, `change`, `enroll`, `activate`,
/// `disable`) with `password` in it.
async fn gated(app: &TestApp, token: &str, action: &str, password: &str) -> reqwest::Response {
    let (method, path, body) = match action {
        "delete_me" => ("DELETE", "/api/v1/me", json!({ "password": password })),
        "change" => (
            "POST",
            "/api/v1/auth/password/change",
            json!({ "current_password": password, "new_password": "plinth-Basalt-Heron-Compass-77" }),
        ),
        "enroll" => (
            "POST",
            "/api/v1/auth/mfa/totp/enroll",
            json!({ "password": password }),
        ),
        "activate" => (
            "POST",
            "/api/v1/auth/mfa/totp/activate",
            json!({ "password": password, "code": "123456" }),
        ),
        "disable" => (
            "DELETE",
            "/api/v1/auth/mfa/totp",
            json!({ "password": password, "code": "123456" }),
        ),
        other => panic!("no action {other}"),
    };
    app.client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn failed_logins(app: &TestApp) -> Vec<Value> {
    let filter = AuditFilter {
        action: Some(AuditAction::LoginFailed),
        ..AuditFilter::default()
    };
    let page = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap();
    page.items.into_iter().map(|e| e.details).collect()
}

#[tokio::test]
async fn wrong_passwords_at_gated_actions_lock_the_account_and_are_audited() {
    let app = spawn_app().await;
    let token = app.token(EMAIL).await;
    for action in ["delete_me", "change", "enroll", "activate"] {
        let body = assert_problem(
            gated(&app, &token, action, WRONG).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(body["errors"].is_object(), "{action}: {body}");
    }
    // The fifth failure, wherever it happens, locks the account.
    let res = gated(&app, &token, "disable", WRONG).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 423, "account_locked").await;

    let mut during: Vec<String> = failed_logins(&app)
        .await
        .iter()
        .map(|d| {
            assert_eq!(d["reason"], "wrong_password", "{d}");
            d["during"].as_str().unwrap().to_owned()
        })
        .collect();
    during.sort();
    assert_eq!(
        during,
        [
            "account_delete",
            "mfa_activate",
            "mfa_disable",
            "mfa_enroll",
            "password_change"
        ]
    );

    // Locked everywhere, even with the right password: nothing is checked, nothing changes.
    for action in ["delete_me", "change", "enroll"] {
        let res = gated(&app, &token, action, PASSWORD).await;
        assert_problem(res, 423, "account_locked").await;
    }
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": EMAIL, "password": PASSWORD }),
            None,
        )
        .await;
    assert_problem(login, 423, "account_locked").await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        200,
        "the account is still there"
    );
    assert_eq!(
        failed_logins(&app)
            .await
            .iter()
            .filter(|d| d["reason"] == "locked")
            .count(),
        4,
        "refusals are audited too"
    );
}

#[tokio::test]
async fn a_right_password_at_a_gated_action_does_not_count() {
    let app = spawn_app().await;
    let token = app.token(EMAIL).await;
    for _ in 0..4 {
        let res = gated(&app, &token, "enroll", WRONG).await;
        assert_eq!(res.status(), 422);
    }
    for _ in 0..3 {
        assert_eq!(
            gated(&app, &token, "enroll", PASSWORD).await.status(),
            200,
            "a right password gives its attempt back"
        );
    }
    let res = gated(&app, &token, "enroll", WRONG).await;
    assert_problem(res, 423, "account_locked").await;
}

#[tokio::test]
async fn totp_enrolment_and_activation_need_the_password() {
    let app = spawn_app().await;
    let token = app.token(EMAIL).await;
    let res = app
        .post_json("/api/v1/auth/mfa/totp/enroll", &json!({}), Some(&token))
        .await;
    assert!(
        [400, 422].contains(&res.status().as_u16()),
        "no password, no enrolment: {}",
        res.status()
    );
    let body = assert_problem(
        gated(&app, &token, "enroll", WRONG).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["password"].is_array(), "{body}");
    // Nothing was enrolled: activation finds no pending factor.
    let res = gated(&app, &token, "activate", PASSWORD).await;
    assert_problem(res, 409, "conflict").await;
}
