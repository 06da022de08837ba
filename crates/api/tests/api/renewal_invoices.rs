//! What a subscriber sees of the billing cycle over HTTP: each paid period's finalised invoice
//! in `GET /billing/invoices`, and the subscription going `past_due` / `unpaid` / back to
//! `active` as its invoices go overdue, are written off or are paid.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::subscriptions::{create_plan, user};

const SUBSCRIPTION: &str = "/api/v1/billing/subscription";
const INVOICES: &str = "/api/v1/billing/invoices";

async fn json_of(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

fn time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .to_utc()
}

async fn mark_paid(app: &TestApp, admin: &str, invoice: &Value) {
    let path = format!(
        "/api/v1/admin/invoices/{}/mark-paid",
        invoice["id"].as_str().unwrap()
    );
    let res = app.post_json(&path, &json!({}), Some(admin)).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn each_paid_period_shows_its_finalised_invoice_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let basic = create_plan(&app, &admin, "basic", 1_000, 0, true).await;
    let pro = create_plan(&app, &admin, "pro", 3_000, 0, true).await;
    let (token, id) = user(&app, "renewing@example.com").await;
    let year = chrono::Utc::now().format("%Y").to_string();

    let res = app
        .post_json(SUBSCRIPTION, &json!({ "plan_id": basic }), Some(&token))
        .await;
    assert_eq!(res.status(), 201);
    let sub: Value = res.json().await.unwrap();
    let list = json_of(&app, INVOICES, &token).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "subscribing invoices the first month: {list}"
    );
    let first = items[0].clone();
    assert_eq!(first["status"], "open");
    assert_eq!(first["number"], format!("INV-{year}-000001"));
    assert_eq!(first["total"], 1_000);
    assert_eq!(first["currency"], "USD");
    assert_eq!(first["customer"]["email"], "renewing@example.com");
    let start = &sub["current_period_start"].as_str().unwrap()[..10];
    let end = &sub["current_period_end"].as_str().unwrap()[..10];
    assert_eq!(
        first["lines"],
        json!([{ "description": format!("BASIC, {start} – {end}"), "quantity": 1,
                 "unit_amount": 1000, "amount": 1000, "discount": 0, "tax": 0 }])
    );

    // Upgrade mid-period: no invoice now, the proration waits for the renewal.
    let res = app
        .post_json(SUBSCRIPTION, &json!({ "plan_id": pro }), Some(&token))
        .await;
    assert_eq!(res.status(), 200);
    let proration = app.subscriptions.items_of(id)[0].amount.amount;
    assert!(proration > 0);
    assert_eq!(
        json_of(&app, INVOICES, &token).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    mark_paid(&app, &admin, &first).await;
    let after = time(&sub["current_period_end"]) + chrono::Duration::seconds(1);
    let report = app.billing.run_jobs(after).await.unwrap();
    assert_eq!((report.renewed, report.invoiced), (1, 1), "{report:?}");
    let list = json_of(&app, INVOICES, &token).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let renewal = &items[0];
    assert_eq!(renewal["number"], format!("INV-{year}-000002"));
    assert_eq!(renewal["status"], "open");
    assert_eq!(renewal["total"], 3_000 + proration);
    assert_eq!(renewal["lines"].as_array().unwrap().len(), 2);
    assert_eq!(renewal["lines"][1]["amount"], proration);
    let renewed = json_of(&app, SUBSCRIPTION, &token).await;
    assert!(
        renewal["lines"][0]["description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("PRO, {end} – ")),
        "{renewal}"
    );
    assert_eq!(renewed["current_period_start"], sub["current_period_end"]);

    // A second run (a retried job, another replica) adds nothing.
    let again = app.billing.run_jobs(after).await.unwrap();
    assert_eq!(again, plinth_billing::JobReport::default());
    assert_eq!(
        json_of(&app, INVOICES, &token).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The document, and nobody else's business.
    let path = format!("{INVOICES}/{}/pdf", renewal["id"].as_str().unwrap());
    let res = app.get(&path, Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let (stranger, _) = user(&app, "stranger@example.com").await;
    let path = format!("{INVOICES}/{}", renewal["id"].as_str().unwrap());
    assert_problem(app.get(&path, Some(&stranger)).await, 404, "not_found").await;
    assert_eq!(json_of(&app, INVOICES, &stranger).await["items"], json!([]));
}

#[tokio::test]
async fn an_overdue_invoice_makes_it_past_due_paying_restores_it_and_a_write_off_makes_it_unpaid() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let pro = create_plan(&app, &admin, "pro", 3_000, 0, true).await;
    let (payer, _) = user(&app, "payer@example.com").await;
    let (debtor, _) = user(&app, "debtor@example.com").await;
    for token in [&payer, &debtor] {
        let res = app
            .post_json(SUBSCRIPTION, &json!({ "plan_id": pro }), Some(token))
            .await;
        assert_eq!(res.status(), 201);
    }
    let invoice = json_of(&app, INVOICES, &payer).await["items"][0].clone();
    let due = time(&invoice["due_at"]);
    let plan_features = json!({ "features": { "api_access": true, "storage_bytes": 3_000_000 } });
    let defaults = json!({ "features": { "storage_bytes": 1_073_741_824 } });

    let report = app
        .billing
        .run_jobs(due + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(report.past_due, 2, "{report:?}");
    for token in [&payer, &debtor] {
        assert_eq!(
            json_of(&app, SUBSCRIPTION, token).await["status"],
            "past_due"
        );
        assert_eq!(
            json_of(&app, "/api/v1/billing/entitlements", token).await,
            plan_features,
            "past_due is a grace: the plan's features stay"
        );
    }

    mark_paid(&app, &admin, &invoice).await;
    assert_eq!(
        json_of(&app, SUBSCRIPTION, &payer).await["status"],
        "active"
    );

    let report = app
        .billing
        .run_jobs(due + chrono::Duration::days(31))
        .await
        .unwrap();
    assert_eq!((report.uncollectible, report.unpaid), (1, 1), "{report:?}");
    assert_eq!(
        json_of(&app, SUBSCRIPTION, &debtor).await["status"],
        "unpaid"
    );
    assert_eq!(
        json_of(&app, "/api/v1/billing/entitlements", &debtor).await,
        defaults,
        "unpaid falls back to the defaults"
    );
    let written_off = &json_of(&app, INVOICES, &debtor).await["items"][0];
    assert_eq!(written_off["status"], "uncollectible");
}
