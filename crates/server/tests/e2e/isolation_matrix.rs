//! The tenant-isolation matrix, on the real store (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`): every operation of the OpenAPI document whose path names an
//! organization (`{org_id}`), called on organization B's resources by a member of organization
//! A (its owner, and a plain member) and by a user in no organization, answers 404, and B is
//! unchanged afterwards. The operations are read from `plinth_api::openapi_json()`, so a new
//! route under an organization joins the matrix by itself; one that takes a body fails here
//! until [`body_for`] gives it a well-formed one (so a refusal cannot come from a 422).
//! Administrators' operations under `/api/v1/admin` are left to the role matrix.

use plinth_kernel::UserId;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::orgs::{Account, account, add_member, create};

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn json_of(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get_auth(path, token).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// A well-formed body for each operation that takes one.
fn body_for(method: &str, path: &str, member: UserId) -> Option<Value> {
    match (method, path) {
        ("patch", "/api/v1/orgs/{org_id}") => Some(json!({ "name": "Taken over" })),
        ("patch", "/api/v1/orgs/{org_id}/members/{user_id}") => Some(json!({ "role": "member" })),
        ("post", "/api/v1/orgs/{org_id}/ownership") => Some(json!({ "user_id": member })),
        ("post", "/api/v1/orgs/{org_id}/roles") => {
            Some(json!({ "name": "intruder", "permissions": [] }))
        }
        ("post", "/api/v1/orgs/{org_id}/invitations") => {
            Some(json!({ "email": "intruder@example.com", "role": "member" }))
        }
        ("post", "/api/v1/orgs/{org_id}/invitations/{invitation_id}/resend") => Some(json!({})),
        _ => None,
    }
}

/// `(method, path, takes a body)` of every operation whose path names an organization.
fn org_operations() -> Vec<(String, String, bool)> {
    let doc: Value = serde_json::from_str(&plinth_api::openapi_json()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Administrators' operations (`/api/v1/admin/orgs/…`) are the role matrix's: they
        // answer by permission, not by membership.
        if !path.contains("{org_id}") || path.starts_with("/api/v1/admin") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((
                    method.clone(),
                    path.clone(),
                    op.get("requestBody").is_some(),
                ));
            }
        }
    }
    ops
}

/// Everything B's owner can read about B.
async fn snapshot(app: &TestApp, org: &str, owner: &Account) -> Value {
    let mut state = json!({});
    for part in ["", "/members", "/roles", "/invitations"] {
        state[part] = json_of(app, &format!("/api/v1/orgs/{org}{part}"), &owner.token).await;
    }
    state
}

#[tokio::test]
async fn no_outsider_reads_or_changes_another_organization() {
    let app = spawn_app().await;
    let (alice, bob, zed) = (
        account(&app).await,
        account(&app).await,
        account(&app).await,
    );
    let (carol, dave) = (account(&app).await, account(&app).await);
    let a = create(&app, &alice, "Org A").await;
    let b = create(&app, &carol, "Org B").await;
    add_member(&app, &a, &bob, "member").await;
    add_member(&app, &b, &dave, "member").await;
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{b}/roles"),
            &json!({ "name": "bookkeeper", "permissions": ["org_billing:read"] }),
            Some(&carol.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{b}/invitations"),
            &json!({ "email": "b-guest@example.com", "role": "member" }),
            Some(&carol.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let invitation = res.json::<Value>().await.unwrap()["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = snapshot(&app, &b, &carol).await;

    let ops = org_operations();
    assert!(
        ops.len() >= 14,
        "the organization routes are in the document: {ops:?}"
    );
    let mut leaks = Vec::new();
    for (method, template, takes_body) in &ops {
        let body = body_for(method, template, dave.id);
        assert!(
            !takes_body || body.is_some(),
            "{method} {template} takes a body: give the isolation matrix a well-formed one"
        );
        let path = template
            .replace("{org_id}", &b)
            .replace("{user_id}", &dave.id.to_string())
            .replace("{name}", "bookkeeper")
            .replace("{invitation_id}", &invitation);
        assert!(
            !path.contains('{'),
            "a path parameter the matrix does not fill: {template}"
        );
        for (who, caller) in [
            ("A's owner", &alice),
            ("A's member", &bob),
            ("a user in no organization", &zed),
        ] {
            let res = call(&app, method, &path, &caller.token, body.clone()).await;
            if res.status() != StatusCode::NOT_FOUND {
                leaks.push(format!("{method} {template} by {who}: {}", res.status()));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "answers other than 404:\n{}",
        leaks.join("\n")
    );
    assert_eq!(snapshot(&app, &b, &carol).await, before, "B is unchanged");
    // A's own members still reach A: the 404s come from the tenant, not from a broken route.
    assert_eq!(
        json_of(&app, &format!("/api/v1/orgs/{a}"), &bob.token).await["name"],
        "Org A"
    );
}
