//! Signed download URLs: made by the owner or a `download`/`edit` sharee, used with no
//! credentials until they expire or their grant ends (share revoked, signer suspended or
//! deleted, the file's links revoked); any altered parameter is a 403.

use chrono::{DateTime, Utc};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::Clock as _;
use plinth_kernel::PageRequest;
use serde_json::{Value, json};

use super::shares::{Role, delete, put_content, share, shared_file};
use crate::helpers::{TestApp, assert_problem, spawn_app};

const PLAN: &[u8] = b"the plan\n";

async fn signed_url(app: &TestApp, token: &str, id: &str, expires_in: Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/files/{id}/signed-url"),
        &json!({ "expires_in": expires_in }),
        Some(token),
    )
    .await
}

async fn link(app: &TestApp, token: &str, id: &str, expires_in: u64) -> String {
    let res = signed_url(app, token, id, json!(expires_in)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["url"].as_str().unwrap().to_owned()
}

/// `url` with query parameter `name` set to `value` (removed when `None`).
fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.starts_with(&format!("{name}=")))
        .map(str::to_owned)
        .collect();
    if let Some(value) = value {
        parts.push(format!("{name}={value}"));
    }
    format!("{base}?{}", parts.join("&"))
}

fn param<'a>(url: &'a str, name: &str) -> &'a str {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap()
}

#[tokio::test]
async fn a_signed_url_downloads_without_credentials_with_etag_and_range() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let before = app.clock.now();
    let res = signed_url(app, s.token(Role::Owner), id, json!(3600)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let url = body["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/api/v1/files/{id}/content/signed?",
            app.address
        )),
        "{url}"
    );
    let expires_at: DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_at - before, chrono::Duration::seconds(3600));

    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("plan.txt")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), PLAN);

    let res = app
        .client
        .get(url)
        .header("range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], "bytes 4-7/9");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"plan");
    let res = app
        .client
        .get(url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = app
        .client
        .get(url)
        .header("range", "bytes=20-")
        .send()
        .await
        .unwrap();
    assert_problem(res, 416, "range_not_satisfiable").await;

    // The link names its version: a newer one does not change what it serves.
    assert_eq!(
        put_content(app, s.token(Role::Owner), id).await.status(),
        200
    );
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), PLAN);

    // Deleting the file ends the link.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(s.token(Role::Owner))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.client.get(url).send().await.unwrap(), 404, "not_found").await;
}

#[tokio::test]
async fn who_may_make_a_signed_url() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    for (role, status, code) in [
        (Role::Owner, 200, None),
        (Role::Download, 200, None),
        (Role::Edit, 200, None),
        (Role::View, 403, Some("forbidden")),
        (Role::Stranger, 404, Some("not_found")),
    ] {
        let res = signed_url(app, s.token(role), id, json!(60)).await;
        match code {
            None => {
                assert_eq!(res.status(), status, "{role:?}");
                let body: Value = res.json().await.unwrap();
                let got = app
                    .client
                    .get(body["url"].as_str().unwrap())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(got.status(), 200, "{role:?}'s link");
            }
            Some(code) => {
                assert_problem(res, status, code).await;
            }
        }
    }
    let res = app
        .post_json(
            &format!("/api/v1/files/{id}/signed-url"),
            &json!({ "expires_in": 60 }),
            None,
        )
        .await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn lifetimes_outside_one_second_to_seven_days_are_422() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    for bad in [
        json!(0),
        json!(-5),
        json!(604_801),
        json!(10_000_000_000_i64),
    ] {
        let res = signed_url(app, owner, id, bad.clone()).await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert!(body["errors"]["expires_in"].is_array(), "{bad}: {body}");
    }
    let res = signed_url(app, owner, id, json!("soon")).await;
    assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        signed_url(app, owner, id, json!(604_800)).await.status(),
        200
    );
    assert_eq!(signed_url(app, owner, id, json!(1)).await.status(), 200);
}

#[tokio::test]
async fn tampered_or_incomplete_links_are_403() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let url = link(app, s.token(Role::Owner), id, 600).await;
    let exp: i64 = param(&url, "exp").parse().unwrap();
    let sig = param(&url, "sig");
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    let later = (exp + 3600).to_string();
    let tampered = [
        with_param(&url, "v", Some("2")),
        with_param(&url, "v", Some("one")),
        with_param(&url, "exp", Some(&later)),
        with_param(&url, "sig", Some(&flipped)),
        with_param(&url, "sig", Some("zz")),
        with_param(&url, "kid", Some("0000000000000000")),
        // Another signer, another generation, or none.
        with_param(&url, "by", Some("0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a")),
        with_param(&url, "by", Some("me")),
        with_param(&url, "gen", Some("1")),
        with_param(&url, "gen", Some("-1")),
        with_param(&url, "by", None),
        with_param(&url, "gen", None),
        with_param(&url, "sig", None),
        with_param(&url, "exp", None),
        url.split_once('?').unwrap().0.to_owned(),
        // A repeated parameter (found by schemathesis: it was a 400).
        format!("{url}&exp={later}"),
    ];
    for bad in &tampered {
        let res = app.client.get(bad).send().await.unwrap();
        let body = assert_problem(res, 403, "forbidden").await;
        assert!(
            body["detail"].as_str().unwrap().contains("signed URL"),
            "{bad}"
        );
    }
    // The same signature on another file.
    let other: Value = app
        .upload(s.token(Role::Owner), "other.txt", b"other\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let moved = url.replace(id, other["id"].as_str().unwrap());
    assert_problem(
        app.client.get(&moved).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    // Credentials do not stand in for a signature.
    let res = app
        .client
        .get(with_param(&url, "sig", None))
        .bearer_auth(s.token(Role::Owner))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_link_stops_working_when_it_expires() {
    let app = spawn_app().await;
    let clock = &app.clock;
    let token = app.token("expiry@example.com").await;
    let file: Value = app
        .upload(&token, "plan.txt", PLAN.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = file["id"].as_str().unwrap();
    let url = link(&app, &token, id, 60).await;

    clock.advance(chrono::Duration::seconds(59));
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 200);
    clock.advance(chrono::Duration::seconds(1));
    assert_problem(app.client.get(&url).send().await.unwrap(), 403, "forbidden").await;
    clock.advance(chrono::Duration::days(30));
    assert_problem(app.client.get(&url).send().await.unwrap(), 403, "forbidden").await;
}

/// The id of the account behind `token`.
async fn user_id(app: &TestApp, token: &str) -> String {
    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().to_owned()
}

async fn status_of(app: &TestApp, url: &str) -> u16 {
    app.client.get(url).send().await.unwrap().status().as_u16()
}

async fn revoke_all(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    delete(app, token, &format!("/api/v1/files/{id}/signed-urls")).await
}

#[tokio::test]
async fn a_sharees_link_stops_working_when_their_share_is_revoked_or_lowered() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    let downloader = link(app, s.token(Role::Download), id, 7 * 24 * 3600).await;
    let editor = link(app, s.token(Role::Edit), id, 7 * 24 * 3600).await;
    let owners = link(app, owner, id, 600).await;
    assert_eq!(status_of(app, &downloader).await, 200);
    assert_eq!(status_of(app, &editor).await, 200);

    // The owner revokes the share: the API and the link both refuse the sharee at once.
    let revoked = delete(
        app,
        owner,
        &format!("/api/v1/files/{id}/shares/download%40example.com"),
    )
    .await;
    assert_eq!(revoked.status(), 204);
    let content = format!("/api/v1/files/{id}/content");
    assert_problem(
        app.get(&content, Some(s.token(Role::Download))).await,
        404,
        "not_found",
    )
    .await;
    let res = app.client.get(&downloader).send().await.unwrap();
    let body = assert_problem(res, 403, "forbidden").await;
    assert!(
        body["detail"].as_str().unwrap().contains("revoked"),
        "{body}"
    );

    // Lowered to `view`: no more downloads through the editor's link either.
    assert_eq!(
        share(app, owner, id, "edit@example.com", "view")
            .await
            .status(),
        201
    );
    assert_problem(
        app.client.get(&editor).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    // Raised again: the grant stands again, and so does the link.
    assert_eq!(
        share(app, owner, id, "edit@example.com", "download")
            .await
            .status(),
        201
    );
    assert_eq!(status_of(app, &editor).await, 200);
    // The owner's own link is not touched by any of this.
    assert_eq!(status_of(app, &owners).await, 200);
}

#[tokio::test]
async fn the_owner_revokes_every_signed_url_of_a_file() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    let owners = link(app, owner, id, 3600).await;
    let sharees = link(app, s.token(Role::Download), id, 3600).await;
    let other: Value = app
        .upload(owner, "other.txt", b"other\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let other_id = other["id"].as_str().unwrap();
    let other_link = link(app, owner, other_id, 3600).await;

    // Only the owner may; a sharee is told so, anyone else that there is no such file.
    assert_problem(
        revoke_all(app, s.token(Role::Edit), id).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        revoke_all(app, s.token(Role::Stranger), id).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        revoke_all(app, owner, "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a").await,
        404,
        "not_found",
    )
    .await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}/signed-urls")))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    assert_eq!(
        status_of(app, &owners).await,
        200,
        "refusals change nothing"
    );

    assert_eq!(revoke_all(app, owner, id).await.status(), 204);
    for old in [&owners, &sharees] {
        let body =
            assert_problem(app.client.get(old).send().await.unwrap(), 403, "forbidden").await;
        assert!(
            body["detail"].as_str().unwrap().contains("revoked"),
            "{body}"
        );
    }
    assert_eq!(
        status_of(app, &other_link).await,
        200,
        "another file's links stay"
    );
    // Links made afterwards work, by the owner and by a sharee.
    let fresh = link(app, owner, id, 3600).await;
    let res = app.client.get(&fresh).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PLAN);
    let fresh_sharee = link(app, s.token(Role::Download), id, 3600).await;
    assert_eq!(status_of(app, &fresh_sharee).await, 200);
    // A new generation number in an old link is an altered parameter.
    let bumped = with_param(&owners, "gen", Some(param(&fresh, "gen")));
    assert_problem(
        app.client.get(&bumped).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;

    let filter = AuditFilter {
        action: Some(AuditAction::FileShared),
        target_id: Some(id.to_owned()),
        ..AuditFilter::default()
    };
    let events = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(events[0].details, json!({ "signed_urls": "revoked" }));
    assert_eq!(
        events[0].actor_id.map(|a| a.to_string()),
        Some(user_id(app, owner).await)
    );
}

#[tokio::test]
async fn a_link_stops_working_when_its_signer_is_suspended_or_deleted() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let admin = app.admin_token().await;
    let suspended = link(app, s.token(Role::Download), id, 3600).await;
    let deleted = link(app, s.token(Role::Edit), id, 3600).await;
    let owners = link(app, s.token(Role::Owner), id, 3600).await;
    for url in [&suspended, &deleted, &owners] {
        assert_eq!(status_of(app, url).await, 200);
    }

    let downloader = user_id(app, s.token(Role::Download)).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{downloader}")))
        .bearer_auth(&admin)
        .json(&json!({ "status": "suspended" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_problem(
        app.client.get(&suspended).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;

    let editor = user_id(app, s.token(Role::Edit)).await;
    let res = delete(app, &admin, &format!("/api/v1/admin/users/{editor}")).await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.client.get(&deleted).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;

    // The owner suspended: their own links stop too.
    let owner = user_id(app, s.token(Role::Owner)).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{owner}")))
        .bearer_auth(&admin)
        .json(&json!({ "status": "suspended" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_problem(
        app.client.get(&owners).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    // Reinstated: the grant stands again.
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/admin/users/{owner}")))
        .bearer_auth(&admin)
        .json(&json!({ "status": "active" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(status_of(app, &owners).await, 200);
}

#[tokio::test]
async fn links_of_a_deleted_file_fail() {
    let s = shared_file().await;
    let (app, id) = (&s.app, s.id.as_str());
    let owner = s.token(Role::Owner);
    let sharees = link(app, s.token(Role::Download), id, 3600).await;
    let owners = link(app, owner, id, 3600).await;
    assert_eq!(
        delete(app, owner, &format!("/api/v1/files/{id}"))
            .await
            .status(),
        204
    );
    for url in [&sharees, &owners] {
        assert_problem(app.client.get(url).send().await.unwrap(), 404, "not_found").await;
    }
}
