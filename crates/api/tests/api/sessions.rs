//! Refresh reuse (grace and theft), and `/auth/sessions`, `/auth/logout-all`.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use serde_json::{Value, json};

use crate::helpers::{Options, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with};

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({ "refresh_token": token }),
        None,
    )
    .await
}

async fn login(app: &TestApp, email: &str, user_agent: &str) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", user_agent)
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap()
}

#[tokio::test]
async fn sixteen_parallel_refreshes_of_one_token_get_one_successor() {
    let app = spawn_app().await;
    let pair = app.register("tabs@example.com").await;
    let token = s(&pair, "refresh_token").to_owned();
    let answers = futures::future::join_all((0..16).map(|_| refresh(&app, &token))).await;
    let mut successors = std::collections::BTreeSet::new();
    for res in answers {
        assert_eq!(res.status(), 200, "never a 5xx nor a 401");
        let body: Value = res.json().await.unwrap();
        successors.insert(s(&body, "refresh_token").to_owned());
    }
    assert_eq!(successors.len(), 1, "{successors:?}");
    let successor = successors.into_iter().next().unwrap();
    assert_eq!(refresh(&app, &successor).await.status(), 200);
}

#[tokio::test]
async fn a_replay_after_the_grace_revokes_the_session_and_is_audited() {
    let app = spawn_app_with(Options {
        refresh_reuse_grace: Some(chrono::Duration::zero()),
        ..Options::default()
    })
    .await;
    let pair = app.register("stolen@example.com").await;
    let res = refresh(&app, s(&pair, "refresh_token")).await;
    let rotated: Value = res.json().await.unwrap();
    app.clock.advance(chrono::Duration::milliseconds(20));

    assert_problem(
        refresh(&app, s(&pair, "refresh_token")).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        refresh(&app, s(&rotated, "refresh_token")).await,
        401,
        "unauthenticated",
    )
    .await;
    let filter = AuditFilter {
        action: Some(AuditAction::RefreshReuseDetected),
        ..AuditFilter::default()
    };
    let detected = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(detected.len(), 1);
    assert_eq!(
        detected[0].actor_id.map(|u| u.to_string()).as_deref(),
        pair["user"]["id"].as_str()
    );
}

#[tokio::test]
async fn sessions_are_listed_with_the_current_one_marked() {
    let app = spawn_app().await;
    app.register("devices@example.com").await;
    let phone = login(&app, "devices@example.com", "Phone/1.0").await;
    let laptop = login(&app, "devices@example.com", "Laptop/2.0").await;

    let res = app
        .get("/api/v1/auth/sessions", Some(s(&laptop, "access_token")))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "register, phone and laptop: {body}");
    assert_eq!(items[0]["user_agent"], "Laptop/2.0", "newest first");
    assert_eq!(items[0]["current"], true);
    assert_eq!(items[1]["user_agent"], "Phone/1.0");
    assert_eq!(items[1]["current"], false);
    assert_eq!(items[0]["ip"], "127.0.0.1");
    for key in ["id", "created_at", "last_used_at", "expires_at"] {
        assert!(items[0][key].is_string(), "{key} in {body}");
    }
    assert!(items.iter().filter(|i| i["current"] == true).count() == 1);
    drop(phone);

    assert_problem(
        app.get("/api/v1/auth/sessions", None).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_session_is_ended_by_its_owner_only() {
    let app = spawn_app().await;
    app.register("owner@example.com").await;
    let phone = login(&app, "owner@example.com", "Phone/1.0").await;
    let laptop = login(&app, "owner@example.com", "Laptop/2.0").await;
    let mallory = app.register("mallory@example.com").await;

    let list: Value = app
        .get("/api/v1/auth/sessions", Some(s(&laptop, "access_token")))
        .await
        .json()
        .await
        .unwrap();
    let phone_sid = list["items"][1]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/auth/sessions/{phone_sid}");

    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(s(&mallory, "access_token"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    assert_eq!(
        refresh(&app, s(&phone, "refresh_token")).await.status(),
        200
    );

    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(s(&laptop, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let list: Value = app
        .get("/api/v1/auth/sessions", Some(s(&laptop, "access_token")))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != phone_sid.as_str()),
        "{list}"
    );
    let res = app
        .client
        .delete(app.url("/api/v1/auth/sessions/not-a-uuid"))
        .bearer_auth(s(&laptop, "access_token"))
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == 400 || res.status() == 404,
        "{}",
        res.status()
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_caller_only() {
    let app = spawn_app().await;
    let first = app.register("all@example.com").await;
    let second = login(&app, "all@example.com", "Other/1.0").await;
    let other = app.register("other@example.com").await;

    let res = app
        .post_json(
            "/api/v1/auth/logout-all",
            &json!({}),
            Some(s(&second, "access_token")),
        )
        .await;
    assert_eq!(res.status(), 204);
    for pair in [&first, &second] {
        assert_problem(
            refresh(&app, s(pair, "refresh_token")).await,
            401,
            "unauthenticated",
        )
        .await;
    }
    assert_eq!(
        refresh(&app, s(&other, "refresh_token")).await.status(),
        200
    );
    let res = app
        .post_json("/api/v1/auth/logout-all", &json!({}), None)
        .await;
    assert_problem(res, 401, "unauthenticated").await;
}
