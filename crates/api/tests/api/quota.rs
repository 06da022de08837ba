//! The per-user storage quota on uploads and new versions (`quota_exceeded`).

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_problem, spawn_app_with};
use crate::subscriptions::{create_plan, user};

async fn quota_app(bytes: i64) -> TestApp {
    spawn_app_with(Options {
        default_storage_bytes: bytes,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn uploads_past_the_default_quota_are_refused_and_leave_nothing() {
    let app = quota_app(100).await;
    let (token, _) = user(&app, "quota@example.com").await;
    let res = app.upload(&token, "a.txt", vec![b'a'; 60]).await;
    assert_eq!(res.status(), 201);
    let file: Value = res.json().await.unwrap();

    let res = app.upload(&token, "b.txt", vec![b'b'; 41]).await;
    let problem = assert_problem(res, 413, "quota_exceeded").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("100"),
        "{problem}"
    );
    assert_eq!(
        app.file_rows.all().len(),
        1,
        "no row for the refused upload"
    );
    assert_eq!(app.blobs.keys().len(), 1, "no blob for the refused upload");

    // Exactly filling the quota is allowed.
    let res = app.upload(&token, "c.txt", vec![b'c'; 40]).await;
    assert_eq!(res.status(), 201);
    let res = app.upload(&token, "d.txt", vec![b'd'; 1]).await;
    assert_problem(res, 413, "quota_exceeded").await;

    // Deleting a file frees its bytes.
    let id = file["id"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.upload(&token, "e.txt", vec![b'e'; 60]).await.status(),
        201
    );
}

#[tokio::test]
async fn every_version_counts_against_the_quota() {
    let app = quota_app(100).await;
    let (token, _) = user(&app, "versions@example.com").await;
    let res = app.upload(&token, "notes.txt", vec![b'1'; 50]).await;
    let file: Value = res.json().await.unwrap();
    let id = file["id"].as_str().unwrap();
    let res = app
        .put_content(&token, id, "notes.txt", vec![b'2'; 51])
        .await;
    assert_problem(res, 413, "quota_exceeded").await;
    let res = app.get(&format!("/api/v1/files/{id}"), Some(&token)).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["version"],
        1,
        "the file is unchanged"
    );
    assert_eq!(app.blobs.keys().len(), 1);
    assert_eq!(app.file_rows.all_versions().len(), 1);
    let res = app
        .put_content(&token, id, "notes.txt", vec![b'2'; 50])
        .await;
    assert_eq!(res.status(), 200, "50 + 50 fits exactly");
    let res = app
        .put_content(&token, id, "notes.txt", vec![b'3'; 1])
        .await;
    assert_problem(res, 413, "quota_exceeded").await;
}

#[tokio::test]
async fn a_plans_storage_bytes_replaces_the_default() {
    let app = quota_app(100).await;
    let admin = app.admin_token().await;
    // create_plan gives storage_bytes = amount × 1000.
    let plan = create_plan(&app, &admin, "roomy", 5, 0, true).await;
    let (token, _) = user(&app, "roomy@example.com").await;
    assert_problem(
        app.upload(&token, "big.txt", vec![b'x'; 1_000]).await,
        413,
        "quota_exceeded",
    )
    .await;
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        app.upload(&token, "big.txt", vec![b'x'; 5_000])
            .await
            .status(),
        201
    );
    assert_problem(
        app.upload(&token, "one.txt", vec![b'x'; 1]).await,
        413,
        "quota_exceeded",
    )
    .await;
}

#[tokio::test]
async fn concurrent_uploads_cannot_share_the_last_room() {
    let app = quota_app(100).await;
    let (token, _) = user(&app, "racer@example.com").await;
    let uploads = (0..4).map(|i| app.upload(&token, "r.txt", vec![b'0' + i; 60]));
    let statuses: Vec<u16> = futures::future::join_all(uploads)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 413).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(app.blobs.keys().len(), 1);
}
