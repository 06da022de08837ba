//! Every error path answers an RFC 9457 problem with the request id.

use std::sync::{Arc, Mutex, OnceLock};

use plinth_audit::testing::FailingAuditLog;
use plinth_audit::{AuditEvent, AuditFilter, AuditLog, StoredEntry};
use plinth_kernel::{Page, PageRequest, RepoError, Transaction};
use plinth_users::UserRepository;
use serde_json::json;

use crate::helpers::{Options, PASSWORD, assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad_request").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body(r#"{"email":"a@example.com","password":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad_request").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad_request").await;
}

#[tokio::test]
async fn missing_and_mistyped_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "a@example.com", "name": "A" }),
            None,
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body["errors"]["password"].is_array(), "{body}");

    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": 5, "password": "x" }),
            None,
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(
        body["errors"].as_object().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn validator_failures_are_422_per_field() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "", "password": PASSWORD, "name": "x".repeat(101) }),
            None,
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(
        body["errors"]["name"][0].as_str().unwrap().contains("100"),
        "{body}"
    );
    assert!(body["errors"]["email"].is_array(), "{body}");
}

#[tokio::test]
async fn domain_validation_failures_are_422_too() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "not-an-email", "password": PASSWORD, "name": "A" }),
            None,
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body["errors"]["email"].is_array(), "{body}");
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "b@example.com", "password": "password", "name": "B" }),
            None,
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(
        body["errors"]["password"][0]
            .as_str()
            .unwrap()
            .contains("at least"),
        "{body}"
    );
}

#[tokio::test]
async fn json_bodies_over_the_limit_are_413() {
    let app = spawn_app().await;
    let body = json!({ "email": "a@example.com", "password": "p".repeat(20 * 1024) });
    let res = app.post_json("/api/v1/auth/login", &body, None).await;
    assert_problem(res, 413, "payload_too_large").await;
}

#[tokio::test]
async fn bad_page_parameters_are_400() {
    let app = spawn_app().await;
    let token = app.token("pager@example.com").await;
    assert_problem(
        app.get("/api/v1/files?limit=0", Some(&token)).await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/files?limit=101", Some(&token)).await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/files?limit=ten", Some(&token)).await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/files?cursor=%21%21", Some(&token)).await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn an_unavailable_dependency_is_503_and_leaks_nothing() {
    let app = spawn_app_with(Options {
        audit: Some(Arc::new(FailingAuditLog::new())),
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
    assert_eq!(res.headers()["retry-after"], "5");
    let body = assert_problem(res, 503, "unavailable").await;
    let text = body.to_string();
    assert!(
        !text.contains("FailingAuditLog") && !text.contains("audit log is down"),
        "{text}"
    );
    // The account was rolled back with its audit entry: no row was stored.
    let email = plinth_kernel::Email::parse("c@example.com").unwrap();
    let stored = app.user_rows.by_email(&email).await.unwrap();
    assert!(
        stored.is_none(),
        "the user row outlived the failed audit append"
    );
}

#[tokio::test]
async fn a_database_outage_is_named_in_the_log_and_the_problem() {
    let logs = captured_logs();
    let app = spawn_app_with(Options {
        audit: Some(Arc::new(FailingAuditLog::new())),
        ..Options::default()
    })
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("X-Request-Id", "outage-report-1")
        .json(&json!({ "email": "e@example.com", "password": PASSWORD, "name": "E" }))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 503, "unavailable").await;
    assert_eq!(
        body["detail"], "The database is unavailable; try again later.",
        "the client learns which dependency failed, not how"
    );
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("outage-report-1"))
        .expect("an error line");
    assert!(
        line.contains("the database is unavailable: database unavailable: the audit log is down"),
        "{line}"
    );
}

/// An audit log with a bug: every append fails with an internal error whose text must never
/// reach a client.
struct BuggyAuditLog;

const SECRET_CAUSE: &str = "index out of range in audit_chain.rs:42 (postgres://admin:hunter2@db)";

#[async_trait::async_trait]
impl AuditLog for BuggyAuditLog {
    async fn append(
        &self,
        _tx: &mut dyn Transaction,
        _event: &AuditEvent,
    ) -> Result<(), RepoError> {
        Err(RepoError::internal(SECRET_CAUSE))
    }

    async fn list_rows(
        &self,
        _filter: &AuditFilter,
        _page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        Err(RepoError::internal(SECRET_CAUSE))
    }

    async fn chain_page(
        &self,
        _after_seq: Option<u64>,
        _limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        Err(RepoError::internal(SECRET_CAUSE))
    }
}

/// Everything logged by any test in this binary, once the capture is installed.
pub(crate) fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || LogSink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_bug_is_a_500_whose_body_says_nothing_of_it() {
    let logs = captured_logs();
    let app = spawn_app_with(Options {
        audit: Some(Arc::new(BuggyAuditLog)),
        ..Options::default()
    })
    .await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("X-Request-Id", "bug-report-1")
        .json(&json!({ "email": "d@example.com", "password": PASSWORD, "name": "D" }))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 500, "internal").await;
    assert_eq!(body["request_id"], "bug-report-1");
    let text = body.to_string();
    for leak in [
        "hunter2",
        "audit_chain",
        "index out of range",
        "storage failure",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
    // The log has the whole cause chain under the request id.
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("bug-report-1"))
        .expect("an error line");
    assert!(
        line.contains("internal error: storage failure: index out of range"),
        "{line}"
    );
}
