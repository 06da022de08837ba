//! `SESSION_IDLE_TIMEOUT` on the real store: a session left unused for the timeout can no
//! longer refresh (401) and is gone from `GET /auth/sessions`, while a session in use goes on.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app_with};

#[tokio::test]
async fn a_session_unused_for_the_idle_timeout_is_refused_and_no_longer_listed() {
    let idle = Duration::from_secs(3);
    let app = spawn_app_with(|s| {
        s.auth.access_token_ttl = Duration::from_secs(1);
        s.auth.session_idle_timeout = idle;
    })
    .await;
    let (email, left) = app.register_user().await;
    let refresh = |token: Value| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/refresh",
                &json!({ "refresh_token": token }),
                None,
                None,
            )
            .await
        }
    };
    // Used right away: the refresh is accepted and counts as use.
    let res = refresh(left["refresh_token"].clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let left: Value = res.json().await.unwrap();

    tokio::time::sleep(idle + Duration::from_millis(500)).await;
    let fresh = app.login(&email, PASSWORD).await;
    let res = refresh(left["refresh_token"].clone()).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "idle for longer than SESSION_IDLE_TIMEOUT"
    );
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert!(res.headers().contains_key("www-authenticate"));
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "unauthenticated", "{problem}");

    let res = app
        .get_auth(
            "/api/v1/auth/sessions",
            fresh["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let listed: Value = res.json().await.unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the new session is listed: {listed}");
    assert_eq!(items[0]["current"], true);

    let res = refresh(fresh["refresh_token"].clone()).await;
    assert_eq!(res.status(), StatusCode::OK, "the session in use goes on");
}
