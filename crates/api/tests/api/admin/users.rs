//! `GET`/`PATCH`/`DELETE /admin/users/{id}`: the rank rules, suspension ending sessions,
//! deletion, and the audit entries written with each change.

use plinth_users::RoleName;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const UNKNOWN: &str = "/api/v1/admin/users/01939e4a-0000-7000-8000-000000000000";

fn user_path(id: &str) -> String {
    format!("/api/v1/admin/users/{id}")
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({ "refresh_token": token }),
        None,
    )
    .await
}

/// Audit entries with `action` about `target_id`, newest first.
async fn audit(app: &TestApp, root: &str, action: &str, target_id: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/admin/audit?action={action}&target_id={target_id}"),
            Some(root),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn root_id(app: &TestApp, root: &str) -> String {
    let me: Value = app
        .get("/api/v1/me", Some(root))
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn one_user_is_read_by_id_and_an_unknown_id_is_404() {
    let app = spawn_app().await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let admin = app.admin_role_token("admin@example.com").await;
    let res = app.get(&user_path(&ada.id), Some(&admin)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["role"], "user");
    assert_problem(app.get(UNKNOWN, Some(&admin)).await, 404, "not_found").await;
    assert_problem(
        app.get(&user_path(&ada.id), Some(&ada.access)).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch_json(UNKNOWN, &json!({ "name": "X" }), &admin)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.delete(UNKNOWN, &admin).await, 404, "not_found").await;
}

#[tokio::test]
async fn nobody_raises_or_changes_their_own_role_or_status() {
    let app = spawn_app().await;
    let admin = app.sign_in_as("admin@example.com", RoleName::admin()).await;
    for body in [
        json!({ "role": "super_admin" }),
        json!({ "role": "user" }),
        json!({ "status": "suspended" }),
    ] {
        assert_problem(
            app.patch_json(&user_path(&admin.id), &body, &admin.access)
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    let root = app.admin_token().await;
    let me: Value = app
        .get(&user_path(&admin.id), Some(&root))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["status"], "active");
    assert_problem(
        app.delete(&user_path(&admin.id), &admin.access).await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn an_admin_cannot_act_on_equal_or_higher_ranks_nor_grant_admin() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let root_id = root_id(&app, &root).await;
    let admin = app.admin_role_token("admin@example.com").await;
    let other = app.sign_in_as("other@example.com", RoleName::admin()).await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    for target in [&root_id, &other.id] {
        assert_problem(
            app.patch_json(&user_path(target), &json!({ "name": "Demoted" }), &admin)
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.delete(&user_path(target), &admin).await,
            403,
            "forbidden",
        )
        .await;
    }
    for role in ["admin", "super_admin"] {
        assert_problem(
            app.patch_json(&user_path(&ada.id), &json!({ "role": role }), &admin)
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    let plain = app.token("plain@example.com").await;
    assert_problem(
        app.patch_json(&user_path(&ada.id), &json!({ "name": "X" }), &plain)
            .await,
        403,
        "forbidden",
    )
    .await;
    let res = app
        .patch_json(&user_path(&ada.id), &json!({ "name": "Ada King" }), &admin)
        .await;
    assert_eq!(res.status(), 200, "an admin may change a user");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["name"].as_str(), body["role"].as_str()),
        (Some("Ada King"), Some("user"))
    );
}

#[tokio::test]
async fn a_super_admin_grants_roles_and_the_change_is_audited_with_from_and_to() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let root_id = root_id(&app, &root).await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let res = app
        .patch_json(&user_path(&ada.id), &json!({ "role": "admin" }), &root)
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["role"], "admin");
    let changed = audit(&app, &root, "admin.role_changed", &ada.id).await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["actor_id"], root_id.as_str());
    assert_eq!(changed[0]["details"]["from"], "user");
    assert_eq!(changed[0]["details"]["to"], "admin");
    let updated = audit(&app, &root, "admin.user_updated", &ada.id).await;
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["actor_id"], root_id.as_str());
    assert_eq!(updated[0]["target_type"], "user");

    for (body, field) in [
        (json!({ "role": "wizard" }), "role"),
        (json!({ "status": "banned" }), "status"),
        (json!({ "name": "" }), "name"),
    ] {
        let problem = assert_problem(
            app.patch_json(&user_path(&ada.id), &body, &root).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(problem["errors"][field].is_array(), "{problem}");
    }
}

#[tokio::test]
async fn suspending_ends_every_session_of_the_account() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let admin = app.admin_role_token("admin@example.com").await;
    let res = app
        .patch_json(
            &user_path(&ada.id),
            &json!({ "status": "suspended" }),
            &admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "suspended");
    assert_problem(refresh(&app, &ada.refresh).await, 401, "unauthenticated").await;
    let updated = audit(&app, &root, "admin.user_updated", &ada.id).await;
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["details"]["fields"], json!(["status"]));
    assert!(updated[0]["details"]["revoked_sessions"].as_u64() >= Some(1));
}

#[tokio::test]
async fn deleting_removes_the_account_and_its_sessions_and_audits_without_the_email() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let root_id = root_id(&app, &root).await;
    let ada = app.sign_in_as("ada@example.com", RoleName::admin()).await;
    let res = app.delete(&user_path(&ada.id), &root).await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get(&user_path(&ada.id), Some(&root)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(refresh(&app, &ada.refresh).await, 401, "unauthenticated").await;
    let deleted = audit(&app, &root, "user.deleted", &ada.id).await;
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(deleted[0]["actor_id"], root_id.as_str());
    assert!(
        !deleted[0].to_string().contains("ada@example.com"),
        "no email in the entry: {}",
        deleted[0]
    );
    assert_problem(
        app.delete(&user_path(&ada.id), &root).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_list_filters_by_role_and_status_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let first = app.sign_in_as("first@example.com", RoleName::admin()).await;
    let second = app
        .sign_in_as("second@example.com", RoleName::admin())
        .await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let res = app
        .patch_json(
            &user_path(&ada.id),
            &json!({ "status": "suspended" }),
            &root,
        )
        .await;
    assert_eq!(res.status(), 200);
    let list = |query: &'static str| {
        let (app, root) = (&app, &root);
        async move {
            let res = app
                .get(&format!("/api/v1/admin/users{query}"), Some(root))
                .await;
            assert_eq!(res.status(), 200, "{query}");
            res.json::<Value>().await.unwrap()
        }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&list("?status=suspended").await), vec![ada.id.clone()]);
    let page = list("?role=admin&limit=1").await;
    assert_eq!(ids(&page), vec![first.id.clone()]);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let res = app
        .get(
            &format!("/api/v1/admin/users?role=admin&limit=1&cursor={cursor}"),
            Some(&root),
        )
        .await;
    let page: Value = res.json().await.unwrap();
    assert_eq!(ids(&page), vec![second.id.clone()]);
    assert_eq!(page["next_cursor"], Value::Null);
    assert!(ids(&list("?role=user&status=active").await).is_empty());
}

#[tokio::test]
async fn a_role_change_ends_the_old_roles_access_tokens_at_the_next_revocation_sync() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let boss = app.sign_in_as("boss@example.com", RoleName::admin()).await;
    assert_eq!(
        app.get("/api/v1/admin/users", Some(&boss.access))
            .await
            .status(),
        200
    );
    let res = app
        .patch_json(&user_path(&boss.id), &json!({ "role": "user" }), &root)
        .await;
    assert_eq!(res.status(), 200);
    app.auth.sync_revocations().await.unwrap();
    assert_problem(
        app.get("/api/v1/admin/users", Some(&boss.access)).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/me", Some(&root)).await.status(),
        200,
        "other users' tokens are untouched"
    );
    // A second later, the refreshed token carries the new role.
    app.clock.advance(chrono::Duration::seconds(1));
    let res = refresh(&app, &boss.refresh).await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    let fresh = pair["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", Some(fresh)).await.status(), 200);
    assert_problem(
        app.get("/api/v1/admin/users", Some(fresh)).await,
        403,
        "forbidden",
    )
    .await;
}
