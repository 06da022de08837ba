//! `POST /api/v1/auth/org`: acting for an organization over HTTP — what the token carries,
//! what a refresh keeps, and how a membership change reaches tokens already handed out.

use plinth_kernel::ActingFor;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::orgs::{Account, account, add_member, create, remove_member, send};

/// What an access token acts for, as the app's verifier reads it from the token alone (the
/// JWT encoding of the `org` and `org_perms` claims is tested with the real signer in
/// `plinth-security`).
fn acting(app: &TestApp, token: &str) -> Option<ActingFor> {
    app.auth.authenticate(token).expect("a valid token").org
}

/// The organization permissions `token` carries.
fn org_perms(app: &TestApp, token: &str) -> Vec<String> {
    acting(app, token)
        .expect("acting for an organization")
        .permissions
}

async fn act_for(app: &TestApp, who: &str, org: Value) -> reqwest::Response {
    send(
        app,
        Method::POST,
        "/api/v1/auth/org",
        who,
        Some(json!({ "org_id": org })),
    )
    .await
}

pub(crate) async fn acting_token(app: &TestApp, who: &Account, org: &str) -> String {
    let res = act_for(app, &who.token, json!(org)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Value {
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh_token }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_token_carries_the_organization_and_refreshes_keep_it() {
    let app = spawn_app().await;
    let pair = app.register("ada@example.com").await;
    let ada = account_of(&pair);
    assert_eq!(pair["org_id"], Value::Null, "a sign-in acts for the user");
    assert_eq!(acting(&app, &ada.token), None);
    let org = create(&app, &ada, "Northwind Dental").await;

    let res = act_for(&app, &ada.token, json!(org)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["org"]["org_id"], org.as_str());
    let perms = body["org"]["permissions"].as_array().unwrap();
    assert!(
        perms.contains(&json!("org_billing:write")) && perms.contains(&json!("org_audit:read")),
        "an owner holds every organization permission: {perms:?}"
    );
    let token = body["access_token"].as_str().unwrap();
    let carried = acting(&app, token).unwrap();
    assert_eq!(carried.org_id.to_string(), org);
    let mut listed: Vec<String> =
        serde_json::from_value(body["org"]["permissions"].clone()).unwrap();
    let mut in_token = carried.permissions;
    listed.sort();
    in_token.sort();
    assert_eq!(in_token, listed, "the answer shows what the token carries");
    assert_eq!(
        app.auth.authenticate(token).unwrap().perms,
        app.auth.authenticate(&ada.token).unwrap().perms,
        "global permissions unchanged"
    );

    let sessions = send(&app, Method::GET, "/api/v1/auth/sessions", token, None).await;
    let sessions: Value = sessions.json().await.unwrap();
    assert_eq!(sessions["items"][0]["org_id"], org.as_str());

    let refreshed = refresh(&app, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed["org_id"], org.as_str(), "the refresh keeps it");
    assert_eq!(
        acting(&app, refreshed["access_token"].as_str().unwrap()).map(|a| a.org_id.to_string()),
        Some(org.clone())
    );

    let res = act_for(&app, token, Value::Null).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["org"], Value::Null);
    assert_eq!(acting(&app, body["access_token"].as_str().unwrap()), None);
    let again = refresh(&app, refreshed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(again["org_id"], Value::Null);
}

/// The account a sign-up answered `pair` for.
fn account_of(pair: &Value) -> Account {
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let id = pair["user"]["id"].as_str().unwrap().parse().unwrap();
    Account {
        token,
        id: plinth_kernel::UserId::from_uuid(id),
    }
}

#[tokio::test]
async fn outsiders_get_404_suspended_organizations_403_and_nothing_changes() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let ada = account(&app, "ada@example.com").await;
    let eve = account(&app, "eve@example.com").await;
    let org = create(&app, &ada, "Northwind Dental").await;

    let res = act_for(&app, &eve.token, json!(org)).await;
    let problem = assert_problem(res, 404, "not_found").await;
    assert_eq!(problem["detail"], "There is no such organization.");
    let res = act_for(&app, &eve.token, json!(uuid::Uuid::now_v7())).await;
    let unknown = assert_problem(res, 404, "not_found").await;
    assert_eq!(problem["detail"], unknown["detail"], "one answer for both");
    let res = send(
        &app,
        Method::POST,
        "/api/v1/auth/org",
        &eve.token,
        Some(json!({ "org_id": org, "role": "owner" })),
    )
    .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = send(
        &app,
        Method::POST,
        "/api/v1/auth/org",
        &eve.token,
        Some(json!({ "org_id": "not-a-uuid" })),
    )
    .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = app
        .post_json("/api/v1/auth/org", &json!({ "org_id": org }), None)
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    let sessions = send(&app, Method::GET, "/api/v1/auth/sessions", &eve.token, None).await;
    let sessions: Value = sessions.json().await.unwrap();
    assert_eq!(sessions["items"][0]["org_id"], Value::Null, "unchanged");

    let res = send(
        &app,
        Method::PATCH,
        &format!("/api/v1/admin/orgs/{org}"),
        &root,
        Some(json!({ "suspended": true })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = act_for(&app, &ada.token, json!(org)).await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn a_removed_member_loses_the_organization_within_the_revocation_bound() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let pair = app.register("bob@example.com").await;
    let bob = account_of(&pair);
    let org = create(&app, &ada, "Northwind Dental").await;
    add_member(&app, &org, &bob, "member").await;
    let bobs = acting_token(&app, &bob, &org).await;
    let perms = org_perms(&app, &bobs);
    assert!(
        perms.contains(&"org_files:read".to_owned())
            && !perms.contains(&"members:write".to_owned()),
        "a member's token carries a member's permissions: {perms:?}"
    );
    assert_eq!(
        send(&app, Method::GET, "/api/v1/me", &bobs, None)
            .await
            .status(),
        200
    );

    // The clock moves on a second, as it does between a sign-in and a removal.
    app.clock.advance(chrono::Duration::seconds(1));
    let res = remove_member(&app, &org, bob.id, &ada.token).await;
    assert_eq!(res.status(), 204);
    // Every replica loads revocations every REVOCATION_SYNC_INTERVAL; this is that load.
    app.auth.sync_revocations().await.unwrap();
    let res = send(&app, Method::GET, "/api/v1/me", &bobs, None).await;
    assert_problem(res, 401, "unauthenticated").await;
    assert_eq!(
        send(&app, Method::GET, "/api/v1/me", &bob.token, None)
            .await
            .status(),
        200,
        "his own token, acting for nobody, still works"
    );
    app.clock.advance(chrono::Duration::seconds(1));
    let refreshed = refresh(&app, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        refreshed["org_id"],
        Value::Null,
        "the refresh acts for him again"
    );
    assert_eq!(
        acting(&app, refreshed["access_token"].as_str().unwrap()),
        None
    );
    let res = act_for(&app, &bob.token, json!(org)).await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_role_change_reaches_the_token_at_the_next_refresh() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let pair = app.register("bob@example.com").await;
    let bob = account_of(&pair);
    let org = create(&app, &ada, "Northwind Dental").await;
    add_member(&app, &org, &bob, "member").await;
    let bobs = acting_token(&app, &bob, &org).await;

    app.clock.advance(chrono::Duration::seconds(1));
    let res = send(
        &app,
        Method::PATCH,
        &format!("/api/v1/orgs/{org}/members/{}", bob.id),
        &ada.token,
        Some(json!({ "role": "admin" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    app.auth.sync_revocations().await.unwrap();
    let res = send(&app, Method::GET, "/api/v1/me", &bobs, None).await;
    assert_problem(res, 401, "unauthenticated").await;
    app.clock.advance(chrono::Duration::seconds(1));
    let refreshed = refresh(&app, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        refreshed["org_id"],
        org.as_str(),
        "still a member: still acting for it"
    );
    let perms = org_perms(&app, refreshed["access_token"].as_str().unwrap());
    assert!(
        perms.contains(&"members:write".to_owned()),
        "an admin's permissions now: {perms:?}"
    );
}

#[tokio::test]
async fn deleting_the_organization_ends_every_members_token_for_it() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let org = create(&app, &ada, "Northwind Dental").await;
    add_member(&app, &org, &bob, "member").await;
    let adas = acting_token(&app, &ada, &org).await;
    let bobs = acting_token(&app, &bob, &org).await;
    app.clock.advance(chrono::Duration::seconds(1));
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/orgs/{org}"),
        &ada.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    app.auth.sync_revocations().await.unwrap();
    for token in [&adas, &bobs] {
        let res = send(&app, Method::GET, "/api/v1/me", token, None).await;
        assert_problem(res, 401, "unauthenticated").await;
    }
}
