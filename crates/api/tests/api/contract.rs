//! The OpenAPI document as generated clients read it: both login answers declared, header
//! parameters that are strings, binary downloads, `/docs` without the online validator, and
//! the smaller declarations clients type from. Every JSON answer of every HTTP test is also
//! validated against the document (`helpers::schema`); these tests check that check too.

use std::sync::Arc;

use plinth_api::{ObservedResponse, ResponseObserver};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, SchemaCheck, SchemaGuard, spawn_app};

fn document() -> Value {
    serde_json::from_str(&plinth_api::openapi_json()).unwrap()
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]
}

/// Every operation of the document, as `(path, method, operation)`.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), op.clone()));
        }
    }
    all
}

#[test]
fn login_declares_the_token_pair_and_the_mfa_answer_as_exclusive_shapes() {
    let doc = document();
    let answer = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(
        answer["$ref"], "#/components/schemas/LoginResult",
        "{answer}"
    );
    let union = schema(&doc, "LoginResult");
    let shapes: Vec<&Value> = union["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|shape| &shape["$ref"])
        .collect();
    assert_eq!(
        shapes,
        [
            "#/components/schemas/TokenPair",
            "#/components/schemas/MfaRequired"
        ],
        "{union}"
    );
    let mfa = schema(&doc, "MfaRequired");
    assert_eq!(mfa["properties"]["mfa_required"]["const"], true, "{mfa}");
    let required = mfa["required"].as_array().unwrap();
    for field in ["mfa_required", "mfa_token", "expires_in"] {
        assert!(required.contains(&json!(field)), "{mfa}");
    }
    let pair = schema(&doc, "TokenPair");
    assert!(pair["properties"].get("mfa_required").is_none(), "{pair}");
    assert!(
        pair["required"]
            .as_array()
            .unwrap()
            .contains(&json!("access_token"))
    );
    assert_eq!(
        pair["properties"]["token_type"]["const"], "Bearer",
        "{pair}"
    );
}

#[tokio::test]
async fn both_login_answers_validate_against_the_document() {
    let app = spawn_app().await;
    let (_, _, _) = crate::mfa::with_totp(&app).await;
    let mfa = crate::mfa::login(&app).await;
    assert_eq!(mfa["mfa_required"], true, "{mfa}");
    assert!(mfa["mfa_token"].is_string(), "{mfa}");
    assert!(mfa.get("access_token").is_none(), "{mfa}");

    app.register("no-totp@example.com").await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "no-totp@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(app.schema.take(), Vec::<String>::new());
}

#[test]
fn the_schema_check_refuses_what_the_document_does_not_declare() {
    let check = SchemaCheck::default();
    let answer = |route, status, content_type, body: &'static [u8]| ObservedResponse {
        method: "POST",
        route: Some(route),
        status,
        content_type,
        body,
    };
    // Declared, and matching: no violation.
    check.observe(&answer(
        "/api/v1/auth/login",
        200,
        "application/json",
        br#"{"mfa_required":true,"mfa_token":"t","expires_in":300}"#,
    ));
    // A body of neither shape, an undeclared status, an undeclared content type, a problem
    // with a code that is not one of the stable ones.
    check.observe(&answer(
        "/api/v1/auth/login",
        200,
        "application/json",
        br#"{"mfa_required":false,"access_token":"t"}"#,
    ));
    check.observe(&answer(
        "/api/v1/auth/login",
        418,
        "application/json",
        b"{}",
    ));
    check.observe(&answer("/api/v1/auth/login", 200, "text/json", b"{}"));
    check.observe(&answer(
        "/api/v1/auth/login",
        401,
        "application/problem+json",
        br#"{"type":"about:blank","title":"t","status":401,"detail":"d","code":"nope"}"#,
    ));
    let guard = SchemaGuard(Arc::new(check));
    let violations = guard.take();
    assert_eq!(violations.len(), 4, "{violations:#?}");
    assert!(violations[1].contains("not declared"), "{violations:#?}");
    assert!(violations[3].contains("nope"), "{violations:#?}");
}

#[test]
fn header_parameters_are_strings() {
    let doc = document();
    let mut headers = Vec::new();
    for (path, method, op) in operations(&doc) {
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] == "header" {
                assert_eq!(
                    parameter["schema"]["type"], "string",
                    "{method} {path}: {parameter}"
                );
                headers.push(parameter["name"].as_str().unwrap().to_owned());
            }
        }
    }
    for name in [
        "If-Match",
        "If-None-Match",
        "Range",
        "If-Range",
        "Idempotency-Key",
    ] {
        assert!(headers.iter().any(|h| h == name), "{name} in {headers:?}");
    }
}

#[test]
fn downloads_are_binary_octet_streams() {
    let doc = document();
    assert!(!plinth_api::openapi_json().contains("*/*"));
    for path in [
        "/api/v1/files/{id}/content",
        "/api/v1/files/{id}/content/signed",
    ] {
        for status in ["200", "206"] {
            let response = &doc["paths"][path]["get"]["responses"][status];
            let content = response["content"].as_object().unwrap();
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                ["application/octet-stream"],
                "{path} {status}"
            );
            assert!(
                response["description"]
                    .as_str()
                    .unwrap()
                    .contains("file's own `Content-Type`"),
                "{path} {status}: {response}"
            );
        }
    }
    let bytes = schema(&doc, "FileContent");
    assert_eq!(bytes["type"], "string");
    assert_eq!(bytes["format"], "binary");
}

#[tokio::test]
async fn the_docs_page_is_titled_and_has_no_online_validator() {
    let app = spawn_app().await;
    let page = app.get("/docs/", None).await.text().await.unwrap();
    assert!(
        page.contains("<title>Plinth API reference</title>"),
        "{page}"
    );
    assert!(page.contains("<script src=\"./swagger-ui-bundle.js\""));
    let init = app
        .get("/docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .unwrap();
    // Swagger UI shows no validator badge for "none" (nor loads its image from swagger.io).
    assert!(init.contains(r#""validatorUrl": "none""#), "{init}");
}

#[test]
fn the_smaller_declarations_clients_type_from() {
    let doc = document();
    // /me/data shows a document, not "string".
    let data = &doc["paths"]["/api/v1/me/data"];
    for example in [
        &data["get"]["responses"]["200"]["content"]["application/json"]["example"],
        &data["put"]["responses"]["200"]["content"]["application/json"]["example"],
        &data["put"]["requestBody"]["content"]["application/json"]["example"],
    ] {
        assert!(example.is_object(), "{data}");
    }
    assert_eq!(
        schema(&doc, "SignedUrl")["properties"]["url"]["format"],
        "uri"
    );
    assert_eq!(
        schema(&doc, "User")["properties"]["avatar_url"]["format"],
        "uri"
    );
    // Problem.code: every stable code, the one of unconfigured payments included.
    let codes = &schema(&doc, "Problem")["properties"]["code"]["enum"];
    let codes: Vec<&str> = codes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for code in [
        "not_found",
        "validation_failed",
        "rate_limited",
        "method_not_allowed",
        "payments_not_configured",
        "idempotency_key_reused",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    for status in 100..=599 {
        let status = actix_web::http::StatusCode::from_u16(status).unwrap();
        let code = plinth_api::Problem::for_status(status).code;
        assert!(codes.contains(&code.as_str()), "{code} in {codes:?}");
    }
    // Currency codes.
    for (name, field) in [
        ("Money", "currency"),
        ("Invoice", "currency"),
        ("NewInvoice", "currency"),
    ] {
        assert_eq!(
            schema(&doc, name)["properties"][field]["pattern"],
            "^[A-Z]{3}$",
            "{name}"
        );
    }
    // The avatar upload names its four accepted types.
    let upload =
        &doc["paths"]["/api/v1/me/avatar"]["put"]["requestBody"]["content"]["multipart/form-data"];
    assert_eq!(
        upload["encoding"]["file"]["contentType"], "image/png, image/jpeg, image/gif, image/webp",
        "{upload}"
    );
    assert!(!plinth_api::openapi_json().contains(r#""contentMediaType": "image/png""#));
    // Logout says how long the access token keeps working.
    let logout = doc["paths"]["/api/v1/auth/logout"]["post"]["description"]
        .as_str()
        .unwrap();
    assert!(
        logout.contains("REVOCATION_SYNC_INTERVAL") && logout.contains("ACCESS_TOKEN_TTL"),
        "{logout}"
    );
}
