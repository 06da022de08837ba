//! Upload → list → get → download (ETag, 304, 206, 416) → delete, isolation between users,
//! size and type limits; content checks in `types`, versions in `versions`.

use serde_json::Value;
use sha2::Digest;

use crate::helpers::{assert_problem, spawn_app};

mod matrix;
mod shares;
mod signed;
mod types;
mod versions;

const CONTENT: &[u8] = b"hello, plinth!\n";

#[tokio::test]
async fn upload_list_get_download_and_delete() {
    let app = spawn_app().await;
    let token = app.token("files@example.com").await;

    let res = app
        .upload(&token, "Résumé \"v1\".txt", CONTENT.to_vec())
        .await;
    assert_eq!(res.status(), 201);
    let file: Value = res.json().await.unwrap();
    let id = file["id"].as_str().unwrap().to_owned();
    assert_eq!(file["size"], CONTENT.len());
    assert_eq!(file["content_type"], "text/plain");
    assert_eq!(file["version"], 1);
    assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(CONTENT)));
    assert_eq!(
        file.as_object().unwrap().len(),
        10,
        "File has exactly the contract's fields and `org_id`: {file}"
    );
    assert_eq!(file["org_id"], Value::Null, "a file of the uploader's own");
    let sha = file["sha256"].as_str().unwrap().to_owned();
    assert_eq!(app.blobs.keys().len(), 1);

    let list: Value = app
        .get("/api/v1/files", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(list["next_cursor"], Value::Null);

    let got: Value = app
        .get(&format!("/api/v1/files/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, file);

    let content = format!("/api/v1/files/{id}/content");
    let res = app.get(&content, Some(&token)).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "text/plain");
    assert_eq!(h["content-length"], CONTENT.len().to_string().as_str());
    assert_eq!(h["etag"], format!("\"{sha}\"").as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(
        disposition.contains("filename*=UTF-8''R%C3%A9sum%C3%A9"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), CONTENT);

    let res = app
        .client
        .get(app.url(&content))
        .bearer_auth(&token)
        .header("If-None-Match", format!("\"{sha}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());

    let ranged = |range: &'static str| {
        app.client
            .get(app.url(&content))
            .bearer_auth(&token)
            .header("Range", range)
            .send()
    };
    let res = ranged("bytes=0-4").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 0-4/{}", CONTENT.len()).as_str()
    );
    assert_eq!(res.headers()["content-length"], "5");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"hello");
    let res = ranged("bytes=-7").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        &CONTENT[CONTENT.len() - 7..]
    );
    let res = ranged("bytes=7-").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &CONTENT[7..]);
    let res = ranged("bytes=1000-").await.unwrap();
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", CONTENT.len()).as_str()
    );
    assert_problem(res, 416, "range_not_satisfiable").await;

    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get(&format!("/api/v1/files/{id}"), Some(&token)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get(&content, Some(&token)).await, 404, "not_found").await;
    let list: Value = app
        .get("/api/v1/files", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    assert!(app.blobs.keys().is_empty());
}

#[tokio::test]
async fn another_users_file_is_a_404_everywhere() {
    let app = spawn_app().await;
    let owner = app.token("owner@example.com").await;
    let other = app.token("other@example.com").await;
    let file: Value = app
        .upload(&owner, "secret.txt", CONTENT.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = file["id"].as_str().unwrap();

    assert_problem(
        app.get(&format!("/api/v1/files/{id}"), Some(&other)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/files/{id}/content"), Some(&other))
            .await,
        404,
        "not_found",
    )
    .await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    let list: Value = app
        .get("/api/v1/files", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());

    let res = app.get(&format!("/api/v1/files/{id}"), Some(&owner)).await;
    assert_eq!(res.status(), 200, "the owner still has it");
}

#[tokio::test]
async fn malformed_ids_are_404() {
    let app = spawn_app().await;
    let token = app.token("ids@example.com").await;
    assert_problem(
        app.get("/api/v1/files/not-a-uuid", Some(&token)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/files/123/content", Some(&token)).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn uploads_over_the_limit_are_413_and_leave_nothing() {
    let app = spawn_app().await; // limit 64 KiB
    let token = app.token("big@example.com").await;
    // Declared far over the limit: refused before reading.
    let res = app.upload(&token, "huge.txt", vec![b'a'; 200 * 1024]).await;
    assert_problem(res, 413, "payload_too_large").await;
    // Within the multipart allowance, so only the service's mid-stream count catches it.
    let res = app.upload(&token, "big.txt", vec![b'a'; 70 * 1024]).await;
    assert_problem(res, 413, "payload_too_large").await;

    let list: Value = app
        .get("/api/v1/files", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    assert!(app.blobs.keys().is_empty());
    assert!(app.file_rows.all().is_empty());

    let res = app.upload(&token, "fits.txt", vec![b'a'; 64 * 1024]).await;
    assert_eq!(res.status(), 201, "exactly the limit is accepted");
}

#[tokio::test]
async fn disallowed_types_are_415() {
    let app = spawn_app().await;
    let token = app.token("types@example.com").await;
    let res = app.upload(&token, "tool.exe", b"MZ\x90\x00".to_vec()).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    assert!(app.blobs.keys().is_empty());
}

#[tokio::test]
async fn a_body_without_a_file_part_is_rejected() {
    let app = spawn_app().await;
    let token = app.token("nofile@example.com").await;
    let form = reqwest::multipart::Form::new().text("other", "value");
    let res = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body["errors"]["file"].is_array(), "{body}");

    let part = reqwest::multipart::Part::bytes(CONTENT.to_vec());
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(body["errors"]["file"].is_array(), "{body}");

    let res = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "file": "nope" }))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "bad_request").await;
}

#[tokio::test]
async fn files_need_a_signed_in_user() {
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(CONTENT.to_vec()).file_name("a.txt"),
    );
    let res = app
        .client
        .post(app.url("/api/v1/files"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    assert_problem(app.get("/api/v1/files", None).await, 401, "unauthenticated").await;
    assert!(app.blobs.keys().is_empty());
}
