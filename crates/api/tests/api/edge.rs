//! The edge of the API: security headers on every answer and 405 with `Allow`.

use reqwest::{Method, Response};
use serde_json::json;

use crate::helpers::{Options, assert_problem, spawn_app, spawn_app_with};

const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

/// The headers every answer carries; `cache` is the expected `Cache-Control`.
fn assert_secured(res: &Response, csp: &str, cache: Option<&str>) {
    let url = res.url().path().to_owned();
    assert_eq!(
        header(res, "x-content-type-options"),
        Some("nosniff"),
        "{url}"
    );
    assert_eq!(header(res, "x-frame-options"), Some("DENY"), "{url}");
    assert_eq!(header(res, "referrer-policy"), Some("no-referrer"), "{url}");
    assert_eq!(header(res, "content-security-policy"), Some(csp), "{url}");
    assert_eq!(header(res, "cache-control"), cache, "{url}");
    assert_eq!(header(res, "strict-transport-security"), None, "{url}");
}

const API_CSP: &str = "frame-ancestors 'none'";

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let token = app.token("headers@example.com").await;

    let ok = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(ok.status(), 200);
    assert_secured(&ok, API_CSP, Some("no-store"));
    let plans = app.get("/api/v1/billing/plans", None).await;
    assert_eq!(plans.status(), 200);
    assert_secured(&plans, API_CSP, Some("no-store"));
    let health = app.get("/health", None).await;
    assert_eq!(health.status(), 200);
    assert_secured(&health, API_CSP, None);

    let unauthenticated = app.get("/api/v1/me", None).await;
    assert_secured(&unauthenticated, API_CSP, Some("no-store"));
    assert_problem(unauthenticated, 401, "unauthenticated").await;

    for path in ["/api/v1/nope", "/not/here"] {
        let missing = app.get(path, None).await;
        let cache = path.starts_with("/api/").then_some("no-store");
        assert_secured(&missing, API_CSP, cache);
        assert_problem(missing, 404, "not_found").await;
    }

    let body = json!({ "email": "a@example.com", "password": "p".repeat(20 * 1024) });
    let too_large = app.post_json("/api/v1/auth/login", &body, None).await;
    assert_secured(&too_large, API_CSP, Some("no-store"));
    assert_problem(too_large, 413, "payload_too_large").await;

    // A refused CORS preflight fails inside the middleware stack, before any handler.
    let refused = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_secured(&refused, API_CSP, Some("no-store"));
    assert_problem(refused, 400, "bad_request").await;
}

#[tokio::test]
async fn the_docs_get_a_policy_that_lets_the_bundled_ui_run() {
    let app = spawn_app().await;
    for path in [
        "/docs",
        "/docs/",
        "/docs/swagger-ui-bundle.js",
        "/docs/missing.js",
    ] {
        let res = app.get(path, None).await;
        assert_secured(&res, DOCS_CSP, None);
    }
    // The page loads its scripts from files only, so `script-src 'self'` is enough.
    let page = app.get("/docs/", None).await.text().await.unwrap();
    assert!(
        page.contains("<script src=\"./swagger-ui-bundle.js\""),
        "{page}"
    );
    let inline_scripts = page.matches("<script>").count();
    assert_eq!(inline_scripts, 0, "{page}");
}

#[tokio::test]
async fn downloads_keep_their_own_cache_policy() {
    let app = spawn_app().await;
    let token = app.token("download-cache@example.com").await;
    let res = app.upload(&token, "note.txt", b"hello".to_vec()).await;
    assert_eq!(res.status(), 201);
    let file: serde_json::Value = res.json().await.unwrap();
    let id = file["id"].as_str().unwrap();
    let res = app
        .get(&format!("/api/v1/files/{id}/content"), Some(&token))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), Some("private, no-cache"));
    assert_eq!(header(&res, "x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn hsts_is_sent_only_when_configured() {
    let app = spawn_app_with(Options {
        hsts: true,
        ..Options::default()
    })
    .await;
    for res in [
        app.get("/health", None).await,
        app.get("/api/v1/nope", None).await,
    ] {
        assert_eq!(
            header(&res, "strict-transport-security"),
            Some("max-age=63072000; includeSubDomains")
        );
    }
    let plain = spawn_app().await;
    assert!(
        !plain
            .get("/health", None)
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
}

async fn send(app: &crate::helpers::TestApp, method: &str, path: &str) -> Response {
    app.client
        .request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(path),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_known_route_with_another_method_is_405_with_allow() {
    let app = spawn_app().await;
    let file = "/api/v1/files/0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a";
    for (method, path, allow) in [
        ("DELETE", "/api/v1/auth/login", "POST"),
        ("GET", "/api/v1/auth/register", "POST"),
        ("PUT", "/api/v1/me", "GET, DELETE, PATCH"),
        ("DELETE", "/api/v1/billing/plans", "GET"),
        ("POST", "/health", "GET"),
        ("PATCH", "/api/v1/admin/users", "GET"),
        ("TRACE", "/health", "GET"),
        ("TRACE", "/api/v1/me", "GET, DELETE, PATCH"),
    ] {
        let res = send(&app, method, path).await;
        assert_eq!(header(&res, "allow"), Some(allow), "{method} {path}");
        assert_secured(
            &res,
            API_CSP,
            path.starts_with("/api/").then_some("no-store"),
        );
        assert_problem(res, 405, "method_not_allowed").await;
    }
    // A templated route: whatever the id, its methods are listed.
    let res = send(&app, "PUT", file).await;
    let allow = header(&res, "allow").unwrap().to_owned();
    assert!(allow.split(", ").any(|m| m == "GET"), "{allow}");
    assert!(!allow.contains("PUT"), "{allow}");
    assert_problem(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn trace_is_refused_everywhere_and_unknown_paths_stay_404() {
    let app = spawn_app().await;
    let res = send(&app, "TRACE", "/no/such/path").await;
    assert_eq!(header(&res, "allow"), Some(""));
    assert_problem(res, 405, "method_not_allowed").await;
    let res = send(&app, "TRACE", "/docs/index.html").await;
    assert_problem(res, 405, "method_not_allowed").await;
    for method in ["GET", "DELETE", "PUT"] {
        let res = send(&app, method, "/api/v1/auth/nope").await;
        assert!(!res.headers().contains_key("allow"));
        assert_problem(res, 404, "not_found").await;
    }
    // The served routes still work, and the document lists no 405s.
    let doc = app
        .get("/api/v1/openapi.json", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!doc.contains("\"405\""));
    // `method_not_allowed` is named once: among the codes a `Problem` may carry.
    assert_eq!(doc.matches("\"method_not_allowed\"").count(), 1);
}

/// Asserts that a raw HTTP/1.1 answer carries the security headers every answer must have.
fn assert_stamped(answer: &str) {
    let head = answer.to_ascii_lowercase();
    for line in [
        "\r\nx-content-type-options: nosniff\r\n",
        "\r\nx-frame-options: deny\r\n",
        "\r\nreferrer-policy: no-referrer\r\n",
        "\r\ncontent-security-policy: frame-ancestors 'none'\r\n",
        "\r\ncache-control: no-store\r\n",
    ] {
        assert!(head.contains(line), "{line:?} missing from {answer:?}");
    }
    assert!(answer.ends_with("\r\n\r\n"), "{answer:?}");
}

/// Sends `raw` on a new connection and reads the answer until the server closes it.
async fn raw_exchange(app: &crate::helpers::TestApp, raw: &[u8]) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The server may stop reading (and reset) before all of it is written.
    let _ = stream.write_all(raw).await;
    let mut answer = Vec::new();
    let mut chunk = [0; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        // A reset after the answer ends the read like a close does.
        while let Ok(n @ 1..) = stream.read(&mut chunk).await {
            answer.extend_from_slice(&chunk[..n]);
        }
    })
    .await;
    assert!(read.is_ok(), "the server held the connection for 15 s");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn oversized_headers_are_refused_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let mut head = b"GET /health HTTP/1.1\r\nHost: plinth\r\nX-Padding: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 200 * 1024));
    head.extend(b"\r\n\r\n");
    let text = raw_exchange(&app, &head).await;
    assert!(text.starts_with("HTTP/1.1 431"), "a 200 KiB head: {text}");
    assert_stamped(&text);
    assert_eq!(app.get("/health", None).await.status(), 200);
}

#[tokio::test]
async fn a_malformed_request_head_is_a_400_with_the_security_headers() {
    let app = spawn_app().await;
    let text = raw_exchange(&app, b"GET /health HTTP/1.1\r\nHost plinth\r\n\r\n").await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert_stamped(&text);
}

#[tokio::test]
async fn a_broken_head_after_a_served_request_on_the_same_connection_is_stamped_too() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: plinth\r\n\r\n")
        .await
        .unwrap();
    // Read the whole first answer (its head says how long its body is).
    let mut first = Vec::new();
    let mut chunk = [0; 1024];
    let complete = |got: &[u8]| {
        let text = String::from_utf8_lossy(got).to_ascii_lowercase();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return false;
        };
        let length = head
            .split("\r\n")
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|n| n.trim().parse::<usize>().ok());
        length.is_some_and(|n| body.len() >= n)
    };
    while !complete(&first) {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed after {first:?}");
        first.extend_from_slice(&chunk[..n]);
    }
    assert!(first.starts_with(b"HTTP/1.1 200"));
    // Then a broken head on the same connection: actix's own 400, with the headers.
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost plinth\r\n\r\n")
        .await
        .unwrap();
    let mut second = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut second),
    )
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&second);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert_stamped(&text);
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_timed_out() {
    let app = spawn_app().await;
    let started = std::time::Instant::now();
    let text = raw_exchange(&app, b"GET /health HTTP/1.1\r\nHost: plinth\r\n").await;
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert_stamped(&text);
}
