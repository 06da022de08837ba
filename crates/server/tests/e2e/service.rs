//! `/health`, `/ready` and the OpenAPI document.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{plinth, spawn_app};

#[tokio::test]
async fn health_answers_ok_with_the_version() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn ready_checks_the_database_and_the_storage() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert_eq!(body["checks"]["storage"]["status"], "ok");
}

#[tokio::test]
async fn served_openapi_document_equals_plinth_openapi_output() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let served = res.text().await.unwrap();

    // No database, and a broken DATABASE_URL does not matter.
    let dir = tempfile::tempdir().unwrap();
    let out = plinth(dir.path())
        .arg("openapi")
        .env("DATABASE_URL", "definitely not a url")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed.trim_end(), served.trim_end());
    let doc: Value = serde_json::from_str(&printed).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/auth/register"].is_object());
}
