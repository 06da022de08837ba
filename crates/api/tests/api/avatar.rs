//! `PUT`/`DELETE /me/avatar` and the public `GET /avatars/{name}`: images only, capped,
//! served without credentials, replaced and removed cleanly.

use plinth_audit::{AuditAction, AuditFilter, AuditLog as _};
use plinth_kernel::PageRequest;
use serde_json::Value;

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};

/// A 1×1 PNG (as a client would send it).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x04\0\x09\xfb\x03\xfd\xe3U\xf2\x9c\0\0\0\0IEND\xaeB`\x82";
/// The start of a GIF.
const GIF: &[u8] = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";

async fn put_avatar(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("image/png")
        .unwrap();
    app.client
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

fn avatar_keys(app: &TestApp) -> Vec<String> {
    app.blobs
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("avatars/"))
        .collect()
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_png_becomes_the_avatar_and_is_served_without_credentials() {
    let app = spawn_app().await;
    let token = app.token("avatar@example.com").await;
    assert_eq!(me(&app, &token).await["avatar_url"], Value::Null);

    let res = put_avatar(&app, &token, "me.png", PNG.to_vec()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let user: Value = res.json().await.unwrap();
    let url = user["avatar_url"].as_str().unwrap().to_owned();
    let prefix = format!("{}/api/v1/avatars/", app.address);
    let name = url
        .strip_prefix(&prefix)
        .expect("absolute, under PUBLIC_URL");
    assert!(name.ends_with(".png") && name.len() == 36, "{name}");
    assert_eq!(me(&app, &token).await, user, "GET /me shows it too");
    assert_eq!(avatar_keys(&app), vec![format!("avatars/{name}")]);

    // No token: the URL alone is enough.
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "public, max-age=86400, immutable");
    assert_eq!(
        h["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; sandbox"
    );
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{name}\""));
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    let res = app
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());

    // Recorded as a profile change, without the storage key.
    let filter = AuditFilter {
        action: Some(AuditAction::UserUpdated),
        ..AuditFilter::default()
    };
    let events = app
        .audit_log
        .list(&filter, PageRequest::first(10))
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].details,
        serde_json::json!({ "fields": ["avatar"], "avatar": "replaced" })
    );
    assert_eq!(events[0].actor_id.unwrap().to_string(), user["id"]);
}

#[tokio::test]
async fn a_text_file_named_png_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let token = app.token("liar@example.com").await;
    for (name, bytes) in [
        ("me.png", b"<html><script>alert(1)</script></html>".to_vec()),
        (
            "me.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        ),
        ("me.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec()),
        ("empty.png", Vec::new()),
    ] {
        let res = put_avatar(&app, &token, name, bytes).await;
        let problem = assert_problem(res, 415, "unsupported_media_type").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with("An avatar must be a PNG, JPEG, GIF or WebP image"),
            "{problem}"
        );
    }
    assert!(app.blobs.keys().is_empty(), "{:?}", app.blobs.keys());
    assert_eq!(me(&app, &token).await["avatar_url"], Value::Null);
}

#[tokio::test]
async fn an_image_over_the_cap_is_refused_mid_stream_and_nothing_is_stored() {
    let app = spawn_app_with(Options {
        max_avatar_bytes: 4096,
        ..Options::default()
    })
    .await;
    let token = app.token("big@example.com").await;
    let mut big = PNG.to_vec();
    big.resize(64 * 1024, 0);

    // Declared length over the cap: refused before the body is read.
    let res = put_avatar(&app, &token, "big.png", big.clone()).await;
    assert_problem(res, 413, "payload_too_large").await;

    // No length declared (chunked): refused once the count passes the cap.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1024).map(|c| Ok(c.to_vec())).collect();
    let part =
        reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .file_name("big.png");
    let res = app
        .client
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 413, "payload_too_large").await;
    assert_eq!(
        problem["detail"],
        "The file is larger than the limit of 4096 bytes."
    );
    assert!(app.blobs.keys().is_empty(), "{:?}", app.blobs.keys());
    assert_eq!(me(&app, &token).await["avatar_url"], Value::Null);

    // At the cap exactly: accepted.
    let mut fits = PNG.to_vec();
    fits.resize(4096, 0);
    assert_eq!(
        put_avatar(&app, &token, "fits.png", fits).await.status(),
        200
    );
}

#[tokio::test]
async fn replacing_removes_the_old_image_and_delete_clears_it() {
    let app = spawn_app().await;
    let token = app.token("replace@example.com").await;
    let first: Value = put_avatar(&app, &token, "a.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let first_url = first["avatar_url"].as_str().unwrap().to_owned();
    let second: Value = put_avatar(&app, &token, "b.gif", GIF.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let second_url = second["avatar_url"].as_str().unwrap().to_owned();
    assert_ne!(first_url, second_url, "a new image gets a new URL");
    assert!(second_url.ends_with(".gif"), "{second_url}");
    assert_eq!(avatar_keys(&app).len(), 1, "the old blob is gone");

    let res = app.client.get(&first_url).send().await.unwrap();
    let problem = assert_problem(res, 404, "not_found").await;
    assert_eq!(problem["detail"], "There is no such avatar.");
    let res = app.client.get(&second_url).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/gif");

    let res = app
        .client
        .delete(app.url("/api/v1/me/avatar"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["avatar_url"], Value::Null);
    assert!(avatar_keys(&app).is_empty());
    assert_problem(
        app.client.get(&second_url).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;

    // Again, with nothing to remove: still 200, nothing more recorded.
    let res = app
        .client
        .delete(app.url("/api/v1/me/avatar"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_user_changes_only_their_own_avatar() {
    let app = spawn_app().await;
    let alice = app.token("alice@example.com").await;
    let bob = app.token("bob@example.com").await;
    let mine: Value = put_avatar(&app, &alice, "alice.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let res = put_avatar(&app, &bob, "bob.gif", GIF.to_vec()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(me(&app, &alice).await["avatar_url"], mine["avatar_url"]);
    let res = app
        .client
        .delete(app.url("/api/v1/me/avatar"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        me(&app, &alice).await["avatar_url"],
        mine["avatar_url"],
        "Bob removing his avatar leaves Alice's"
    );
    let res = app
        .client
        .get(mine["avatar_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn without_a_token_nothing_changes() {
    let app = spawn_app().await;
    let part = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("me.png");
    let res = app
        .client
        .put(app.url("/api/v1/me/avatar"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    let res = app
        .client
        .delete(app.url("/api/v1/me/avatar"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    assert!(app.blobs.keys().is_empty());
}

#[tokio::test]
async fn unknown_and_malformed_names_are_problem_404s() {
    let app = spawn_app().await;
    let token = app.token("probe@example.com").await;
    let file: Value = app
        .upload(&token, "notes.txt", b"private".to_vec())
        .await
        .json()
        .await
        .unwrap();
    for name in [
        "0123456789abcdef0123456789abcdef.png",
        "0123456789abcdef0123456789abcdef.svg",
        "not-an-avatar",
        "..%2Ffiles%2Fx",
        file["id"].as_str().unwrap(),
    ] {
        let res = app.get(&format!("/api/v1/avatars/{name}"), None).await;
        assert_problem(res, 404, "not_found").await;
    }
}

#[tokio::test]
async fn a_missing_part_or_a_non_multipart_body_is_a_clear_problem() {
    let app = spawn_app().await;
    let token = app.token("form@example.com").await;
    let res = app
        .client
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().text("avatar", "nope"))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(problem["errors"]["file"].is_array(), "{problem}");
    let res = app
        .client
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&token)
        .header("content-type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad_request").await;
    assert!(app.blobs.keys().is_empty());
}

#[tokio::test]
async fn deleting_the_account_removes_the_avatar() {
    let app = spawn_app().await;
    let token = app.token("leaving@example.com").await;
    let user: Value = put_avatar(&app, &token, "a.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "password": crate::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(avatar_keys(&app).is_empty());
    let res = app
        .client
        .get(user["avatar_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn an_admin_deleting_a_user_removes_the_avatar() {
    let app = spawn_app().await;
    let token = app.token("removed@example.com").await;
    let user: Value = put_avatar(&app, &token, "a.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let admin = app.admin_token().await;
    let res = app
        .client
        .delete(app.url(&format!(
            "/api/v1/admin/users/{}",
            user["id"].as_str().unwrap()
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(avatar_keys(&app).is_empty());
}

#[tokio::test]
async fn the_reconciler_removes_avatars_no_account_shows() {
    let app = spawn_app().await;
    let token = app.token("reconcile@example.com").await;
    let user: Value = put_avatar(&app, &token, "a.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    // An image stored whose account row was never updated (a crash in between).
    let orphan = app
        .state
        .files
        .store_avatar(Box::pin(futures::stream::iter([Ok(
            bytes::Bytes::from_static(PNG),
        )])))
        .await
        .unwrap();
    assert_eq!(avatar_keys(&app).len(), 2);
    let report = app
        .state
        .files
        .reconcile(chrono::Duration::seconds(-60))
        .await
        .unwrap();
    assert_eq!(report.orphans_removed, 1, "{report:?}");
    assert_eq!(avatar_keys(&app).len(), 1);
    assert!(!avatar_keys(&app).contains(&orphan.key.as_str().to_owned()));
    let res = app
        .client
        .get(user["avatar_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the shown avatar stays");
}
