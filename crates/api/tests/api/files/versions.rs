//! `PUT /files/{id}/content`, `GET /files/{id}/versions`, `GET /files/{id}/content?version=N`.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::PageRequest;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn put_content(
    app: &TestApp,
    token: Option<&str>,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let mut req = app
        .client
        .put(app.url(&format!("/api/v1/files/{id}/content")))
        .multipart(reqwest::multipart::Form::new().part("file", part));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

/// SHA-256 of the two contents used below (`sha256sum`).
fn sha(bytes: &[u8]) -> &'static str {
    match bytes {
        b"a,b\n1,2\n" => "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470",
        b"first draft\n" => "a07219764af338a96455bf5ce10c5080e6ca79286196bfa9d60301adc19f9157",
        other => panic!("no known hash for {other:?}"),
    }
}

#[tokio::test]
async fn a_new_version_is_current_and_the_old_one_stays_downloadable() {
    let app = spawn_app().await;
    let token = app.token("versions@example.com").await;
    let v1: Value = app
        .upload(&token, "draft.txt", b"first draft\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = v1["id"].as_str().unwrap().to_owned();

    let res = put_content(&app, Some(&token), &id, "final.csv", b"a,b\n1,2\n".to_vec()).await;
    assert_eq!(res.status(), 200);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["id"], id.as_str());
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["name"], "final.csv");
    assert_eq!(v2["content_type"], "text/csv");
    assert_eq!(v2["size"], 8);
    assert_eq!(v2["sha256"], sha(b"a,b\n1,2\n"));
    assert_eq!(v2["created_at"], v1["created_at"]);
    assert_eq!(v2.as_object().unwrap().len(), 10, "a File: {v2}");

    let got: Value = app
        .get(&format!("/api/v1/files/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, v2);

    let res = app
        .get(&format!("/api/v1/files/{id}/versions"), Some(&token))
        .await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0], v2, "newest first");
    assert_eq!(items[1]["version"], 1);
    assert_eq!(items[1]["sha256"], v1["sha256"]);
    assert_eq!(items[1]["name"], "draft.txt");
    assert_eq!(items[1]["size"], 12);

    let current = app
        .get(&format!("/api/v1/files/{id}/content"), Some(&token))
        .await;
    assert_eq!(
        current.headers()["etag"],
        format!("\"{}\"", sha(b"a,b\n1,2\n")).as_str()
    );
    assert_eq!(current.bytes().await.unwrap().as_ref(), b"a,b\n1,2\n");

    let old = app
        .get(
            &format!("/api/v1/files/{id}/content?version=1"),
            Some(&token),
        )
        .await;
    assert_eq!(old.status(), 200);
    assert_eq!(
        old.headers()["etag"],
        format!("\"{}\"", sha(b"first draft\n")).as_str()
    );
    assert_eq!(old.headers()["content-type"], "text/plain");
    assert!(
        old.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("draft.txt")
    );
    assert_eq!(old.bytes().await.unwrap().as_ref(), b"first draft\n");

    let ranged = app
        .client
        .get(app.url(&format!("/api/v1/files/{id}/content?version=1")))
        .bearer_auth(&token)
        .header("Range", "bytes=6-10")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.headers()["content-range"], "bytes 6-10/12");
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), b"draft");

    assert_problem(
        app.get(
            &format!("/api/v1/files/{id}/content?version=3"),
            Some(&token),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/files/{id}/content?version=two"),
            Some(&token),
        )
        .await,
        400,
        "bad_request",
    )
    .await;

    let filter = AuditFilter {
        action: Some(AuditAction::FileUploaded),
        ..AuditFilter::default()
    };
    let events = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].details["version"], 2);
    assert_eq!(events[0].target_id.as_deref(), Some(id.as_str()));

    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(app.blobs.keys().is_empty(), "every version's blob is gone");
    assert!(app.file_rows.all_versions().is_empty());
    assert_problem(
        app.get(&format!("/api/v1/files/{id}/versions"), Some(&token))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn only_the_owner_adds_or_sees_versions() {
    let app = spawn_app().await;
    let owner = app.token("vowner@example.com").await;
    let other = app.token("vother@example.com").await;
    let file: Value = app
        .upload(&owner, "mine.txt", b"mine".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = file["id"].as_str().unwrap();

    let res = put_content(&app, Some(&other), id, "evil.txt", b"evil".to_vec()).await;
    assert_problem(res, 404, "not_found").await;
    let res = put_content(&app, None, id, "anon.txt", b"anon".to_vec()).await;
    assert_problem(res, 401, "unauthenticated").await;
    assert_problem(
        app.get(&format!("/api/v1/files/{id}/versions"), Some(&other))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/files/{id}/content?version=1"),
            Some(&other),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let res = put_content(
        &app,
        Some(&owner),
        "0190f5c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "a.txt",
        b"x".to_vec(),
    )
    .await;
    assert_problem(res, 404, "not_found").await;

    let got: Value = app
        .get(&format!("/api/v1/files/{id}"), Some(&owner))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, file, "unchanged");
    assert_eq!(app.blobs.keys().len(), 1);
}

#[tokio::test]
async fn a_refused_version_leaves_the_file_unchanged() {
    let app = spawn_app().await; // limit 64 KiB
    let token = app.token("vrefused@example.com").await;
    let file: Value = app
        .upload(&token, "a.txt", b"keep".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = file["id"].as_str().unwrap();

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    let res = put_content(&app, Some(&token), id, "a.pdf", png).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    let res = put_content(&app, Some(&token), id, "a.exe", b"MZ".to_vec()).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    let res = put_content(&app, Some(&token), id, "a.txt", vec![b'a'; 70 * 1024]).await;
    assert_problem(res, 413, "payload_too_large").await;
    let form = reqwest::multipart::Form::new().text("other", "value");
    let res = app
        .client
        .put(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;

    let got: Value = app
        .get(&format!("/api/v1/files/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, file);
    let list: Value = app
        .get(&format!("/api/v1/files/{id}/versions"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.blobs.keys().len(), 1);
}

#[tokio::test]
async fn the_openapi_document_describes_the_version_operations() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let put = &doc["paths"]["/api/v1/files/{id}/content"]["put"];
    assert_eq!(put["operationId"], "upload_file_version");
    assert_eq!(
        put["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"],
        "#/components/schemas/FileUpload"
    );
    assert_eq!(
        put["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/File"
    );
    for status in ["400", "401", "404", "413", "415", "422", "500", "503"] {
        assert!(put["responses"][status].is_object(), "PUT content {status}");
    }
    let list = &doc["paths"]["/api/v1/files/{id}/versions"]["get"];
    assert_eq!(list["operationId"], "list_file_versions");
    assert_eq!(
        list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/FileVersionList"
    );
    assert_eq!(
        doc["components"]["schemas"]["FileVersionList"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/File"
    );
    let download = &doc["paths"]["/api/v1/files/{id}/content"]["get"];
    let version = download["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "version")
        .expect("the version query parameter");
    assert_eq!(version["in"], "query");
    assert_eq!(version["required"], false);
    assert_eq!(version["schema"]["minimum"], 1);
}

#[tokio::test]
async fn full_and_ranged_downloads_of_the_current_version_are_counted() {
    let app = spawn_app().await;
    let token = app.token("counts@example.com").await;
    let other = app.token("counts-other@example.com").await;
    let file: Value = app
        .upload(&token, "a.txt", b"first draft\n".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let id = file["id"].as_str().unwrap().to_owned();
    let count = || app.file_rows.all()[0].download_count;
    let content = format!("/api/v1/files/{id}/content");
    let with = |name: &'static str, value: String| {
        app.client
            .get(app.url(&content))
            .bearer_auth(&token)
            .header(name, value)
            .send()
    };

    let res = app.get(&content, Some(&token)).await;
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap();
    assert_eq!(
        with("Range", "bytes=0-4".into()).await.unwrap().status(),
        206
    );
    assert_eq!(count(), 2, "200 and 206 count");

    let etag = format!("\"{}\"", sha(b"first draft\n"));
    assert_eq!(with("If-None-Match", etag).await.unwrap().status(), 304);
    assert_eq!(
        with("Range", "bytes=99-".into()).await.unwrap().status(),
        416
    );
    assert_eq!(app.get(&content, Some(&other)).await.status(), 404);
    assert_eq!(count(), 2, "304, 416 and 404 do not count");

    let res = put_content(&app, Some(&token), &id, "a.txt", b"v2".to_vec()).await;
    assert_eq!(res.status(), 200);
    let old = app.get(&format!("{content}?version=1"), Some(&token)).await;
    assert_eq!(old.status(), 200);
    assert_eq!(count(), 2, "an old version does not count");
    assert_eq!(app.get(&content, Some(&token)).await.status(), 200);
    assert_eq!(count(), 3, "the count carries over to the new version");
}
