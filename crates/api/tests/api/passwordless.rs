//! `/auth/passwordless`: one mail with a magic link and a code, either one signs in once and
//! ends the other, expiry, replay, wrong codes under the lockout (also in a parallel burst),
//! no enumeration, the per-address and per-IP limits, sign-up, MFA, browser cookies.

use std::collections::BTreeSet;

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::{Email, PageRequest};
use plinth_sessions::{PasswordlessCodeKey, PasswordlessPolicy};
use reqwest::header::SET_COOKIE;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};

const EMAIL: &str = "ada@example.com";
const START: &str = "/api/v1/auth/passwordless";
const VERIFY: &str = "/api/v1/auth/passwordless/verify";

async fn audited(app: &TestApp, action: AuditAction) -> Vec<plinth_audit::AuditEvent> {
    let filter = AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    };
    app.audit_log
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
}

/// Asks for a mail to `email` and waits until the background work is done (every request is
/// audited, mailed or not).
async fn start(app: &TestApp, email: &str) -> reqwest::Response {
    let before = audited(app, AuditAction::PasswordlessRequested).await.len();
    let res = app.post_json(START, &json!({ "email": email }), None).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while audited(app, AuditAction::PasswordlessRequested).await.len() <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "the request was not handled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    res
}

/// The link token and code of the last passwordless mail to `email`.
fn mailed(app: &TestApp, email: &str) -> (String, String) {
    let to = Email::parse(email).unwrap();
    let mail = app
        .mailer
        .sent()
        .into_iter()
        .rev()
        .find(|m| {
            m.to == to
                && m.link
                    .as_deref()
                    .is_some_and(|l| l.contains("/passwordless?"))
        })
        .expect("a passwordless mail");
    let link = mail.link.clone().unwrap();
    let prefix = format!("{}/passwordless?token=", app.address);
    let token = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{link}"));
    // The message as the shipped templates write it: the code on a line of its own, the
    // link in both parts, neither in the subject (which mailers log).
    let rendered = plinth_mail::MailTemplates::shipped("Plinth", &app.address)
        .render(&mail)
        .unwrap();
    let code = rendered
        .text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .expect("a line with the code")
        .to_owned();
    assert_eq!(mail.text("code"), Some(code.as_str()));
    assert!(rendered.text.contains(&link));
    assert!(rendered.html.contains(&link));
    assert!(
        !rendered.subject.contains(&code),
        "never in the subject, which mailers log"
    );
    (token.to_owned(), code)
}

fn mails_to(app: &TestApp, email: &str) -> usize {
    let to = Email::parse(email).unwrap();
    app.mailer.sent().iter().filter(|m| m.to == to).count()
}

async fn with_link(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json(VERIFY, &json!({ "token": token }), None)
        .await
}

async fn with_code(app: &TestApp, email: &str, code: &str) -> reqwest::Response {
    app.post_json(VERIFY, &json!({ "email": email, "code": code }), None)
        .await
}

async fn account(app: &TestApp, email: &str) -> Option<plinth_users::User> {
    use plinth_users::UserRepository as _;
    app.user_rows
        .by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
}

fn other_than(code: &str) -> &'static str {
    if code == "000000" { "000001" } else { "000000" }
}

/// The `/me` of an access token from a verification answer.
async fn me(app: &TestApp, pair: &Value) -> Value {
    let res = app.get("/api/v1/me", pair["access_token"].as_str()).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_link_signs_in_once_and_the_code_of_the_same_mail_then_fails() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    let res = start(&app, EMAIL).await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "status": "accepted" })
    );
    let (token, code) = mailed(&app, EMAIL);

    let res = with_link(&app, &token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(me(&app, &pair).await["email"], EMAIL);

    assert_problem(with_link(&app, &token).await, 401, "unauthenticated").await;
    assert_problem(with_code(&app, EMAIL, &code).await, 401, "unauthenticated").await;
    let succeeded = audited(&app, AuditAction::LoginSucceeded).await;
    assert_eq!(succeeded[0].details["method"], "passwordless_link");
}

#[tokio::test]
async fn the_code_signs_in_once_and_the_link_of_the_same_mail_then_fails() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    start(&app, EMAIL).await;
    let (token, code) = mailed(&app, EMAIL);

    let typed = format!("{}-{}", &code[..3], &code[3..]);
    let res = with_code(&app, "Ada@Example.com", &typed).await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["user"]["email"], EMAIL);
    assert_eq!(
        pair["user"]["email_verified"], true,
        "the mail proved the address"
    );

    assert_problem(with_code(&app, EMAIL, &code).await, 401, "unauthenticated").await;
    assert_problem(with_link(&app, &token).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn link_and_code_stop_working_when_they_expire() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    start(&app, EMAIL).await;
    let (token, code) = mailed(&app, EMAIL);
    app.clock.advance(chrono::Duration::minutes(15));
    assert_problem(with_code(&app, EMAIL, &code).await, 401, "unauthenticated").await;
    assert_problem(with_link(&app, &token).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answers_and_no_mail() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    let known = start(&app, EMAIL).await;
    let unknown = start(&app, "nobody@example.com").await;
    let shape = |res: &reqwest::Response| {
        let headers: BTreeSet<String> = res
            .headers()
            .iter()
            .filter(|(name, _)| !["x-request-id", "date"].contains(&name.as_str()))
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
            .collect();
        (res.status(), headers)
    };
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(mails_to(&app, "nobody@example.com"), 0);
    assert_eq!(
        mails_to(&app, EMAIL),
        2,
        "the sign-up mail and the passwordless one"
    );

    let (_, code) = mailed(&app, EMAIL);
    let wrong_known = with_code(&app, EMAIL, other_than(&code)).await;
    let wrong_known = assert_problem(wrong_known, 401, "unauthenticated").await;
    let wrong_unknown = with_code(&app, "nobody@example.com", "123456").await;
    let wrong_unknown = assert_problem(wrong_unknown, 401, "unauthenticated").await;
    assert_eq!(wrong_known["detail"], wrong_unknown["detail"]);
    assert!(
        account(&app, "nobody@example.com").await.is_none(),
        "no account was made"
    );
}

#[tokio::test]
async fn an_address_gets_at_most_three_mails_an_hour() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    for _ in 0..5 {
        assert_eq!(start(&app, EMAIL).await.status(), 202);
    }
    assert_eq!(mails_to(&app, EMAIL), 1 + 3);
}

#[tokio::test]
async fn the_auth_rate_limit_per_ip_covers_both_routes() {
    let app = spawn_app_with(Options {
        rate_limits: Some(("3/min".parse().unwrap(), "600/min".parse().unwrap())),
        ..Options::default()
    })
    .await;
    for _ in 0..2 {
        let res = app.post_json(START, &json!({ "email": EMAIL }), None).await;
        assert_eq!(res.status(), 202);
    }
    assert_eq!(with_code(&app, EMAIL, "123456").await.status(), 401);
    let res = with_code(&app, EMAIL, "123456").await;
    assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_parallel_burst_of_wrong_codes_gets_no_more_tries_than_the_lockout_allows() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    start(&app, EMAIL).await;
    let (token, code) = mailed(&app, EMAIL);
    let wrong = other_than(&code);
    let burst = (0..12).map(|_| with_code(&app, EMAIL, wrong));
    let statuses: Vec<u16> = futures::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let locked = statuses.iter().filter(|s| **s == 423).count();
    assert_eq!(refused + locked, 12, "{statuses:?}");
    assert!(refused <= 4 && locked >= 8, "{statuses:?}");
    let checked = audited(&app, AuditAction::LoginFailed)
        .await
        .iter()
        .filter(|e| e.details["reason"] == "wrong_code")
        .count();
    assert_eq!(checked, 5, "exactly LOCKOUT_THRESHOLD codes were checked");
    assert_eq!(audited(&app, AuditAction::Locked).await.len(), 1);

    let res = with_code(&app, EMAIL, &code).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 423, "account_locked").await;
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": EMAIL, "password": crate::helpers::PASSWORD }),
            None,
        )
        .await;
    assert_problem(login, 423, "account_locked").await;

    app.clock.advance(chrono::Duration::minutes(2));
    let res = with_link(&app, &token).await;
    assert_eq!(res.status(), 200, "the link still works and lifts the lock");
}

#[tokio::test]
async fn with_signup_on_an_unknown_address_gets_a_verified_account() {
    let app = spawn_app_with(Options {
        passwordless: PasswordlessPolicy {
            signup: true,
            ..PasswordlessPolicy::new(PasswordlessCodeKey::new([8; 32]))
        },
        ..Options::default()
    })
    .await;
    start(&app, "new@example.com").await;
    assert!(
        account(&app, "new@example.com").await.is_none(),
        "none before the mail is used"
    );
    let (token, code) = mailed(&app, "new@example.com");
    let res = with_code(&app, "new@example.com", &code).await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    let me = me(&app, &pair).await;
    assert_eq!(me["email"], "new@example.com");
    assert_eq!(me["email_verified"], true);
    assert_problem(with_link(&app, &token).await, 401, "unauthenticated").await;
    let registered = audited(&app, AuditAction::Registered).await;
    assert_eq!(registered[0].details["method"], "passwordless");
}

#[tokio::test]
async fn an_account_with_totp_must_still_pass_the_challenge() {
    let app = spawn_app().await;
    let (_, secret, _) = crate::mfa::with_totp(&app).await;
    let email = "totp@example.com";
    start(&app, email).await;
    let (token, _) = mailed(&app, email);
    let res = with_link(&app, &token).await;
    assert_eq!(res.status(), 200);
    assert!(
        !res.headers().contains_key(SET_COOKIE),
        "no session cookie before the second factor"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none());
    app.clock.advance(chrono::Duration::seconds(30));
    let step = plinth_sessions::totp_step(plinth_kernel::Clock::now(&app.clock)).unwrap();
    let res = app
        .post_json(
            "/api/v1/auth/mfa/challenge",
            &json!({ "mfa_token": body["mfa_token"], "code": secret.code_at_step(step) }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(me(&app, &pair).await["email"], email);
}

#[tokio::test]
async fn a_browser_gets_the_session_cookies() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    start(&app, EMAIL).await;
    let (token, _) = mailed(&app, EMAIL);
    let res = with_link(&app, &token).await;
    assert_eq!(res.status(), 200);
    let cookies: Vec<String> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect();
    for name in ["plinth_access=", "plinth_refresh=", "plinth_csrf="] {
        assert!(
            cookies.iter().any(|c| c.starts_with(name)),
            "{name} in {cookies:?}"
        );
    }
    let access = cookies
        .iter()
        .find(|c| c.starts_with("plinth_access="))
        .unwrap();
    assert!(access.contains("httponly"), "{access}");
    assert!(res.headers().contains_key("x-csrf-token"));
    let access = access.split(';').next().unwrap().to_owned();
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header(reqwest::header::COOKIE, access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the cookie signs the browser in");
}

#[tokio::test]
async fn bad_input_is_a_422_and_changes_nothing() {
    let app = spawn_app().await;
    app.register(EMAIL).await;
    let res = app
        .post_json(START, &json!({ "email": "not-an-email" }), None)
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body["errors"]["email"].is_array(), "{body}");
    for (bad, field) in [
        (json!({}), "token"),
        (
            json!({ "token": "abc", "email": EMAIL, "code": "123456" }),
            "token",
        ),
        (json!({ "email": EMAIL }), "code"),
        (json!({ "code": "123456" }), "email"),
        (json!({ "email": EMAIL, "code": "12ab56" }), "code"),
        (json!({ "email": "nope", "code": "123456" }), "email"),
    ] {
        let res = app.post_json(VERIFY, &bad, None).await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert!(body["errors"][field].is_array(), "{bad} → {body}");
    }
    let res = app
        .post_json(VERIFY, &json!({ "token": "abc", "extra": 1 }), None)
        .await;
    assert!(res.status().is_client_error());
    assert!(
        audited(&app, AuditAction::PasswordlessRequested)
            .await
            .is_empty()
    );
    assert!(
        audited(&app, AuditAction::LoginFailed).await.is_empty(),
        "nothing counted"
    );
    assert_eq!(mails_to(&app, EMAIL), 1, "only the sign-up mail");
}
