//! Passkeys on the real database (SQLite, and PostgreSQL with `TEST_DATABASE_URL`), with the
//! relying party the `test` settings derive (`localhost`, from `CORS_ORIGINS`) and a software
//! authenticator: register, sign in without an address, a passkey as the second factor beside
//! TOTP, list, rename, remove; a ceremony used twice, a replayed assertion, another user's
//! credential and a removed passkey are refused. (Expiry is driven with a fixed clock in the
//! API tests and the store's contract suite; this server runs on the wall clock.)

use plinth_audit::{AuditAction, AuditFilter};
use plinth_kernel::PageRequest;
use plinth_sessions::{TotpSecret, totp_step};
use plinth_webauthn::testing::SoftAuthenticator;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// The frontend origin of the `test` settings (`CORS_ORIGINS`).
pub const ORIGIN: &str = "http://localhost:3000";

async fn options(app: &TestApp, path: &str, body: &Value, token: Option<&str>) -> (String, Value) {
    let res = app.post_json(path, body, token, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let body: Value = res.json().await.unwrap();
    (
        body["ceremony_token"].as_str().unwrap().to_owned(),
        body["options"].clone(),
    )
}

/// Registers a passkey on `key` for the account of `token`; its id.
pub async fn register_passkey(app: &TestApp, token: &str, key: &mut SoftAuthenticator) -> String {
    let (ceremony, opts) =
        options(app, "/api/v1/me/passkeys/options", &json!({}), Some(token)).await;
    assert_eq!(opts["publicKey"]["rp"]["id"], "localhost");
    let credential = key.register(&opts, ORIGIN);
    let res = app
        .post_json(
            "/api/v1/me/passkeys",
            &json!({ "ceremony_token": ceremony, "name": "Laptop", "credential": credential }),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn sign_in(app: &TestApp, ceremony: &str, credential: &Value) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/passkeys/sign-in",
        &json!({ "ceremony_token": ceremony, "credential": credential }),
        None,
        None,
    )
    .await
}

async fn audited(
    app: &TestApp,
    action: AuditAction,
    user_id: &str,
) -> Vec<plinth_audit::AuditEvent> {
    let filter = AuditFilter {
        action: Some(action),
        actor_id: Some(user_id.parse().unwrap()),
        ..AuditFilter::default()
    };
    app.database
        .audit()
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn passkeys_register_sign_in_and_refuse_replays_on_the_real_store() {
    let app = spawn_app().await;
    let (email, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let user_id = pair["user"]["id"].as_str().unwrap().to_owned();
    let mut key = SoftAuthenticator::new();
    let id = register_passkey(&app, &token, &mut key).await;

    let (ceremony, opts) = options(
        &app,
        "/api/v1/auth/passkeys/sign-in/options",
        &json!({}),
        None,
    )
    .await;
    let answer = key.sign(&opts, ORIGIN);
    let res = sign_in(&app, &ceremony, &answer).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["user"]["email"],
        email.as_str()
    );
    // The ceremony is spent, in the database: the same answer again is refused.
    assert_eq!(
        sign_in(&app, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The captured answer against a fresh ceremony is refused (its challenge differs).
    let (fresh, _) = options(
        &app,
        "/api/v1/auth/passkeys/sign-in/options",
        &json!({}),
        None,
    )
    .await;
    assert_eq!(
        sign_in(&app, &fresh, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let res = app
        .client
        .patch(app.url(&format!("/api/v1/me/passkeys/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "Desk key" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = app
        .get_auth("/api/v1/me/passkeys", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["name"], "Desk key");
    assert!(list["items"][0]["last_used_at"].is_string());

    // Another user can neither see nor touch it.
    let (_, other) = app.register_user().await;
    let other = other["access_token"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/me/passkeys/{id}")))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = app
        .client
        .delete(app.url(&format!("/api/v1/me/passkeys/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (ceremony, opts) = options(
        &app,
        "/api/v1/auth/passkeys/sign-in/options",
        &json!({}),
        None,
    )
    .await;
    let answer = key.sign(&opts, ORIGIN);
    assert_eq!(
        sign_in(&app, &ceremony, &answer).await.status(),
        StatusCode::UNAUTHORIZED
    );

    for action in [
        AuditAction::PasskeyAdded,
        AuditAction::PasskeyRenamed,
        AuditAction::PasskeyRemoved,
    ] {
        assert_eq!(audited(&app, action, &user_id).await.len(), 1, "{action:?}");
    }
    assert!(
        audited(&app, AuditAction::LoginSucceeded, &user_id)
            .await
            .iter()
            .any(|e| e.details["method"] == "passkey")
    );
}

#[tokio::test]
async fn a_passkey_is_a_second_factor_beside_totp_on_the_real_store() {
    let app = spawn_app().await;
    let (email, pair) = app.register_user().await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/enroll",
            &json!({ "password": PASSWORD }),
            Some(&access),
            None,
        )
        .await;
    let enrolment: Value = res.json().await.unwrap();
    let secret = TotpSecret::from_base32(enrolment["secret"].as_str().unwrap()).unwrap();
    let code = secret.code_at_step(totp_step(chrono::Utc::now()).unwrap());
    let res = app
        .post_json(
            "/api/v1/auth/mfa/totp/activate",
            &json!({ "password": PASSWORD, "code": code }),
            Some(&access),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut mine = SoftAuthenticator::new();
    register_passkey(&app, &access, &mut mine).await;
    let (_, stranger) = app.register_user().await;
    let mut theirs = SoftAuthenticator::new();
    register_passkey(
        &app,
        stranger["access_token"].as_str().unwrap(),
        &mut theirs,
    )
    .await;

    let first = app.login(&email, PASSWORD).await;
    let mfa_token = first["mfa_token"].as_str().unwrap().to_owned();
    let body = json!({ "mfa_token": mfa_token });
    let finish = |ceremony: &str, credential: &Value| json!({ "mfa_token": mfa_token, "ceremony_token": ceremony, "credential": credential });
    // Another user's credential does not answer this account's challenge.
    let (ceremony, opts) = options(&app, "/api/v1/auth/mfa/passkey/options", &body, None).await;
    let foreign = theirs.sign_with(0, &opts, ORIGIN);
    let res = app
        .post_json(
            "/api/v1/auth/mfa/passkey",
            &finish(&ceremony, &foreign),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Its own does, once; the ceremony does not work twice.
    let (ceremony, opts) = options(&app, "/api/v1/auth/mfa/passkey/options", &body, None).await;
    let answer = mine.sign(&opts, ORIGIN);
    let res = app
        .post_json(
            "/api/v1/auth/mfa/passkey",
            &finish(&ceremony, &answer),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["user"]["email"],
        email.as_str()
    );
    let res = app
        .post_json(
            "/api/v1/auth/mfa/passkey",
            &finish(&ceremony, &answer),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
