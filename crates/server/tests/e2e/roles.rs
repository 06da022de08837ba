//! Custom roles on the real store: created by a `super_admin`, assigned, read back from the
//! `roles` tables when the holder's next token is minted; a role that is not stored is never
//! assigned.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin_users::super_admin;
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn a_custom_role_is_stored_assigned_and_carried_in_the_next_token() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let res = app
        .post_json(
            "/api/v1/admin/roles",
            &json!({ "name": "auditor", "permissions": ["audit:read"] }),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post_json(
            "/api/v1/admin/roles",
            &json!({ "name": "auditor", "permissions": [] }),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "the name is unique in the table"
    );
    let res = app
        .post_json(
            "/api/v1/admin/roles",
            &json!({ "name": "nuker", "permissions": ["files:nuke"] }),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let roles: Value = app
        .get_auth("/api/v1/admin/roles", &root)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["super_admin", "admin", "auditor", "user"],
        "{roles}"
    );
    assert_eq!(
        roles["items"][0]["permissions"],
        json!([
            "announcements:write",
            "audit:read",
            "billing:write",
            "orgs:read",
            "orgs:write",
            "roles:write",
            "stats:read",
            "users:read",
            "users:write"
        ]),
        "the migrations seed the contract's super_admin, with the organization permissions"
    );

    let (email, pair) = app.register_user().await;
    let id = pair["user"]["id"].as_str().unwrap();
    let patch = |role: &'static str| {
        app.client
            .patch(app.url(&format!("/api/v1/admin/users/{id}")))
            .bearer_auth(&root)
            .json(&json!({ "role": role }))
            .send()
    };
    assert_eq!(
        patch("ghost").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(patch("auditor").await.unwrap().status(), StatusCode::OK);

    let token = app.login(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get_auth("/api/v1/admin/audit", &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_auth("/api/v1/admin/users", &token).await.status(),
        StatusCode::FORBIDDEN
    );
    let me: Value = app
        .get_auth("/api/v1/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "auditor");
}
