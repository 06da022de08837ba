//! `PUT /me/avatar` → the public image, over the real database and storage folder: the row
//! names the blob, the URL works without credentials, a replaced image leaves the folder, and
//! the reconciler removes an image no account shows.

use std::path::Path;

use plinth_server::Environment;
use plinth_server::Settings;
use plinth_server::startup::services;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with};

const PUBLIC_URL: &str = "https://plinth.example.test";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x04\0\x09\xfb\x03\xfd\xe3U\xf2\x9c\0\0\0\0IEND\xaeB`\x82";
const WEBP: &[u8] =
    b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0/\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0";

/// The avatar images in the storage folder, by name.
fn avatar_files(storage: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(storage.join("avatars")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn put_avatar(app: &TestApp, token: &str, bytes: &[u8]) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("me.png");
    app.client
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// The name in an `avatar_url`, checked to start with `PUBLIC_URL`.
fn name_of(user: &Value) -> String {
    let url = user["avatar_url"].as_str().unwrap();
    url.strip_prefix(&format!("{PUBLIC_URL}/api/v1/avatars/"))
        .unwrap_or_else(|| panic!("{url} is not under PUBLIC_URL"))
        .to_owned()
}

#[tokio::test]
async fn avatar_round_trip_over_the_real_store_and_database() {
    let app = spawn_app_with(|s| s.server.public_url = PUBLIC_URL.to_owned()).await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    let id =
        plinth_kernel::UserId::from_uuid(pair["user"]["id"].as_str().unwrap().parse().unwrap());

    let res = put_avatar(&app, token, PNG).await;
    assert_eq!(res.status(), StatusCode::OK);
    let first: Value = res.json().await.unwrap();
    let first_name = name_of(&first);
    assert_eq!(avatar_files(&app.storage_dir), vec![first_name.clone()]);
    let row = app.database.users().by_id(id).await.unwrap().unwrap();
    assert_eq!(row.avatar_key, Some(format!("avatars/{first_name}")));

    // Anyone can fetch it, with no credentials.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/avatars/{first_name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // A text file posing as a PNG changes nothing.
    let res = put_avatar(&app, token, b"GIF? no: just text").await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(avatar_files(&app.storage_dir), vec![first_name.clone()]);

    // Replacing: the new image is served, the old one leaves the folder.
    let second: Value = put_avatar(&app, token, WEBP).await.json().await.unwrap();
    let second_name = name_of(&second);
    assert!(second_name.ends_with(".webp"), "{second_name}");
    assert_eq!(avatar_files(&app.storage_dir), vec![second_name.clone()]);
    let res = app
        .client
        .get(app.url(&format!("/api/v1/avatars/{first_name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let me: Value = app
        .get_auth("/api/v1/me", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["avatar_url"], second["avatar_url"]);

    // An image stored for an account whose row was never updated (a crash in between) is
    // removed by the reconciler; the shown one stays.
    let orphan = "0123456789abcdef0123456789abcdef.png";
    std::fs::write(app.storage_dir.join("avatars").join(orphan), PNG).unwrap();
    let mut settings = Settings::builtin(Environment::Test).unwrap();
    settings.storage.url = format!("file://{}", app.storage_dir.display());
    let blobs = plinth_blobs::open_store(&settings.storage.url).unwrap();
    let files = services(&settings, &app.database, blobs).unwrap().files;
    let report = files
        .reconcile(chrono::Duration::seconds(-60))
        .await
        .unwrap();
    assert_eq!(report.orphans_removed, 1, "{report:?}");
    assert_eq!(avatar_files(&app.storage_dir), vec![second_name.clone()]);

    // Deleting the account takes the image with it.
    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "password": crate::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(avatar_files(&app.storage_dir).is_empty());
}
