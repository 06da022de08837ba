//! `GET /admin/stats`: counts that follow what happens to accounts, sessions and files.

use plinth_kernel::testing::ManualClock;
use plinth_users::RoleName;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};

async fn stats(app: &TestApp, token: &str) -> Value {
    let res = app.get("/api/v1/admin/stats", Some(token)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn stats_count_users_sessions_and_files() {
    let app = spawn_app().await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let bob = app.sign_in_as("bob@example.com", RoleName::user()).await;
    let res = app.upload(&ada.access, "a.txt", b"hello".to_vec()).await;
    assert_eq!(res.status(), 201);
    let root = app.admin_token().await;
    // Each sign_in_as registers (one session) and signs in again (another); root signs in once.
    let body = stats(&app, &root).await;
    assert_eq!(
        body["users"],
        json!({ "total": 3, "active": 3, "new_7d": 3 })
    );
    assert_eq!(body["sessions"], json!({ "active": 5 }));
    assert_eq!(body["files"], json!({ "count": 1, "bytes": 5 }));
    assert_eq!(
        body["revenue"],
        json!({ "paid_this_month": [], "outstanding": [], "overdue": [] })
    );

    let res = app
        .patch_json(
            &format!("/api/v1/admin/users/{}", bob.id),
            &json!({ "status": "suspended" }),
            &root,
        )
        .await;
    assert_eq!(res.status(), 200);
    let admin = app.admin_role_token("admin@example.com").await;
    let body = stats(&app, &admin).await;
    assert_eq!(
        body["users"],
        json!({ "total": 4, "active": 3, "new_7d": 4 })
    );
    assert_eq!(
        body["sessions"],
        json!({ "active": 5 }),
        "bob's two ended, the new admin's two began"
    );

    assert_problem(
        app.get("/api/v1/admin/stats", None).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_problem(
        app.get("/api/v1/admin/stats", Some(&ada.access)).await,
        403,
        "forbidden",
    )
    .await;
}

/// A finalised invoice of `user` in `currency` for `amount`, due in `due_in_days`: its id.
async fn issue(
    app: &TestApp,
    root: &str,
    user: &str,
    currency: &str,
    amount: i64,
    due_in_days: u32,
) -> String {
    let res = app
        .post_json(
            "/api/v1/admin/invoices",
            &json!({
                "user_id": user, "currency": currency, "due_in_days": due_in_days,
                "lines": [{ "description": "Service", "quantity": 1, "unit_amount": amount }]
            }),
            Some(root),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(
            &format!("/api/v1/admin/invoices/{id}/finalize"),
            &json!({}),
            Some(root),
        )
        .await;
    assert_eq!(res.status(), 200);
    id
}

#[tokio::test]
async fn revenue_reports_paid_outstanding_and_overdue_per_currency() {
    let app = spawn_app().await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let root = app.admin_token().await;
    let user = ada.id.clone();
    let paid = issue(&app, &root, &user, "USD", 14_900, 14).await;
    issue(&app, &root, &user, "USD", 2_500, 14).await;
    issue(&app, &root, &user, "EUR", 1_000, 30).await;
    // Due at finalisation: overdue from then on.
    issue(&app, &root, &user, "JPY", 5_000, 0).await;
    let draft = app
        .post_json(
            "/api/v1/admin/invoices",
            &json!({ "user_id": user, "currency": "USD",
                "lines": [{ "description": "Draft", "quantity": 1, "unit_amount": 777 }] }),
            Some(&root),
        )
        .await;
    assert_eq!(draft.status(), 201, "drafts never count");
    let res = app
        .post_json(
            &format!("/api/v1/admin/invoices/{paid}/mark-paid"),
            &json!({}),
            Some(&root),
        )
        .await;
    assert_eq!(res.status(), 200);

    app.clock.advance(chrono::Duration::seconds(1));
    let body = stats(&app, &root).await;
    assert_eq!(
        body["revenue"],
        json!({
            "paid_this_month": [{ "amount": 14_900, "currency": "USD" }],
            "outstanding": [
                { "amount": 1_000, "currency": "EUR" },
                { "amount": 2_500, "currency": "USD" }
            ],
            "overdue": [{ "amount": 5_000, "currency": "JPY" }]
        })
    );
}

#[tokio::test]
async fn paid_this_month_is_the_app_clocks_month_and_starts_afresh_on_new_year() {
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let app = spawn_app_with(Options {
        clock: ManualClock::new(at("2026-12-31T23:59:00Z")),
        ..Options::default()
    })
    .await;
    let ada = app.sign_in_as("ada@example.com", RoleName::user()).await;
    let root = app.admin_token().await;
    let paid = issue(&app, &root, &ada.id, "USD", 14_900, 14).await;
    let res = app
        .post_json(
            &format!("/api/v1/admin/invoices/{paid}/mark-paid"),
            &json!({}),
            Some(&root),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        stats(&app, &root).await["revenue"]["paid_this_month"],
        json!([{ "amount": 14_900, "currency": "USD" }])
    );

    app.clock.set(at("2027-01-01T00:00:01Z"));
    assert_eq!(
        stats(&app, &root).await["revenue"]["paid_this_month"],
        json!([]),
        "a new month (and year) has begun"
    );
}
