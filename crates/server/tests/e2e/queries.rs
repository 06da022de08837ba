//! What a request costs the database: an authenticated read is at most one query (the token
//! is checked in memory, with no session or user lookup; only what the caller asked for is
//! read), and the count reaches `/metrics` as `db_queries_total`.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::spawn_app_with;

/// Background jobs that would add queries while we count are pushed out of the way.
async fn quiet_app() -> crate::helpers::TestApp {
    spawn_app_with(|s| {
        s.auth.revocation_sync_interval = Duration::from_secs(60);
        s.storage.reconcile_interval = Duration::ZERO;
        s.billing.jobs_interval = Duration::ZERO;
        // The event poller's query, as rare as the settings allow.
        s.events.poll_interval = Duration::from_secs(60);
    })
    .await
}

/// Waits until the pool has been idle for a moment, so startup work is not counted.
async fn settled(app: &crate::helpers::TestApp) -> u64 {
    let mut last = app.database.query_counts().run;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = app.database.query_counts().run;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Runs `requests` GETs of `path` and returns the queries they cost.
async fn queries_for(app: &crate::helpers::TestApp, token: &str, path: &str, requests: u64) -> u64 {
    let before = settled(app).await;
    for _ in 0..requests {
        let res = app.get_auth(path, token).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    }
    app.database.query_counts().run - before
}

#[tokio::test]
async fn an_authenticated_read_costs_at_most_one_query() {
    let app = quiet_app().await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();

    const N: u64 = 20;
    for path in [
        "/api/v1/me",
        "/api/v1/auth/sessions",
        "/api/v1/billing/entitlements",
    ] {
        let spent = queries_for(&app, token, path, N).await;
        assert!(
            spent <= N,
            "GET {path}: {spent} queries for {N} requests (more than one each)"
        );
        assert!(
            spent > 0,
            "GET {path} read nothing: the counter is not wired"
        );
    }
}

#[tokio::test]
async fn queries_are_counted_in_metrics() {
    let app = quiet_app().await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(
        app.get_auth("/api/v1/me", token).await.status(),
        StatusCode::OK
    );
    // The counters are copied into the registry once a second.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix("db_queries_total "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        if value.is_some_and(|v| v > 0.0) {
            assert!(text.contains("# TYPE db_query_failures_total counter"));
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "db_queries_total never showed the queries run: {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
