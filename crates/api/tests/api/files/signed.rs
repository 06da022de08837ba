//! Signed download URLs: made by the owner or a `download`/`edit` sharee, used with no
//! credentials until they expire; any altered parameter is a 403.

use chrono::{DateTime, Utc};
use plinth_kernel::Clock as _;
use serde_json::{Value, json};

use super::shares::{Role, put_content, shared_file};
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
