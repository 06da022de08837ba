//! Service surface: health, readiness, the OpenAPI document, Swagger UI, request ids, 404s.

use std::sync::Arc;
use std::time::Duration;

use plinth_api::ReadinessCheck;
use serde_json::Value;

use crate::helpers::{Options, assert_problem, spawn_app, spawn_app_with};

struct Check(Result<(), &'static str>);

#[async_trait::async_trait]
impl ReadinessCheck for Check {
    async fn check(&self) -> Result<(), String> {
        self.0.map_err(str::to_owned)
    }
}

struct Hangs;

#[async_trait::async_trait]
impl ReadinessCheck for Hangs {
    async fn check(&self) -> Result<(), String> {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(())
    }
}

fn checks(list: Vec<(&str, Arc<dyn ReadinessCheck>)>) -> Vec<(String, Arc<dyn ReadinessCheck>)> {
    list.into_iter().map(|(n, c)| (n.to_owned(), c)).collect()
}

#[tokio::test]
async fn health_reports_ok_and_the_version() {
    let app = spawn_app().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "version": "9.9.9-test" })
    );
}

#[tokio::test]
async fn ready_is_200_when_every_check_passes() {
    let app = spawn_app_with(Options {
        // `storage` is the file service's real check against its (in-memory) blob store.
        readiness: checks(vec![("database", Arc::new(Check(Ok(()))))]),
        storage_check: true,
        ..Options::default()
    })
    .await;
    let res = app.get("/ready", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "checks": { "database": { "status": "ok" }, "storage": { "status": "ok" } } })
    );
}

#[tokio::test]
async fn ready_is_503_naming_the_failing_and_the_hanging_check() {
    let app = spawn_app_with(Options {
        readiness: checks(vec![
            ("database", Arc::new(Check(Ok(())))),
            ("storage", Arc::new(Check(Err("bucket unreachable")))),
            ("search", Arc::new(Hangs)),
        ]),
        ..Options::default()
    })
    .await;
    // The hanging check never finishes: /ready answering at all (well before this generous
    // bound, which only keeps a loaded CI machine from failing it) and naming it as timed out
    // below is the proof that CHECK_TIMEOUT cut it off.
    let res = tokio::time::timeout(Duration::from_secs(15), app.get("/ready", None))
        .await
        .expect("a hanging check must not hold /ready");
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(
        body["checks"]["database"],
        serde_json::json!({ "status": "ok" })
    );
    assert_eq!(
        body["checks"]["storage"],
        serde_json::json!({ "status": "error", "error": "bucket unreachable" })
    );
    assert_eq!(
        body["checks"]["search"],
        serde_json::json!({ "status": "error", "error": "timed out after 1 s" })
    );
}

#[tokio::test]
async fn served_document_is_openapi_json_and_lists_every_operation() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(res.status(), 200);
    let served = res.text().await.unwrap();
    assert_eq!(served, plinth_api::openapi_json());

    let doc: Value = serde_json::from_str(&served).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["title"], "Plinth");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    let expected = [
        ("get", "/health"),
        ("get", "/ready"),
        ("get", "/metrics"),
        ("get", "/docs"),
        ("get", "/.well-known/jwks.json"),
        ("get", "/.well-known/openid-configuration"),
        ("get", "/api/v1/openapi.json"),
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/logout-all"),
        ("get", "/api/v1/auth/sessions"),
        ("delete", "/api/v1/auth/sessions/{id}"),
        ("post", "/api/v1/auth/password/change"),
        ("post", "/api/v1/auth/password/forgot"),
        ("post", "/api/v1/auth/password/reset"),
        ("post", "/api/v1/auth/email/verify"),
        ("post", "/api/v1/auth/email/resend"),
        ("post", "/api/v1/auth/mfa/totp/enroll"),
        ("post", "/api/v1/auth/mfa/totp/activate"),
        ("delete", "/api/v1/auth/mfa/totp"),
        ("post", "/api/v1/auth/mfa/challenge"),
        ("post", "/api/v1/auth/passwordless"),
        ("post", "/api/v1/auth/passwordless/verify"),
        ("post", "/api/v1/auth/org"),
        ("get", "/api/v1/auth/oauth/providers"),
        ("get", "/api/v1/auth/oauth/{provider}/start"),
        ("get", "/api/v1/auth/oauth/{provider}/callback"),
        ("post", "/api/v1/auth/oauth/{provider}/callback"),
        ("post", "/api/v1/auth/oauth/exchange"),
        ("post", "/api/v1/auth/passkeys/sign-in/options"),
        ("post", "/api/v1/auth/passkeys/sign-in"),
        ("post", "/api/v1/auth/mfa/passkey/options"),
        ("post", "/api/v1/auth/mfa/passkey"),
        ("get", "/api/v1/me"),
        ("patch", "/api/v1/me"),
        ("delete", "/api/v1/me"),
        ("get", "/api/v1/me/data"),
        ("put", "/api/v1/me/data"),
        ("get", "/api/v1/me/export"),
        ("get", "/api/v1/me/identities"),
        ("post", "/api/v1/me/identities"),
        ("delete", "/api/v1/me/identities/{id}"),
        ("get", "/api/v1/me/passkeys"),
        ("post", "/api/v1/me/email"),
        ("post", "/api/v1/auth/email/change"),
        ("post", "/api/v1/me/passkeys/options"),
        ("post", "/api/v1/me/passkeys"),
        ("patch", "/api/v1/me/passkeys/{id}"),
        ("delete", "/api/v1/me/passkeys/{id}"),
        ("put", "/api/v1/me/avatar"),
        ("delete", "/api/v1/me/avatar"),
        ("get", "/api/v1/avatars/{name}"),
        ("post", "/api/v1/files"),
        ("get", "/api/v1/files"),
        ("get", "/api/v1/files/{id}"),
        ("get", "/api/v1/files/{id}/content"),
        ("put", "/api/v1/files/{id}/content"),
        ("get", "/api/v1/files/{id}/versions"),
        ("delete", "/api/v1/files/{id}"),
        ("post", "/api/v1/files/{id}/shares"),
        ("get", "/api/v1/files/{id}/shares"),
        ("delete", "/api/v1/files/{id}/shares/{user_id}"),
        ("post", "/api/v1/files/{id}/org-shares"),
        ("get", "/api/v1/files/{id}/org-shares"),
        ("delete", "/api/v1/files/{id}/org-shares/{org_id}"),
        ("post", "/api/v1/files/{id}/signed-url"),
        ("delete", "/api/v1/files/{id}/signed-urls"),
        ("get", "/api/v1/files/{id}/content/signed"),
        ("get", "/api/v1/billing/plans"),
        ("get", "/api/v1/billing/subscription"),
        ("post", "/api/v1/billing/subscription"),
        ("delete", "/api/v1/billing/subscription"),
        ("get", "/api/v1/billing/entitlements"),
        ("post", "/api/v1/admin/plans"),
        ("get", "/api/v1/billing/invoices"),
        ("get", "/api/v1/billing/invoices/{id}"),
        ("get", "/api/v1/billing/invoices/{id}/pdf"),
        ("post", "/api/v1/billing/invoices/{id}/pay"),
        ("post", "/api/v1/billing/webhooks/stripe"),
        ("post", "/api/v1/admin/invoices"),
        ("get", "/api/v1/admin/invoices"),
        ("get", "/api/v1/admin/invoices/{id}"),
        ("patch", "/api/v1/admin/invoices/{id}"),
        ("delete", "/api/v1/admin/invoices/{id}"),
        ("get", "/api/v1/admin/invoices/{id}/pdf"),
        ("post", "/api/v1/admin/invoices/{id}/finalize"),
        ("post", "/api/v1/admin/invoices/{id}/void"),
        ("post", "/api/v1/admin/invoices/{id}/mark-paid"),
        ("patch", "/api/v1/admin/plans/{id}"),
        ("get", "/api/v1/admin/users"),
        ("get", "/api/v1/admin/users/{id}"),
        ("patch", "/api/v1/admin/users/{id}"),
        ("delete", "/api/v1/admin/users/{id}"),
        ("get", "/api/v1/admin/stats"),
        ("get", "/api/v1/admin/audit"),
        ("get", "/api/v1/admin/audit/verify"),
        ("post", "/api/v1/admin/announcements"),
        ("get", "/api/v1/admin/announcements"),
        ("get", "/api/v1/announcements"),
        ("get", "/api/v1/events"),
        ("post", "/api/v1/orgs"),
        ("get", "/api/v1/orgs"),
        ("get", "/api/v1/orgs/{org_id}"),
        ("patch", "/api/v1/orgs/{org_id}"),
        ("delete", "/api/v1/orgs/{org_id}"),
        ("get", "/api/v1/orgs/{org_id}/members"),
        ("patch", "/api/v1/orgs/{org_id}/members/{user_id}"),
        ("delete", "/api/v1/orgs/{org_id}/members/{user_id}"),
        ("post", "/api/v1/orgs/{org_id}/ownership"),
        ("get", "/api/v1/orgs/{org_id}/roles"),
        ("post", "/api/v1/orgs/{org_id}/roles"),
        ("delete", "/api/v1/orgs/{org_id}/roles/{name}"),
        ("post", "/api/v1/orgs/{org_id}/invitations"),
        ("get", "/api/v1/orgs/{org_id}/invitations"),
        (
            "delete",
            "/api/v1/orgs/{org_id}/invitations/{invitation_id}",
        ),
        (
            "post",
            "/api/v1/orgs/{org_id}/invitations/{invitation_id}/resend",
        ),
        ("post", "/api/v1/invitations/accept"),
        ("get", "/api/v1/invitations"),
        ("post", "/api/v1/invitations/{invitation_id}/accept"),
        ("delete", "/api/v1/invitations/{invitation_id}"),
        ("get", "/api/v1/orgs/{org_id}/audit"),
        ("get", "/api/v1/orgs/{org_id}/audit/verify"),
        ("get", "/api/v1/orgs/{org_id}/billing-contact"),
        ("put", "/api/v1/orgs/{org_id}/billing-contact"),
        ("get", "/api/v1/admin/orgs"),
        ("get", "/api/v1/admin/orgs/{org_id}"),
        ("patch", "/api/v1/admin/orgs/{org_id}"),
        ("get", "/api/v1/admin/orgs/{org_id}/members"),
        ("get", "/api/v1/admin/roles"),
        ("post", "/api/v1/admin/roles"),
    ];
    for (method, path) in expected {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is missing");
        let id = op["operationId"].as_str();
        assert!(id.is_some(), "{method} {path} has no operationId");
        // One casing for every operation, so generated clients read alike.
        assert!(
            id.is_some_and(|id| id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')),
            "{method} {path}: operationId {id:?} is not snake_case"
        );
        assert!(op["summary"].is_string(), "{method} {path} has no summary");
    }
    // Stripe's webhook: no bearer security, the signature header and the raw JSON body.
    let webhook = &doc["paths"]["/api/v1/billing/webhooks/stripe"]["post"];
    assert!(
        webhook
            .get("security")
            .is_none_or(|s| s == &serde_json::json!([])),
        "no bearer security: {webhook}"
    );
    assert_eq!(webhook["parameters"][0]["name"], "Stripe-Signature");
    assert_eq!(webhook["parameters"][0]["in"], "header");
    assert!(webhook["requestBody"]["content"]["application/json"].is_object());
    for status in ["200", "400", "409", "413", "500", "503"] {
        assert!(webhook["responses"][status].is_object(), "webhook {status}");
    }
    // Payments switched off is a documented 4xx on both Stripe routes, never a 5xx.
    let code = |r: &serde_json::Value| r["content"]["application/problem+json"].to_string();
    assert!(
        code(&webhook["responses"]["409"]).contains("payments_not_configured"),
        "{}",
        webhook["responses"]["409"]
    );
    let pay = &doc["paths"]["/api/v1/billing/invoices/{id}/pay"]["post"]["responses"];
    assert!(
        code(&pay["409"]).contains("payments_not_configured"),
        "{}",
        pay["409"]
    );
    assert!(code(&pay["404"]).contains("not_found") || pay["404"]["$ref"].is_string());
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            for (status, response) in op["responses"].as_object().unwrap() {
                // A shared response (`$ref` to `components.responses`) is checked through it.
                let response = match response["$ref"].as_str() {
                    Some(r) => {
                        let name = r.strip_prefix("#/components/responses/").unwrap();
                        &doc["components"]["responses"][name]
                    }
                    None => response,
                };
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    if path != "/ready" {
                        assert_eq!(
                            schema, "#/components/schemas/Problem",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }
    // Every operation but the never-limited probes documents the shared 429.
    for (method, path) in expected {
        let limited = !["/health", "/ready", "/metrics"].contains(&path);
        let r429 = &doc["paths"][path][method]["responses"]["429"];
        assert_eq!(r429.is_object(), limited, "{method} {path} 429");
    }
    let r429 = &doc["components"]["responses"]["RateLimited"];
    for header in [
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "X-Request-Id",
    ] {
        assert!(r429["headers"][header].is_object(), "429 lacks {header}");
    }
    assert_eq!(
        operations,
        expected.len(),
        "an operation is undocumented in this test or missing"
    );
    assert_eq!(
        doc["paths"]["/api/v1/me"]["get"]["security"][0]["bearer"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["paths"]["/api/v1/me"]["get"]["security"][1]["cookie"],
        serde_json::json!([]),
        "a browser may use the session cookie instead"
    );
    let signed = &doc["paths"]["/api/v1/files/{id}/content/signed"]["get"];
    assert_eq!(
        signed["security"],
        serde_json::json!([]),
        "signed links need no credentials, and say so"
    );
    // Avatars: a multipart image upload, and public image answers.
    let put_avatar = &doc["paths"]["/api/v1/me/avatar"]["put"];
    assert_eq!(
        put_avatar["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"],
        "#/components/schemas/AvatarUpload"
    );
    assert_eq!(put_avatar["security"][0]["bearer"], serde_json::json!([]));
    for status in ["200", "401", "413", "415"] {
        assert!(
            put_avatar["responses"][status].is_object(),
            "avatar {status}"
        );
    }
    let get_avatar = &doc["paths"]["/api/v1/avatars/{name}"]["get"];
    assert_eq!(
        get_avatar["security"],
        serde_json::json!([]),
        "avatars are public"
    );
    for mime in ["image/png", "image/jpeg", "image/gif", "image/webp"] {
        assert_eq!(
            get_avatar["responses"]["200"]["content"][mime]["schema"]["$ref"],
            "#/components/schemas/AvatarImage",
            "{mime}"
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["AvatarImage"]["format"],
        "binary"
    );
    assert_eq!(doc["servers"][0]["url"], "/");
    // Query parameters that do not parse are a documented 400.
    let download = &doc["paths"]["/api/v1/files/{id}/content"]["get"];
    assert_eq!(
        download["responses"]["400"]["content"]["application/problem+json"]["example"]["code"],
        "bad_request"
    );
    assert!(signed["responses"]["403"].is_object() && signed["responses"]["206"].is_object());
    let upload =
        &doc["paths"]["/api/v1/files"]["post"]["requestBody"]["content"]["multipart/form-data"];
    assert_eq!(upload["schema"]["$ref"], "#/components/schemas/FileUpload");
    assert_eq!(
        doc["components"]["schemas"]["FileUpload"]["properties"]["file"]["format"],
        "binary"
    );
    for schema in [
        "User",
        "TokenPair",
        "File",
        "Plan",
        "Money",
        "Problem",
        "UserPage",
        "FilePage",
        "PlanList",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
}

#[tokio::test]
async fn docs_are_served_from_the_binary() {
    let app = spawn_app().await;
    let res = app.get("/docs", None).await;
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs/");
    let res = app.get("/docs/", None).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().to_lowercase().contains("swagger"));
    let init = app
        .get("/docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/v1/openapi.json"));
}

#[tokio::test]
async fn a_valid_request_id_is_echoed_and_others_are_replaced() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health"))
        .header("X-Request-Id", "client-id_1.2")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-id_1.2");

    for bad in ["has space", &"a".repeat(129), ""] {
        let res = app
            .client
            .get(app.url("/health"))
            .header("X-Request-Id", bad)
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    }
    let res = app.get("/health", None).await;
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
}

#[tokio::test]
async fn unknown_routes_are_problem_404s_carrying_the_request_id() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/nope"))
        .header("X-Request-Id", "trace-404")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 404, "not_found").await;
    assert_eq!(body["request_id"], "trace-404");
    assert_problem(
        app.get("/definitely/not/here", None).await,
        404,
        "not_found",
    )
    .await;
    // A method nobody serves on an unknown path.
    let res = app
        .client
        .put(app.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    // A miss inside the Swagger UI assets.
    assert_problem(app.get("/docs/missing.js", None).await, 404, "not_found").await;
}

#[tokio::test]
async fn the_key_set_and_discovery_document_name_the_issuer_and_its_keys() {
    let app = spawn_app().await;
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    // The test app signs with a fake HMAC signer: nothing to publish.
    assert_eq!(jwks, serde_json::json!({ "keys": [] }));
    let res = app.get("/.well-known/openid-configuration", None).await;
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    let discovery: serde_json::Value = res.json().await.unwrap();
    assert_eq!(discovery["issuer"], app.address);
    assert_eq!(
        discovery["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.address)
    );
}
