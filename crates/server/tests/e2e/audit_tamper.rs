//! The audit trail edited with raw SQL behind the server's back: `GET /admin/audit/verify`
//! answers 200 naming the edited row, and `GET /admin/audit` still answers 200, listing a row
//! that no longer reads back under `unreadable`.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

async fn sql(app: &TestApp, statement: &str) {
    app.database
        .connection()
        .execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get_auth(path, token).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// A super admin's token, after a profile change that left one `user.updated` entry.
async fn admin_with_a_profile_change(app: &TestApp) -> String {
    let (email, pair) = app.register_user().await;
    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(pair["access_token"].as_str().unwrap())
        .json(&json!({ "name": "Renamed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    sql(
        app,
        &format!("UPDATE users SET role = 'super_admin' WHERE email = '{email}'"),
    )
    .await;
    app.login(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_tampered_audit_row_is_named_by_verify_and_the_listing_still_answers() {
    let app = spawn_app().await;
    let token = admin_with_a_profile_change(&app).await;
    let page = get(&app, "/api/v1/admin/audit?action=user.updated", &token).await;
    let victim = page["items"][0]["id"].clone();
    assert!(victim.is_string(), "{page}");
    sql(
        &app,
        "CREATE TABLE audit_backup AS SELECT * FROM audit_events",
    )
    .await;

    // (column, value, whether the row still reads back as an entry)
    let mut edits = vec![
        ("action", "'auth.root_granted'", false),
        ("actor_id", "NULL", true),
        ("details", "'{\"name\": \"Someone Else\"}'", true),
    ];
    edits.push(match app.database.backend() {
        DbBackend::Postgres => ("at", "'infinity'", false),
        _ => ("details", "'{not json'", false),
    });
    for (column, value, readable) in edits {
        sql(&app, "DELETE FROM audit_events").await;
        sql(&app, "INSERT INTO audit_events SELECT * FROM audit_backup").await;
        sql(
            &app,
            &format!("UPDATE audit_events SET {column} = {value} WHERE action = 'user.updated'"),
        )
        .await;
        let label = format!("{column} = {value}");

        let report = get(&app, "/api/v1/admin/audit/verify", &token).await;
        assert_eq!(report["ok"], false, "{label}: {report}");
        assert_eq!(report["first_bad"], victim, "{label}: {report}");
        assert!(report["first_bad_seq"].is_u64(), "{label}: {report}");

        let page = get(&app, "/api/v1/admin/audit", &token).await;
        let listed = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == victim);
        let flagged = page["unreadable"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == victim);
        assert!(
            page["items"].as_array().unwrap().len() >= 2,
            "{label}: {page}"
        );
        if readable {
            assert!(listed && flagged.is_none(), "{label}: {page}");
        } else {
            let flagged = flagged.unwrap_or_else(|| panic!("{label}: not flagged: {page}"));
            assert!(!listed, "{label}: {page}");
            assert!(
                flagged["problem"].as_str().unwrap().contains(column),
                "{label}: {flagged}"
            );
            assert!(flagged["seq"].is_u64(), "{label}: {flagged}");
        }
    }

    sql(&app, "DELETE FROM audit_events").await;
    sql(&app, "INSERT INTO audit_events SELECT * FROM audit_backup").await;
    let report = get(&app, "/api/v1/admin/audit/verify", &token).await;
    assert_eq!(report["ok"], true, "restored: {report}");
}
