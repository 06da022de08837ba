//! `plinth admin create` through the binary, then the admin API.

use std::io::Write;
use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, plinth, spawn_app, unique_email};

#[tokio::test]
async fn cli_created_super_admin_can_list_users_and_a_normal_user_cannot() {
    let app = spawn_app().await;
    let email = unique_email();
    let dir = tempfile::tempdir().unwrap();
    let mut child = plinth(dir.path())
        .args(["admin", "create", "--email", &email, "--name", "Root Admin"])
        .env("DATABASE_URL", &app.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The password is the first line only; what follows is not read.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\nnot part of it\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let admin_id = uuid::Uuid::parse_str(printed.trim()).expect("admin create prints the user id");

    let pair = app.login(&email, PASSWORD).await;
    assert_eq!(pair["user"]["id"], admin_id.to_string());
    assert_eq!(pair["user"]["role"], "super_admin");
    let admin_token = pair["access_token"].as_str().unwrap();

    let (user_email, user_pair) = app.register_user().await;
    let res = app.get_auth("/api/v1/admin/users", admin_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.unwrap();
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(
        emails.contains(&email.as_str()) && emails.contains(&user_email.as_str()),
        "{emails:?}"
    );

    let res = app
        .get_auth(
            "/api/v1/admin/users",
            user_pair["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "forbidden");

    // The audit trail written by the CLI and the API, read back and verified on the real store.
    let user_id = user_pair["user"]["id"].as_str().unwrap();
    let res = app
        .get_auth(
            &format!("/api/v1/admin/audit?actor_id={user_id}"),
            admin_token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["items"][0]["action"], "auth.registered", "{page}");
    let res = app
        .get_auth("/api/v1/admin/audit/verify", admin_token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["checked"].as_u64().unwrap() >= 3, "{report}");
    assert_eq!(report["first_bad"], Value::Null);
}

#[tokio::test]
async fn admin_create_refuses_an_empty_password_with_one_line() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = plinth(dir.path())
        .args([
            "admin",
            "create",
            "--email",
            &unique_email(),
            "--name",
            "Root",
        ])
        .env("DATABASE_URL", &app.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("password"), "{stderr}");
    assert!(out.stdout.is_empty());
}
