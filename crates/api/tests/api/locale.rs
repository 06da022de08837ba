//! The user's `locale`: in every `User` (the admin views too), set at sign-up from the body or
//! `Accept-Language`, changed with `PATCH /me`, refused with a 422 naming `locale`, and
//! described in the OpenAPI document.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, spawn_app};

#[tokio::test]
async fn admin_views_show_the_locale() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("accept-language", "sv-SE, en;q=0.5")
        .json(&json!({ "email": "bo@example.com", "password": PASSWORD, "name": "Bo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["user"]["locale"], "sv-SE");
    let id = pair["user"]["id"].as_str().unwrap();

    let root = app.admin_token().await;
    let one: Value = app
        .get(&format!("/api/v1/admin/users/{id}"), Some(&root))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["locale"], "sv-SE", "{one}");
    let list: Value = app
        .get("/api/v1/admin/users?q=bo%40example", Some(&root))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["locale"], "sv-SE", "{list}");
}

#[tokio::test]
async fn a_malformed_locale_says_what_a_tag_looks_like() {
    let app = spawn_app().await;
    let token = app.token("eve@example.com").await;
    for bad in [json!("english"), json!("pt_BR"), json!("de-DE-1996")] {
        let res = app
            .client
            .patch(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .json(&json!({ "locale": bad }))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(problem["errors"]["locale"].is_array(), "{bad}: {problem}");
    }
    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .json(&json!({ "locale": "pt_BR" }))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(
        problem["errors"]["locale"][0]
            .as_str()
            .is_some_and(|m| m.contains("`pt-BR`")),
        "{problem}"
    );
    let me: Value = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["locale"], Value::Null, "nothing changed");
}

#[tokio::test]
async fn the_openapi_document_describes_the_locale() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let schemas = &doc["components"]["schemas"];
    for schema in ["User", "UpdateMeRequest", "RegisterRequest"] {
        let locale = &schemas[schema]["properties"]["locale"];
        assert!(
            locale.is_object(),
            "{schema} has locale: {}",
            schemas[schema]
        );
    }
    assert_eq!(schemas["User"]["example"]["locale"], "pt-BR");
}
