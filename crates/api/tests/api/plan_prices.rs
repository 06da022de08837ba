//! `PATCH /admin/plans/{id}`: edits, price versions, and subscribers keeping their price.

use plinth_audit::{AuditAction, AuditFilter, AuditLog as _};
use plinth_kernel::PageRequest;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};
use crate::subscriptions::{create_plan, user};

#[tokio::test]
async fn a_new_price_applies_to_new_subscribers_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let plan = create_plan(&app, &admin, "basic", 1_000, 0, true).await;
    let path = format!("/api/v1/admin/plans/{plan}");
    let (early, _) = user(&app, "early@example.com").await;
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan }),
            Some(&early),
        )
        .await;
    assert_eq!(res.status(), 201);

    let res = app
        .patch_json(
            &path,
            &json!({ "price": { "amount": 1500, "currency": "USD" }, "name": "Basic 2027" }),
            &admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["price"]["amount"], 1500);
    assert_eq!(changed["name"], "Basic 2027");
    assert_eq!(changed["code"], "basic", "absent fields are kept");
    assert_eq!(changed["trial_days"], 0);

    let plans: Value = app
        .get("/api/v1/billing/plans", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plans["items"][0]["price"]["amount"], 1500);
    let mine: Value = app
        .get("/api/v1/billing/subscription", Some(&early))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine["price"]["amount"], 1000,
        "an existing subscription keeps its price"
    );
    let (late, _) = user(&app, "late@example.com").await;
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan }),
            Some(&late),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["price"]["amount"], 1500);

    let filter = AuditFilter {
        action: Some(AuditAction::PlanChanged),
        ..AuditFilter::default()
    };
    let entries = app
        .audit_log
        .list(&filter, PageRequest::default())
        .await
        .unwrap()
        .items;
    let latest = &entries[0];
    assert_eq!(latest.details["price_version"], 2);
    assert_eq!(latest.details["previous_price"], 1000);
    assert_eq!(latest.details["changed"], json!(["name", "price"]));
}

#[tokio::test]
async fn bad_edits_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let plan = create_plan(&app, &admin, "basic", 1_000, 0, true).await;
    let other = create_plan(&app, &admin, "other", 2_000, 0, true).await;
    let path = format!("/api/v1/admin/plans/{plan}");
    let before: Value = app
        .get("/api/v1/billing/plans", None)
        .await
        .json()
        .await
        .unwrap();

    for (body, status, code) in [
        (
            json!({ "price": { "amount": -5, "currency": "USD" } }),
            422,
            "validation_failed",
        ),
        (
            json!({ "price": { "amount": 5, "currency": "XXX" } }),
            422,
            "validation_failed",
        ),
        (json!({ "trial_days": 999 }), 422, "validation_failed"),
        (json!({ "code": "Not Valid" }), 422, "validation_failed"),
        (json!({ "id": other }), 422, "validation_failed"),
        (json!({ "code": "other" }), 409, "conflict"),
    ] {
        let res = app.patch_json(&path, &body, &admin).await;
        assert_eq!(res.status().as_u16(), status, "{body}");
        assert_problem(res, status, code).await;
    }
    let after: Value = app
        .get("/api/v1/billing/plans", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);

    let ghost = "/api/v1/admin/plans/01939e4a-0000-7000-8000-00000000beef";
    assert_problem(
        app.patch_json(ghost, &json!({ "active": false }), &admin)
            .await,
        404,
        "not_found",
    )
    .await;
    let (token, _) = user(&app, "nobody@example.com").await;
    assert_problem(
        app.patch_json(&path, &json!({ "active": false }), &token)
            .await,
        403,
        "forbidden",
    )
    .await;
}
