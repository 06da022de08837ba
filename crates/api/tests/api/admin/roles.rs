//! `GET`/`POST /admin/roles`: custom roles created by a `super_admin`, assigned, and honoured in
//! their holders' next access tokens; what nobody may create; bad requests that change nothing.

use plinth_users::{RoleName, RoleRepository};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

async fn create(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_json("/api/v1/admin/roles", body, Some(token))
        .await
}

async fn stored(app: &TestApp, name: &str) -> bool {
    app.roles
        .by_name(&RoleName(name.into()))
        .await
        .unwrap()
        .is_some()
}

async fn login(app: &TestApp, email: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    pair["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_custom_role_with_audit_read_reads_the_audit_trail_but_not_the_users() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let res = create(
        &app,
        &root,
        &json!({ "name": "auditor", "permissions": ["audit:read"] }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let role: Value = res.json().await.unwrap();
    assert_eq!(role["name"], "auditor");
    assert_eq!(role["rank"], 0);
    assert_eq!(role["built_in"], false);
    assert_eq!(role["permissions"], json!(["audit:read"]));

    let listed: Value = app
        .get("/api/v1/admin/roles", Some(&root))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["super_admin", "admin", "auditor", "user"]);
    assert_eq!(
        listed["items"][1]["permissions"],
        json!([
            "announcements:write",
            "audit:read",
            "billing:write",
            "orgs:read",
            "orgs:write",
            "stats:read",
            "users:read",
            "users:write"
        ]),
        "admin: every *:read, users:write, billing:write, announcements:write, orgs:write"
    );

    let ada = app.register("ada@example.com").await;
    let ada_id = ada["user"]["id"].as_str().unwrap();
    let res = app
        .patch_json(
            &format!("/api/v1/admin/users/{ada_id}"),
            &json!({ "role": "auditor" }),
            &root,
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["role"], "auditor");

    let token = login(&app, "ada@example.com").await;
    assert_eq!(
        app.get("/api/v1/admin/audit", Some(&token)).await.status(),
        200,
        "audit:read is in the fresh token"
    );
    assert_eq!(
        app.get("/api/v1/admin/audit/verify", Some(&token))
            .await
            .status(),
        200
    );
    assert_problem(
        app.get("/api/v1/admin/users", Some(&token)).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/api/v1/admin/roles", Some(&token)).await,
        403,
        "forbidden",
    )
    .await;

    let created: Value = app
        .get(
            "/api/v1/admin/audit?action=admin.role_created",
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["items"][0]["target_id"], "auditor");
    assert_eq!(
        created["items"][0]["details"],
        json!({ "name": "auditor", "permissions": ["audit:read"] })
    );
    let changed: Value = app
        .get(
            &format!("/api/v1/admin/audit?action=admin.role_changed&target_id={ada_id}"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        changed["items"][0]["details"],
        json!({ "from": "user", "to": "auditor" })
    );
}

#[tokio::test]
async fn nobody_creates_or_assigns_a_role_beyond_their_own_reach() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let admin = app.admin_role_token("admin@example.com").await;
    let body = assert_problem(
        create(
            &app,
            &admin,
            &json!({ "name": "escalate", "permissions": ["roles:write"] }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("roles:write"),
        "{body}"
    );
    assert!(!stored(&app, "escalate").await);

    // A custom role holding `roles:write` ranks like `user`: it creates nothing.
    let res = create(
        &app,
        &root,
        &json!({ "name": "delegate", "permissions": ["roles:write", "audit:read"] }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let delegate = app
        .sign_in_as("delegate@example.com", RoleName("delegate".into()))
        .await;
    assert_eq!(
        app.get("/api/v1/admin/roles", Some(&delegate.access))
            .await
            .status(),
        200
    );
    assert_problem(
        create(
            &app,
            &delegate.access,
            &json!({ "name": "helper", "permissions": [] }),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert!(!stored(&app, "helper").await);

    // An admin cannot hand out `roles:write` through a custom role either.
    let ada = app.register("ada@example.com").await;
    let ada_id = ada["user"]["id"].as_str().unwrap();
    assert_problem(
        app.patch_json(
            &format!("/api/v1/admin/users/{ada_id}"),
            &json!({ "role": "delegate" }),
            &admin,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let body = assert_problem(
        app.patch_json(
            &format!("/api/v1/admin/users/{ada_id}"),
            &json!({ "role": "ghost" }),
            &admin,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["role"].is_array(), "{body}");
    let me: Value = app
        .get("/api/v1/me", ada["access_token"].as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "user", "the refused changes changed nothing");
}

#[tokio::test]
async fn bad_role_requests_are_problems_and_store_nothing() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let body = assert_problem(
        create(
            &app,
            &root,
            &json!({ "name": "auditor", "permissions": ["audit:read", "files:nuke"] }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let message = body["errors"]["permissions"][0].as_str().unwrap();
    assert!(message.contains("files:nuke"), "{body}");
    assert!(!stored(&app, "auditor").await);

    for name in ["A", "Auditor", "has space", "9lives"] {
        let body = assert_problem(
            create(&app, &root, &json!({ "name": name, "permissions": [] })).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(body["errors"]["name"].is_array(), "{name}: {body}");
    }

    assert_eq!(
        create(
            &app,
            &root,
            &json!({ "name": "auditor", "permissions": [] })
        )
        .await
        .status(),
        201
    );
    for name in ["auditor", "admin", "super_admin"] {
        assert_problem(
            create(
                &app,
                &root,
                &json!({ "name": name, "permissions": ["roles:write"] }),
            )
            .await,
            409,
            "conflict",
        )
        .await;
    }
    let auditor = app
        .roles
        .by_name(&RoleName("auditor".into()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        auditor.permissions.is_empty(),
        "the duplicate changed nothing"
    );
    let admin = app
        .roles
        .by_name(&RoleName::admin())
        .await
        .unwrap()
        .unwrap();
    assert!(!admin.grants("roles:write"));

    let body = assert_problem(
        create(
            &app,
            &root,
            &json!({ "name": "extra", "permissions": [], "rank": 2 }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["errors"]["rank"].is_array(),
        "unknown fields are refused: {body}"
    );
    assert!(!stored(&app, "extra").await);
}
