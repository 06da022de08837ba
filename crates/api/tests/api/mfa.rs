//! TOTP over HTTP: enrol, activate, the two-step sign-in, recovery codes, removal.

use plinth_kernel::Clock as _;
use plinth_sessions::{TotpSecret, totp_step};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

const EMAIL: &str = "totp@example.com";

/// The code for the app clock's step shifted by `ahead` steps (the server accepts one step of
/// drift each way, and never a step at or before the last one it accepted).
fn code(app: &TestApp, secret: &TotpSecret, ahead: u64) -> String {
    secret.code_at_step(totp_step(app.clock.now()).unwrap() + ahead)
}

/// Registers, enrols and activates; returns the access token, the secret and the recovery codes.
pub(crate) async fn with_totp(app: &TestApp) -> (String, TotpSecret, Vec<String>) {
    let token = app.token(EMAIL).await;
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/enroll",
            &json!({ "password": PASSWORD }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let enrolment: Value = res.json().await.unwrap();
    let base32 = enrolment["secret"].as_str().unwrap();
    assert!(
        enrolment["otpauth_url"]
            .as_str()
            .unwrap()
            .contains(&format!("secret={base32}")),
        "{enrolment}"
    );
    let secret = TotpSecret::from_base32(base32).unwrap();
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/activate",
            &json!({ "password": PASSWORD, "code": code(app, &secret, 0) }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (token, secret, codes)
}

pub(crate) async fn login(app: &TestApp) -> Value {
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": EMAIL, "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn challenge(app: &TestApp, mfa_token: &str, code: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/mfa/challenge",
        &json!({ "mfa_token": mfa_token, "code": code }),
        None,
    )
    .await
}

#[tokio::test]
async fn a_password_alone_no_longer_signs_in_once_totp_is_on() {
    let app = spawn_app().await;
    let (_, secret, _) = with_totp(&app).await;

    let first = login(&app).await;
    assert_eq!(first["mfa_required"], true, "{first}");
    assert_eq!(first["expires_in"], 300);
    assert!(
        first.get("access_token").is_none(),
        "no tokens yet: {first}"
    );
    let mfa_token = first["mfa_token"].as_str().unwrap();

    assert_problem(
        challenge(&app, mfa_token, "12345x").await,
        401,
        "unauthenticated",
    )
    .await;
    let next = code(&app, &secret, 1);
    let res = challenge(&app, mfa_token, &next).await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    let me = app.get("/api/v1/me", pair["access_token"].as_str()).await;
    assert_eq!(me.status(), 200);

    assert_problem(
        challenge(&app, mfa_token, &next).await,
        401,
        "unauthenticated",
    )
    .await;
    let again = login(&app).await;
    assert_problem(
        challenge(&app, again["mfa_token"].as_str().unwrap(), &next).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let (_, _, codes) = with_totp(&app).await;
    let first = login(&app).await;
    let res = challenge(&app, first["mfa_token"].as_str().unwrap(), &codes[0]).await;
    assert_eq!(res.status(), 200);
    let second = login(&app).await;
    let mfa_token = second["mfa_token"].as_str().unwrap();
    assert_problem(
        challenge(&app, mfa_token, &codes[0]).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(challenge(&app, mfa_token, &codes[1]).await.status(), 200);
}

#[tokio::test]
async fn enrolment_conflicts_and_removal() {
    let app = spawn_app().await;
    let (token, secret, codes) = with_totp(&app).await;
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/enroll",
            &json!({ "password": PASSWORD }),
            Some(&token),
        )
        .await;
    assert_problem(res, 409, "conflict").await;

    let remove = |password: &str, code: String| {
        app.client
            .delete(app.url("/api/v1/auth/mfa/totp"))
            .bearer_auth(&token)
            .json(&json!({ "password": password, "code": code }))
            .send()
    };
    let body = assert_problem(
        remove("not the password", code(&app, &secret, 1))
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["password"].is_array(), "{body}");
    let body = assert_problem(
        remove(PASSWORD, "000000-nope".into()).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["code"].is_array(), "{body}");
    assert_eq!(
        remove(PASSWORD, codes[9].clone()).await.unwrap().status(),
        204
    );

    let pair = login(&app).await;
    assert!(
        pair["access_token"].is_string(),
        "password alone again: {pair}"
    );
    assert_problem(
        remove(PASSWORD, codes[8].clone()).await.unwrap(),
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn mfa_routes_need_a_signed_in_caller_and_a_live_challenge() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/enroll",
            &json!({ "password": PASSWORD }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    assert_problem(
        challenge(&app, "made-up-token", "123456").await,
        401,
        "unauthenticated",
    )
    .await;
    let token = app.token(EMAIL).await;
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/activate",
            &json!({ "password": PASSWORD, "code": "123456" }),
            Some(&token),
        )
        .await;
    assert_problem(res, 409, "conflict").await;
}
