//! Per-client-IP rate limits: 429 problems with `Retry-After` and `RateLimit-*`.

use plinth_api::{HttpSettings, RateLimit};
use reqwest::Response;
use serde_json::json;

use crate::helpers::{Options, TestApp, assert_problem, spawn_app_with};

fn limits(auth: &str, api: &str) -> Option<(RateLimit, RateLimit)> {
    Some((auth.parse().unwrap(), api.parse().unwrap()))
}

/// An app behind a trusted proxy (the test client), so `X-Forwarded-For` names the client.
async fn behind_proxy(auth: &str, api: &str) -> TestApp {
    spawn_app_with(Options {
        rate_limits: limits(auth, api),
        trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
        ..Options::default()
    })
    .await
}

async fn login_from(app: &TestApp, ip: &str) -> Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", ip)
        .json(&json!({ "email": "nobody@example.com", "password": "wrong-password-123" }))
        .send()
        .await
        .unwrap()
}

async fn get_from(app: &TestApp, path: &str, ip: &str) -> Response {
    app.client
        .get(app.url(path))
        .header("X-Forwarded-For", ip)
        .send()
        .await
        .unwrap()
}

fn number(res: &Response, name: &str) -> u64 {
    res.headers()[name].to_str().unwrap().parse().unwrap()
}

#[test]
fn the_defaults_are_the_contracts() {
    let settings = HttpSettings::default();
    assert!(settings.rate_limit_enabled);
    assert_eq!(settings.rate_limit_auth, "10/min".parse().unwrap());
    assert_eq!(settings.rate_limit_api, "600/min".parse().unwrap());
    assert!(!settings.hsts);
}

#[tokio::test]
async fn the_eleventh_auth_request_in_a_minute_is_429() {
    let app = behind_proxy("10/min", "600/min").await;
    for i in 0..10 {
        let res = login_from(&app, "198.51.100.1").await;
        assert_eq!(res.status(), 401, "attempt {i}");
        assert_eq!(number(&res, "ratelimit-limit"), 10);
        assert_eq!(number(&res, "ratelimit-remaining"), 9 - i);
    }
    let res = login_from(&app, "198.51.100.1").await;
    assert_eq!(number(&res, "ratelimit-limit"), 10);
    assert_eq!(number(&res, "ratelimit-remaining"), 0);
    let retry = number(&res, "retry-after");
    assert!((1..=6).contains(&retry), "Retry-After {retry}");
    assert_eq!(number(&res, "ratelimit-reset"), retry);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let body = assert_problem(res, 429, "rate_limited").await;
    assert!(
        body["detail"].as_str().unwrap().contains("try again"),
        "{body}"
    );

    // Another client is unaffected, and so is this client's budget for the other routes.
    assert_eq!(login_from(&app, "198.51.100.2").await.status(), 401);
    let plans = get_from(&app, "/api/v1/billing/plans", "198.51.100.1").await;
    assert_eq!(plans.status(), 200);
    assert_eq!(number(&plans, "ratelimit-limit"), 600);
    // Register is in the same auth group.
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("X-Forwarded-For", "198.51.100.1")
        .json(&json!({ "email": "x@example.com", "password": "whatever", "name": "X" }))
        .send()
        .await
        .unwrap();
    assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn the_api_group_has_its_own_budget_and_health_is_never_limited() {
    let app = behind_proxy("2/min", "3/min").await;
    for _ in 0..3 {
        let res = get_from(&app, "/api/v1/billing/plans", "203.0.113.7").await;
        assert_eq!(res.status(), 200);
    }
    let res = get_from(&app, "/api/v1/me", "203.0.113.7").await;
    assert_eq!(number(&res, "ratelimit-limit"), 3);
    assert_problem(res, 429, "rate_limited").await;
    // Auth still has its two requests.
    assert_eq!(login_from(&app, "203.0.113.7").await.status(), 401);
    assert_eq!(login_from(&app, "203.0.113.7").await.status(), 401);
    assert_eq!(login_from(&app, "203.0.113.7").await.status(), 429);
    for path in ["/health", "/ready", "/metrics"] {
        for _ in 0..5 {
            let res = get_from(&app, path, "203.0.113.7").await;
            assert_eq!(res.status(), 200, "{path}");
            assert!(!res.headers().contains_key("ratelimit-limit"), "{path}");
        }
    }
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_does_not_buy_a_new_budget() {
    let app = spawn_app_with(Options {
        rate_limits: limits("2/min", "600/min"),
        ..Options::default()
    })
    .await;
    assert_eq!(login_from(&app, "192.0.2.1").await.status(), 401);
    assert_eq!(login_from(&app, "192.0.2.2").await.status(), 401);
    assert_problem(login_from(&app, "192.0.2.3").await, 429, "rate_limited").await;
}

/// The budget is chosen from the route a request reaches, not from how its path is spelt:
/// every percent-encoded spelling actix decodes to the login route counts against the auth
/// budget, and spellings actix does not route there (a doubled slash, a trailing slash,
/// upper case) reach no handler.
#[tokio::test]
async fn no_spelling_of_the_login_path_escapes_the_auth_budget() {
    let app = behind_proxy("10/min", "600/min").await;
    let ip = "198.51.100.9";
    let spellings = [
        "/api/v1/%61uth/login",
        "/api/v1/auth/%6Cogin",
        "/api/v1/auth/%6cogin",
        "/%61pi/v1/auth/login",
        "/api/%761/auth/login",
        "/api/v1/%61%75%74%68/login",
        "/api/v1/au%74h/log%69n",
        "/api/v1/auth/login",
        "/api/v1/%61uth/l%6Fgin",
        "/api/v1/auth/logi%6E",
    ];
    for (i, path) in spellings.iter().enumerate() {
        let res = app
            .client
            .post(app.url(path))
            .header("X-Forwarded-For", ip)
            .json(&json!({ "email": "nobody@example.com", "password": "wrong-password-123" }))
            .send()
            .await
            .unwrap();
        assert_eq!(number(&res, "ratelimit-limit"), 10, "{path}");
        assert_eq!(number(&res, "ratelimit-remaining"), 9 - i as u64, "{path}");
        // It reached the login handler: a failed sign-in, not a 404.
        assert_problem(res, 401, "unauthenticated").await;
    }
    let res = app
        .client
        .post(app.url("/api/v1/%61uth/%6Cogin"))
        .header("X-Forwarded-For", ip)
        .json(&json!({ "email": "nobody@example.com", "password": "wrong-password-123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(number(&res, "ratelimit-limit"), 10);
    assert_problem(res, 429, "rate_limited").await;

    // What actix does not route to the login handler cannot be a way around its budget.
    for path in [
        "/api/v1//auth/login",
        "/api/v1/auth/login/",
        "/api/v1/AUTH/login",
        "/API/v1/auth/login",
        "/api/v1/auth%2Flogin",
    ] {
        let res = app
            .client
            .post(app.url(path))
            .header("X-Forwarded-For", "198.51.100.10")
            .json(&json!({ "email": "nobody@example.com", "password": "wrong-password-123" }))
            .send()
            .await
            .unwrap();
        assert_problem(res, 404, "not_found").await;
    }
}
