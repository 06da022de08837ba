//! The sign-in lockout against parallel bursts on the real database: the outcome of each
//! check is settled under the account's lockout row lock, so at most `LOCKOUT_THRESHOLD` (5)
//! answers of a burst depend on its passwords or codes, the rest answer 423 uncounted, a right
//! password or code answers 423 once the lock holds, and right passwords in parallel never lock
//! their own account.

use plinth_audit::{AuditAction, AuditEvent, AuditFilter};
use plinth_kernel::{PageRequest, UserId};
use plinth_sessions::{TotpSecret, totp_step};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app_with};

const THRESHOLD: usize = 5;

/// A bcrypt cost high enough that a burst's checks overlap (cost 4 is the test default).
async fn app() -> TestApp {
    spawn_app_with(|s| s.auth.bcrypt_cost = 8).await
}

/// Every `action` entry targeting the user `user_id`.
async fn audited(app: &TestApp, action: AuditAction, user_id: &str) -> Vec<AuditEvent> {
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
    page.items
        .into_iter()
        .filter(|e| e.target_id.as_deref() == Some(user_id))
        .collect()
}

/// How many of `entries` have `details.reason == reason`.
fn with_reason(entries: &[AuditEvent], reason: &str) -> usize {
    entries
        .iter()
        .filter(|e| e.details["reason"] == reason)
        .count()
}

/// The status of every answer, in the order sent.
async fn burst(app: &TestApp, path: &str, bodies: Vec<Value>) -> Vec<StatusCode> {
    futures::future::join_all(
        bodies
            .iter()
            .map(|body| app.post_json(path, body, None, None)),
    )
    .await
    .into_iter()
    .map(|res| res.status())
    .collect()
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn failed_logins(app: &TestApp, user_id: &str) -> u32 {
    let id = UserId::from_uuid(user_id.parse().unwrap());
    app.database
        .sessions()
        .lockout(id)
        .await
        .unwrap()
        .failed_attempts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parallel_burst_of_wrong_passwords_gets_at_most_the_threshold_counted() {
    let app = app().await;
    let (email, pair) = app.register_user().await;
    let user_id = pair["user"]["id"].as_str().unwrap().to_owned();
    let wrong = json!({ "email": email, "password": "not the password at all" });

    let statuses = burst(&app, "/api/v1/auth/login", vec![wrong.clone(); 24]).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        THRESHOLD - 1,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::LOCKED),
        24 - (THRESHOLD - 1),
        "the fifth failure locks, the rest are refused: {statuses:?}"
    );
    let failed = audited(&app, AuditAction::LoginFailed, &user_id).await;
    assert_eq!(
        with_reason(&failed, "wrong_password"),
        THRESHOLD,
        "only the threshold's worth of passwords was counted"
    );
    assert_eq!(with_reason(&failed, "locked"), 24 - THRESHOLD);
    assert_eq!(audited(&app, AuditAction::Locked, &user_id).await.len(), 1);
    assert_eq!(
        failed_logins(&app, &user_id).await,
        5,
        "refusals are not counted"
    );

    // The right password, in a burst with wrong ones, once the lock holds.
    let right = json!({ "email": email, "password": PASSWORD });
    let statuses = burst(
        &app,
        "/api/v1/auth/login",
        vec![right.clone(), wrong.clone(), right, wrong],
    )
    .await;
    assert_eq!(
        statuses,
        vec![StatusCode::LOCKED; 4],
        "not even the right password"
    );
    assert!(
        audited(&app, AuditAction::LoginSucceeded, &user_id)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ins_with_the_right_password_never_lock_the_account() {
    let app = app().await;
    let (email, pair) = app.register_user().await;
    let user_id = pair["user"]["id"].as_str().unwrap().to_owned();
    let right = json!({ "email": email, "password": PASSWORD });

    let statuses = burst(&app, "/api/v1/auth/login", vec![right; 16]).await;
    assert_eq!(
        statuses,
        vec![StatusCode::OK; 16],
        "sixteen devices signing in at once, all with the right password"
    );
    assert_eq!(failed_logins(&app, &user_id).await, 0);
    assert!(
        audited(&app, AuditAction::Locked, &user_id)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_parallel_burst_of_wrong_codes_gets_at_most_the_threshold_checked() {
    let app = app().await;
    let (email, pair) = app.register_user().await;
    let user_id = pair["user"]["id"].as_str().unwrap().to_owned();
    let access = pair["access_token"].as_str().unwrap();
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/enroll",
            &json!({ "password": PASSWORD }),
            Some(access),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let enrolment: Value = res.json().await.unwrap();
    let secret = TotpSecret::from_base32(enrolment["secret"].as_str().unwrap()).unwrap();
    let step = totp_step(chrono::Utc::now()).unwrap();
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/activate",
            &json!({ "password": PASSWORD, "code": secret.code_at_step(step) }),
            Some(access),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let first = app.login(&email, PASSWORD).await;
    let mfa_token = first["mfa_token"].as_str().unwrap();

    // A code that is not valid in any window the server accepts.
    let right = secret.code_at_step(step + 1);
    let wrong = (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| (step - 2..=step + 3).all(|s| secret.code_at_step(s) != *c))
        .unwrap();
    let body = |code: &str| json!({ "mfa_token": mfa_token, "code": code });
    let statuses = burst(&app, "/api/v1/auth/mfa/challenge", vec![body(&wrong); 12]).await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        THRESHOLD - 1,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::LOCKED),
        12 - (THRESHOLD - 1),
        "{statuses:?}"
    );
    assert_eq!(
        audited(&app, AuditAction::MfaFailed, &user_id).await.len(),
        THRESHOLD,
        "only the threshold's worth of codes was checked"
    );
    assert_eq!(failed_logins(&app, &user_id).await, 5);
    let statuses = burst(
        &app,
        "/api/v1/auth/mfa/challenge",
        vec![body(&right), body(&wrong)],
    )
    .await;
    assert_eq!(
        statuses,
        vec![StatusCode::LOCKED; 2],
        "not even the right code"
    );
}
