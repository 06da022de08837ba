//! `/me/data`: a JSON document per user with `ETag`, `If-Match` (412) and a 1 MiB cap (413).

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn put(app: &TestApp, token: &str, body: &str, if_match: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .put(app.url("/api/v1/me/data"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_document_is_stored_versioned_and_private() {
    let app = spawn_app().await;
    let token = app.token("data@example.com").await;
    let other = app.token("other@example.com").await;

    let res = app.get("/api/v1/me/data", Some(&token)).await;
    assert_eq!(res.status(), 200);
    let empty = etag(&res);
    assert!(empty.starts_with('"') && empty.len() == 66, "{empty}");
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));

    // The first write may name the version GET showed.
    let res = put(
        &app,
        &token,
        r#"{ "theme": "dark", "n": [1, 2] }"#,
        Some(&empty),
    )
    .await;
    assert_eq!(res.status(), 200);
    let v1 = etag(&res);
    assert_ne!(v1, empty);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "theme": "dark", "n": [1, 2] })
    );
    let res = app.get("/api/v1/me/data", Some(&token)).await;
    assert_eq!(etag(&res), v1);
    assert_eq!(res.json::<Value>().await.unwrap()["theme"], "dark");

    // A writer holding an old version is refused and changes nothing.
    let res = put(&app, &token, r#"{ "theme": "light" }"#, Some(&empty)).await;
    assert_problem(res, 412, "precondition_failed").await;
    let res = app.get("/api/v1/me/data", Some(&token)).await;
    assert_eq!(res.json::<Value>().await.unwrap()["theme"], "dark");
    let res = put(&app, &token, r#"{ "theme": "light" }"#, Some(&v1)).await;
    assert_eq!(res.status(), 200);
    let v2 = etag(&res);
    let res = put(&app, &token, r#"{ "theme": "blue" }"#, Some("*")).await;
    assert_eq!(res.status(), 200);
    assert_ne!(etag(&res), v2);
    let res = put(&app, &token, "[]", None).await;
    assert_eq!(res.status(), 200, "without If-Match the last writer wins");

    // Each user has their own.
    let res = app.get("/api/v1/me/data", Some(&other)).await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let res = put(&app, &other, "{}", Some("*")).await;
    assert_problem(res, 412, "precondition_failed").await;
    assert_problem(
        app.get("/api/v1/me/data", None).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn bad_documents_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let token = app.token("bad@example.com").await;
    let res = put(&app, &token, r#"{ "kept": true }"#, None).await;
    assert_eq!(res.status(), 200);

    assert_problem(
        put(&app, &token, "{ not json", None).await,
        400,
        "bad_request",
    )
    .await;
    let big = format!("\"{}\"", "x".repeat(1024 * 1024));
    assert_problem(
        put(&app, &token, &big, None).await,
        413,
        "payload_too_large",
    )
    .await;
    let res = app
        .client
        .put(app.url("/api/v1/me/data"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad_request").await;
    let just_under = format!("\"{}\"", "y".repeat(1024 * 1024 - 2));
    assert_eq!(
        put(&app, &token, &just_under, None).await.status(),
        200,
        "1 MiB fits"
    );
    let res = app.get("/api/v1/me/data", Some(&token)).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!("y".repeat(1024 * 1024 - 2))
    );
}
