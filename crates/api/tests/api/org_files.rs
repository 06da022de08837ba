//! An organization's files over HTTP: uploaded while a token acts for the organization, reached
//! by its members' organization permissions (never by a token acting for anyone else, its
//! uploader's personal token included), held to the organization's quota, and audited under
//! the organization.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::orgs::{account, add_member, create, remove_member, send};
use crate::orgs_acting::acting_token;

/// Uploads `name` with `token` and answers the stored `File`.
async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> Value {
    let res = app.upload(token, name, bytes.to_vec()).await;
    assert_eq!(res.status(), 201, "upload of {name}");
    res.json().await.unwrap()
}

async fn put_content(app: &TestApp, token: &str, id: &str, bytes: &[u8]) -> reqwest::Response {
    app.put_content(token, id, "plan.txt", bytes.to_vec()).await
}

/// Ada's organization with Bob as a member in `bob_role`, and each one's token acting for it.
struct Clinic {
    ada: crate::orgs::Account,
    bob: crate::orgs::Account,
    org: String,
    ada_org: String,
    bob_org: String,
}

async fn clinic(app: &TestApp, bob_role: &str) -> Clinic {
    let ada = account(app, "ada@example.com").await;
    let bob = account(app, "bob@example.com").await;
    let org = create(app, &ada, "Northwind Dental").await;
    add_member(app, &org, &bob, bob_role).await;
    let ada_org = acting_token(app, &ada, &org).await;
    let bob_org = acting_token(app, &bob, &org).await;
    Clinic {
        ada,
        bob,
        org,
        ada_org,
        bob_org,
    }
}

/// The ids `token` lists under `GET /files`.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let res = app.get("/api/v1/files?limit=100", Some(token)).await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

/// What `token` gets for every read and write of file `id`, as statuses.
async fn statuses(app: &TestApp, token: &str, id: &str) -> Vec<u16> {
    let file = format!("/api/v1/files/{id}");
    let mut got = Vec::new();
    for (method, path, body) in [
        (Method::GET, file.clone(), None),
        (Method::GET, format!("{file}/content"), None),
        (Method::GET, format!("{file}/versions"), None),
        (
            Method::POST,
            format!("{file}/signed-url"),
            Some(json!({ "expires_in": 60 })),
        ),
        (
            Method::POST,
            format!("{file}/shares"),
            Some(json!({ "email": "someone@example.com", "permission": "view" })),
        ),
        (Method::GET, format!("{file}/shares"), None),
        (Method::DELETE, format!("{file}/signed-urls"), None),
        (Method::DELETE, file.clone(), None),
    ] {
        got.push(
            send(app, method, &path, token, body)
                .await
                .status()
                .as_u16(),
        );
    }
    got.push(
        put_content(app, token, id, b"changed")
            .await
            .status()
            .as_u16(),
    );
    got
}

#[tokio::test]
async fn an_organizations_files_are_reached_only_by_acting_for_it() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let bob = account(&app, "bob@example.com").await;
    let carol = account(&app, "carol@example.com").await;
    let dan = account(&app, "dan@example.com").await;
    let org = create(&app, &ada, "Northwind Dental").await;
    add_member(&app, &org, &bob, "member").await;
    let other = create(&app, &carol, "Contoso").await;
    let ada_org = acting_token(&app, &ada, &org).await;
    let bob_org = acting_token(&app, &bob, &org).await;
    let carol_other = acting_token(&app, &carol, &other).await;

    let file = upload(&app, &ada_org, "plan.txt", b"the clinic's plan").await;
    let id = file["id"].as_str().unwrap().to_owned();
    assert_eq!(
        file["org_id"],
        org.as_str(),
        "uploaded while acting: the organization's"
    );
    assert_eq!(file["owner_id"], ada.id.to_string(), "with its uploader");
    let personal = upload(&app, &ada.token, "mine.txt", b"ada's own").await;
    assert_eq!(personal["org_id"], Value::Null);

    // Another member acting for the organization reads it and lists it.
    let res = app
        .get(&format!("/api/v1/files/{id}/content"), Some(&bob_org))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"the clinic's plan");
    assert!(listed(&app, &bob_org).await.contains(&id));
    assert!(
        !listed(&app, &bob_org)
            .await
            .contains(&personal["id"].as_str().unwrap().to_owned()),
        "a member's own files stay theirs"
    );

    // Nobody else, by any route: a member of another organization, a user in none, and the
    // uploader and a member with tokens acting for themselves.
    for (who, token) in [
        ("a member of another organization", &carol_other),
        ("a user in no organization", &dan.token),
        ("the uploader acting for themselves", &ada.token),
        ("a member acting for themselves", &bob.token),
    ] {
        assert_eq!(
            statuses(&app, token, &id).await,
            vec![404; 9],
            "{who} gets 404 for every read and write of the organization's file"
        );
        assert!(!listed(&app, token).await.contains(&id), "{who} lists it");
    }
    let res = app
        .get(&format!("/api/v1/files/{id}"), Some(&ada_org))
        .await;
    let after: Value = res.json().await.unwrap();
    assert_eq!(after, file, "nothing they tried changed it");

    // A member with org_files:write does what an owner does: a new version, then delete.
    let res = put_content(&app, &bob_org, &id, b"version two").await;
    assert_eq!(res.status(), 200);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["org_id"], org.as_str());
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/files/{id}"),
        &bob_org,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get(&format!("/api/v1/files/{id}"), Some(&ada_org))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn org_files_read_sees_and_downloads_but_changes_nothing() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let erin = account(&app, "erin@example.com").await;
    let org = create(&app, &ada, "Northwind Dental").await;
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/roles"),
            &json!({ "name": "reader", "permissions": ["org_files:read"] }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    add_member(&app, &org, &erin, "reader").await;
    let ada_org = acting_token(&app, &ada, &org).await;
    let erin_org = acting_token(&app, &erin, &org).await;
    let file = upload(&app, &ada_org, "plan.txt", b"the clinic's plan").await;
    let id = file["id"].as_str().unwrap();

    assert_eq!(
        statuses(&app, &erin_org, id).await,
        vec![200, 200, 200, 200, 403, 403, 403, 403, 403],
        "read, download, versions and a signed link; no share, share list, revocation, \
         delete or new version"
    );
    let res = app.upload(&erin_org, "mine.txt", b"x".to_vec()).await;
    let problem = assert_problem(res, 403, "forbidden").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("org_files:write"),
        "{problem}"
    );
    let res = app
        .get(&format!("/api/v1/files/{id}"), Some(&ada_org))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap(), file, "unchanged");
}

#[tokio::test]
async fn a_signed_link_to_an_organization_file_ends_with_its_makers_membership() {
    let app = spawn_app().await;
    let Clinic {
        ada,
        bob,
        org,
        ada_org,
        bob_org,
    } = clinic(&app, "member").await;
    let file = upload(&app, &ada_org, "plan.txt", b"the clinic's plan").await;
    let id = file["id"].as_str().unwrap();
    let res = send(
        &app,
        Method::POST,
        &format!("/api/v1/files/{id}/signed-url"),
        &bob_org,
        Some(json!({ "expires_in": 600 })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let link: Value = res.json().await.unwrap();
    let path = link["url"]
        .as_str()
        .unwrap()
        .split_once("/api/")
        .map(|(_, rest)| format!("/api/{rest}"))
        .unwrap();
    let res = app.get(&path, None).await;
    assert_eq!(
        res.status(),
        200,
        "the link works while its maker may read the file"
    );

    let res = remove_member(&app, &org, bob.id, &ada.token).await;
    assert_eq!(res.status(), 204);
    let res = app.get(&path, None).await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn an_organization_has_a_quota_of_its_own() {
    let app = spawn_app_with(Options {
        default_storage_bytes: 100,
        ..Options::default()
    })
    .await;
    let Clinic {
        ada,
        bob,
        org: _,
        ada_org,
        bob_org,
    } = clinic(&app, "member").await;
    upload(&app, &ada_org, "a.txt", &[b'a'; 60]).await;
    upload(&app, &ada.token, "mine.txt", &[b'm'; 60]).await;
    let res = app.upload(&bob_org, "b.txt", vec![b'b'; 41]).await;
    assert_problem(res, 413, "quota_exceeded").await;
    upload(&app, &bob.token, "bobs.txt", &[b'b'; 41]).await;
    assert_eq!(
        listed(&app, &bob_org).await.len(),
        2,
        "the organization's one file and bob's own"
    );
}

#[tokio::test]
async fn an_organizations_file_changes_are_in_its_audit_trail() {
    let app = spawn_app().await;
    let ada = account(&app, "ada@example.com").await;
    let org = create(&app, &ada, "Northwind Dental").await;
    let ada_org = acting_token(&app, &ada, &org).await;
    let file = upload(&app, &ada_org, "plan.txt", b"the clinic's plan").await;
    upload(&app, &ada.token, "mine.txt", b"ada's own").await;
    let res = app
        .get(
            &format!("/api/v1/orgs/{org}/audit?limit=100"),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let uploads: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "file.uploaded")
        .collect();
    assert_eq!(
        uploads.len(),
        1,
        "the organization's upload, not ada's own: {page}"
    );
    assert_eq!(uploads[0]["target_id"], file["id"]);
}

async fn erase_me(app: &TestApp, token: &str) {
    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(token)
        .json(&json!({ "password": crate::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn deleting_an_organization_deletes_its_files_and_nothing_else() {
    let app = spawn_app().await;
    let Clinic {
        ada,
        bob,
        org,
        ada_org,
        bob_org,
    } = clinic(&app, "admin").await;
    let first = upload(&app, &ada_org, "plan.txt", b"the clinic's plan").await;
    let res = put_content(&app, &bob_org, first["id"].as_str().unwrap(), b"v2").await;
    assert_eq!(res.status(), 200);
    upload(&app, &bob_org, "rota.txt", b"the rota").await;
    let own = upload(&app, &ada.token, "mine.txt", b"ada's own").await;
    assert_eq!(
        app.blobs.keys().len(),
        4,
        "three organization blobs, one of ada's"
    );

    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/orgs/{org}"),
        &bob.token,
        None,
    )
    .await;
    assert_problem(res, 403, "forbidden").await;
    assert_eq!(app.blobs.keys().len(), 4, "an admin deletes nothing");

    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/orgs/{org}"),
        &ada.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.blobs.keys().len(),
        1,
        "every version of the organization's files is gone, ada's own file stays"
    );
    let res = app
        .get(
            &format!("/api/v1/files/{}", own["id"].as_str().unwrap()),
            Some(&ada.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    use plinth_audit::{AuditAction, AuditFilter, AuditLog as _};
    let filter = AuditFilter {
        action: Some(AuditAction::FileDeleted),
        org_id: Some(org.parse().unwrap()),
        ..AuditFilter::default()
    };
    let deleted = app
        .audit_log
        .list(&filter, plinth_kernel::PageRequest::first(10))
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(deleted, 2, "each organization file's deletion is audited");
}

#[tokio::test]
async fn an_erased_member_leaves_their_uploads_to_the_organization() {
    let app = spawn_app().await;
    let Clinic {
        ada,
        bob,
        org: _,
        ada_org,
        bob_org,
    } = clinic(&app, "member").await;
    let by_bob = upload(&app, &bob_org, "rota.txt", b"the rota").await;
    upload(&app, &bob.token, "bobs.txt", b"bob's own").await;

    erase_me(&app, &bob.token).await;
    let res = app
        .get(
            &format!("/api/v1/files/{}", by_bob["id"].as_str().unwrap()),
            Some(&ada_org),
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "the organization keeps what bob uploaded for it"
    );
    let kept: Value = res.json().await.unwrap();
    assert_eq!(
        kept["owner_id"],
        ada.id.to_string(),
        "handed to an owner who stays"
    );
    assert_eq!(app.blobs.keys().len(), 1, "bob's own file went with him");

    // The last member erased takes the organization and its files.
    erase_me(&app, &ada.token).await;
    assert!(app.blobs.keys().is_empty(), "{:?}", app.blobs.keys());
}

#[tokio::test]
async fn a_file_shared_with_an_organization_reaches_its_members_acting_for_it() {
    let app = spawn_app().await;
    // The agency (ada) shares a file with its client's organization (carl owns it; cleo may
    // only read its files, cody may write them); eve runs another organization.
    let ada = account(&app, "ada@example.com").await;
    let carl = account(&app, "carl@example.com").await;
    let cleo = account(&app, "cleo@example.com").await;
    let cody = account(&app, "cody@example.com").await;
    let eve = account(&app, "eve@example.com").await;
    let agency = create(&app, &ada, "Agency").await;
    let client = create(&app, &carl, "Contoso").await;
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{client}/roles"),
            &json!({ "name": "reader", "permissions": ["org_files:read"] }),
            Some(&carl.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    add_member(&app, &client, &cleo, "reader").await;
    add_member(&app, &client, &cody, "member").await;
    let other = create(&app, &eve, "Elsewhere").await;
    let ada_agency = acting_token(&app, &ada, &agency).await;
    let carl_client = acting_token(&app, &carl, &client).await;
    let cleo_client = acting_token(&app, &cleo, &client).await;
    let cody_client = acting_token(&app, &cody, &client).await;
    let eve_other = acting_token(&app, &eve, &other).await;
    let file = upload(&app, &ada_agency, "brief.txt", b"the client's brief").await;
    let id = file["id"].as_str().unwrap();
    let shares = format!("/api/v1/files/{id}/org-shares");

    let res = app
        .post_json(
            &shares,
            &json!({ "org_id": agency, "permission": "view" }),
            Some(&ada_agency),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post_json(
            &shares,
            &json!({ "org_id": client, "permission": "edit" }),
            Some(&ada_agency),
        )
        .await;
    assert_eq!(res.status(), 201);
    let share: Value = res.json().await.unwrap();
    assert_eq!(share["org_id"], client.as_str());
    assert_eq!(share["permission"], "edit");

    // The client's members, acting for it: what their organization permissions allow.
    for token in [&carl_client, &cleo_client, &cody_client] {
        let res = app
            .get(&format!("/api/v1/files/{id}/content"), Some(token))
            .await;
        assert_eq!(res.status(), 200);
        assert!(listed(&app, token).await.contains(&id.to_owned()));
    }
    let res = put_content(&app, &cleo_client, id, b"cleo's edit").await;
    assert_problem(res, 403, "forbidden").await;
    let res = put_content(&app, &cody_client, id, b"cody's edit").await;
    assert_eq!(res.status(), 200, "edit, with org_files:write there");
    let res = app.get(&shares, Some(&carl_client)).await;
    assert_problem(res, 403, "forbidden").await;

    // Nobody else: the client's owner acting for themselves, another organization.
    for token in [&carl.token, &eve_other, &eve.token] {
        assert_eq!(
            app.get(&format!("/api/v1/files/{id}"), Some(token))
                .await
                .status(),
            404
        );
        assert!(!listed(&app, token).await.contains(&id.to_owned()));
    }

    let res = app.get(&shares, Some(&ada_agency)).await;
    let listed_shares: Value = res.json().await.unwrap();
    assert_eq!(listed_shares["items"].as_array().unwrap().len(), 1);
    let res = send(
        &app,
        Method::DELETE,
        &format!("{shares}/{client}"),
        &ada_agency,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get(&format!("/api/v1/files/{id}"), Some(&carl_client))
            .await
            .status(),
        404,
        "unshared: gone at once"
    );
    let res = send(
        &app,
        Method::DELETE,
        &format!("{shares}/{client}"),
        &ada_agency,
        None,
    )
    .await;
    assert_problem(res, 404, "not_found").await;

    // Deleting the client's organization ends what was shared with it.
    let res = app
        .post_json(
            &shares,
            &json!({ "org_id": client, "permission": "view" }),
            Some(&ada_agency),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/orgs/{client}"),
        &carl.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    let res = app.get(&shares, Some(&ada_agency)).await;
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["items"], json!([]), "{after}");
    let res = app
        .get(&format!("/api/v1/files/{id}"), Some(&ada_agency))
        .await;
    assert_eq!(res.status(), 200, "the agency's file stays");
}

/// `who` joins `org` with `role` the way the worked example says: invited by `by`, signs up
/// with that address, verifies it, accepts.
async fn join_by_invitation(
    app: &TestApp,
    by: &crate::orgs::Account,
    org: &str,
    email: &str,
    role: &str,
) -> crate::orgs::Account {
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": email, "role": role }),
            Some(&by.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invitation = crate::helpers::mailed_token(app, email, "/accept-invitation");
    let who = account(app, email).await;
    crate::helpers::verify_email(app, email).await;
    let res = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({ "token": invitation }),
            Some(&who.token),
        )
        .await;
    assert_eq!(res.status(), 200, "{email} accepts");
    who
}

/// The worked example of `docs/organizations.md`, step by step.
#[tokio::test]
async fn a_client_portal_agency_and_two_clients() {
    let app = spawn_app().await;
    // 1. The agency, and Bob joining it.
    let ada = account(&app, "ada@agency.example").await;
    let agency = create(&app, &ada, "Agency").await;
    let bob = join_by_invitation(&app, &ada, &agency, "bob@agency.example", "member").await;
    // 2. Two clients; Cleo joins Contoso with a role that only reads files.
    let carl = account(&app, "carl@contoso.example").await;
    let contoso = create(&app, &carl, "Contoso").await;
    let fay = account(&app, "fay@fabrikam.example").await;
    let fabrikam = create(&app, &fay, "Fabrikam").await;
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{contoso}/roles"),
            &json!({ "name": "reader", "permissions": ["org_files:read"] }),
            Some(&carl.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let cleo = join_by_invitation(&app, &carl, &contoso, "cleo@contoso.example", "reader").await;
    // 3. Acting for an organization.
    let bob_agency = acting_token(&app, &bob, &agency).await;
    let ada_agency = acting_token(&app, &ada, &agency).await;
    let carl_contoso = acting_token(&app, &carl, &contoso).await;
    let cleo_contoso = acting_token(&app, &cleo, &contoso).await;
    let fay_fabrikam = acting_token(&app, &fay, &fabrikam).await;
    // 4. The agency's files.
    let for_contoso = upload(&app, &bob_agency, "contoso-brief.txt", b"for Contoso").await;
    let for_fabrikam = upload(&app, &bob_agency, "fabrikam-brief.txt", b"for Fabrikam").await;
    let (contoso_brief, fabrikam_brief) = (
        for_contoso["id"].as_str().unwrap().to_owned(),
        for_fabrikam["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(for_contoso["org_id"], agency.as_str());
    let agency_sees = listed(&app, &ada_agency).await;
    assert!(agency_sees.contains(&contoso_brief) && agency_sees.contains(&fabrikam_brief));
    // 5. Shared per client.
    for (id, client) in [(&contoso_brief, &contoso), (&fabrikam_brief, &fabrikam)] {
        let res = app
            .post_json(
                &format!("/api/v1/files/{id}/org-shares"),
                &json!({ "org_id": client, "permission": "download" }),
                Some(&bob_agency),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    for token in [&carl_contoso, &cleo_contoso] {
        let sees = listed(&app, token).await;
        assert!(sees.contains(&contoso_brief) && !sees.contains(&fabrikam_brief));
        let res = app
            .get(
                &format!("/api/v1/files/{contoso_brief}/content"),
                Some(token),
            )
            .await;
        assert_eq!(res.bytes().await.unwrap().as_ref(), b"for Contoso");
    }
    let sees = listed(&app, &fay_fabrikam).await;
    assert!(sees.contains(&fabrikam_brief) && !sees.contains(&contoso_brief));
    let contosos_own = upload(&app, &carl_contoso, "signed-contract.txt", b"signed").await;
    assert_eq!(contosos_own["org_id"], contoso.as_str());
    assert!(
        !listed(&app, &ada_agency)
            .await
            .contains(&contosos_own["id"].as_str().unwrap().to_owned()),
        "the agency sees a client's own files only when the client shares them"
    );
    // 6. Leaving ends Cleo's access with her token.
    app.clock.advance(chrono::Duration::seconds(1));
    let res = remove_member(&app, &contoso, cleo.id, &cleo.token).await;
    assert_eq!(res.status(), 204);
    app.auth.sync_revocations().await.unwrap();
    let res = app
        .get(
            &format!("/api/v1/files/{contoso_brief}"),
            Some(&cleo_contoso),
        )
        .await;
    assert_eq!(res.status(), 401, "her token acting for Contoso is refused");
    let res = app
        .get(&format!("/api/v1/files/{contoso_brief}"), Some(&cleo.token))
        .await;
    assert_eq!(res.status(), 404, "and as herself she never had it");

    // 7. Billing: the agency pays per seat, addressed to its billing contact; a third seat
    // half-way through the month is prorated onto the next invoice.
    let admin = app.admin_token().await;
    let plan = crate::subscriptions::create_plan(&app, &admin, "agency", 2_500, 0, true).await;
    let res = send(
        &app,
        Method::PUT,
        &format!("/api/v1/orgs/{agency}/billing-contact"),
        &ada.token,
        Some(json!({ "name": "Agency Ltd", "email": "accounts@agency.example" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan, "seats": 2 }),
            Some(&ada_agency),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sub: Value = res.json().await.unwrap();
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .to_utc()
    };
    let (start, end) = (
        time(&sub["current_period_start"]),
        time(&sub["current_period_end"]),
    );
    app.clock.set(start + (end - start) / 2);
    let ada = crate::org_billing::sign_in(&app, "ada@agency.example").await;
    let ada_agency = acting_token(&app, &ada, &agency).await;
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan, "seats": 3 }),
            Some(&ada_agency),
        )
        .await;
    assert_eq!(res.status(), 200);
    let first = &app
        .get("/api/v1/billing/invoices", Some(&ada_agency))
        .await
        .json::<Value>()
        .await
        .unwrap()["items"][0];
    assert_eq!(first["total"], 5_000);
    assert_eq!(first["customer"]["name"], "Agency Ltd");
    let admin = crate::org_billing::sign_in(&app, "root@example.com").await;
    let res = app
        .post_json(
            &format!(
                "/api/v1/admin/invoices/{}/mark-paid",
                first["id"].as_str().unwrap()
            ),
            &json!({}),
            Some(&admin.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.billing_jobs
        .run_jobs(end + chrono::Duration::seconds(1))
        .await
        .unwrap();
    let renewal = &app
        .get("/api/v1/billing/invoices", Some(&ada_agency))
        .await
        .json::<Value>()
        .await
        .unwrap()["items"][0];
    assert_eq!(
        renewal["total"],
        3 * 2_500 + 1_250,
        "three seats, and half a month of the third"
    );
    assert_eq!(
        renewal["customer"],
        json!({ "name": "Agency Ltd", "email": "accounts@agency.example" })
    );
    let bob = crate::org_billing::sign_in(&app, "bob@agency.example").await;
    let bob_agency = acting_token(&app, &bob, &agency).await;
    let res = app.get("/api/v1/billing/invoices", Some(&bob_agency)).await;
    assert_eq!(
        res.status(),
        403,
        "a plain member does not see the agency's invoices"
    );
}

#[tokio::test]
async fn an_upload_with_a_token_not_yet_revoked_is_refused_once_the_membership_is_gone() {
    let app = spawn_app().await;
    let Clinic {
        ada,
        bob,
        org,
        bob_org,
        ..
    } = clinic(&app, "member").await;
    let res = remove_member(&app, &org, bob.id, &ada.token).await;
    assert_eq!(res.status(), 204);
    // No revocation sync yet: the token still verifies, and reads stay within the bound; a
    // write creating the organization's data checks the membership itself.
    let res = app.upload(&bob_org, "late.txt", b"too late".to_vec()).await;
    assert_problem(res, 401, "unauthenticated").await;
    assert!(app.blobs.keys().is_empty(), "nothing is kept");
}

#[tokio::test]
async fn changes_with_a_token_not_yet_revoked_are_refused_once_the_membership_is_gone() {
    let app = spawn_app().await;
    let Clinic {
        ada,
        bob,
        org,
        ada_org,
        bob_org,
    } = clinic(&app, "member").await;
    let file = upload(&app, &ada_org, "plan.txt", b"the clinic's plan").await;
    let id = file["id"].as_str().unwrap();
    let res = remove_member(&app, &org, bob.id, &ada.token).await;
    assert_eq!(res.status(), 204);
    // No revocation sync yet: the token still verifies.
    let res = put_content(&app, &bob_org, id, b"too late").await;
    assert_problem(res, 401, "unauthenticated").await;
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/files/{id}"),
        &bob_org,
        None,
    )
    .await;
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .post_json(
            &format!("/api/v1/files/{id}/shares"),
            &json!({ "email": "friend@example.com", "permission": "edit" }),
            Some(&bob_org),
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .get(&format!("/api/v1/files/{id}"), Some(&ada_org))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap(), file, "unchanged");
}

#[tokio::test]
async fn an_edit_through_an_organization_share_with_a_token_not_yet_revoked_is_refused() {
    let app = spawn_app().await;
    let Clinic {
        ada,
        bob,
        org,
        bob_org,
        ..
    } = clinic(&app, "member").await;
    // Eve shares her own file with the clinic, `edit`: Bob (org_files:write) may change it.
    let eve = account(&app, "eve@example.com").await;
    let file = upload(&app, &eve.token, "draft.txt", b"eve's draft").await;
    let id = file["id"].as_str().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/files/{id}/org-shares"),
            &json!({ "org_id": org, "permission": "edit" }),
            Some(&eve.token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = put_content(&app, &bob_org, id, b"bob's edit").await;
    assert_eq!(
        res.status(),
        200,
        "an edit through the organization's share"
    );
    let res = remove_member(&app, &org, bob.id, &ada.token).await;
    assert_eq!(res.status(), 204);
    // No revocation sync yet: the token still verifies, the use case reads his standing.
    let res = put_content(&app, &bob_org, id, b"too late").await;
    assert_problem(res, 401, "unauthenticated").await;
    let content = app
        .get(&format!("/api/v1/files/{id}/content"), Some(&eve.token))
        .await;
    assert_eq!(content.bytes().await.unwrap().as_ref(), b"bob's edit");
}
