//! Browser sessions with cookies on the real app (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`): sign in, write with the CSRF token only, refresh by cookie, sign out.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// The cookies `res` sets, by name (an empty value for a removal).
fn set_cookies(res: &reqwest::Response) -> BTreeMap<String, String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next()?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn header(cookies: &BTreeMap<String, String>) -> String {
    cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn rename(
    app: &TestApp,
    cookies: &BTreeMap<String, String>,
    csrf: Option<&str>,
) -> StatusCode {
    let mut req = app
        .client
        .patch(app.url("/api/v1/me"))
        .header(COOKIE, header(cookies))
        .json(&json!({ "name": "Cookie" }));
    if let Some(csrf) = csrf {
        req = req.header("x-csrf-token", csrf);
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn a_browser_session_signs_in_writes_refreshes_and_signs_out_by_cookie() {
    let app = spawn_app().await;
    let (email, _) = app.register_user().await;
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": PASSWORD }),
            None,
            None,
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let cookies = set_cookies(&login);
    let csrf = cookies["plinth_csrf"].clone();
    assert_eq!(login.headers()["x-csrf-token"], csrf.as_str());

    assert_eq!(rename(&app, &cookies, None).await, StatusCode::FORBIDDEN);
    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .header(COOKIE, header(&cookies))
        .send()
        .await
        .unwrap();
    let body: Value = me.json().await.unwrap();
    assert_eq!(
        body["name"], "Test User",
        "the refused write changed nothing"
    );
    assert_eq!(rename(&app, &cookies, Some(&csrf)).await, StatusCode::OK);

    let refreshed = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, header(&cookies))
        .header("x-csrf-token", &csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let next = set_cookies(&refreshed);
    assert_ne!(next["plinth_refresh"], cookies["plinth_refresh"]);

    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, header(&next))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(
        set_cookies(&logout).values().all(String::is_empty),
        "every session cookie is removed"
    );
    let again = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, header(&next))
        .header("x-csrf-token", &csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::UNAUTHORIZED,
        "the session is over"
    );
}
