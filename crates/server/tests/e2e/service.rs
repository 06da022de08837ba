//! `/health`, `/ready`, `/metrics` and the OpenAPI document.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{plinth, run_ok, spawn_app};

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
    let printed = String::from_utf8(run_ok(
        plinth(dir.path())
            .arg("openapi")
            .env("DATABASE_URL", "definitely not a url"),
    ))
    .unwrap();
    assert_eq!(printed.trim_end(), served.trim_end());
    let doc: Value = serde_json::from_str(&printed).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/auth/register"].is_object());
}

/// The value of the unlabelled series `name` in a Prometheus exposition.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_show_the_pool_the_bcrypt_queue_and_failure_counters() {
    let app = spawn_app().await;
    app.register_user().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let text = loop {
        let res = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        // The gauges are refreshed every second.
        if sample(&text, "db_pool_connections_open").is_some_and(|open| open >= 1.0) {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no pool gauges within 5 s: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let max = sample(&text, "db_pool_connections_max").unwrap();
    let in_use = sample(&text, "db_pool_connections_in_use").unwrap();
    assert!(max >= 1.0 && (0.0..=max).contains(&in_use), "{text}");
    for series in [
        "password_hash_queue_depth",
        "password_hash_running",
        "audit_append_failures_total",
        "mail_send_failures_total",
    ] {
        assert!(sample(&text, series).is_some(), "{series} missing: {text}");
    }
}

/// Makes the database refuse every `user.updated` audit entry (a trigger added behind the
/// application's back), so the next profile change fails at its audit append.
async fn refuse_profile_audit_entries(database: &plinth_store::Database) {
    use sea_orm::{ConnectionTrait, DbBackend};
    let statements: &[&str] = match database.backend() {
        DbBackend::Postgres => &[
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit storage refuses'; END $$",
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW \
             WHEN (NEW.action = 'user.updated') EXECUTE FUNCTION refuse_audit()",
        ],
        _ => &["CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
             WHEN NEW.action = 'user.updated' BEGIN SELECT RAISE(ABORT, 'audit storage refuses'); END"],
    };
    for sql in statements {
        database.connection().execute_unprepared(sql).await.unwrap();
    }
}

async fn audit_failures(app: &crate::helpers::TestApp) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    sample(&text, "audit_append_failures_total").unwrap()
}

#[tokio::test]
async fn a_failed_audit_append_of_a_profile_change_is_counted_in_metrics() {
    let app = spawn_app().await;
    let (_, pair) = app.register_user().await;
    let access = pair["access_token"].as_str().unwrap();
    refuse_profile_audit_entries(&app.database).await;
    let before = audit_failures(&app).await;
    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(access)
        .json(&serde_json::json!({ "name": "Never Stored" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_server_error(), "{}", res.status());
    let me: Value = app
        .get_auth("/api/v1/me", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Test User", "the change was rolled back");
    assert!(
        audit_failures(&app).await >= before + 1.0,
        "the failed append of the profile change shows in /metrics"
    );
}
