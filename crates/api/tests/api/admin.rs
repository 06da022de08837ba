//! Permission-guarded admin routes and the public plan list.

use serde_json::{Value, json};

mod roles;
mod stats;
mod users;

use crate::helpers::{assert_problem, spawn_app};

fn pro_plan() -> Value {
    json!({
        "code": "pro",
        "name": "Pro",
        "active": true,
        "price": { "amount": 1999, "currency": "USD" },
        "interval": "month",
        "trial_days": 14,
        "features": { "api_access": true, "storage_bytes": 10_737_418_240_i64 }
    })
}

#[tokio::test]
async fn listing_users_needs_users_read() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/admin/users", None).await,
        401,
        "unauthenticated",
    )
    .await;

    let user = app.token("plain@example.com").await;
    let body = assert_problem(
        app.get("/api/v1/admin/users", Some(&user)).await,
        403,
        "forbidden",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("users:read"));

    let admin = app.admin_token().await;
    let res = app.get("/api/v1/admin/users", Some(&admin)).await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let emails: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.contains(&"plain@example.com") && emails.contains(&"root@example.com"),
        "{emails:?}"
    );

    let page: Value = app
        .get("/api/v1/admin/users?q=PLAIN&limit=10", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["email"], "plain@example.com");
    let page: Value = app
        .get("/api/v1/admin/users?role=super_admin", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["role"], "super_admin");

    let page: Value = app
        .get("/api/v1/admin/users?limit=1", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a second page exists")
        .to_owned();
    let next: Value = app
        .get(
            &format!("/api/v1/admin/users?limit=1&cursor={cursor}"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);

    assert_problem(
        app.get("/api/v1/admin/users?limit=500", Some(&admin)).await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/admin/users?status=frozen", Some(&admin))
            .await,
        400,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn an_admin_creates_a_plan_and_anyone_lists_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app
        .post_json("/api/v1/admin/plans", &pro_plan(), Some(&admin))
        .await;
    assert_eq!(res.status(), 201);
    let plan: Value = res.json().await.unwrap();
    assert!(plan["id"].is_string());
    assert_eq!(plan["price"], json!({ "amount": 1999, "currency": "USD" }));

    let res = app.get("/api/v1/billing/plans", None).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let mut expected = pro_plan();
    expected["id"] = plan["id"].clone();
    assert_eq!(items[0], expected);

    let res = app
        .post_json("/api/v1/admin/plans", &pro_plan(), Some(&admin))
        .await;
    assert_problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn plan_creation_is_refused_to_users_and_checks_fields() {
    let app = spawn_app().await;
    let user = app.token("buyer@example.com").await;
    let res = app
        .post_json("/api/v1/admin/plans", &pro_plan(), Some(&user))
        .await;
    assert_problem(res, 403, "forbidden").await;
    assert_problem(
        app.post_json("/api/v1/admin/plans", &pro_plan(), None)
            .await,
        401,
        "unauthenticated",
    )
    .await;

    let admin = app.admin_token().await;
    let mut bad = pro_plan();
    bad["price"]["currency"] = json!("usd");
    let body = assert_problem(
        app.post_json("/api/v1/admin/plans", &bad, Some(&admin))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["errors"]["price.currency"].is_array(), "{body}");
    let mut bad = pro_plan();
    bad["interval"] = json!("week");
    assert_problem(
        app.post_json("/api/v1/admin/plans", &bad, Some(&admin))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let mut bad = pro_plan();
    bad["price"]["amount"] = json!(-1);
    assert_problem(
        app.post_json("/api/v1/admin/plans", &bad, Some(&admin))
            .await,
        422,
        "validation_failed",
    )
    .await;

    let list: Value = app
        .get("/api/v1/billing/plans", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}
