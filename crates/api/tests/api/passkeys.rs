//! Passkeys over HTTP with a software authenticator (`plinth_webauthn::testing`) checked by
//! the real WebAuthn adapter: register, list, rename, remove; a discoverable sign-in; a
//! passkey as the second factor beside TOTP; and the attacks: a replayed assertion, a
//! ceremony used twice or expired (the app's clock moved, never the wall clock), another
//! user's credential, a removed passkey, a phishing origin, the lockout, the last way in.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use plinth_webauthn::testing::SoftAuthenticator;
use serde_json::{Value, json};

use crate::helpers::{PASSKEY_ORIGIN, PASSWORD, TestApp, assert_problem, spawn_app};

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

/// `POST path` with an empty JSON body: `(ceremony_token, options)`.
async fn options(app: &TestApp, path: &str, body: &Value, token: Option<&str>) -> (String, Value) {
    let res = app.post_json(path, body, token).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 300);
    (
        body["ceremony_token"].as_str().unwrap().to_owned(),
        body["options"].clone(),
    )
}

/// Registers a passkey named `name` on `authenticator` for the account of `token`.
async fn register(
    app: &TestApp,
    token: &str,
    authenticator: &mut SoftAuthenticator,
    name: &str,
) -> Value {
    let (ceremony, opts) =
        options(app, "/api/v1/me/passkeys/options", &json!({}), Some(token)).await;
    assert_eq!(
        opts["publicKey"]["authenticatorSelection"]["residentKey"], "required",
        "{opts}"
    );
    assert_eq!(opts["publicKey"]["rp"]["id"], "localhost");
    let credential = authenticator.register(&opts, PASSKEY_ORIGIN);
    let res = app
        .post_json(
            "/api/v1/me/passkeys",
            &json!({ "ceremony_token": ceremony, "name": name, "credential": credential }),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// Starts a discoverable sign-in and answers it with `authenticator`.
async fn sign_in_answer(app: &TestApp, authenticator: &mut SoftAuthenticator) -> (String, Value) {
    let (ceremony, opts) = options(
        app,
        "/api/v1/auth/passkeys/sign-in/options",
        &json!({}),
        None,
    )
    .await;
    assert!(
        opts["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "a discoverable sign-in names no account: {opts}"
    );
    assert!(opts.get("mediation").is_none());
    (ceremony, authenticator.sign(&opts, PASSKEY_ORIGIN))
}

async fn sign_in(app: &TestApp, ceremony: &str, credential: &Value) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/passkeys/sign-in",
        &json!({ "ceremony_token": ceremony, "credential": credential }),
        None,
    )
    .await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn rename(app: &TestApp, id: &str, name: &str, token: &str) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/me/passkeys/{id}")))
        .bearer_auth(token)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_passkey_is_registered_listed_renamed_signs_in_and_is_removed() {
    let app = spawn_app().await;
    let token = app.token("ada@example.com").await;
    let mut laptop = SoftAuthenticator::new();
    let passkey = register(&app, &token, &mut laptop, "Laptop").await;
    assert_eq!(passkey["name"], "Laptop");
    assert_eq!(passkey["last_used_at"], Value::Null);
    let id = passkey["id"].as_str().unwrap().to_owned();
    let added = audited(&app, AuditAction::PasskeyAdded).await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].details["passkey_id"], id.as_str());

    let res = rename(&app, &id, "  Work laptop ", &token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "Work laptop");
    assert_problem(
        rename(&app, &id, "", &token).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(audited(&app, AuditAction::PasskeyRenamed).await.len(), 1);

    // Signing in: no address asked, the authenticator's passkey names the account.
    let (ceremony, answer) = sign_in_answer(&app, &mut laptop).await;
    let res = sign_in(&app, &ceremony, &answer).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get_all("set-cookie").iter().count() > 0,
        "the browser cookies are set too"
    );
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["user"]["email"], "ada@example.com");
    let me = app
        .get("/api/v1/me", Some(pair["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(me.status(), 200);
    let succeeded = audited(&app, AuditAction::LoginSucceeded).await;
    assert!(
        succeeded
            .iter()
            .any(|e| e.details["method"] == "passkey" && e.details["passkey_id"] == id.as_str())
    );

    let list: Value = app
        .get("/api/v1/me/passkeys", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["name"], "Work laptop");
    assert!(list["items"][0]["last_used_at"].is_string());

    let res = delete(&app, &format!("/api/v1/me/passkeys/{id}"), &token).await;
    assert_eq!(res.status(), 204);
    assert_eq!(audited(&app, AuditAction::PasskeyRemoved).await.len(), 1);
    assert!(app.passkeys.all_passkeys().is_empty());

    // A removed passkey signs nobody in, and says no more than any failure.
    let (ceremony, answer) = sign_in_answer(&app, &mut laptop).await;
    let problem = assert_problem(
        sign_in(&app, &ceremony, &answer).await,
        401,
        "unauthenticated",
    )
    .await;
    assert!(!problem.to_string().contains("ada@example.com"));
    let failed = audited(&app, AuditAction::LoginFailed).await;
    assert!(
        failed
            .iter()
            .any(|e| e.details["method"] == "passkey" && e.details["reason"] == "unknown_passkey")
    );
}

#[tokio::test]
async fn a_ceremony_works_once_an_assertion_is_not_replayed_and_ceremonies_expire() {
    let app = spawn_app().await;
    let token = app.token("bob@example.com").await;
    let mut phone = SoftAuthenticator::new();
    register(&app, &token, &mut phone, "Phone").await;

    let (ceremony, answer) = sign_in_answer(&app, &mut phone).await;
    assert_eq!(sign_in(&app, &ceremony, &answer).await.status(), 200);
    // The same ceremony and answer again: the challenge was spent.
    assert_problem(
        sign_in(&app, &ceremony, &answer).await,
        401,
        "unauthenticated",
    )
    .await;
    // The captured answer against a fresh ceremony: its challenge is not this one's.
    let (fresh, _) = options(
        &app,
        "/api/v1/auth/passkeys/sign-in/options",
        &json!({}),
        None,
    )
    .await;
    assert_problem(sign_in(&app, &fresh, &answer).await, 401, "unauthenticated").await;
    // A fresh ceremony failed once is spent too: a right answer to it no longer works.
    let (spent, opts) = {
        let res = app
            .post_json("/api/v1/auth/passkeys/sign-in/options", &json!({}), None)
            .await;
        let body: Value = res.json().await.unwrap();
        (
            body["ceremony_token"].as_str().unwrap().to_owned(),
            body["options"].clone(),
        )
    };
    assert_problem(sign_in(&app, &spent, &answer).await, 401, "unauthenticated").await;
    let right = phone.sign(&opts, PASSKEY_ORIGIN);
    assert_problem(sign_in(&app, &spent, &right).await, 401, "unauthenticated").await;

    // A ceremony finished after its 5 minutes (the app's clock, not the wall clock).
    let (late, answer) = sign_in_answer(&app, &mut phone).await;
    app.clock
        .advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
    assert_problem(sign_in(&app, &late, &answer).await, 401, "unauthenticated").await;
    let (in_time, answer) = sign_in_answer(&app, &mut phone).await;
    app.clock.advance(chrono::Duration::minutes(4));
    assert_eq!(sign_in(&app, &in_time, &answer).await.status(), 200);

    // A registration ceremony is not a sign-in ceremony, and works once.
    let (ceremony, opts) = options(
        &app,
        "/api/v1/me/passkeys/options",
        &json!({}),
        Some(&token),
    )
    .await;
    let credential = phone.register(&opts, PASSKEY_ORIGIN);
    let body = json!({ "ceremony_token": ceremony, "credential": credential });
    assert_problem(
        sign_in(&app, &ceremony, &credential).await,
        401,
        "unauthenticated",
    )
    .await;
    let res = app
        .post_json("/api/v1/me/passkeys", &body, Some(&token))
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json("/api/v1/me/passkeys", &body, Some(&token))
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(problem["errors"]["credential"].is_array(), "{problem}");
}

#[tokio::test]
async fn a_phishing_origin_and_another_users_ceremony_are_refused_at_registration() {
    let app = spawn_app().await;
    let token = app.token("carol@example.com").await;
    let other = app.token("mallory@example.com").await;
    let mut key = SoftAuthenticator::new();
    let (ceremony, opts) = options(
        &app,
        "/api/v1/me/passkeys/options",
        &json!({}),
        Some(&token),
    )
    .await;
    let phished = key.register(&opts, "http://localhost.evil.test:3000");
    let res = app
        .post_json(
            "/api/v1/me/passkeys",
            &json!({ "ceremony_token": ceremony, "credential": phished }),
            Some(&token),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;

    let (ceremony, opts) = options(
        &app,
        "/api/v1/me/passkeys/options",
        &json!({}),
        Some(&token),
    )
    .await;
    let credential = key.register(&opts, PASSKEY_ORIGIN);
    let res = app
        .post_json(
            "/api/v1/me/passkeys",
            &json!({ "ceremony_token": ceremony, "credential": credential }),
            Some(&other),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    assert!(app.passkeys.all_passkeys().is_empty());
    assert!(audited(&app, AuditAction::PasskeyAdded).await.is_empty());

    let res = app
        .post_json(
            "/api/v1/me/passkeys",
            &json!({ "ceremony_token": "x", "credential": "not an object" }),
            Some(&token),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn another_users_passkey_is_not_found() {
    let app = spawn_app().await;
    let owner = app.token("dan@example.com").await;
    let stranger = app.token("eve@example.com").await;
    let passkey = register(&app, &owner, &mut SoftAuthenticator::new(), "Key").await;
    let id = passkey["id"].as_str().unwrap();
    assert_problem(
        rename(&app, id, "Mine now", &stranger).await,
        404,
        "not_found",
    )
    .await;
    let res = delete(&app, &format!("/api/v1/me/passkeys/{id}"), &stranger).await;
    assert_problem(res, 404, "not_found").await;
    let list: Value = app
        .get("/api/v1/me/passkeys", Some(&stranger))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    assert_eq!(app.passkeys.all_passkeys()[0].name, "Key");
}

#[tokio::test]
async fn a_passkey_answers_the_mfa_challenge_beside_totp_with_its_own_accounts_key_only() {
    let app = spawn_app().await;
    let (token, _secret, _codes) = crate::mfa::with_totp(&app).await;
    let mut mine = SoftAuthenticator::new();
    register(&app, &token, &mut mine, "Mine").await;
    let stranger = app.token("frank@example.com").await;
    let mut theirs = SoftAuthenticator::new();
    register(&app, &stranger, &mut theirs, "Theirs").await;

    let login = crate::mfa::login(&app).await;
    let mfa_token = login["mfa_token"].as_str().unwrap().to_owned();
    let (ceremony, opts) = options(
        &app,
        "/api/v1/auth/mfa/passkey/options",
        &json!({ "mfa_token": mfa_token }),
        None,
    )
    .await;
    assert_eq!(
        opts["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Another account's (valid) passkey does not answer this account's challenge.
    let foreign = theirs.sign_with(0, &opts, PASSKEY_ORIGIN);
    let finish = |ceremony: &str, credential: &Value| json!({ "mfa_token": mfa_token, "ceremony_token": ceremony, "credential": credential });
    let res = app
        .post_json(
            "/api/v1/auth/mfa/passkey",
            &finish(&ceremony, &foreign),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    let failed = audited(&app, AuditAction::MfaFailed).await;
    assert!(failed.iter().any(|e| e.details["method"] == "passkey"));

    // The challenge is still open: its own passkey completes it, once.
    let (ceremony, opts) = options(
        &app,
        "/api/v1/auth/mfa/passkey/options",
        &json!({ "mfa_token": mfa_token }),
        None,
    )
    .await;
    let answer = mine.sign(&opts, PASSKEY_ORIGIN);
    let res = app
        .post_json(
            "/api/v1/auth/mfa/passkey",
            &finish(&ceremony, &answer),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["user"]["email"], "totp@example.com");
    assert!(
        audited(&app, AuditAction::LoginSucceeded)
            .await
            .iter()
            .any(|e| e.details["mfa"] == "passkey")
    );
    // The challenge is spent.
    let res = app
        .post_json(
            "/api/v1/auth/mfa/passkey/options",
            &json!({ "mfa_token": mfa_token }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;

    // An account without a passkey has nothing to answer with.
    let res = app
        .post_json(
            "/api/v1/auth/mfa/passkey/options",
            &json!({ "mfa_token": "unknown" }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn bad_assertions_count_towards_the_lockout() {
    let app = spawn_app().await;
    let token = app.token("gina@example.com").await;
    let mut key = SoftAuthenticator::new();
    register(&app, &token, &mut key, "Key").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (ceremony, opts) = options(
            &app,
            "/api/v1/auth/passkeys/sign-in/options",
            &json!({}),
            None,
        )
        .await;
        let mut answer = key.sign(&opts, PASSKEY_ORIGIN);
        // A well-formed signature of other data (another assertion's) over the right challenge.
        let decoy = key.sign(&opts, PASSKEY_ORIGIN);
        answer["response"]["signature"] = decoy["response"]["signature"].clone();
        statuses.push(sign_in(&app, &ceremony, &answer).await.status().as_u16());
    }
    assert_eq!(statuses[..4], [401, 401, 401, 401], "{statuses:?}");
    assert_eq!(statuses[5], 423, "{statuses:?}");
    // Locked: even a right answer waits.
    let (ceremony, answer) = sign_in_answer(&app, &mut key).await;
    assert_problem(
        sign_in(&app, &ceremony, &answer).await,
        423,
        "account_locked",
    )
    .await;
    assert!(!audited(&app, AuditAction::Locked).await.is_empty());
    // A password login is locked out too: one lockout for every way in.
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "gina@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 423);
}

#[tokio::test]
async fn a_passkey_never_takes_the_place_of_the_last_identity() {
    let app = spawn_app().await;
    let code = crate::oauth::sign_in_code(
        &app,
        crate::oauth::identity("sub-pk", "hana@example.com", true),
    )
    .await;
    let pair: Value = crate::oauth::exchange(&app, &code)
        .await
        .json()
        .await
        .unwrap();
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let passkey = register(&app, &token, &mut SoftAuthenticator::new(), "Only key").await;
    let passkey_id = passkey["id"].as_str().unwrap();

    // The provider identity stays the last way in (it marks the account as having no password
    // of its own); the passkey beside it may go.
    let identities: Value = app
        .get("/api/v1/me/identities", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let identity_id = identities["items"][0]["id"].as_str().unwrap();
    let res = delete(
        &app,
        &format!("/api/v1/me/identities/{identity_id}"),
        &token,
    )
    .await;
    assert_problem(res, 409, "identity_last_way_in").await;
    let res = delete(&app, &format!("/api/v1/me/passkeys/{passkey_id}"), &token).await;
    assert_eq!(res.status(), 204);
    assert!(app.passkeys.all_passkeys().is_empty());
    assert_eq!(audited(&app, AuditAction::PasskeyRemoved).await.len(), 1);
}

#[tokio::test]
async fn an_older_session_adds_a_passkey_only_with_the_password() {
    let app = spawn_app().await;
    let pair = app.register("eve@example.com").await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    // Eleven minutes after signing in, a refresh keeps the session's sign-in time: the fresh
    // access token alone does not start a registration.
    app.clock.advance(chrono::Duration::minutes(11));
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": pair["refresh_token"] }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let refreshed: Value = res.json().await.unwrap();
    let refreshed = refreshed["access_token"].as_str().unwrap().to_owned();
    for caller in [&token, &refreshed] {
        let res = app
            .post_json("/api/v1/me/passkeys/options", &json!({}), Some(caller))
            .await;
        assert_problem(res, 403, "reauthentication_required").await;
    }
    // A wrong password is refused, audited and counted like a wrong sign-in.
    let res = app
        .post_json(
            "/api/v1/me/passkeys/options",
            &json!({ "password": "not the password" }),
            Some(&refreshed),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(problem["errors"]["password"].is_array(), "{problem}");
    let failed = audited(&app, AuditAction::LoginFailed).await;
    assert!(
        failed
            .iter()
            .any(|e| e.details["during"] == "passkey_register"),
        "{failed:?}"
    );
    // The right password starts it, and the passkey registers.
    let (ceremony, opts) = options(
        &app,
        "/api/v1/me/passkeys/options",
        &json!({ "password": PASSWORD }),
        Some(&refreshed),
    )
    .await;
    let credential = SoftAuthenticator::new().register(&opts, PASSKEY_ORIGIN);
    let res = app
        .post_json(
            "/api/v1/me/passkeys",
            &json!({ "ceremony_token": ceremony, "credential": credential }),
            Some(&refreshed),
        )
        .await;
    assert_eq!(res.status(), 201);
    // A session signed in just now needs no password.
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "eve@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    let fresh: Value = res.json().await.unwrap();
    let fresh = fresh["access_token"].as_str().unwrap();
    options(&app, "/api/v1/me/passkeys/options", &json!({}), Some(fresh)).await;
}
