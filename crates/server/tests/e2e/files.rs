//! upload → list → download → delete, through HTTP and into the storage folder; sharing and
//! a signed URL over the real store.

use std::path::Path;

use plinth_files::{FileId, SharePermission};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest;

use crate::helpers::{spawn_app, text_content, upload};

/// Regular files under `dir`, recursively.
fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { files_under(&p) } else { 1 })
        .sum()
}

/// Verifies `email` through the link of its sign-up mail in the outbox (shares count only for
/// a verified address).
async fn verify_email(app: &crate::helpers::TestApp, email: &str) {
    let outbox = app.storage_dir.parent().unwrap().join("outbox");
    let to = format!("To: {email}\r\n");
    let link = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter(|text| text.contains(&to))
        .find_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("X-Plinth-Link: ").map(str::to_owned))
                .filter(|l| l.contains("/verify-email?token="))
        })
        .unwrap_or_else(|| panic!("no verification mail to {email}"));
    let token = link.split_once("?token=").unwrap().1;
    let res = app
        .post_json(
            "/api/v1/auth/email/verify",
            &json!({ "token": token }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn upload_list_download_delete() {
    let app = spawn_app().await;
    let (_, owner) = app.register_user().await;
    let token = owner["access_token"].as_str().unwrap();
    let content = text_content(300 * 1024);

    let file = upload(
        &app.client,
        &app.address,
        token,
        "notes.txt",
        content.clone(),
    )
    .await;
    let id = file["id"].as_str().unwrap().to_owned();
    assert_eq!(file["name"], "notes.txt");
    assert_eq!(file["size"], content.len());
    assert_eq!(file["version"], 1);
    assert_eq!(file["owner_id"], owner["user"]["id"]);
    assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(&content)));
    assert!(
        files_under(&app.storage_dir) >= 1,
        "the bytes are in the storage folder"
    );

    let list: Value = app
        .get_auth("/api/v1/files", token)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert!(list["next_cursor"].is_null());

    let res = app
        .get_auth(&format!("/api/v1/files/{id}/content"), token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("etag"));
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        content.as_slice(),
        "downloaded bytes are identical"
    );

    // Another user cannot see it at all.
    let (_, stranger) = app.register_user().await;
    let stranger_token = stranger["access_token"].as_str().unwrap();
    let res = app
        .get_auth(&format!("/api/v1/files/{id}/content"), stranger_token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let list: Value = app
        .get_auth("/api/v1/files", stranger_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(stranger_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The owner deletes it: gone from the API and from the storage folder.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get_auth(&format!("/api/v1/files/{id}"), token).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let list: Value = app
        .get_auth("/api/v1/files", token)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    assert_eq!(files_under(&app.storage_dir), 0, "the blob is deleted");
}

#[tokio::test]
async fn share_then_signed_url_through_the_real_stack() {
    let app = spawn_app().await;
    let (_, owner) = app.register_user().await;
    let token = owner["access_token"].as_str().unwrap();
    let (friend_email, friend) = app.register_user().await;
    let friend_token = friend["access_token"].as_str().unwrap();
    verify_email(&app, &friend_email).await;
    let content = text_content(64 * 1024);
    let file = upload(
        &app.client,
        &app.address,
        token,
        "shared.txt",
        content.clone(),
    )
    .await;
    let id = file["id"].as_str().unwrap().to_owned();

    // A `view` share shows the file but not its bytes.
    let res = app
        .post_json(
            &format!("/api/v1/files/{id}/shares"),
            &json!({ "email": friend_email, "permission": "view" }),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let content_path = format!("/api/v1/files/{id}/content");
    assert_eq!(
        app.get_auth(&content_path, friend_token).await.status(),
        StatusCode::FORBIDDEN
    );
    let list: Value = app
        .get_auth("/api/v1/files", friend_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], id.as_str());

    // Upgraded to `download`: one row, the bytes flow, and it was audited.
    let res = app
        .post_json(
            &format!("/api/v1/files/{id}/shares"),
            &json!({ "email": friend_email, "permission": "download" }),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let file_id = FileId::from_uuid(id.parse().unwrap());
    let rows = app.database.files().shares(file_id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].permission, SharePermission::Download);
    let res = app.get_auth(&content_path, friend_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), content.as_slice());

    // The sharee makes a signed link; it works with no credentials at all.
    let res = app
        .post_json(
            &format!("/api/v1/files/{id}/signed-url"),
            &json!({ "expires_in": 300 }),
            Some(friend_token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let url = body["url"].as_str().unwrap();
    // Built on PUBLIC_URL (the test settings' default), served by this app.
    let path = &url[url.find("/api/v1/").unwrap()..];
    assert!(url.starts_with("http"), "{url}");
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), content.as_slice());
    let tampered = path.replace("exp=", "exp=1");
    let res = app.client.get(app.url(&tampered)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Unshared by user id: the friend no longer sees the file at all.
    let friend_id = friend["user"]["id"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}/shares/{friend_id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        app.database
            .files()
            .shares(file_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get_auth(&format!("/api/v1/files/{id}"), friend_token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
