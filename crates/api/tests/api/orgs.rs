//! `/api/v1/orgs`: organizations, members and roles over HTTP. Members are added straight to
//! the storage here (invitations, the way in over HTTP, come with their own tests).

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::fixed_now;
use plinth_kernel::{PageRequest, UserId};
use plinth_orgs::{Member, MemberRepository, OrgId, OrgRoleName, OrganizationRepository};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, error_fields, mailed_token, spawn_app, verify_email,
};

/// A signed-in account: its access token and user id.
pub(crate) struct Account {
    pub(crate) token: String,
    pub(crate) id: UserId,
}

pub(crate) async fn account(app: &TestApp, email: &str) -> Account {
    let token = app.token(email).await;
    let me = json_at(app, "/api/v1/me", &token).await;
    let id = UserId::from_uuid(me["id"].as_str().unwrap().parse().unwrap());
    Account { token, id }
}

pub(crate) async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

pub(crate) async fn create(app: &TestApp, owner: &Account, name: &str) -> String {
    let res = app
        .post_json("/api/v1/orgs", &json!({ "name": name }), Some(&owner.token))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn add_member(app: &TestApp, org: &str, who: &Account, role: &str) {
    let mut tx = app.uow.begin().await.unwrap();
    app.orgs
        .add_member(
            tx.as_mut(),
            OrgId::from_uuid(org.parse().unwrap()),
            &Member {
                user_id: who.id,
                role: OrgRoleName::parse(role).unwrap(),
                joined_at: fixed_now(),
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// `DELETE /orgs/{org}/members/{user}` with `token` (removing a member, or leaving).
pub(crate) async fn remove_member(
    app: &TestApp,
    org: &str,
    user: UserId,
    token: &str,
) -> reqwest::Response {
    send(
        app,
        reqwest::Method::DELETE,
        &format!("/api/v1/orgs/{org}/members/{user}"),
        token,
        None,
    )
    .await
}

async fn role_in(app: &TestApp, org: &str, who: &Account) -> Option<String> {
    let res = app
        .get(&format!("/api/v1/orgs/{org}"), Some(&who.token))
        .await;
    match res.status().as_u16() {
        200 => Some(
            res.json::<Value>().await.unwrap()["role"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        404 => None,
        other => panic!("GET /orgs/{org}: {other}"),
    }
}

/// The JSON body of a `GET path` that must answer 200.
async fn json_at(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

async fn audited(app: &TestApp, action: AuditAction) -> Vec<plinth_audit::AuditEvent> {
    let filter = AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    };
    app.audit_log
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_user_creates_lists_renames_and_deletes_their_organization() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let res = app
        .post_json(
            "/api/v1/orgs",
            &json!({ "name": "  Northwind Dental " }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["name"], "Northwind Dental");
    assert_eq!(created["role"], "owner");
    let id = created["id"].as_str().unwrap();

    let mine = json_at(&app, "/api/v1/orgs", &ada.token).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["id"], id);

    let res = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{id}"),
        &ada.token,
        Some(json!({ "name": "Northwind Dental Group" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let renamed: Value = res.json().await.unwrap();
    assert_eq!(renamed["name"], "Northwind Dental Group");

    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/orgs/{id}"),
        &ada.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(role_in(&app, id, &ada).await, None);
    let mine = json_at(&app, "/api/v1/orgs", &ada.token).await;
    assert!(mine["items"].as_array().unwrap().is_empty());
    let deleted = audited(&app, AuditAction::OrgDeleted).await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].actor_id, Some(ada.id.as_uuid()));
    assert_eq!(deleted[0].target_id.as_deref(), Some(id));
}

#[tokio::test]
async fn a_bad_name_is_a_422_naming_the_field_and_stores_nothing() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    for name in ["   ", &"x".repeat(101), "Tab\u{7}Bell"] {
        let res = app
            .post_json("/api/v1/orgs", &json!({ "name": name }), Some(&ada.token))
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(error_fields(&problem), ["name"]);
    }
    let res = app
        .post_json(
            "/api/v1/orgs",
            &json!({ "name": "Acme", "owner": "eve" }),
            Some(&ada.token),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let mine = json_at(&app, "/api/v1/orgs", &ada.token).await;
    assert!(mine["items"].as_array().unwrap().is_empty());
    assert!(audited(&app, AuditAction::OrgCreated).await.is_empty());
}

#[tokio::test]
async fn an_outsider_gets_404_for_everything_and_changes_nothing() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let eve = account(&app, "eve@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    use reqwest::Method;
    for id in [org.as_str(), unknown.as_str()] {
        let attempts: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/v1/orgs/{id}"), None),
            (
                Method::PATCH,
                format!("/api/v1/orgs/{id}"),
                Some(json!({ "name": "Eve's" })),
            ),
            (Method::DELETE, format!("/api/v1/orgs/{id}"), None),
            (Method::GET, format!("/api/v1/orgs/{id}/members"), None),
            (
                Method::PATCH,
                format!("/api/v1/orgs/{id}/members/{}", ada.id),
                Some(json!({ "role": "member" })),
            ),
            (
                Method::DELETE,
                format!("/api/v1/orgs/{id}/members/{}", ada.id),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/orgs/{id}/ownership"),
                Some(json!({ "user_id": eve.id })),
            ),
            (Method::GET, format!("/api/v1/orgs/{id}/roles"), None),
            (
                Method::POST,
                format!("/api/v1/orgs/{id}/roles"),
                Some(json!({ "name": "spy", "permissions": [] })),
            ),
            (Method::DELETE, format!("/api/v1/orgs/{id}/roles/spy"), None),
        ];
        for (method, path, body) in attempts {
            let res = send(&app, method.clone(), &path, &eve.token, body).await;
            let problem = assert_problem(res, 404, "not_found").await;
            assert_eq!(
                problem["detail"], "There is no such organization.",
                "{method} {path}"
            );
        }
    }
    let seen = json_at(&app, &format!("/api/v1/orgs/{org}"), &ada.token).await;
    assert_eq!(
        (seen["name"].as_str(), seen["role"].as_str()),
        (Some("Northwind"), Some("owner"))
    );
    assert_eq!(audited(&app, AuditAction::OrgCreated).await.len(), 1);
    assert!(audited(&app, AuditAction::OrgRenamed).await.is_empty());
    assert!(
        audited(&app, AuditAction::OrgOwnershipTransferred)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn members_are_listed_and_changed_under_the_rank_rules() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let cy = account(&app, "cy@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    add_member(&app, &org, &bob, "admin").await;
    add_member(&app, &org, &cy, "member").await;

    let page = json_at(&app, &format!("/api/v1/orgs/{org}/members"), &cy.token).await;
    let mut emails: Vec<(&str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        [
            ("ada@example.com", "owner"),
            ("bob@example.com", "admin"),
            ("cy@example.com", "member")
        ]
    );

    let patch = |who: &Account, target: &Account, role: &str| {
        let path = format!("/api/v1/orgs/{org}/members/{}", target.id);
        let (token, body) = (who.token.clone(), json!({ "role": role }));
        let app = &app;
        async move { send(app, reqwest::Method::PATCH, &path, &token, Some(body)).await }
    };
    // A member changes nobody; an admin does not raise anyone to their own rank.
    assert_problem(patch(&cy, &bob, "member").await, 403, "forbidden").await;
    let problem = assert_problem(patch(&bob, &cy, "admin").await, 403, "forbidden").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("below your own"),
        "{problem}"
    );
    // Nobody changes their own role; an unknown role is bad input.
    assert_problem(patch(&bob, &bob, "owner").await, 403, "forbidden").await;
    let problem = assert_problem(patch(&ada, &cy, "wizard").await, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["role"]);
    assert_eq!(role_in(&app, &org, &cy).await.as_deref(), Some("member"));
    // The owner promotes.
    let res = patch(&ada, &cy, "admin").await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(
        (changed["user_id"].as_str(), changed["role"].as_str()),
        (Some(cy.id.to_string().as_str()), Some("admin"))
    );
    assert_eq!(role_in(&app, &org, &cy).await.as_deref(), Some("admin"));
    let entry = &audited(&app, AuditAction::OrgMemberRoleChanged).await[0];
    assert_eq!(entry.details["from"], "member");
    assert_eq!(entry.details["to"], "admin");
}

#[tokio::test]
async fn the_last_owner_stays_until_ownership_moves_then_may_leave() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    add_member(&app, &org, &bob, "admin").await;
    let leave = |who: &Account| {
        let path = format!("/api/v1/orgs/{org}/members/{}", who.id);
        let (token, app) = (who.token.clone(), &app);
        async move { send(app, reqwest::Method::DELETE, &path, &token, None).await }
    };
    let problem = assert_problem(leave(&ada).await, 409, "conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("at least one owner"),
        "{problem}"
    );
    // An admin cannot remove the owner either.
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/orgs/{org}/members/{}", ada.id),
        &bob.token,
        None,
    )
    .await;
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/ownership"),
            &json!({ "user_id": ada.id }),
            Some(&ada.token),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["user_id"]);
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/ownership"),
            &json!({ "user_id": bob.id }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(role_in(&app, &org, &bob).await.as_deref(), Some("owner"));
    assert_eq!(role_in(&app, &org, &ada).await.as_deref(), Some("admin"));
    assert_eq!(leave(&ada).await.status(), 204);
    assert_eq!(role_in(&app, &org, &ada).await, None);
    let entry = &audited(&app, AuditAction::OrgMemberRemoved).await[0];
    assert_eq!(entry.details["left"], true);
}

#[tokio::test]
async fn custom_roles_are_created_listed_and_deleted_when_unused() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let cy = account(&app, "cy@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    add_member(&app, &org, &cy, "member").await;
    let roles = format!("/api/v1/orgs/{org}/roles");
    let res = app
        .post_json(
            &roles,
            &json!({ "name": "bookkeeper", "permissions": ["org_billing:read"] }),
            Some(&cy.token),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = app
        .post_json(
            &roles,
            &json!({ "name": "spy", "permissions": ["users:write"] }),
            Some(&ada.token),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["permissions"]);
    let res = app
        .post_json(
            &roles,
            &json!({ "name": "Owner!", "permissions": [] }),
            Some(&ada.token),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(error_fields(&problem), ["name"]);
    let res = app
        .post_json(
            &roles,
            &json!({ "name": "bookkeeper", "permissions": ["org_billing:read"] }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let role: Value = res.json().await.unwrap();
    assert_eq!(
        role,
        json!({ "name": "bookkeeper", "rank": 0, "built_in": false, "permissions": ["org_billing:read"] })
    );
    let res = app
        .post_json(
            &roles,
            &json!({ "name": "bookkeeper", "permissions": [] }),
            Some(&ada.token),
        )
        .await;
    assert_problem(res, 409, "conflict").await;
    let listed = json_at(&app, &roles, &cy.token).await;
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["owner", "admin", "member", "bookkeeper"]);

    let res = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{org}/members/{}", cy.id),
        &ada.token,
        Some(json!({ "role": "bookkeeper" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    // A bookkeeper holds no members:read.
    let res = app
        .get(&format!("/api/v1/orgs/{org}/members"), Some(&cy.token))
        .await;
    let problem = assert_problem(res, 403, "forbidden").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("members:read"),
        "{problem}"
    );
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{roles}/bookkeeper"),
        &ada.token,
        None,
    )
    .await;
    assert_problem(res, 409, "conflict").await;
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{roles}/owner"),
        &ada.token,
        None,
    )
    .await;
    assert_problem(res, 404, "not_found").await;
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{org}/members/{}", cy.id),
        &ada.token,
        Some(json!({ "role": "member" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{roles}/bookkeeper"),
        &ada.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(audited(&app, AuditAction::OrgRoleDeleted).await.len(), 1);
}

#[tokio::test]
async fn a_malformed_organization_id_is_a_404() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    for path in [
        "/api/v1/orgs/not-a-uuid",
        "/api/v1/orgs/%2e%2e",
        "/api/v1/orgs/00000000-0000-0000-0000-000000000000%00",
    ] {
        let res = app.get(path, Some(&ada.token)).await;
        assert_problem(res, 404, "not_found").await;
    }
    let res = app.get("/api/v1/orgs", None).await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn an_erased_account_leaves_its_organizations_but_never_strands_one() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let shared = create(&app, &ada, "Shared").await;
    let alone = create(&app, &ada, "Alone").await;
    let bobs = create(&app, &bob, "Bob's").await;
    add_member(&app, &shared, &bob, "member").await;
    add_member(&app, &bobs, &ada, "admin").await;
    let erase = || {
        let (app, token) = (&app, ada.token.clone());
        async move {
            app.client
                .delete(app.url("/api/v1/me"))
                .bearer_auth(token)
                .json(&json!({ "password": crate::helpers::PASSWORD }))
                .send()
                .await
                .unwrap()
        }
    };
    let problem = assert_problem(erase().await, 409, "conflict").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("Shared") && !detail.contains("Alone"),
        "{detail}"
    );
    // Nothing was erased: Ada still signs in and belongs everywhere.
    assert_eq!(role_in(&app, &alone, &ada).await.as_deref(), Some("owner"));
    assert_eq!(role_in(&app, &bobs, &ada).await.as_deref(), Some("admin"));
    assert!(audited(&app, AuditAction::UserDeleted).await.is_empty());

    let res = app
        .post_json(
            &format!("/api/v1/orgs/{shared}/ownership"),
            &json!({ "user_id": bob.id }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(erase().await.status(), 204);
    // The organization she was alone in went with her; the others keep Bob.
    let deleted = audited(&app, AuditAction::OrgDeleted).await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].target_id.as_deref(), Some(alone.as_str()));
    assert!(
        app.orgs
            .membership(OrgId::from_uuid(alone.parse().unwrap()), ada.id)
            .await
            .unwrap()
            .is_none()
    );
    for org in [&shared, &bobs] {
        let members = json_at(&app, &format!("/api/v1/orgs/{org}/members"), &bob.token).await;
        let emails: Vec<&str> = members["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["email"].as_str().unwrap())
            .collect();
        assert_eq!(emails, ["bob@example.com"], "{org}");
    }
    let left = audited(&app, AuditAction::OrgMemberRemoved).await;
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|e| e.details["erased"] == true));
}

async fn accept(app: &TestApp, who: &Account, token: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/invitations/accept",
        &json!({ "token": token }),
        Some(&who.token),
    )
    .await
}

#[tokio::test]
async fn an_address_without_an_account_signs_up_verifies_and_joins() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    let invitations = format!("/api/v1/orgs/{org}/invitations");
    let res = app
        .post_json(
            &invitations,
            &json!({ "email": "Grace@Example.com", "role": "admin" }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["mailed"], true);
    assert_eq!(sent["invitation"]["email"], "grace@example.com");
    assert_eq!(sent["invitation"]["role"], "admin");
    assert!(
        sent.to_string().find("token").is_none(),
        "the token is only in the mail"
    );
    let mail = app.mailer.last().unwrap();
    assert_eq!(mail.text("organization"), Some("Northwind"), "{mail:?}");
    let token = mailed_token(&app, "grace@example.com", "/accept-invitation");

    let listed = json_at(&app, &invitations, &ada.token).await;
    assert_eq!(listed["items"][0]["id"], sent["invitation"]["id"]);

    // Grace signs up; until she verifies her address, accepting is refused.
    let grace = account(&app, "grace@example.com").await;
    let problem = assert_problem(accept(&app, &grace, &token).await, 403, "forbidden").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("Verify"),
        "{problem}"
    );
    verify_email(&app, "grace@example.com").await;
    // Someone else with the link gets nothing.
    let eve = account(&app, "eve@example.com").await;
    verify_email(&app, "eve@example.com").await;
    assert_problem(accept(&app, &eve, &token).await, 404, "not_found").await;

    let res = accept(&app, &grace, &token).await;
    assert_eq!(res.status(), 200);
    let joined: Value = res.json().await.unwrap();
    assert_eq!(
        (joined["id"].as_str(), joined["role"].as_str()),
        (Some(org.as_str()), Some("admin"))
    );
    assert_eq!(role_in(&app, &org, &grace).await.as_deref(), Some("admin"));
    assert_eq!(role_in(&app, &org, &eve).await, None);
    // Spent.
    assert_problem(accept(&app, &grace, &token).await, 404, "not_found").await;
    let listed = json_at(&app, &invitations, &ada.token).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    assert_eq!(
        audited(&app, AuditAction::OrgInvitationAccepted)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn inviting_an_address_answers_the_same_whether_it_has_an_account() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let _bob = account(&app, "bob@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    let invitations = format!("/api/v1/orgs/{org}/invitations");
    let mut shapes = Vec::new();
    for address in ["bob@example.com", "nobody@example.com"] {
        let res = app
            .post_json(
                &invitations,
                &json!({ "email": address, "role": "member" }),
                Some(&ada.token),
            )
            .await;
        assert_eq!(res.status(), 201, "{address}");
        let mut body: Value = res.json().await.unwrap();
        let invitation = body["invitation"].as_object_mut().unwrap();
        for volatile in ["id", "email"] {
            invitation.remove(volatile);
        }
        shapes.push(body);
    }
    assert_eq!(shapes[0], shapes[1], "nothing tells an account from none");
}

#[tokio::test]
async fn revoked_resent_and_refused_invitations_over_http() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let cy = account(&app, "cy@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    add_member(&app, &org, &cy, "member").await;
    let invitations = format!("/api/v1/orgs/{org}/invitations");
    // A member may not invite; a bad address and an unknown role are 422s naming the field.
    let res = app
        .post_json(
            &invitations,
            &json!({ "email": "x@example.com", "role": "member" }),
            Some(&cy.token),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
    for (body, field) in [
        (
            json!({ "email": "not-an-address", "role": "member" }),
            "email",
        ),
        (
            json!({ "email": "x@example.com", "role": "wizard" }),
            "role",
        ),
    ] {
        let res = app.post_json(&invitations, &body, Some(&ada.token)).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(error_fields(&problem), [field]);
    }
    let res = app
        .post_json(
            &invitations,
            &json!({ "email": "x@example.com", "role": "member" }),
            Some(&ada.token),
        )
        .await;
    let sent: Value = res.json().await.unwrap();
    let id = sent["invitation"]["id"].as_str().unwrap().to_owned();
    let first = mailed_token(&app, "x@example.com", "/accept-invitation");
    let res = app
        .post_json(
            &invitations,
            &json!({ "email": "x@example.com", "role": "admin" }),
            Some(&ada.token),
        )
        .await;
    assert_problem(res, 409, "conflict").await;

    let res = app
        .post_json(
            &format!("{invitations}/{id}/resend"),
            &json!({}),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let second = mailed_token(&app, "x@example.com", "/accept-invitation");
    assert_ne!(first, second);
    let x = account(&app, "x@example.com").await;
    verify_email(&app, "x@example.com").await;
    assert_problem(accept(&app, &x, &first).await, 404, "not_found").await;
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{invitations}/{id}"),
        &ada.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_problem(accept(&app, &x, &second).await, 404, "not_found").await;
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{invitations}/{id}"),
        &ada.token,
        None,
    )
    .await;
    assert_problem(res, 404, "not_found").await;
    assert_eq!(role_in(&app, &org, &x).await, None);
}

#[tokio::test]
async fn the_hourly_invitation_cap_answers_429_with_retry_after() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    let invitations = format!("/api/v1/orgs/{org}/invitations");
    for i in 0..50 {
        let res = app
            .post_json(
                &invitations,
                &json!({ "email": format!("g{i}@example.com"), "role": "member" }),
                Some(&ada.token),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let res = app
        .post_json(
            &invitations,
            &json!({ "email": "late@example.com", "role": "member" }),
            Some(&ada.token),
        )
        .await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "rate_limited").await;
    app.clock.advance(chrono::Duration::minutes(61));
    // The access token expired meanwhile: sign in again.
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "ada@example.com", "password": crate::helpers::PASSWORD }),
            None,
        )
        .await;
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(
            &invitations,
            &json!({ "email": "late@example.com", "role": "member" }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn administrators_find_inspect_and_suspend_organizations() {
    let app = spawn_app().await;
    let root = app.admin_token().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let org = create(&app, &ada, "Northwind Dental").await;
    add_member(&app, &org, &bob, "member").await;
    let _other = create(&app, &bob, "Southwind").await;

    let found = json_at(&app, "/api/v1/admin/orgs?q=NORTH", &root).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["id"], org.as_str());
    assert_eq!(found["items"][0]["members"], 2);
    assert_eq!(found["items"][0]["suspended_at"], Value::Null);
    let members = json_at(&app, &format!("/api/v1/admin/orgs/{org}/members"), &root).await;
    assert_eq!(members["items"].as_array().unwrap().len(), 2);
    let res = app.get("/api/v1/admin/orgs", Some(&ada.token)).await;
    assert_problem(res, 403, "forbidden").await;
    let unknown = uuid::Uuid::now_v7();
    let res = app
        .get(&format!("/api/v1/admin/orgs/{unknown}"), Some(&root))
        .await;
    assert_problem(res, 404, "not_found").await;

    let suspend = |suspended: bool| {
        let (app, root, path) = (&app, root.clone(), format!("/api/v1/admin/orgs/{org}"));
        async move {
            send(
                app,
                reqwest::Method::PATCH,
                &path,
                &root,
                Some(json!({ "suspended": suspended })),
            )
            .await
        }
    };
    let res = suspend(true).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["suspended_at"].is_string(), "{body}");
    // Members see it suspended, may leave, and may do nothing else.
    let seen = json_at(&app, &format!("/api/v1/orgs/{org}"), &ada.token).await;
    assert_eq!(seen["name"], "Northwind Dental");
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{org}"),
        &ada.token,
        Some(json!({ "name": "Renamed anyway" })),
    )
    .await;
    let problem = assert_problem(res, 403, "forbidden").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("suspended"),
        "{problem}"
    );
    let res = app
        .get(&format!("/api/v1/orgs/{org}/members"), Some(&bob.token))
        .await;
    assert_problem(res, 403, "forbidden").await;
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/orgs/{org}/members/{}", bob.id),
        &bob.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204, "leaving stays possible");
    assert_eq!(suspend(false).await.status(), 200);
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{org}"),
        &ada.token,
        Some(json!({ "name": "Northwind Again" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(audited(&app, AuditAction::OrgSuspended).await.len(), 1);
    assert_eq!(audited(&app, AuditAction::OrgReinstated).await.len(), 1);
}

#[tokio::test]
async fn owners_read_their_organizations_audit_entries_and_no_one_elses() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let cy = account(&app, "cy@example.com").await;
    let org = create(&app, &ada, "Northwind").await;
    let other = create(&app, &ada, "Southwind").await;
    add_member(&app, &org, &cy, "member").await;
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{org}"),
        &ada.token,
        Some(json!({ "name": "Northwind Dental" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": "guest@example.com", "role": "member" }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 201);

    let page = json_at(&app, &format!("/api/v1/orgs/{org}/audit"), &ada.token).await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["org.invitation_sent", "org.renamed", "org.created"],
        "newest first, this organization's only"
    );
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["org_id"] == org.as_str())
    );
    let renamed = json_at(
        &app,
        &format!("/api/v1/orgs/{org}/audit?action=org.renamed&org_id={other}"),
        &ada.token,
    )
    .await;
    assert_eq!(
        renamed["items"].as_array().unwrap().len(),
        1,
        "org_id cannot widen the view"
    );
    assert_eq!(renamed["items"][0]["details"]["to"], "Northwind Dental");
    // A member without org_audit:read is refused.
    let res = app
        .get(&format!("/api/v1/orgs/{org}/audit"), Some(&cy.token))
        .await;
    let problem = assert_problem(res, 403, "forbidden").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("org_audit:read"),
        "{problem}"
    );
}

#[tokio::test]
async fn an_organization_verifies_its_entries_and_learns_one_bit_of_the_rest() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let a = create(&app, &ada, "Northwind").await;
    let b = create(&app, &bob, "Southwind").await;
    let verify = |org: String, who: &Account| {
        let (app, token) = (&app, who.token.clone());
        async move {
            let res = app
                .get(&format!("/api/v1/orgs/{org}/audit/verify"), Some(&token))
                .await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let report = verify(a.clone(), &ada).await;
    assert_eq!(
        report,
        json!({ "ok": true, "checked": 1, "first_bad": null, "first_bad_seq": null, "trail_intact": true })
    );
    // Someone edits B's entry behind Plinth's back.
    let filter = AuditFilter {
        org_id: Some(b.parse().unwrap()),
        ..AuditFilter::default()
    };
    let entry = app
        .audit_log
        .list(&filter, PageRequest::first(1))
        .await
        .unwrap()
        .items[0]
        .clone();
    assert!(
        app.audit_log
            .tamper_details(entry.id, json!({ "name": "Forged" }))
    );
    let of_a = verify(a.clone(), &ada).await;
    assert_eq!(of_a["first_bad"], Value::Null, "A's entries are intact");
    assert_eq!(
        of_a["trail_intact"], false,
        "one bit about the rest of the trail"
    );
    assert_eq!(of_a["ok"], false);
    let of_b = verify(b.clone(), &bob).await;
    assert_eq!(of_b["first_bad"], entry.id.to_string());
    assert_eq!(of_b["ok"], false);
    // Not B's to check from A, nor a plain member's.
    let res = app
        .get(&format!("/api/v1/orgs/{b}/audit/verify"), Some(&ada.token))
        .await;
    assert_problem(res, 404, "not_found").await;
    let cy = account(&app, "cy@example.com").await;
    add_member(&app, &a, &cy, "member").await;
    let res = app
        .get(&format!("/api/v1/orgs/{a}/audit/verify"), Some(&cy.token))
        .await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn an_invitee_lists_accepts_and_declines_in_the_app() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let north = create(&app, &ada, "Northwind").await;
    let south = create(&app, &bob, "Southwind").await;
    let grace = account(&app, "grace@example.com").await;
    for (org, owner) in [(&north, &ada), (&south, &bob)] {
        let res = app
            .post_json(
                &format!("/api/v1/orgs/{org}/invitations"),
                &json!({ "email": "grace@example.com", "role": "member" }),
                Some(&owner.token),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    // Until Grace verifies her address, she sees none of them.
    let res = app.get("/api/v1/invitations", Some(&grace.token)).await;
    assert_problem(res, 403, "forbidden").await;
    verify_email(&app, "grace@example.com").await;
    let mine = json_at(&app, "/api/v1/invitations", &grace.token).await;
    let names: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["org_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Southwind", "Northwind"]);
    let south_invitation = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let north_invitation = mine["items"][1]["id"].as_str().unwrap().to_owned();
    // Nobody else acts on them by id.
    let eve = account(&app, "eve@example.com").await;
    verify_email(&app, "eve@example.com").await;
    let res = app
        .post_json(
            &format!("/api/v1/invitations/{north_invitation}/accept"),
            &json!({}),
            Some(&eve.token),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/invitations/{south_invitation}"),
        &eve.token,
        None,
    )
    .await;
    assert_problem(res, 404, "not_found").await;

    let res = app
        .post_json(
            &format!("/api/v1/invitations/{north_invitation}/accept"),
            &json!({}),
            Some(&grace.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        role_in(&app, &north, &grace).await.as_deref(),
        Some("member")
    );
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/invitations/{south_invitation}"),
        &grace.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(role_in(&app, &south, &grace).await, None);
    let mine = json_at(&app, "/api/v1/invitations", &grace.token).await;
    assert!(mine["items"].as_array().unwrap().is_empty());
    let token = mailed_token(&app, "grace@example.com", "/accept-invitation");
    assert_problem(accept(&app, &grace, &token).await, 404, "not_found").await;
    assert_eq!(
        audited(&app, AuditAction::OrgInvitationDeclined)
            .await
            .len(),
        1
    );
}
