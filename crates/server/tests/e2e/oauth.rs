//! Social sign-in against a REAL OpenID Connect provider on loopback: the certified
//! `oidc-provider` npm package (`crates/server/tests/oidc/provider.mjs`), started by each test
//! on a free port, with discovery, PKCE, signed ID tokens and its own JWKS. On SQLite, and on
//! PostgreSQL with `TEST_DATABASE_URL`.
//!
//! Needs `npm ci` in `crates/server/tests/oidc`; without its `node_modules` the tests print a
//! line and pass, unless `TEST_OIDC_REQUIRED` is set (CI), when they fail.
//!
//! Covered: sign-up, sign-in, linking while signed in, a forged `state`, a replayed `state`, a
//! replayed code, a wrong `nonce`, an unverified address, an address that has an account, and
//! unlinking the last way in refused.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{TestApp, free_port, spawn_app_with};

const CLIENT_ID: &str = "plinth-e2e";
const CLIENT_SECRET: &str = "plinth-e2e-client-secret-for-the-loopback-provider";
const FRONTEND: &str = "http://localhost:3000/after-sign-in";
const PROVIDER: &str = "idp";

/// The provider process, killed when dropped.
struct Idp {
    child: Child,
    issuer: String,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the provider for a Plinth at `public_url`, or `None` (test skipped) when its
/// `node_modules` are missing and `TEST_OIDC_REQUIRED` is not set.
async fn start_idp(public_url: &str) -> Option<Idp> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
    if !dir.join("node_modules/oidc-provider").is_dir() {
        assert!(
            std::env::var_os("TEST_OIDC_REQUIRED").is_none(),
            "TEST_OIDC_REQUIRED is set but {} has no node_modules: run `npm ci` there",
            dir.display()
        );
        eprintln!(
            "skipped: the OpenID Connect provider is not installed (run `npm ci` in {})",
            dir.display()
        );
        return None;
    }
    let port = free_port();
    let child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(&dir)
        .env("PORT", port.to_string())
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env(
            "REDIRECT_URI",
            format!("{public_url}/api/v1/auth/oauth/{PROVIDER}/callback"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node (Node.js must be installed)");
    let idp = Idp {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    };
    let discovery = format!("{}/.well-known/openid-configuration", idp.issuer);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = reqwest::get(&discovery).await
            && res.status().is_success()
        {
            return Some(idp);
        }
        assert!(
            Instant::now() < deadline,
            "the OpenID Connect provider did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Plinth with the provider configured as `idp`, and the provider; `None` when skipped.
async fn spawn() -> Option<(TestApp, Idp)> {
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let idp = start_idp(&public_url).await?;
    let issuer = idp.issuer.clone();
    let app = spawn_app_with(move |s| {
        s.server.port = port;
        s.server.public_url = public_url;
        s.server.cors_origins = vec!["http://localhost:3000".to_owned()];
        s.oauth = vec![plinth_oidc::ProviderConfig::oidc(
            PROVIDER,
            "Test IdP",
            &issuer,
            CLIENT_ID,
            SecretString::from(CLIENT_SECRET),
            vec!["openid".into(), "email".into(), "profile".into()],
        )];
    })
    .await;
    Some((app, idp))
}

/// The query parameter `name` of `url`.
fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `url` with the query parameter `name` set to `value`.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    parsed.into()
}

/// Who signs in at the provider: `<subject>~<email>~<verified>` (see provider.mjs).
fn account(subject: &str, email: &str, verified: bool) -> String {
    format!("{subject}~{email}~{verified}")
}

/// The browser at the provider: follows its redirects (carrying its cookies) from the
/// authorization URL, signing in as `who`, until it is sent back to Plinth; that URL.
async fn at_provider(app: &TestApp, authorization_url: &str, who: &str) -> String {
    let mut url = with_param(authorization_url, "login_hint", who);
    let mut cookies: Vec<String> = Vec::new();
    for _ in 0..10 {
        let mut req = app.client.get(&url);
        if !cookies.is_empty() {
            req = req.header(COOKIE, cookies.join("; "));
        }
        let res = req.send().await.unwrap();
        for set in res.headers().get_all(SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            cookies.push(pair);
        }
        assert!(
            res.status().is_redirection(),
            "the provider answered {} at {url}: {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
        let next = res.headers()[LOCATION].to_str().unwrap().to_owned();
        let next = url::Url::parse(&url)
            .unwrap()
            .join(&next)
            .unwrap()
            .to_string();
        if next.starts_with(&app.address) {
            return next;
        }
        url = next;
    }
    panic!("the provider never sent the browser back");
}

/// The `plinth_oauth_browser` cookie each started sign-in's browser holds, by `state`.
static BROWSERS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Starts a sign-in at Plinth: the provider's authorization URL (the browser's binding cookie
/// is remembered for the callback).
async fn start(app: &TestApp) -> String {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/auth/oauth/{PROVIDER}/start")))
        .query(&[("redirect_to", FRONTEND)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let state = param(&location, "state").unwrap();
    BROWSERS.lock().unwrap().push((state, cookie));
    location
}

/// Plinth's callback as the browser that started the flow reaches it (with its binding
/// cookie, for a sign-in it started): where it sends the browser.
async fn callback(app: &TestApp, callback_url: &str) -> reqwest::Response {
    let state = param(callback_url, "state").unwrap_or_default();
    let cookie = BROWSERS
        .lock()
        .unwrap()
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, c)| c.clone());
    let mut req = app.client.get(callback_url);
    if let Some(cookie) = cookie {
        req = req.header(COOKIE, cookie);
    }
    req.send().await.unwrap()
}

/// A whole round: start, the provider as `who`, the callback; the frontend URL reached.
async fn round(app: &TestApp, who: &str) -> String {
    let authorization = start(app).await;
    let back = at_provider(app, &authorization, who).await;
    let res = callback(app, &back).await;
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    res.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn exchange(app: &TestApp, frontend_url: &str) -> reqwest::Response {
    let code = param(frontend_url, "code").expect("a one-time code on redirect_to");
    app.post_json(
        "/api/v1/auth/oauth/exchange",
        &json!({ "code": code }),
        None,
        None,
    )
    .await
}

async fn problem_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

fn email() -> String {
    crate::helpers::unique_email()
}

#[tokio::test]
async fn sign_up_then_sign_in_with_a_real_provider_and_the_last_way_in_stays() {
    let Some((app, _idp)) = spawn().await else {
        return;
    };
    let address = email();
    let who = account("alice", &address, true);
    let frontend = round(&app, &who).await;
    assert!(frontend.starts_with(FRONTEND), "{frontend}");
    let res = exchange(&app, &frontend).await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["user"]["email"], address.as_str());
    assert_eq!(pair["user"]["email_verified"], true);
    let user_id = pair["user"]["id"].clone();
    let token = pair["access_token"].as_str().unwrap().to_owned();
    // The one-time code works once.
    assert_eq!(
        problem_code(exchange(&app, &frontend).await).await,
        (400, "oauth_code_invalid".to_owned())
    );

    // Signing in again finds the same account.
    let frontend = round(&app, &who).await;
    let again: Value = exchange(&app, &frontend).await.json().await.unwrap();
    assert_eq!(again["user"]["id"], user_id);

    // Its only way in cannot be unlinked.
    let list: Value = app
        .get_auth("/api/v1/me/identities", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["items"][0]["provider"], PROVIDER);
    let id = list["items"][0]["id"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/me/identities/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem_code(res).await,
        (409, "identity_last_way_in".to_owned())
    );
}

#[tokio::test]
async fn a_signed_in_user_links_the_provider_then_signs_in_with_it() {
    let Some((app, _idp)) = spawn().await else {
        return;
    };
    let (address, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    // Unauthenticated, the verified address of an existing account is refused, not joined.
    let who = account("bob", &address, true);
    let frontend = round(&app, &who).await;
    assert_eq!(
        problem_code(exchange(&app, &frontend).await).await,
        (409, "oauth_account_exists".to_owned())
    );

    let res = app
        .post_json(
            "/api/v1/me/identities",
            &json!({ "provider": PROVIDER, "redirect_to": FRONTEND }),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let back = at_provider(&app, body["authorization_url"].as_str().unwrap(), &who).await;
    let res = callback(&app, &back).await;
    assert_eq!(res.status(), 303);
    let frontend = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        param(&frontend, "linked").as_deref(),
        Some(PROVIDER),
        "{frontend}"
    );

    let frontend = round(&app, &who).await;
    let res = exchange(&app, &frontend).await;
    assert_eq!(res.status(), 200);
    let signed_in: Value = res.json().await.unwrap();
    assert_eq!(signed_in["user"]["id"], pair["user"]["id"]);

    // With a password of its own, the account may unlink the provider.
    let list: Value = app
        .get_auth("/api/v1/me/identities", token)
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
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn forged_and_replayed_callbacks_wrong_nonces_and_unverified_addresses_are_refused() {
    let Some((app, _idp)) = spawn().await else {
        return;
    };
    // A forged state.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/auth/oauth/{PROVIDER}/callback")))
        .query(&[("state", "forged"), ("code", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem_code(res).await,
        (400, "oauth_state_invalid".to_owned())
    );

    // A callback opened by a browser that did not start the sign-in (login CSRF).
    let authorization = start(&app).await;
    let back = at_provider(&app, &authorization, &account("mallory", &email(), true)).await;
    let res = app.client.get(&back).send().await.unwrap();
    assert_eq!(
        problem_code(res).await,
        (400, "oauth_state_invalid".to_owned())
    );

    // A callback replayed: its state is spent.
    let who = account("carol", &email(), true);
    let authorization = start(&app).await;
    let back = at_provider(&app, &authorization, &who).await;
    assert_eq!(callback(&app, &back).await.status(), 303);
    assert_eq!(
        problem_code(callback(&app, &back).await).await,
        (400, "oauth_state_invalid".to_owned())
    );

    // The provider's code replayed into a new attempt: the provider refuses it.
    let fresh = start(&app).await;
    let fresh_state = param(&fresh, "state").unwrap();
    let replay = with_param(&back, "state", &fresh_state);
    let res = callback(&app, &replay).await;
    assert_eq!(res.status(), 303);
    let frontend = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        problem_code(exchange(&app, &frontend).await).await,
        (502, "oauth_provider_error".to_owned())
    );

    // An ID token carrying another nonce than the attempt's (an injected token).
    let dave = email();
    let authorization = with_param(&start(&app).await, "nonce", "not-the-flows-nonce");
    let back = at_provider(&app, &authorization, &account("dave", &dave, true)).await;
    let res = callback(&app, &back).await;
    assert_eq!(res.status(), 303);
    let frontend = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        problem_code(exchange(&app, &frontend).await).await,
        (502, "oauth_provider_error".to_owned())
    );
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": dave, "password": "whatever-it-is-123" }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), 401, "no account was created for dave");

    // An address the provider did not verify.
    let frontend = round(&app, &account("erin", &email(), false)).await;
    assert_eq!(
        problem_code(exchange(&app, &frontend).await).await,
        (403, "oauth_email_unverified".to_owned())
    );
}
