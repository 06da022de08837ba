//! What the audit trail learns about the client: IP (peer or trusted proxy header), user
//! agent and request id; and CORS.

use plinth_audit::{AuditAction, AuditEvent, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use serde_json::json;

use crate::helpers::{Options, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with};

async fn registered_event(app: &TestApp) -> AuditEvent {
    let filter = AuditFilter {
        action: Some(AuditAction::Registered),
        ..AuditFilter::default()
    };
    let page = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    page.items.into_iter().next().unwrap()
}

async fn register_with(app: &TestApp, headers: &[(&str, &str)]) {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({ "email": "meta@example.com", "password": PASSWORD, "name": "Meta" }));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    assert_eq!(req.send().await.unwrap().status(), 201);
}

#[tokio::test]
async fn audit_entries_carry_peer_ip_user_agent_and_request_id() {
    let app = spawn_app().await;
    let long_agent = "a".repeat(600);
    register_with(
        &app,
        &[
            ("X-Request-Id", "reg-42"),
            ("User-Agent", &long_agent),
            ("X-Forwarded-For", "6.6.6.6"),
        ],
    )
    .await;
    let event = registered_event(&app).await;
    assert_eq!(event.request_id.as_deref(), Some("reg-42"));
    assert_eq!(
        event.ip.as_deref(),
        Some("127.0.0.1"),
        "an untrusted peer's X-Forwarded-For is ignored"
    );
    assert_eq!(event.user_agent.unwrap().chars().count(), 512);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_first_untrusted_hop_is_the_client() {
    let app = spawn_app_with(Options {
        trusted_proxies: vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ],
        ..Options::default()
    })
    .await;
    register_with(
        &app,
        &[("X-Forwarded-For", "6.6.6.6, 203.0.113.5, 10.1.2.3")],
    )
    .await;
    assert_eq!(
        registered_event(&app).await.ip.as_deref(),
        Some("203.0.113.5")
    );
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type, authorization",
            )
            .send()
    };
    let ok = preflight("http://localhost:3000").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert!(ok.headers().contains_key("x-request-id"));

    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    assert!(refused.status().is_client_error());
    assert_problem(refused, 400, "bad_request").await;

    let res = app
        .client
        .get(app.url("/health"))
        .header("Origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
}
