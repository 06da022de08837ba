//! `/billing/subscription` and `/billing/entitlements` over HTTP, and the `require_feature`
//! guard.

use plinth_audit::{AuditAction, AuditFilter, AuditLog as _};
use plinth_kernel::{PageRequest, UserId};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const SUBSCRIPTION: &str = "/api/v1/billing/subscription";

/// Creates a plan as the super admin and returns its id.
pub async fn create_plan(
    app: &TestApp,
    admin: &str,
    code: &str,
    amount: i64,
    trial_days: u32,
    active: bool,
) -> String {
    let res = app
        .post_json(
            "/api/v1/admin/plans",
            &json!({
                "code": code,
                "name": code.to_uppercase(),
                "active": active,
                "price": { "amount": amount, "currency": "USD" },
                "interval": "month",
                "trial_days": trial_days,
                "features": { "api_access": amount > 1000, "storage_bytes": amount * 1000 }
            }),
            Some(admin),
        )
        .await;
    assert_eq!(res.status(), 201, "create plan {code}");
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// Registers a user and returns `(token, user id)`.
pub async fn user(app: &TestApp, email: &str) -> (String, UserId) {
    let pair = app.register(email).await;
    let id: UserId = pair["user"]["id"].as_str().unwrap().parse().unwrap();
    (pair["access_token"].as_str().unwrap().to_owned(), id)
}

async fn delete(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn changes(app: &TestApp, user: UserId) -> Vec<String> {
    let filter = AuditFilter {
        action: Some(AuditAction::SubscriptionChanged),
        actor_id: Some(user.as_uuid()),
        ..AuditFilter::default()
    };
    app.audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .rev()
        .map(|e| e.details["change"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn subscribe_upgrade_downgrade_and_cancel() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let basic = create_plan(&app, &admin, "basic", 1_000, 0, true).await;
    let pro = create_plan(&app, &admin, "pro", 3_000, 0, true).await;
    let (token, id) = user(&app, "subscriber@example.com").await;

    assert_problem(app.get(SUBSCRIPTION, Some(&token)).await, 404, "not_found").await;

    let res = app
        .post_json(SUBSCRIPTION, &json!({ "plan_id": basic }), Some(&token))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["plan_id"], basic);
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["price"],
        json!({ "amount": 1000, "currency": "USD" })
    );
    assert_eq!(created["trial_end"], Value::Null);
    assert_eq!(created["cancel_at_period_end"], false);
    let start =
        chrono::DateTime::parse_from_rfc3339(created["current_period_start"].as_str().unwrap())
            .unwrap();
    let end = chrono::DateTime::parse_from_rfc3339(created["current_period_end"].as_str().unwrap())
        .unwrap();
    let days = (end - start).num_days();
    assert!((28..=31).contains(&days), "one calendar month: {days} days");

    let res = app.get(SUBSCRIPTION, Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), created);

    // Upgrade: applies now, 200.
    let res = app
        .post_json(SUBSCRIPTION, &json!({ "plan_id": pro }), Some(&token))
        .await;
    assert_eq!(res.status(), 200);
    let upgraded: Value = res.json().await.unwrap();
    assert_eq!(upgraded["id"], created["id"]);
    assert_eq!(upgraded["plan_id"], pro);
    assert_eq!(upgraded["price"]["amount"], 3000);
    assert_eq!(
        upgraded["current_period_end"],
        created["current_period_end"]
    );
    let items = app.subscriptions.items_of(id);
    assert_eq!(
        items.len(),
        1,
        "a prorated charge waits for the next invoice"
    );
    assert!(items[0].amount.amount > 0 && items[0].amount.amount <= 2000);

    let res = app.get("/api/v1/billing/entitlements", Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "features": { "api_access": true, "storage_bytes": 3_000_000 } })
    );

    // Downgrade: scheduled.
    let res = app
        .post_json(SUBSCRIPTION, &json!({ "plan_id": basic }), Some(&token))
        .await;
    assert_eq!(res.status(), 200);
    let scheduled: Value = res.json().await.unwrap();
    assert_eq!(scheduled["plan_id"], pro);
    assert_eq!(scheduled["scheduled_plan_id"], basic);

    // Cancel at period end, twice.
    for _ in 0..2 {
        let res = delete(&app, SUBSCRIPTION, &token).await;
        assert_eq!(res.status(), 200);
        let canceled: Value = res.json().await.unwrap();
        assert_eq!(canceled["cancel_at_period_end"], true);
        assert_eq!(canceled["status"], "active");
        assert_eq!(canceled["scheduled_plan_id"], Value::Null);
    }
    assert_eq!(
        changes(&app, id).await,
        [
            "subscribed",
            "upgraded",
            "change_scheduled",
            "cancel_scheduled"
        ]
    );

    // The period ends: the subscription is over, entitlements fall back to the default.
    let after = end.to_utc() + chrono::Duration::seconds(1);
    let report = app.state.subscriptions.renew_due(after).await.unwrap();
    assert_eq!(report.canceled, 1);
    assert_problem(app.get(SUBSCRIPTION, Some(&token)).await, 404, "not_found").await;
    assert_problem(delete(&app, SUBSCRIPTION, &token).await, 404, "not_found").await;
    let res = app.get("/api/v1/billing/entitlements", Some(&token)).await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "features": { "storage_bytes": 1_073_741_824 } })
    );
}

#[tokio::test]
async fn a_trial_plan_starts_trialing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let pro = create_plan(&app, &admin, "pro", 3_000, 14, true).await;
    let (token, _) = user(&app, "trial@example.com").await;
    let res = app
        .post_json(SUBSCRIPTION, &json!({ "plan_id": pro }), Some(&token))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "trialing");
    assert_eq!(body["trial_end"], body["current_period_end"]);
    let start =
        chrono::DateTime::parse_from_rfc3339(body["current_period_start"].as_str().unwrap())
            .unwrap();
    let end = chrono::DateTime::parse_from_rfc3339(body["trial_end"].as_str().unwrap()).unwrap();
    assert_eq!(end - start, chrono::Duration::days(14));
}

#[tokio::test]
async fn unknown_or_inactive_plans_and_bad_bodies_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let retired = create_plan(&app, &admin, "retired", 500, 0, false).await;
    let (token, id) = user(&app, "picky@example.com").await;
    for plan_id in [retired.as_str(), "01939e4a-0000-7000-8000-00000000beef"] {
        let res = app
            .post_json(SUBSCRIPTION, &json!({ "plan_id": plan_id }), Some(&token))
            .await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(
            body["errors"]["plan_id"][0],
            "There is no active plan with this id."
        );
    }
    let res = app
        .post_json(
            SUBSCRIPTION,
            &json!({ "plan_id": "not-a-uuid" }),
            Some(&token),
        )
        .await;
    assert!(res.status().is_client_error());
    let res = app
        .post_json(
            SUBSCRIPTION,
            &json!({ "plan_id": retired, "extra": 1 }),
            Some(&token),
        )
        .await;
    assert!(res.status().is_client_error());
    assert!(app.subscriptions.all_of(id).is_empty());
    assert!(changes(&app, id).await.is_empty());
}

#[tokio::test]
async fn every_subscription_route_needs_a_sign_in() {
    let app = spawn_app().await;
    for res in [
        app.get(SUBSCRIPTION, None).await,
        app.post_json(
            SUBSCRIPTION,
            &json!({ "plan_id": "01939e4a-0000-7000-8000-00000000beef" }),
            None,
        )
        .await,
        app.client
            .delete(app.url(SUBSCRIPTION))
            .send()
            .await
            .unwrap(),
        app.get("/api/v1/billing/entitlements", None).await,
    ] {
        assert_problem(res, 401, "unauthenticated").await;
    }
}

#[tokio::test]
async fn require_feature_follows_the_callers_plan() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let pro = create_plan(&app, &admin, "pro", 3_000, 0, true).await;
    let (token, _) = user(&app, "featured@example.com").await;
    let principal = app.state.auth.authenticate(&token).unwrap();
    let refused = plinth_api::require_feature(&app.state, &principal, "api_access")
        .await
        .unwrap_err();
    let problem = refused.to_problem();
    assert_eq!(problem.status, 403);
    assert_eq!(problem.code, "feature_required");
    let res = app
        .post_json(SUBSCRIPTION, &json!({ "plan_id": pro }), Some(&token))
        .await;
    assert_eq!(res.status(), 201);
    plinth_api::require_feature(&app.state, &principal, "api_access")
        .await
        .expect("the pro plan includes api_access");
    assert!(
        plinth_api::require_feature(&app.state, &principal, "storage_bytes")
            .await
            .is_ok(),
        "a positive limit counts as included"
    );
}
