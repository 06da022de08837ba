//! The tenant-isolation matrix, on the real store (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`): every operation of the OpenAPI document whose path names a resource
//! (outside `/api/v1/admin`, whose operations reach every tenant by design and are the role
//! matrix's), aimed at organization B's resource — the organization, its members, roles and
//! invitations, a file it owns (and its share with a partner organization), a session and a
//! passkey of its owner — by A's owner and A's member (each with
//! a token acting for A and one acting for themselves) and by a user in no organization, answers
//! 404, and B is unchanged afterwards. The operations are read from
//! `plinth_api::openapi_json()`, so a new route fails here until [`aim`] aims it at B (with a
//! well-formed body, so a refusal cannot come from a 422) or [`NOT_A_TENANT_RESOURCE`] says
//! why it names no tenant's resource.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, store_plan, upload};
use crate::orgs::{Account, account, acting_token, add_member, create, verified_account};

/// `(method, path, why)` of operations with a path parameter that is not a tenant's resource.
const NOT_A_TENANT_RESOURCE: &[(&str, &str, &str)] = &[
    (
        "get",
        "/api/v1/auth/oauth/{provider}/start",
        "a configured sign-in provider's public name, no tenant's resource",
    ),
    (
        "get",
        "/api/v1/auth/oauth/{provider}/callback",
        "a configured sign-in provider's public name; the flow is found by its state",
    ),
    (
        "post",
        "/api/v1/auth/oauth/{provider}/callback",
        "a configured sign-in provider's public name; the flow is found by its state",
    ),
    (
        "delete",
        "/api/v1/me/identities/{id}",
        "a user's own sign-in identity (organizations have none): 404 for anyone else, api oauth tests",
    ),
    (
        "get",
        "/api/v1/avatars/{name}",
        "public by design: an avatar image is shown to anyone who has its unguessable name",
    ),
    (
        "get",
        "/api/v1/files/{id}/content/signed",
        "a capability URL: no caller, the signature is the grant (403 for any other link)",
    ),
];

/// Organization B and what it holds.
struct TenantB {
    owner: Account,
    owner_acting: String,
    org: String,
    member: Account,
    role: &'static str,
    invitation: String,
    file: String,
    /// An organization B's file is shared with.
    partner_org: String,
    session: String,
    /// A passkey of B's owner.
    passkey: String,
    /// B's invoice (for 3 seats of a plan).
    invoice: String,
}

/// Every operation with a path parameter outside `/api/v1/admin`, as `(method, path)`.
fn operations_naming_a_resource() -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&plinth_api::openapi_json()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains('{') || path.starts_with("/api/v1/admin") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone()));
            }
        }
    }
    ops.sort();
    ops
}

/// The request aimed at B's resource for `(method, path)`, with a well-formed body (a `PUT` of
/// content is sent as multipart by [`send`]); `None` for an operation this matrix does not know.
fn aim(b: &TenantB, method: &str, path: &str) -> Option<(Method, String, Option<Value>)> {
    let file = format!("/api/v1/files/{}", b.file);
    let org = format!("/api/v1/orgs/{}", b.org);
    let invitation = &b.invitation;
    let member = b.member.id;
    let invoice = format!("/api/v1/billing/invoices/{}", b.invoice);
    Some(match (method, path) {
        ("delete", "/api/v1/auth/sessions/{id}") => (
            Method::DELETE,
            format!("/api/v1/auth/sessions/{}", b.session),
            None,
        ),
        ("patch", "/api/v1/me/passkeys/{id}") => (
            Method::PATCH,
            format!("/api/v1/me/passkeys/{}", b.passkey),
            Some(json!({ "name": "Taken over" })),
        ),
        ("delete", "/api/v1/me/passkeys/{id}") => (
            Method::DELETE,
            format!("/api/v1/me/passkeys/{}", b.passkey),
            None,
        ),
        ("get", "/api/v1/files/{id}") => (Method::GET, file, None),
        ("delete", "/api/v1/files/{id}") => (Method::DELETE, file, None),
        ("get", "/api/v1/files/{id}/content") => (Method::GET, format!("{file}/content"), None),
        ("put", "/api/v1/files/{id}/content") => (Method::PUT, format!("{file}/content"), None),
        ("get", "/api/v1/files/{id}/shares") => (Method::GET, format!("{file}/shares"), None),
        ("post", "/api/v1/files/{id}/shares") => (
            Method::POST,
            format!("{file}/shares"),
            Some(json!({ "email": "intruder@example.com", "permission": "edit" })),
        ),
        ("delete", "/api/v1/files/{id}/shares/{user_id}") => (
            Method::DELETE,
            format!("{file}/shares/partner@example.com"),
            None,
        ),
        ("post", "/api/v1/files/{id}/org-shares") => (
            Method::POST,
            format!("{file}/org-shares"),
            Some(json!({ "org_id": b.partner_org, "permission": "edit" })),
        ),
        ("get", "/api/v1/files/{id}/org-shares") => {
            (Method::GET, format!("{file}/org-shares"), None)
        }
        ("delete", "/api/v1/files/{id}/org-shares/{org_id}") => (
            Method::DELETE,
            format!("{file}/org-shares/{}", b.partner_org),
            None,
        ),
        ("post", "/api/v1/files/{id}/signed-url") => (
            Method::POST,
            format!("{file}/signed-url"),
            Some(json!({ "expires_in": 600 })),
        ),
        ("delete", "/api/v1/files/{id}/signed-urls") => {
            (Method::DELETE, format!("{file}/signed-urls"), None)
        }
        ("get", "/api/v1/files/{id}/versions") => (Method::GET, format!("{file}/versions"), None),
        ("delete", "/api/v1/invitations/{invitation_id}") => (
            Method::DELETE,
            format!("/api/v1/invitations/{invitation}"),
            None,
        ),
        ("post", "/api/v1/invitations/{invitation_id}/accept") => (
            Method::POST,
            format!("/api/v1/invitations/{invitation}/accept"),
            None,
        ),
        ("get", "/api/v1/orgs/{org_id}") => (Method::GET, org, None),
        ("delete", "/api/v1/orgs/{org_id}") => (Method::DELETE, org, None),
        ("patch", "/api/v1/orgs/{org_id}") => {
            (Method::PATCH, org, Some(json!({ "name": "Taken over" })))
        }
        ("get", "/api/v1/orgs/{org_id}/audit") => (Method::GET, format!("{org}/audit"), None),
        ("get", "/api/v1/orgs/{org_id}/audit/verify") => {
            (Method::GET, format!("{org}/audit/verify"), None)
        }
        ("get", "/api/v1/orgs/{org_id}/invitations") => {
            (Method::GET, format!("{org}/invitations"), None)
        }
        ("post", "/api/v1/orgs/{org_id}/invitations") => (
            Method::POST,
            format!("{org}/invitations"),
            Some(json!({ "email": "intruder@example.com", "role": "member" })),
        ),
        ("delete", "/api/v1/orgs/{org_id}/invitations/{invitation_id}") => (
            Method::DELETE,
            format!("{org}/invitations/{invitation}"),
            None,
        ),
        ("post", "/api/v1/orgs/{org_id}/invitations/{invitation_id}/resend") => (
            Method::POST,
            format!("{org}/invitations/{invitation}/resend"),
            Some(json!({})),
        ),
        ("get", "/api/v1/orgs/{org_id}/members") => (Method::GET, format!("{org}/members"), None),
        ("delete", "/api/v1/orgs/{org_id}/members/{user_id}") => {
            (Method::DELETE, format!("{org}/members/{member}"), None)
        }
        ("patch", "/api/v1/orgs/{org_id}/members/{user_id}") => (
            Method::PATCH,
            format!("{org}/members/{member}"),
            Some(json!({ "role": "admin" })),
        ),
        ("post", "/api/v1/orgs/{org_id}/ownership") => (
            Method::POST,
            format!("{org}/ownership"),
            Some(json!({ "user_id": member })),
        ),
        ("get", "/api/v1/orgs/{org_id}/roles") => (Method::GET, format!("{org}/roles"), None),
        ("post", "/api/v1/orgs/{org_id}/roles") => (
            Method::POST,
            format!("{org}/roles"),
            Some(json!({ "name": "intruder", "permissions": ["members:read"] })),
        ),
        ("delete", "/api/v1/orgs/{org_id}/roles/{name}") => {
            (Method::DELETE, format!("{org}/roles/{}", b.role), None)
        }
        ("get", "/api/v1/orgs/{org_id}/billing-contact") => {
            (Method::GET, format!("{org}/billing-contact"), None)
        }
        ("put", "/api/v1/orgs/{org_id}/billing-contact") => (
            Method::PUT,
            format!("{org}/billing-contact"),
            Some(json!({ "name": "Intruder Ltd", "email": "intruder@example.com" })),
        ),
        ("get", "/api/v1/billing/invoices/{id}") => (Method::GET, invoice, None),
        ("get", "/api/v1/billing/invoices/{id}/pdf") => {
            (Method::GET, format!("{invoice}/pdf"), None)
        }
        ("post", "/api/v1/billing/invoices/{id}/pay") => {
            (Method::POST, format!("{invoice}/pay"), Some(json!({})))
        }
        _ => return None,
    })
}

async fn send(
    app: &TestApp,
    token: &str,
    (method, path, body): (Method, String, Option<Value>),
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method.clone(), app.url(&path))
        .bearer_auth(token);
    if method == Method::PUT && body.is_none() {
        let part = reqwest::multipart::Part::bytes(b"overwritten".to_vec())
            .file_name("plan.txt")
            .mime_str("text/plain")
            .unwrap();
        req = req.multipart(reqwest::multipart::Form::new().part("file", part));
    } else if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn json_of(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get_auth(path, token).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// Everything B's owner can read about B (its file through a token acting for B).
async fn snapshot(app: &TestApp, b: &TenantB) -> Value {
    let mut state = json!({});
    for part in ["", "/members", "/roles", "/invitations", "/billing-contact"] {
        let path = format!("/api/v1/orgs/{}{part}", b.org);
        state[&path] = json_of(app, &path, &b.owner.token).await;
    }
    for path in [
        "/api/v1/billing/subscription",
        "/api/v1/billing/invoices",
        "/api/v1/billing/entitlements",
    ] {
        state[path] = json_of(app, path, &b.owner_acting).await;
    }
    for part in ["", "/shares", "/org-shares", "/versions"] {
        let path = format!("/api/v1/files/{}{part}", b.file);
        state[&path] = json_of(app, &path, &b.owner_acting).await;
    }
    let content = app
        .get_auth(
            &format!("/api/v1/files/{}/content", b.file),
            &b.owner_acting,
        )
        .await
        .bytes()
        .await
        .unwrap();
    state["content"] = json!(String::from_utf8_lossy(&content));
    state["passkeys"] = json_of(app, "/api/v1/me/passkeys", &b.owner.token).await;
    state
}

async fn tenant_b(app: &TestApp) -> TenantB {
    let owner = account(app).await;
    let member = account(app).await;
    let org = create(app, &owner, "Org B").await;
    add_member(app, &org, &member, "member").await;
    let role = "bookkeeper";
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/roles"),
            &json!({ "name": role, "permissions": ["org_files:read"] }),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": "b-guest@example.com", "role": "member" }),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let invitation = res.json::<Value>().await.unwrap()["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owner_acting = acting_token(app, &owner, &org).await;
    let file = upload(
        &app.client,
        &app.address,
        &owner_acting,
        "plan.txt",
        b"Org B's plan".to_vec(),
    )
    .await;
    assert_eq!(file["org_id"], org.as_str());
    let file = file["id"].as_str().unwrap().to_owned();
    let res = app
        .post_json(
            &format!("/api/v1/files/{file}/shares"),
            &json!({ "email": "partner@example.com", "permission": "view" }),
            Some(&owner_acting),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let partner = account(app).await;
    let partner_org = create(app, &partner, "B's partner").await;
    let res = app
        .post_json(
            &format!("/api/v1/files/{file}/org-shares"),
            &json!({ "org_id": partner_org, "permission": "view" }),
            Some(&owner_acting),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // B pays for 3 seats, invoiced to its billing contact.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/orgs/{org}/billing-contact")))
        .bearer_auth(&owner.token)
        .json(&json!({ "name": "Org B GmbH", "email": "billing@b.example" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let plan = store_plan(app, "Team").await;
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan, "seats": 3 }),
            Some(&owner_acting),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let invoices = json_of(app, "/api/v1/billing/invoices", &owner_acting).await;
    assert_eq!(invoices["items"][0]["customer"]["name"], "Org B GmbH");
    let invoice = invoices["items"][0]["id"].as_str().unwrap().to_owned();
    let sessions = json_of(app, "/api/v1/auth/sessions", &owner.token).await;
    let sessions = sessions.get("items").unwrap_or(&sessions);
    let session = sessions[0]["id"].as_str().unwrap().to_owned();
    let passkey = crate::passkeys::register_passkey(
        app,
        &owner.token,
        &mut plinth_webauthn::testing::SoftAuthenticator::new(),
    )
    .await;
    TenantB {
        owner,
        owner_acting,
        org,
        member,
        role,
        invitation,
        file,
        partner_org,
        session,
        passkey,
        invoice,
    }
}

#[tokio::test]
async fn no_outsider_reads_or_changes_another_organization() {
    let app = spawn_app().await;
    let b = tenant_b(&app).await;
    // Verified addresses, so that the routes that first ask for one go on to the resource.
    let (alice, bob, zed) = (
        verified_account(&app).await,
        verified_account(&app).await,
        verified_account(&app).await,
    );
    let a = create(&app, &alice, "Org A").await;
    add_member(&app, &a, &bob, "member").await;
    let (alice_a, bob_a) = (
        acting_token(&app, &alice, &a).await,
        acting_token(&app, &bob, &a).await,
    );
    let before = snapshot(&app, &b).await;

    let ops = operations_naming_a_resource();
    assert!(ops.len() >= 30, "the routes are in the document: {ops:?}");
    let mut unknown = Vec::new();
    let mut leaks = Vec::new();
    for (method, path) in &ops {
        if NOT_A_TENANT_RESOURCE
            .iter()
            .any(|(m, p, _)| m == method && p == path)
        {
            continue;
        }
        let Some(aimed) = aim(&b, method, path) else {
            unknown.push(format!("{method} {path}"));
            continue;
        };
        for (who, token) in [
            ("A's owner acting for A", &alice_a),
            ("A's owner", &alice.token),
            ("A's member acting for A", &bob_a),
            ("A's member", &bob.token),
            ("a user in no organization", &zed.token),
        ] {
            let res = send(&app, token, aimed.clone()).await;
            if res.status() != StatusCode::NOT_FOUND {
                leaks.push(format!("{method} {path} by {who}: {}", res.status()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "operations the isolation matrix does not aim at a tenant's resource (add them to `aim`, \
         or to NOT_A_TENANT_RESOURCE with the reason): {unknown:#?}"
    );
    assert!(
        leaks.is_empty(),
        "answers other than 404:\n{}",
        leaks.join("\n")
    );
    assert_eq!(snapshot(&app, &b).await, before, "B is unchanged");
    assert_eq!(
        app.get_auth("/api/v1/me", &b.owner.token).await.status(),
        StatusCode::OK,
        "B's owner's session was not ended"
    );
    // Listings never carry B's rows either.
    for token in [&alice_a, &alice.token, &bob_a, &bob.token, &zed.token] {
        // (403 for A's plain member, who may not see A's invoices either.)
        let invoices = app
            .get_auth("/api/v1/billing/invoices?limit=100", token)
            .await
            .text()
            .await
            .unwrap();
        assert!(!invoices.contains(&b.invoice), "{invoices}");
        let files = json_of(&app, "/api/v1/files?limit=100", token).await;
        assert!(!files.to_string().contains(&b.file), "{files}");
        let orgs = json_of(&app, "/api/v1/orgs?limit=100", token).await;
        assert!(!orgs.to_string().contains(&b.org), "{orgs}");
    }
    // A's own members still reach A: the 404s come from the tenant, not from a broken route.
    assert_eq!(
        json_of(&app, &format!("/api/v1/orgs/{a}"), &bob.token).await["name"],
        "Org A"
    );
}

#[test]
fn every_exemption_names_an_operation_of_the_document() {
    let ops = operations_naming_a_resource();
    for (method, path, why) in NOT_A_TENANT_RESOURCE {
        assert!(!why.is_empty());
        assert!(
            ops.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is not in the document any more"
        );
    }
}
