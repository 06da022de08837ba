//! `GET /metrics`: request counters and latency by route template.

use crate::helpers::spawn_app;

/// The value of the sample line starting with `series ` in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status() {
    let app = spawn_app().await;
    let token = app.token("metrics@example.com").await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/billing/plans", None).await.status(), 200);
    }
    let raw_id = "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c0042";
    let res = app
        .get(&format!("/api/v1/files/{raw_id}"), Some(&token))
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(app.get("/metrics-not/at-all", None).await.status(), 404);

    let res = app.get("/metrics", None).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    let plans = sample(
        &text,
        r#"http_requests_total{method="GET",route="/api/v1/billing/plans",status="200"}"#,
    )
    .unwrap_or_else(|| panic!("no plans counter in\n{text}"));
    assert!(plans >= 3.0, "{plans}");
    assert!(
        sample(
            &text,
            r#"http_requests_total{method="GET",route="/api/v1/files/{id}",status="404"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(!text.contains(raw_id), "raw paths never become labels");
    assert!(
        !text.contains("metrics-not"),
        "raw paths never become labels"
    );
    assert!(
        sample(
            &text,
            r#"http_requests_total{method="GET",route="unmatched",status="404"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"http_request_duration_seconds_count{method="GET",route="/api/v1/billing/plans",status="200"}"#
        )
        .is_some_and(|n| n >= 3.0),
        "{text}"
    );
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn the_embedding_program_can_publish_gauges() {
    let app = spawn_app().await;
    let gauge = plinth_api::metrics::gauge("plinth_http_test_pool_in_use", "Pool use.").unwrap();
    gauge.set(7.0);
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert_eq!(
        sample(&text, "plinth_http_test_pool_in_use"),
        Some(7.0),
        "{text}"
    );
}
