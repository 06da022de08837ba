//! A user's `locale` (the language of their mail) on the real stores: set at sign-up (from the
//! body or `Accept-Language`), changed and cleared with `PATCH /me`, refused when malformed
//! (nothing changed), stored in `users.locale` and included in `/me`, `/me/export` and the
//! admin views.

use plinth_audit::{AuditAction, AuditFilter};
use plinth_kernel::{PageRequest, UserId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app, unique_email};

/// `POST /auth/register` for a fresh address with `extra` fields and an optional
/// `Accept-Language`.
async fn register(
    app: &TestApp,
    extra: Value,
    accept_language: Option<&str>,
) -> (String, reqwest::Response) {
    let email = unique_email();
    let mut body = json!({ "email": email, "password": PASSWORD, "name": "Ada Lovelace" });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&body);
    if let Some(header) = accept_language {
        req = req.header("accept-language", header);
    }
    (email, req.send().await.unwrap())
}

/// The stored locale of the account with this id.
async fn stored_locale(app: &TestApp, id: &str) -> Option<String> {
    let id = UserId::from_uuid(id.parse().unwrap());
    let user = app.database.users().by_id(id).await.unwrap().unwrap();
    user.locale.map(|l| l.as_str().to_owned())
}

async fn patch_me(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_up_takes_the_locale_from_the_body_or_accept_language() {
    let app = spawn_app().await;

    let (_, res) = register(&app, json!({ "locale": " PT-br " }), Some("de")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let pair: Value = res.json().await.unwrap();
    let user = &pair["user"];
    assert_eq!(
        user["locale"], "pt-BR",
        "normalised; the body wins over the header"
    );
    assert_eq!(
        stored_locale(&app, user["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("pt-BR")
    );

    let (_, res) = register(&app, json!({}), Some("x-klingon, fr-ch;q=0.8, de;q=0.9")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let pair: Value = res.json().await.unwrap();
    assert_eq!(
        pair["user"]["locale"], "de",
        "the best valid language of the header"
    );

    let (_, res) = register(&app, json!({}), None).await;
    let pair: Value = res.json().await.unwrap();
    assert_eq!(
        pair["user"]["locale"],
        Value::Null,
        "no locale: the default"
    );
    assert_eq!(
        stored_locale(&app, pair["user"]["id"].as_str().unwrap()).await,
        None
    );
    assert_eq!(
        pair["user"].as_object().unwrap().len(),
        10,
        "User has the contract's fields and locale: {}",
        pair["user"]
    );
}

#[tokio::test]
async fn sign_up_with_a_malformed_locale_is_422_and_creates_nothing() {
    let app = spawn_app().await;
    for bad in [
        json!("pt_BR"),
        json!("en-US-x-private"),
        json!(""),
        json!("zh-Hant"),
    ] {
        let (email, res) = register(&app, json!({ "locale": bad }), Some("en")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "validation_failed", "{problem}");
        assert!(problem["errors"]["locale"].is_array(), "{problem}");
        let email = plinth_kernel::Email::parse(&email).unwrap();
        assert!(
            app.database
                .users()
                .by_email(&email)
                .await
                .unwrap()
                .is_none(),
            "{bad}: no account"
        );
    }
}

#[tokio::test]
async fn patch_me_sets_clears_and_refuses_the_locale_and_export_includes_it() {
    let app = spawn_app().await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    let id = pair["user"]["id"].as_str().unwrap().to_owned();

    let res = patch_me(&app, token, &json!({ "locale": "de-at" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(
        (me["locale"].as_str(), me["name"].as_str()),
        (Some("de-AT"), Some("Test User"))
    );
    assert_eq!(stored_locale(&app, &id).await.as_deref(), Some("de-AT"));
    let me: Value = app
        .get_auth("/api/v1/me", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["locale"], "de-AT");

    // A bad locale beside a good name: 422 on `locale`, and neither changes.
    let res = patch_me(
        &app,
        token,
        &json!({ "name": "Ada King", "locale": "en_GB" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed");
    assert!(problem["errors"]["locale"].is_array(), "{problem}");
    let me: Value = app
        .get_auth("/api/v1/me", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["locale"].as_str(), me["name"].as_str()),
        (Some("de-AT"), Some("Test User"))
    );

    // Leaving it out keeps it; null goes back to the default.
    let res = patch_me(&app, token, &json!({ "name": "Ada King" })).await;
    let me: Value = res.json().await.unwrap();
    assert_eq!(
        (me["locale"].as_str(), me["name"].as_str()),
        (Some("de-AT"), Some("Ada King"))
    );
    let res = patch_me(&app, token, &json!({ "locale": null })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["locale"], Value::Null);
    assert_eq!(stored_locale(&app, &id).await, None);

    // Audited like the name: `user.updated` naming the fields, newest first.
    let filter = AuditFilter {
        action: Some(AuditAction::UserUpdated),
        ..AuditFilter::default()
    };
    let details: Vec<Value> = app
        .database
        .audit()
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.target_id.as_deref() == Some(id.as_str()))
        .map(|e| e.details)
        .collect();
    assert_eq!(
        details,
        [
            json!({ "fields": ["locale"] }),
            json!({ "fields": ["name"] }),
            json!({ "fields": ["locale"] }),
        ]
    );

    patch_me(&app, token, &json!({ "locale": "pt-BR" })).await;
    let export: Value = app
        .get_auth("/api/v1/me/export", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(export["user"]["locale"], "pt-BR", "{export}");
}
