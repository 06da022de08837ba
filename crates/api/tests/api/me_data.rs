//! `/me/data`: a JSON document per user with `ETag`, `If-Match` (412) and a 1 MiB cap (413).

use plinth_kernel::Clock as _;
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

#[tokio::test]
async fn export_holds_everything_about_the_caller_and_nothing_secret() {
    let app = spawn_app().await;
    let pair = app.register("export@example.com").await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let stranger = app.token("stranger@example.com").await;
    assert_eq!(put(&app, &token, r#"{ "k": 1 }"#, None).await.status(), 200);
    for i in 0..3 {
        let res = app
            .upload(&token, &format!("n{i}.txt"), b"hello".to_vec())
            .await;
        assert_eq!(res.status(), 201);
    }
    assert_eq!(
        app.upload(&stranger, "theirs.txt", b"x".to_vec())
            .await
            .status(),
        201
    );

    // An organization, a subscription of their own and its invoice, and an organization's
    // subscription (which is not theirs).
    let admin = app.admin_token().await;
    let plan = crate::subscriptions::create_plan(&app, &admin, "solo", 900, 0, true).await;
    let res = app
        .post_json(
            "/api/v1/orgs",
            &json!({ "name": "Exported Ltd" }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let org = res.json::<Value>().await.unwrap()["id"].clone();
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json("/api/v1/auth/org", &json!({ "org_id": org }), Some(&token))
        .await;
    let acting = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan, "seats": 4 }),
            Some(&acting),
        )
        .await;
    assert_eq!(res.status(), 201);

    let res = app.get("/api/v1/me/export", Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    let exported_at: chrono::DateTime<chrono::Utc> =
        export["exported_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(exported_at, app.clock.now(), "stamped by the app's clock");
    assert_eq!(export["user"]["email"], "export@example.com");
    assert_eq!(export["app_data"], json!({ "k": 1 }));
    assert_eq!(
        export["files"].as_array().unwrap().len(),
        3,
        "own files only"
    );
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(export["identities"], json!([]));
    assert_eq!(export["passkeys"], json!([]));
    assert_eq!(export["organizations"][0]["name"], "Exported Ltd");
    assert_eq!(export["organizations"][0]["role"], "owner");
    assert_eq!(
        export["subscription"]["seats"], 1,
        "their own, not the organization's"
    );
    assert_eq!(export["subscription"]["org_id"], Value::Null);
    let invoices = export["invoices"].as_array().unwrap();
    assert_eq!(invoices.len(), 1, "their own invoice only: {invoices:?}");
    assert_eq!(invoices[0]["total"], 900);
    assert_eq!(export["sessions"][0]["current"], true);
    let actions: Vec<&str> = export["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"auth.registered"), "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "file.uploaded").count(), 3);
    for secret in [
        pair["refresh_token"].as_str().unwrap(),
        pair["access_token"].as_str().unwrap(),
        "password",
        "theirs.txt",
    ] {
        assert!(!text.contains(secret), "{secret} in the export");
    }
    assert_problem(
        app.get("/api/v1/me/export", None).await,
        401,
        "unauthenticated",
    )
    .await;
}
