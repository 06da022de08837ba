//! Social sign-in over HTTP with a fake provider port (the real provider runs in the server's
//! end-to-end tests): the provider list, `redirect_to` checks, sign-up, sign-in, the one-time
//! code, a forged or replayed `state`, a wrong nonce, an unverified address, an address that
//! has an account, linking while signed in, MFA, listing and unlinking (never the last way in).

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use plinth_sessions::{IdentityRepository as _, ProviderIdentity};
use plinth_users::UserRepository as _;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const FRONTEND: &str = "http://localhost:3000/signed-in";

pub(crate) fn identity(subject: &str, email: &str, verified: bool) -> ProviderIdentity {
    ProviderIdentity {
        subject: subject.to_owned(),
        email: Some(email.to_owned()),
        email_verified: verified,
        name: Some("Ada Lovelace".to_owned()),
    }
}

/// The query parameter `name` of `url`.
fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The `plinth_oauth_browser` cookie each started sign-in's browser holds, by `state`.
static BROWSERS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

fn browser_of(state: &str) -> Option<String> {
    BROWSERS
        .lock()
        .unwrap()
        .iter()
        .find(|(s, _)| s == state)
        .map(|(_, c)| c.clone())
}

/// Starts a sign-in: the `state` the provider was sent (the browser's cookie is remembered).
async fn start(app: &TestApp) -> String {
    let res = app
        .client
        .get(app.url("/api/v1/auth/oauth/acme/start"))
        .query(&[("redirect_to", FRONTEND)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("plinth_oauth_browser="))
        .expect("the browser binding cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("Path=/api/v1/auth/oauth"), "{cookie}");
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("https://idp.example/acme/authorize?"));
    let state = param(&location, "state").unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    BROWSERS.lock().unwrap().push((state.clone(), pair));
    state
}

/// The provider sends the browser that started the flow (if a browser started it) back:
/// where the callback redirects it.
async fn callback(app: &TestApp, state: &str, code: &str) -> reqwest::Response {
    callback_from(app, state, code, browser_of(state).as_deref()).await
}

/// [`callback`] from a browser holding `cookie` (`None`: no binding cookie).
async fn callback_from(
    app: &TestApp,
    state: &str,
    code: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url("/api/v1/auth/oauth/acme/callback"))
        .query(&[("state", state), ("code", code)]);
    if let Some(cookie) = cookie {
        req = req.header(reqwest::header::COOKIE, cookie);
    }
    req.send().await.unwrap()
}

/// A whole sign-in as `who` up to the frontend's one-time code.
pub(crate) async fn sign_in_code(app: &TestApp, who: ProviderIdentity) -> String {
    let state = start(app).await;
    let code = app.oauth.approve(&state, who).unwrap();
    let res = callback(app, &state, &code).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(FRONTEND), "{location}");
    param(&location, "code").expect("a one-time code")
}

pub(crate) async fn exchange(app: &TestApp, code: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/oauth/exchange",
        &json!({ "code": code }),
        None,
    )
    .await
}

async fn account(app: &TestApp, email: &str) -> Option<plinth_users::User> {
    let email = plinth_kernel::Email::parse(email).unwrap();
    app.user_rows.by_email(&email).await.unwrap()
}

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

#[tokio::test]
async fn providers_are_listed_with_where_to_start() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/auth/oauth/providers", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["items"][0]["name"], "acme");
    assert_eq!(body["items"][0]["display_name"], "Acme SSO");
    assert_eq!(
        body["items"][0]["start_url"],
        format!("{}/api/v1/auth/oauth/acme/start", app.address)
    );
}

#[tokio::test]
async fn start_refuses_unknown_providers_and_foreign_redirects() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/auth/oauth/nope/start"))
        .query(&[("redirect_to", FRONTEND)])
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    for bad in [
        "https://evil.example/steal",
        "javascript:alert(1)",
        "/relative",
        "http://localhost:3000.evil.example/",
    ] {
        let res = app
            .client
            .get(app.url("/api/v1/auth/oauth/acme/start"))
            .query(&[("redirect_to", bad)])
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(problem["errors"]["redirect_to"].is_array(), "{bad}");
    }
}

#[tokio::test]
async fn a_new_verified_identity_signs_up_then_signs_in_to_the_same_account() {
    let app = spawn_app().await;
    let code = sign_in_code(&app, identity("sub-1", "new@example.com", true)).await;
    let res = exchange(&app, &code).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get_all(SET_COOKIE).iter().count() > 0,
        "browser cookies"
    );
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["user"]["email"], "new@example.com");
    assert_eq!(pair["user"]["email_verified"], true);
    assert_eq!(pair["user"]["name"], "Ada Lovelace");
    let user_id = pair["user"]["id"].clone();
    let token = pair["access_token"].as_str().unwrap().to_owned();

    // The code works once.
    assert_problem(exchange(&app, &code).await, 400, "oauth_code_invalid").await;

    let res = app.get("/api/v1/me/identities", Some(&token)).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["provider"], "acme");
    assert_eq!(list["items"][0]["email"], "new@example.com");

    // Again, with the same provider subject: the same account, no new one.
    let code = sign_in_code(&app, identity("sub-1", "new@example.com", true)).await;
    let res = exchange(&app, &code).await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["user"]["id"], user_id);
    assert_eq!(audited(&app, AuditAction::Registered).await.len(), 1);
    let signed_in = audited(&app, AuditAction::LoginSucceeded).await;
    assert_eq!(signed_in.len(), 2);
    assert_eq!(signed_in[0].details["method"], "oauth");
    assert_eq!(signed_in[0].details["provider"], "acme");
    assert_eq!(audited(&app, AuditAction::IdentityLinked).await.len(), 1);
}

#[tokio::test]
async fn a_forged_or_replayed_state_is_refused_and_signs_nobody_in() {
    let app = spawn_app().await;
    let res = callback(&app, "forged-state", "any-code").await;
    assert_problem(res, 400, "oauth_state_invalid").await;

    let state = start(&app).await;
    let code = app
        .oauth
        .approve(&state, identity("sub-2", "replay@example.com", true))
        .unwrap();
    assert_eq!(callback(&app, &state, &code).await.status(), 303);
    // The same callback again (a replay): the state is spent.
    assert_problem(
        callback(&app, &state, &code).await,
        400,
        "oauth_state_invalid",
    )
    .await;
    // The state of another provider's flow is not this one's.
    let state = start(&app).await;
    let res = app
        .client
        .get(app.url("/api/v1/auth/oauth/other/callback"))
        .query(&[("state", state.as_str()), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "oauth_state_invalid").await;
    assert!(!audited(&app, AuditAction::LoginFailed).await.is_empty());
}

#[tokio::test]
async fn a_sign_in_finishes_only_in_the_browser_that_started_it() {
    let app = spawn_app().await;
    // An attacker starts a sign-in, signs in at the provider as themselves, and has a victim's
    // browser (which never started it) open the callback: refused, nothing handed out.
    let state = start(&app).await;
    let code = app
        .oauth
        .approve(
            &state,
            identity("sub-attacker", "attacker@example.com", true),
        )
        .unwrap();
    let res = callback_from(&app, &state, &code, None).await;
    assert_problem(res, 400, "oauth_state_invalid").await;
    let state = start(&app).await;
    let code = app
        .oauth
        .approve(
            &state,
            identity("sub-attacker", "attacker@example.com", true),
        )
        .unwrap();
    let other = start(&app).await;
    let res = callback_from(&app, &state, &code, browser_of(&other).as_deref()).await;
    assert_problem(res, 400, "oauth_state_invalid").await;
    // The binding cookie is removed once the callback is done.
    let state = start(&app).await;
    let code = app
        .oauth
        .approve(&state, identity("sub-13", "bound@example.com", true))
        .unwrap();
    let res = callback(&app, &state, &code).await;
    assert_eq!(res.status(), 303);
    let removal = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        removal.starts_with("plinth_oauth_browser=;") && removal.contains("Max-Age=0"),
        "{removal}"
    );
}

#[tokio::test]
async fn a_replayed_code_or_a_wrong_nonce_is_a_provider_error() {
    let app = spawn_app().await;
    // A code redeemed once: presented again with a fresh flow, the provider refuses it.
    let state = start(&app).await;
    let code = app
        .oauth
        .approve(&state, identity("sub-3", "code@example.com", true))
        .unwrap();
    let first = callback(&app, &state, &code).await;
    assert_eq!(first.status(), 303);
    let state = start(&app).await;
    let res = callback(&app, &state, &code).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let frontend_code = param(&location, "code").unwrap();
    assert_problem(
        exchange(&app, &frontend_code).await,
        502,
        "oauth_provider_error",
    )
    .await;

    // An ID token whose nonce is not the flow's.
    let state = start(&app).await;
    let code = app
        .oauth
        .approve_with_nonce(
            &state,
            identity("sub-4", "nonce@example.com", true),
            "other",
        )
        .unwrap();
    let res = callback(&app, &state, &code).await;
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let frontend_code = param(&location, "code").unwrap();
    assert_problem(
        exchange(&app, &frontend_code).await,
        502,
        "oauth_provider_error",
    )
    .await;
    assert!(
        account(&app, "nonce@example.com").await.is_none(),
        "nobody signed up"
    );
}

#[tokio::test]
async fn an_unverified_address_or_one_with_an_account_is_refused() {
    let app = spawn_app().await;
    let code = sign_in_code(&app, identity("sub-5", "unverified@example.com", false)).await;
    assert_problem(exchange(&app, &code).await, 403, "oauth_email_unverified").await;

    app.register("taken@example.com").await;
    let code = sign_in_code(&app, identity("sub-6", "taken@example.com", true)).await;
    let problem = assert_problem(exchange(&app, &code).await, 409, "oauth_account_exists").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("link"),
        "{problem}"
    );
    let taken = account(&app, "taken@example.com").await.unwrap();
    assert!(
        app.identities
            .identities_of(taken.id)
            .await
            .unwrap()
            .is_empty(),
        "never joined by address alone"
    );
}

#[tokio::test]
async fn a_signed_in_user_links_an_identity_and_signs_in_with_it() {
    let app = spawn_app().await;
    let token = app.token("linker@example.com").await;
    let res = app
        .post_json(
            "/api/v1/me/identities",
            &json!({ "provider": "acme", "redirect_to": FRONTEND }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let url = body["authorization_url"].as_str().unwrap();
    let state = param(url, "state").unwrap();
    // The provider's address may differ from the account's: being signed in is the proof.
    let code = app
        .oauth
        .approve(&state, identity("sub-7", "linker-work@example.com", true))
        .unwrap();
    let res = callback(&app, &state, &code).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        param(&location, "linked").as_deref(),
        Some("acme"),
        "{location}"
    );
    let linked = audited(&app, AuditAction::IdentityLinked).await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].details["provider"], "acme");

    // Signing in with the identity now opens the linked account.
    let code = sign_in_code(&app, identity("sub-7", "linker-work@example.com", true)).await;
    let pair: Value = exchange(&app, &code).await.json().await.unwrap();
    assert_eq!(pair["user"]["email"], "linker@example.com");

    // Another account cannot take it.
    let other = app.token("other@example.com").await;
    let res = app
        .post_json(
            "/api/v1/me/identities",
            &json!({ "provider": "acme", "redirect_to": FRONTEND }),
            Some(&other),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let state = param(body["authorization_url"].as_str().unwrap(), "state").unwrap();
    let code = app
        .oauth
        .approve(&state, identity("sub-7", "linker-work@example.com", true))
        .unwrap();
    let res = callback(&app, &state, &code).await;
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("oauth_identity_taken")
    );

    // Linking needs a verified address at the provider.
    let res = app
        .post_json(
            "/api/v1/me/identities",
            &json!({ "provider": "acme", "redirect_to": FRONTEND }),
            Some(&other),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let state = param(body["authorization_url"].as_str().unwrap(), "state").unwrap();
    let code = app
        .oauth
        .approve(&state, identity("sub-8", "other@example.com", false))
        .unwrap();
    let res = callback(&app, &state, &code).await;
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("oauth_email_unverified")
    );

    // Linking needs a signed-in caller.
    let res = app
        .post_json(
            "/api/v1/me/identities",
            &json!({ "provider": "acme", "redirect_to": FRONTEND }),
            None,
        )
        .await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_last_way_in_cannot_be_unlinked_but_a_password_account_may_unlink() {
    let app = spawn_app().await;
    let code = sign_in_code(&app, identity("sub-9", "only@example.com", true)).await;
    let pair: Value = exchange(&app, &code).await.json().await.unwrap();
    let token = pair["access_token"].as_str().unwrap();
    let list: Value = app
        .get("/api/v1/me/identities", Some(token))
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/me/identities/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "identity_last_way_in").await;

    // Another user's identity is not found.
    let other = app.token("someone@example.com").await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/me/identities/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;

    // An account with a password may unlink its only identity.
    let res = app
        .post_json(
            "/api/v1/me/identities",
            &json!({ "provider": "acme", "redirect_to": FRONTEND }),
            Some(&other),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let state = param(body["authorization_url"].as_str().unwrap(), "state").unwrap();
    let code = app
        .oauth
        .approve(&state, identity("sub-10", "someone@example.com", true))
        .unwrap();
    assert_eq!(callback(&app, &state, &code).await.status(), 303);
    let list: Value = app
        .get("/api/v1/me/identities", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/me/identities/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let unlinked = audited(&app, AuditAction::IdentityUnlinked).await;
    assert_eq!(unlinked.len(), 1);
    let list: Value = app
        .get("/api/v1/me/identities", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_account_with_totp_gets_the_mfa_challenge() {
    let app = spawn_app().await;
    let (token, _secret, _) = crate::mfa::with_totp(&app).await;
    let res = app
        .post_json(
            "/api/v1/me/identities",
            &json!({ "provider": "acme", "redirect_to": FRONTEND }),
            Some(&token),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let state = param(body["authorization_url"].as_str().unwrap(), "state").unwrap();
    let code = app
        .oauth
        .approve(&state, identity("sub-11", "totp-idp@example.com", true))
        .unwrap();
    assert_eq!(callback(&app, &state, &code).await.status(), 303);
    let code = sign_in_code(&app, identity("sub-11", "totp-idp@example.com", true)).await;
    let res = exchange(&app, &code).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get(SET_COOKIE).is_none(),
        "no cookies before the second step"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body["mfa_token"].is_string());
}

#[tokio::test]
async fn apple_style_form_posts_reach_the_callback() {
    let app = spawn_app().await;
    let state = start(&app).await;
    let code = app
        .oauth
        .approve(&state, identity("sub-12", "form@example.com", true))
        .unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/auth/oauth/acme/callback"))
        .header(reqwest::header::COOKIE, browser_of(&state).unwrap())
        .form(&[
            ("state", state.as_str()),
            ("code", code.as_str()),
            ("user", "{\"name\":{}}"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let code = param(&location, "code").unwrap();
    assert_eq!(exchange(&app, &code).await.status(), 200);
}
