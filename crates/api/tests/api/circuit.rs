//! The database circuit: while it is open, API calls answer 503 at once without reaching a
//! handler (so nothing is stored), the probes and the OpenAPI document stay served; a 503
//! answer has the database checked.

use std::sync::Arc;
use std::time::Duration;

use plinth_audit::testing::FailingAuditLog;
use plinth_users::UserRepository as _;
use serde_json::json;

use crate::helpers::{Options, PASSWORD, assert_problem, spawn_app_with};

#[tokio::test]
async fn an_open_circuit_refuses_api_calls_at_once_and_changes_nothing() {
    let circuit = plinth_api::Circuit::default();
    let app = spawn_app_with(Options {
        circuit: circuit.clone(),
        ..Options::default()
    })
    .await;
    let body = json!({ "email": "open@example.com", "password": PASSWORD, "name": "Open" });
    let register = || app.post_json("/api/v1/auth/register", &body, None);
    assert!(circuit.open());
    let res = register().await;
    assert_eq!(res.headers()["retry-after"], "1");
    assert_problem(res, 503, "unavailable").await;
    let email = plinth_kernel::Email::parse("open@example.com").unwrap();
    assert!(
        app.user_rows.by_email(&email).await.unwrap().is_none(),
        "the handler never ran"
    );
    for path in ["/health", "/api/v1/openapi.json"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            res.status(),
            200,
            "{path} is served while the circuit is open"
        );
    }

    assert!(circuit.close());
    assert_eq!(register().await.status(), 201, "served again once closed");
    assert!(app.user_rows.by_email(&email).await.unwrap().is_some());
}

#[tokio::test]
async fn a_503_answer_has_the_database_checked_but_does_not_open_the_circuit() {
    let circuit = plinth_api::Circuit::default();
    let app = spawn_app_with(Options {
        audit: Some(Arc::new(FailingAuditLog::new())),
        circuit: circuit.clone(),
        ..Options::default()
    })
    .await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "c@example.com", "password": PASSWORD, "name": "C" }),
            None,
        )
        .await;
    assert_problem(res, 503, "unavailable").await;
    tokio::time::timeout(Duration::from_secs(5), circuit.suspected())
        .await
        .expect("the 503 asked for a check of the database");
    assert!(!circuit.is_open(), "only a failed check opens it");
}
