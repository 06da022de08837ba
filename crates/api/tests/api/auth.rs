//! Register → login → me → patch, refresh rotation, logout, 401s.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, spawn_app};

#[tokio::test]
async fn register_login_me_and_patch_me() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada Lovelace" }),
            None,
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let pair: Value = res.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert!(pair["expires_in"].as_i64().unwrap() > 0);
    assert!(
        pair["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 22)
    );
    let user = &pair["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(user["role"], "user");
    assert_eq!(user["status"], "active");
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["avatar_url"], Value::Null);
    assert_eq!(
        user["locale"],
        Value::Null,
        "no locale: the default language"
    );
    for key in ["id", "created_at", "updated_at"] {
        assert!(user[key].is_string(), "{key}");
    }
    assert_eq!(
        user.as_object().unwrap().len(),
        10,
        "User has exactly the contract's fields: {user}"
    );

    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "ada@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let login: Value = res.json().await.unwrap();
    let token = login["access_token"].as_str().unwrap();
    assert_eq!(login["user"]["id"], user["id"]);

    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["email"], "ada@example.com");

    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(token)
        .json(&json!({ "name": "Ada King" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["name"], "Ada King");
    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Ada King");
}

#[tokio::test]
async fn a_user_cannot_patch_role_status_or_verification() {
    let app = spawn_app().await;
    let token = app.token("eve@example.com").await;
    for (field, value) in [
        ("role", json!("super_admin")),
        ("status", json!("active")),
        ("email_verified", json!(true)),
    ] {
        let res = app
            .client
            .patch(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .json(&json!({ "name": "Eve", field: value }))
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 422, "validation_failed").await;
        assert!(body["errors"][field].is_array(), "{body}");
    }
    let me: Value = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "user");
    assert_eq!(me["email_verified"], false);
    assert_eq!(me["name"], "Test User");
}

#[tokio::test]
async fn a_taken_email_is_409() {
    let app = spawn_app().await;
    app.register("dup@example.com").await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "DUP@example.com", "password": PASSWORD, "name": "Again" }),
            None,
        )
        .await;
    assert_problem(res, 409, "email_taken").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_fail_alike_with_401() {
    let app = spawn_app().await;
    app.register("bob@example.com").await;
    let wrong = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "bob@example.com", "password": "nope-nope-nope" }),
            None,
        )
        .await;
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let wrong = assert_problem(wrong, 401, "unauthenticated").await;
    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "nobody@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    let unknown = assert_problem(unknown, 401, "unauthenticated").await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test]
async fn refresh_rotates_and_a_replay_never_yields_a_spent_successor() {
    let app = spawn_app().await;
    let pair = app.register("rot@example.com").await;
    let first = pair["refresh_token"].as_str().unwrap();

    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": first }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let next: Value = res.json().await.unwrap();
    let second = next["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);
    assert_eq!(next["user"]["email"], "rot@example.com");
    let me = app.get("/api/v1/me", next["access_token"].as_str()).await;
    assert_eq!(me.status(), 200);

    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": second }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);

    // `first` is replayed within the grace, but its successor `second` is spent already.
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": first }),
            None,
        )
        .await;
    assert!(res.headers().contains_key("www-authenticate"));
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": "made-up" }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn after_logout_the_refresh_token_is_dead() {
    let app = spawn_app().await;
    let pair = app.register("out@example.com").await;
    let access = pair["access_token"].as_str().unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap();

    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers().contains_key("x-request-id"));

    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn missing_or_bad_credentials_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let cases: [Option<&str>; 4] = [
        None,
        Some("Bearer not-a-token"),
        Some("Basic YWRhOnB3"),
        Some("Bearer "),
    ];
    for header in cases {
        let mut req = app.client.get(app.url("/api/v1/me"));
        if let Some(h) = header {
            req = req.header("Authorization", h);
        }
        let res = req.send().await.unwrap();
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{header:?}"
        );
        assert_problem(res, 401, "unauthenticated").await;
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_423_and_retry_after() {
    let app = spawn_app().await;
    app.register("locked@example.com").await;
    app.register("free@example.com").await;
    let wrong = json!({ "email": "locked@example.com", "password": "wrong wrong wrong wrong" });
    for _ in 0..4 {
        let res = app.post_json("/api/v1/auth/login", &wrong, None).await;
        assert_problem(res, 401, "unauthenticated").await;
    }
    let res = app.post_json("/api/v1/auth/login", &wrong, None).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((55..=60).contains(&retry), "{retry}");
    assert_problem(res, 423, "account_locked").await;
    let right = json!({ "email": "locked@example.com", "password": PASSWORD });
    let res = app.post_json("/api/v1/auth/login", &right, None).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 423, "account_locked").await;
    let other = json!({ "email": "free@example.com", "password": PASSWORD });
    assert_eq!(
        app.post_json("/api/v1/auth/login", &other, None)
            .await
            .status(),
        200
    );
}
