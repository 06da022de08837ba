//! What a subscriber sees of the billing cycle over HTTP: each paid period's finalised invoice
//! in `GET /billing/invoices`, and the subscription going `past_due` / `unpaid` / back to
//! `active` as its invoices go overdue, are written off or are paid.

use plinth_kernel::Clock as _;
use plinth_kernel::testing::ManualClock;
use serde_json::{Value, json};

use crate::helpers::{Options, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with};
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
    // The app's fixed clock: mid-June, so the renewal a month on falls in the same year.
    let year = app.clock.now().format("%Y").to_string();

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
    let report = app.billing_jobs.run_jobs(after).await.unwrap();
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
    let again = app.billing_jobs.run_jobs(after).await.unwrap();
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
        .billing_jobs
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
        .billing_jobs
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

/// Subscribes at `start` to a plan of `interval`, pays the first invoice, moves the clock to
/// just after the period's end and runs the jobs. Returns the numbers of the first and the
/// renewal invoice, the first period's end and the renewed period's end as the API shows them.
async fn renew_once(start: &str, interval: &str) -> [String; 4] {
    let app = spawn_app_with(Options {
        clock: ManualClock::new(at(start)),
        ..Options::default()
    })
    .await;
    let admin = app.admin_token().await;
    let res = app
        .post_json(
            "/api/v1/admin/plans",
            &json!({ "code": "edge", "name": "Edge", "active": true,
                     "price": { "amount": 1_000, "currency": "USD" },
                     "interval": interval, "trial_days": 0, "features": {} }),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), 201);
    let plan: Value = res.json().await.unwrap();
    let (token, _) = user(&app, "edge@example.com").await;
    let res = app
        .post_json(
            SUBSCRIPTION,
            &json!({ "plan_id": plan["id"] }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sub: Value = res.json().await.unwrap();
    assert_eq!(time(&sub["current_period_start"]), at(start));
    let first = json_of(&app, INVOICES, &token).await["items"][0].clone();
    mark_paid(&app, &admin, &first).await;

    app.clock
        .set(time(&sub["current_period_end"]) + chrono::Duration::seconds(1));
    let report = app.billing_jobs.run_jobs(app.clock.now()).await.unwrap();
    assert_eq!((report.renewed, report.invoiced), (1, 1), "{report:?}");
    // The access token of a month (or a year) ago has long expired: sign in again.
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "edge@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = json_of(&app, INVOICES, &token).await["items"].clone();
    assert_eq!(items[1]["number"], first["number"]);
    let renewed = json_of(&app, SUBSCRIPTION, &token).await;
    assert_eq!(renewed["current_period_start"], sub["current_period_end"]);
    [
        first["number"].as_str().unwrap().to_owned(),
        items[0]["number"].as_str().unwrap().to_owned(),
        time(&sub["current_period_end"]).to_rfc3339(),
        time(&renewed["current_period_end"]).to_rfc3339(),
    ]
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[tokio::test]
async fn a_period_starting_in_the_last_minute_of_a_year_renews_in_january_numbered_from_one() {
    assert_eq!(
        renew_once("2026-12-31T23:59:00Z", "month").await,
        [
            "INV-2026-000001",
            "INV-2027-000001",
            "2027-01-31T23:59:00+00:00",
            "2027-02-28T23:59:00+00:00",
        ]
    );
}

#[tokio::test]
async fn a_monthly_period_starting_on_29_february_renews_on_the_29th() {
    assert_eq!(
        renew_once("2028-02-29T12:00:00Z", "month").await,
        [
            "INV-2028-000001",
            "INV-2028-000002",
            "2028-03-29T12:00:00+00:00",
            "2028-04-29T12:00:00+00:00",
        ]
    );
}

#[tokio::test]
async fn a_yearly_period_starting_on_29_february_renews_on_28_february() {
    assert_eq!(
        renew_once("2028-02-29T12:00:00Z", "year").await,
        [
            "INV-2028-000001",
            "INV-2029-000001",
            "2029-02-28T12:00:00+00:00",
            "2030-02-28T12:00:00+00:00",
        ]
    );
}
