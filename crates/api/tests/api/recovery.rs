//! `/auth/password/*` and `/auth/email/*`: change, forgot, reset, verify, resend.

use std::sync::{Arc, Mutex};

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::{Email, PageRequest};
use plinth_sessions::{MailError, Mailer, OutgoingMail};
use serde_json::{Value, json};

use crate::helpers::{Options, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with};

const NEW_PASSWORD: &str = "plinth-Basalt-Heron-Compass-77";

/// The token of the last mail to `email` whose link is under `path`.
fn mailed_token(app: &TestApp, email: &str, path: &str) -> String {
    let link = app
        .mailer
        .last_link_to(&Email::parse(email).unwrap())
        .expect("a mail with a link");
    let prefix = format!("{}{path}?token=", app.address);
    link.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{link} is not under {prefix}"))
        .to_owned()
}

async fn forgot(app: &TestApp, email: &str) -> (u16, String) {
    let res = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({ "email": email }),
            None,
        )
        .await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Waits (up to 5 s) until `count()` reaches `n`: reset mails go out in the background.
async fn wait_for(n: usize, count: impl Fn() -> usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while count() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {n} mails",
            count()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// `forgot` for a real account under the cap: waits for its mail.
async fn forgot_and_wait(app: &TestApp, email: &str) {
    let before = app.mailer.count();
    assert_eq!(forgot(app, email).await.0, 202);
    wait_for(before + 1, || app.mailer.count()).await;
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/password/reset",
        &json!({ "token": token, "new_password": password }),
        None,
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({ "email": email, "password": password }),
        None,
    )
    .await
}

#[tokio::test]
async fn forgot_answers_the_same_for_unknown_and_known_emails() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let before = app.mailer.count();
    let unknown = forgot(&app, "nobody@example.com").await;
    assert_eq!(app.mailer.count(), before, "no mail for an unknown email");
    let known = forgot(&app, "ada@example.com").await;
    wait_for(before + 1, || app.mailer.count()).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        app.mailer.count(),
        before + 1,
        "one mail, for the real account only"
    );
    assert_eq!(unknown.0, 202);
    assert_eq!(unknown, known, "same status and body");
    assert_eq!(
        serde_json::from_str::<Value>(&known.1).unwrap(),
        json!({ "status": "accepted" })
    );
}

#[tokio::test]
async fn a_reset_token_works_once_and_ends_every_session() {
    let app = spawn_app().await;
    let pair = app.register("ada@example.com").await;
    forgot_and_wait(&app, "ada@example.com").await;
    let token = mailed_token(&app, "ada@example.com", "/reset-password");

    let res = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(res.status(), 204);
    let again = reset(&app, &token, "plinth-Another-Fresh-Passphrase-9").await;
    let body = assert_problem(again, 422, "validation_failed").await;
    assert!(body["errors"]["token"].is_array(), "{body}");

    let refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": pair["refresh_token"] }),
            None,
        )
        .await;
    assert_problem(refresh, 401, "unauthenticated").await;
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        login(&app, "ada@example.com", NEW_PASSWORD).await.status(),
        200
    );
    let filter = AuditFilter {
        action: Some(AuditAction::PasswordReset),
        ..AuditFilter::default()
    };
    let page = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "audited once");
}

#[tokio::test]
async fn a_reset_lifts_a_login_lockout() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    for _ in 0..5 {
        login(&app, "ada@example.com", "wrong password entirely").await;
    }
    let locked = login(&app, "ada@example.com", PASSWORD).await;
    assert_problem(locked, 423, "account_locked").await;
    forgot_and_wait(&app, "ada@example.com").await;
    let token = mailed_token(&app, "ada@example.com", "/reset-password");
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 204);
    assert_eq!(
        login(&app, "ada@example.com", NEW_PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn bad_tokens_and_weak_passwords_are_422_on_their_field() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let body = assert_problem(
        reset(&app, "made-up", NEW_PASSWORD).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["token"].is_array(), "{body}");
    forgot_and_wait(&app, "ada@example.com").await;
    let token = mailed_token(&app, "ada@example.com", "/reset-password");
    let body = assert_problem(reset(&app, &token, "short").await, 422, "validation_failed").await;
    assert!(body["errors"]["new_password"].is_array(), "{body}");
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status(), 204);
}

#[tokio::test]
async fn change_ends_other_sessions_but_not_the_current_one() {
    let app = spawn_app().await;
    let other = app.register("ada@example.com").await;
    let current: Value = login(&app, "ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let access = current["access_token"].as_str().unwrap();

    let wrong = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({ "current_password": "not it at all", "new_password": NEW_PASSWORD }),
            Some(access),
        )
        .await;
    let body = assert_problem(wrong, 422, "validation_failed").await;
    assert!(body["errors"]["current_password"].is_array(), "{body}");
    let anonymous = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
            None,
        )
        .await;
    assert_problem(anonymous, 401, "unauthenticated").await;

    let res = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
            Some(access),
        )
        .await;
    assert_eq!(res.status(), 204);
    let sessions: Value = app
        .get("/api/v1/auth/sessions", Some(access))
        .await
        .json()
        .await
        .unwrap();
    let items = sessions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{sessions}");
    assert_eq!(items[0]["current"], true);
    let stale = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": other["refresh_token"] }),
            None,
        )
        .await;
    assert_problem(stale, 401, "unauthenticated").await;
    let fresh = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": current["refresh_token"] }),
            None,
        )
        .await;
    assert_eq!(fresh.status(), 200, "the current session goes on");
}

#[tokio::test]
async fn the_sign_up_link_verifies_the_email_and_me_shows_it() {
    let app = spawn_app().await;
    let access = app.token("ada@example.com").await;
    let me: Value = app
        .get("/api/v1/me", Some(&access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], false);
    let token = mailed_token(&app, "ada@example.com", "/verify-email");
    let verify = |token: String| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/email/verify",
                &json!({ "token": token }),
                None,
            )
            .await
        }
    };
    assert_eq!(verify(token.clone()).await.status(), 204);
    let me: Value = app
        .get("/api/v1/me", Some(&access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true);
    assert_problem(verify(token).await, 422, "validation_failed").await;
}

#[tokio::test]
async fn resend_mails_a_new_link_and_the_cap_limits_mails() {
    let app = spawn_app().await;
    let access = app.token("ada@example.com").await;
    let first = mailed_token(&app, "ada@example.com", "/verify-email");
    let res = app
        .post_json("/api/v1/auth/email/resend", &json!({}), Some(&access))
        .await;
    assert_eq!(res.status(), 202);
    assert_ne!(
        mailed_token(&app, "ada@example.com", "/verify-email"),
        first
    );
    let unauthenticated = app
        .post_json("/api/v1/auth/email/resend", &json!({}), None)
        .await;
    assert_problem(unauthenticated, 401, "unauthenticated").await;

    let before = app.mailer.count();
    for _ in 0..5 {
        assert_eq!(forgot(&app, "ada@example.com").await.0, 202);
    }
    wait_for(before + 3, || app.mailer.count()).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.mailer.count(),
        before + 3,
        "at most 3 reset mails an hour"
    );
}

/// Records the message, then fails to deliver it: the warning is logged with the token at hand.
#[derive(Default)]
struct RecordThenFail(Mutex<Vec<OutgoingMail>>);

#[async_trait::async_trait]
impl Mailer for RecordThenFail {
    async fn send(&self, message: &OutgoingMail) -> Result<(), MailError> {
        self.0.lock().unwrap().push(message.clone());
        Err(MailError::Delivery("connection refused".into()))
    }
}

#[tokio::test]
async fn a_mail_failure_is_logged_without_the_token_and_still_answers_202() {
    let logs = crate::problems::captured_logs();
    let mailer = Arc::new(RecordThenFail::default());
    let app = spawn_app_with(Options {
        mailer: Some(mailer.clone()),
        ..Options::default()
    })
    .await;
    app.register("grace@example.com").await;
    assert_eq!(forgot(&app, "grace@example.com").await.0, 202);
    wait_for(2, || mailer.0.lock().unwrap().len()).await;
    let logged = || {
        String::from_utf8_lossy(&logs.lock().unwrap())
            .matches("mail could not be sent")
            .count()
    };
    wait_for(2, logged).await;
    let sent = mailer.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "verification and reset");
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        text.contains("mail could not be sent"),
        "the failure is logged"
    );
    for mail in sent {
        let link = mail.link.clone().unwrap();
        let token = link.split_once("?token=").unwrap().1;
        assert!(!text.contains(token), "a token leaked into the log");
        assert!(!format!("{mail:?}").contains(token), "Debug is redacted");
    }
}

/// Status, headers (but `date` and `x-request-id`) and body of a `forgot` answer.
async fn forgot_answer(app: &TestApp, email: &str) -> (u16, Vec<(String, String)>, String) {
    let res = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({ "email": email }),
            None,
        )
        .await;
    let mut headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(name, _)| !["date", "x-request-id"].contains(&name.as_str()))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (res.status().as_u16(), headers, res.text().await.unwrap())
}

/// The answer does not wait for the lookup, the token or the mail: with the store busy (a
/// transaction held open, which the token's insert must wait for), a known and an unknown
/// address are answered alike, and the known one's mail follows once the store is free.
#[tokio::test]
async fn forgot_answers_before_any_work_for_known_and_unknown_addresses() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let before = app.mailer.count();
    let busy = app.uow.begin().await.unwrap();
    let bound = std::time::Duration::from_secs(10);
    let known = tokio::time::timeout(bound, forgot_answer(&app, "ada@example.com"))
        .await
        .expect("the answer for a known address must not wait for the store");
    let unknown = tokio::time::timeout(bound, forgot_answer(&app, "nobody@example.com"))
        .await
        .expect("the answer for an unknown address must not wait for the store");
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown, "same status, headers and body");
    assert_eq!(
        app.mailer.count(),
        before,
        "nothing sent while the store is busy"
    );
    drop(busy);
    wait_for(before + 1, || app.mailer.count()).await;
    mailed_token(&app, "ada@example.com", "/reset-password");
}

#[tokio::test]
async fn a_reset_spends_every_other_reset_link_of_the_account() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    forgot_and_wait(&app, "ada@example.com").await;
    let first = mailed_token(&app, "ada@example.com", "/reset-password");
    forgot_and_wait(&app, "ada@example.com").await;
    let second = mailed_token(&app, "ada@example.com", "/reset-password");
    assert_ne!(first, second);
    assert_eq!(reset(&app, &first, NEW_PASSWORD).await.status(), 204);
    let body = assert_problem(
        reset(&app, &second, "plinth-Another-Fresh-Passphrase-9").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["token"].is_array(), "{body}");
    assert_eq!(
        login(&app, "ada@example.com", NEW_PASSWORD).await.status(),
        200,
        "the first reset's password stands"
    );
}

#[tokio::test]
async fn a_password_change_spends_every_reset_link_of_the_account() {
    let app = spawn_app().await;
    let access = app.token("ada@example.com").await;
    forgot_and_wait(&app, "ada@example.com").await;
    let link = mailed_token(&app, "ada@example.com", "/reset-password");
    let res = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
            Some(&access),
        )
        .await;
    assert_eq!(res.status(), 204);
    let body = assert_problem(
        reset(&app, &link, "plinth-Another-Fresh-Passphrase-9").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["token"].is_array(), "{body}");
    assert_eq!(
        login(&app, "ada@example.com", NEW_PASSWORD).await.status(),
        200
    );
}
