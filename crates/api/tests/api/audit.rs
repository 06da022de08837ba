//! `GET /api/v1/admin/audit` and `/admin/audit/verify`: permission, order, filters, pages,
//! bad queries and chain verification.

use plinth_audit::AuditEventId;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn user_id(app: &TestApp, token: &str) -> String {
    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().to_owned()
}

async fn page(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/admin/audit{query}"), Some(token))
        .await;
    assert_eq!(res.status(), 200, "GET /admin/audit{query}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().unwrap()
}

/// Every entry, following `next_cursor` with pages of `limit`.
async fn all_entries(app: &TestApp, token: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut query = format!("?limit={limit}");
    loop {
        let p = page(app, token, &query).await;
        assert!(items(&p).len() <= limit as usize);
        out.extend(items(&p).iter().cloned());
        match p["next_cursor"].as_str() {
            Some(c) => query = format!("?limit={limit}&cursor={c}"),
            None => return out,
        }
        assert!(out.len() < 1000, "pagination does not end");
    }
}

#[tokio::test]
async fn reading_the_audit_trail_needs_audit_read() {
    let app = spawn_app().await;
    for path in ["/api/v1/admin/audit", "/api/v1/admin/audit/verify"] {
        assert_problem(app.get(path, None).await, 401, "unauthenticated").await;
    }
    let user = app.token("plain@example.com").await;
    for path in ["/api/v1/admin/audit", "/api/v1/admin/audit/verify"] {
        let body = assert_problem(app.get(path, Some(&user)).await, 403, "forbidden").await;
        assert!(
            body["detail"].as_str().unwrap().contains("audit:read"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn admin_sees_entries_newest_first_with_filters_and_pages() {
    let app = spawn_app().await;
    let ada = app.token("ada@example.com").await;
    let ada_id = user_id(&app, &ada).await;
    app.token("bob@example.com").await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "nobody@example.com", "password": "wrong-password-123" }),
            None,
        )
        .await;
    assert_eq!(res.status(), 401);
    let admin = app.admin_token().await;

    let all = all_entries(&app, &admin, 100).await;
    let actions: Vec<&str> = all.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions.first(),
        Some(&"auth.login_succeeded"),
        "the admin's sign-in is newest: {actions:?}"
    );
    assert!(
        actions.contains(&"auth.login_failed") && actions.contains(&"auth.registered"),
        "{actions:?}"
    );
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first, "newest first");
    let entry = &all[0];
    for field in [
        "id",
        "at",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "ip",
        "user_agent",
        "request_id",
        "details",
    ] {
        assert!(entry.get(field).is_some(), "entry has {field}: {entry}");
    }

    let failed = page(&app, &admin, "?action=auth.login_failed").await;
    assert_eq!(items(&failed).len(), 1, "{failed}");
    assert_eq!(
        items(&failed)[0]["actor_id"],
        Value::Null,
        "unknown email: no actor"
    );
    assert_eq!(items(&failed)[0]["details"]["reason"], "unknown_email");

    let by_ada = page(&app, &admin, &format!("?actor_id={ada_id}")).await;
    assert!(!items(&by_ada).is_empty());
    assert!(
        items(&by_ada)
            .iter()
            .all(|e| e["actor_id"] == ada_id.as_str()),
        "{by_ada}"
    );
    let ada_registered = page(
        &app,
        &admin,
        &format!("?actor_id={ada_id}&action=auth.registered&target_id={ada_id}"),
    )
    .await;
    assert_eq!(items(&ada_registered).len(), 1, "{ada_registered}");
    assert_eq!(items(&ada_registered)[0]["target_type"], "user");

    let future = page(&app, &admin, "?from=2999-01-01T00:00:00Z").await;
    assert!(items(&future).is_empty(), "{future}");
    let past = page(&app, &admin, "?to=2000-01-01T00:00:00Z").await;
    assert!(items(&past).is_empty(), "{past}");
    let now = page(
        &app,
        &admin,
        "?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z&limit=100",
    )
    .await;
    assert_eq!(items(&now).len(), all.len());

    let first = page(&app, &admin, "?limit=2").await;
    assert_eq!(items(&first).len(), 2);
    assert!(first["next_cursor"].is_string(), "{first}");
    let paged = all_entries(&app, &admin, 2).await;
    assert_eq!(paged, all, "pages of 2 cover every entry once, in order");
}

#[tokio::test]
async fn bad_query_values_are_400() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for query in [
        "?action=auth.nope",
        "?actor_id=not-a-uuid",
        "?limit=0",
        "?limit=101",
        "?cursor=not*a*cursor",
        "?from=yesterday",
        "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        let res = app
            .get(&format!("/api/v1/admin/audit{query}"), Some(&admin))
            .await;
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
        assert_problem(res, 400, "bad_request").await;
    }
}

#[tokio::test]
async fn verify_reports_an_intact_chain_and_names_an_edited_entry() {
    let app = spawn_app().await;
    app.token("ada@example.com").await;
    let admin = app.admin_token().await;
    let res = app.get("/api/v1/admin/audit/verify", Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let report: Value = res.json().await.unwrap();
    let count = all_entries(&app, &admin, 100).await.len();
    assert_eq!(
        report,
        json!({ "ok": true, "checked": count, "first_bad": null, "first_bad_seq": null })
    );

    let entries = all_entries(&app, &admin, 100).await;
    let victim = entries.last().unwrap()["id"].as_str().unwrap().to_owned();
    let id = AuditEventId::from_uuid(victim.parse().unwrap());
    assert!(app.audit_log.tamper_details(id, json!({ "edited": true })));
    let report: Value = app
        .get("/api/v1/admin/audit/verify", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(
        report["first_bad"],
        victim.as_str(),
        "the oldest entry was edited"
    );
    assert_eq!(report["first_bad_seq"], 1);
    assert_eq!(report["checked"], 1);
}
