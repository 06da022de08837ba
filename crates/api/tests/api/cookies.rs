//! Browser sessions with cookies: sign-in sets them, a cookie authenticates, an unsafe request
//! by cookie needs the session's CSRF token from an allowed origin, refresh and sign-out work
//! by cookie, and bearer clients are unaffected.

use std::collections::BTreeMap;

use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

/// A browser's view of one sign-in: its cookies by name, and the CSRF header it was given.
struct Browser {
    cookies: BTreeMap<String, String>,
    csrf_header: Option<String>,
    set_cookie: Vec<String>,
}

impl Browser {
    fn from(res: &reqwest::Response) -> Self {
        let set_cookie: Vec<String> = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let cookies = set_cookie
            .iter()
            .map(|c| {
                let pair = c.split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                (name.to_owned(), value.to_owned())
            })
            .collect();
        Self {
            cookies,
            csrf_header: res
                .headers()
                .get("x-csrf-token")
                .map(|v| v.to_str().unwrap().to_owned()),
            set_cookie,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn attributes(&self, name: &str) -> String {
        self.set_cookie
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie in {:?}", self.set_cookie))
            .to_ascii_lowercase()
    }

    fn csrf(&self) -> &str {
        &self.cookies["plinth_csrf"]
    }
}

async fn sign_in(app: &TestApp, email: &str) -> Browser {
    app.register(email).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    Browser::from(&res)
}

async fn rename(
    app: &TestApp,
    browser: &Browser,
    csrf: Option<&str>,
    origin: Option<&str>,
    name: &str,
) -> reqwest::Response {
    let mut req = app
        .client
        .patch(app.url("/api/v1/me"))
        .header(COOKIE, browser.cookie_header())
        .json(&json!({ "name": name }));
    if let Some(csrf) = csrf {
        req = req.header("X-CSRF-Token", csrf);
    }
    if let Some(origin) = origin {
        req = req.header(ORIGIN, origin);
    }
    req.send().await.unwrap()
}

async fn my_name(app: &TestApp, browser: &Browser) -> Value {
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header(COOKIE, browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "a cookie signs a GET in without a CSRF token"
    );
    res.json::<Value>().await.unwrap()["name"].clone()
}

#[tokio::test]
async fn sign_in_sets_httponly_session_cookies_and_a_readable_csrf_token() {
    let app = spawn_app().await;
    let browser = sign_in(&app, "ada@example.com").await;

    let access = browser.attributes("plinth_access");
    assert!(
        access.contains("httponly") && access.contains("path=/"),
        "{access}"
    );
    assert!(
        access.contains("secure") && access.contains("samesite=lax"),
        "{access}"
    );
    let refresh = browser.attributes("plinth_refresh");
    assert!(refresh.contains("httponly"), "{refresh}");
    assert!(refresh.contains("path=/api/v1/auth/refresh"), "{refresh}");
    let csrf = browser.attributes("plinth_csrf");
    assert!(!csrf.contains("httponly"), "the page reads it: {csrf}");
    assert_eq!(
        browser.csrf_header.as_deref(),
        Some(browser.csrf()),
        "the header carries the cookie's value for a frontend on another site"
    );
    assert_eq!(my_name(&app, &browser).await, "Test User");
}

#[tokio::test]
async fn an_unsafe_request_by_cookie_needs_the_sessions_csrf_token_and_changes_nothing_without() {
    let app = spawn_app().await;
    let ada = sign_in(&app, "ada@example.com").await;
    let eve = sign_in(&app, "eve@example.com").await;

    let missing = rename(&app, &ada, None, None, "Mallory").await;
    assert_problem(missing, 403, "csrf_failed").await;
    let wrong = rename(&app, &ada, Some("not-the-token"), None, "Mallory").await;
    assert_problem(wrong, 403, "csrf_failed").await;
    // Eve plants her own (valid) CSRF token as Ada's cookie and sends it: it is not Ada's
    // session's.
    let mut planted = Browser {
        cookies: ada.cookies.clone(),
        csrf_header: None,
        set_cookie: Vec::new(),
    };
    planted
        .cookies
        .insert("plinth_csrf".to_owned(), eve.csrf().to_owned());
    let res = rename(&app, &planted, Some(eve.csrf()), None, "Mallory").await;
    assert_problem(res, 403, "csrf_failed").await;
    let foreign = rename(
        &app,
        &ada,
        Some(ada.csrf()),
        Some("https://evil.example"),
        "Mallory",
    )
    .await;
    assert_problem(foreign, 403, "csrf_failed").await;
    assert_eq!(my_name(&app, &ada).await, "Test User", "nothing changed");

    let ok = rename(
        &app,
        &ada,
        Some(ada.csrf()),
        Some("http://localhost:3000"),
        "Ada",
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(my_name(&app, &ada).await, "Ada");
}

#[tokio::test]
async fn a_bearer_token_needs_no_csrf_token_even_beside_the_cookies() {
    let app = spawn_app().await;
    let browser = sign_in(&app, "ada@example.com").await;
    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .header(COOKIE, browser.cookie_header())
        .bearer_auth(&browser.cookies["plinth_access"])
        .json(&json!({ "name": "Bearer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn refresh_by_cookie_needs_the_csrf_token_and_rotates_the_cookies() {
    let app = spawn_app().await;
    let browser = sign_in(&app, "ada@example.com").await;
    let refresh = |csrf: Option<String>| {
        let mut req = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .header(COOKIE, browser.cookie_header())
            .json(&json!({}));
        if let Some(csrf) = csrf {
            req = req.header("X-CSRF-Token", csrf);
        }
        req.send()
    };
    let refused = refresh(None).await.unwrap();
    assert_problem(refused, 403, "csrf_failed").await;

    // The refused attempt did not spend the token.
    let res = refresh(Some(browser.csrf().to_owned())).await.unwrap();
    assert_eq!(res.status(), 200);
    let next = Browser::from(&res);
    assert_ne!(
        next.cookies["plinth_refresh"], browser.cookies["plinth_refresh"],
        "a new refresh cookie"
    );
    assert_eq!(
        next.csrf(),
        browser.csrf(),
        "the session, and its token, stay"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["refresh_token"], next.cookies["plinth_refresh"]);
    assert_eq!(my_name(&app, &next).await, "Test User");

    // Without a body token or a cookie there is nothing to refresh.
    let none = app
        .post_json("/api/v1/auth/refresh", &json!({}), None)
        .await;
    assert_problem(none, 401, "unauthenticated").await;
}

#[tokio::test]
async fn sign_out_removes_the_cookies_and_the_old_cookie_no_longer_signs_in() {
    let app = spawn_app().await;
    let browser = sign_in(&app, "ada@example.com").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, browser.cookie_header())
        .header("X-CSRF-Token", browser.csrf())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let removed = Browser::from(&res);
    for name in ["plinth_access", "plinth_refresh", "plinth_csrf"] {
        let attributes = removed.attributes(name);
        assert!(attributes.contains("max-age=0"), "{attributes}");
    }
    let refresh = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, browser.cookie_header())
        .header("X-CSRF-Token", browser.csrf())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(refresh, 401, "unauthenticated").await;
    // Once the replica has loaded the revocation (its timer does this every
    // REVOCATION_SYNC_INTERVAL), the old access cookie is refused too.
    app.auth.sync_revocations().await.unwrap();
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header(COOKIE, browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_page_on_an_unlisted_origin_gets_no_cookies_from_a_sign_in() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(ORIGIN, "https://evil.example")
        .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the JSON answer is as before");
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert!(res.headers().get("x-csrf-token").is_none());
}

#[tokio::test]
async fn a_listed_origin_may_send_credentials_and_the_csrf_header() {
    let app = spawn_app().await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
        .header(ORIGIN, "http://localhost:3000")
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "x-csrf-token,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["access-control-allow-credentials"], "true");
    let denied = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
        .header(ORIGIN, "https://evil.example")
        .header("Access-Control-Request-Method", "PATCH")
        .header("Access-Control-Request-Headers", "x-csrf-token")
        .send()
        .await
        .unwrap();
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "an unlisted origin is not allowed"
    );
}

#[tokio::test]
async fn a_browser_acting_for_an_organization_gets_a_new_access_cookie_and_needs_the_csrf_token() {
    let app = spawn_app().await;
    let browser = sign_in(&app, "ada@example.com").await;
    let post = |path: &str, body: Value, csrf: Option<&str>| {
        let mut req = app
            .client
            .post(app.url(path))
            .header(COOKIE, browser.cookie_header())
            .json(&body);
        if let Some(csrf) = csrf {
            req = req.header("X-CSRF-Token", csrf.to_owned());
        }
        req.send()
    };
    let res = post(
        "/api/v1/orgs",
        json!({ "name": "Northwind Dental" }),
        Some(browser.csrf()),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let org = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let refused = post("/api/v1/auth/org", json!({ "org_id": org }), None)
        .await
        .unwrap();
    assert_problem(refused, 403, "csrf_failed").await;
    let before = app
        .auth
        .authenticate(&browser.cookies["plinth_access"])
        .unwrap();
    let sessions = app.auth.sessions(&before).await.unwrap();
    assert_eq!(
        sessions[0].org_id, None,
        "nothing changed without the token"
    );

    let res = post(
        "/api/v1/auth/org",
        json!({ "org_id": org }),
        Some(browser.csrf()),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let renewed = Browser::from(&res);
    let attributes = renewed.attributes("plinth_access");
    assert!(attributes.contains("httponly"), "{attributes}");
    assert!(
        !renewed.cookies.contains_key("plinth_refresh"),
        "the refresh cookie is unchanged"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(renewed.cookies["plinth_access"], body["access_token"]);
    let acting = app
        .auth
        .authenticate(&renewed.cookies["plinth_access"])
        .unwrap()
        .org
        .unwrap();
    assert_eq!(acting.org_id.to_string(), org);
}
