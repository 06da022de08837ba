//! Every operation under `/api/v1/admin` in the OpenAPI document × the built-in roles, a custom
//! role and an anonymous caller: 401 without credentials, 403 without the operation's
//! permission, and neither with it. The operations are read from `plinth_api::openapi_json()`,
//! so a new admin route fails this test until its permission is listed in `table::PERMISSIONS`. The
//! roles' permissions are written out here as the contract states them, not read from the code.
//! Operations for any signed-in user (`table::SIGNED_IN`) answer 401 anonymously and 200 to every role.

use plinth_users::RoleName;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

mod table;

use table::{ADMIN, AUDITOR, MatrixCaller, SUPER_ADMIN, failures};

#[tokio::test]
async fn every_admin_operation_answers_each_role_as_its_permissions_say() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let res = app
        .post_json(
            "/api/v1/admin/roles",
            &json!({ "name": "auditor", "permissions": AUDITOR }),
            Some(&root),
        )
        .await;
    assert_eq!(res.status(), 201);
    let auditor = app
        .sign_in_as("auditor@example.com", RoleName("auditor".into()))
        .await
        .access;
    let callers: Vec<MatrixCaller> = vec![
        ("anonymous", None, &[]),
        ("user", Some(app.token("user@example.com").await), &[]),
        (
            "admin",
            Some(app.admin_role_token("admin@example.com").await),
            ADMIN,
        ),
        ("super_admin", Some(root), SUPER_ADMIN),
        ("auditor (custom)", Some(auditor), AUDITOR),
    ];
    let failures = failures(&app.client, &app.address, &callers).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The avatar routes are not admin operations: any signed-in user (whatever the role) may set
/// and remove their own avatar, anonymous callers get 401, and images are public.
#[tokio::test]
async fn avatar_operations_need_a_signed_in_user_of_any_role_and_images_need_none() {
    let app = spawn_app().await;
    let callers = [
        ("user", app.token("avatar-user@example.com").await),
        (
            "admin",
            app.admin_role_token("avatar-admin@example.com").await,
        ),
        ("super_admin", app.admin_token().await),
    ];
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    let put = |token: Option<&str>| {
        let part = reqwest::multipart::Part::bytes(png.clone()).file_name("a.png");
        let mut req = app
            .client
            .put(app.url("/api/v1/me/avatar"))
            .multipart(reqwest::multipart::Form::new().part("file", part));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    let delete = |token: Option<&str>| {
        let mut req = app.client.delete(app.url("/api/v1/me/avatar"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    assert_eq!(put(None).await.unwrap().status(), 401);
    assert_eq!(delete(None).await.unwrap().status(), 401);
    for (role, token) in &callers {
        let res = put(Some(token)).await.unwrap();
        assert_eq!(res.status(), 200, "put as {role}");
        let user: Value = res.json().await.unwrap();
        let url = user["avatar_url"].as_str().unwrap().to_owned();
        let image = app.client.get(&url).send().await.unwrap();
        assert_eq!(image.status(), 200, "{role}'s image, fetched anonymously");
        assert_eq!(
            delete(Some(token)).await.unwrap().status(),
            200,
            "delete as {role}"
        );
    }
}
