//! An organization's billing over HTTP: `/billing/*` with a token acting for the organization
//! reaches the organization's subscription (per seat, prorated seat changes), entitlements
//! and invoices (addressed to its billing contact) by the member's `org_billing:*`
//! permissions; nobody reaches them otherwise, its members' own billing included.

use plinth_audit::{AuditAction, AuditFilter, AuditLog as _};
use plinth_kernel::PageRequest;
use plinth_kernel::testing::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Options, PASSWORD, TestApp, assert_problem, spawn_app_with};
use crate::orgs::{Account, account, add_member, create, remove_member, send};
use crate::orgs_acting::acting_token;
use crate::subscriptions::create_plan;

const SUBSCRIPTION: &str = "/api/v1/billing/subscription";
const INVOICES: &str = "/api/v1/billing/invoices";
const ENTITLEMENTS: &str = "/api/v1/billing/entitlements";

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// An app whose clock starts on `start` (December, so that periods cross a year boundary).
async fn app_at(start: &str) -> TestApp {
    spawn_app_with(Options {
        clock: ManualClock::new(at(start)),
        ..Options::default()
    })
    .await
}

async fn json_of(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

async fn subscribe(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post_json(SUBSCRIPTION, &body, Some(token)).await
}

/// Signs `email` in again (after the clock moved past the access token's lifetime).
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> Account {
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    Account {
        token: pair["access_token"].as_str().unwrap().to_owned(),
        id: pair["user"]["id"].as_str().unwrap().parse().unwrap(),
    }
}

/// Northwind: Ada owns it, Bob is a plain member; a "team" plan at 20.00 USD a seat.
struct Northwind {
    admin: String,
    ada: Account,
    bob: Account,
    org: String,
    ada_org: String,
    bob_org: String,
    team: String,
}

async fn northwind(app: &TestApp) -> Northwind {
    let admin = app.admin_token().await;
    let team = create_plan(app, &admin, "team", 2_000, 0, true).await;
    let ada = account(app, "ada@northwind.example").await;
    let bob = account(app, "bob@northwind.example").await;
    let org = create(app, &ada, "Northwind").await;
    add_member(app, &org, &bob, "member").await;
    let ada_org = acting_token(app, &ada, &org).await;
    let bob_org = acting_token(app, &bob, &org).await;
    Northwind {
        admin,
        ada,
        bob,
        org,
        ada_org,
        bob_org,
        team,
    }
}

#[tokio::test]
async fn an_organization_pays_per_seat_and_its_invoice_is_addressed_to_it() {
    let app = app_at("2026-12-16T09:00:00Z").await;
    let n = northwind(&app).await;
    let contact = format!("/api/v1/orgs/{}/billing-contact", n.org);
    assert_eq!(
        json_of(&app, &contact, &n.ada.token).await,
        json!({ "name": null, "email": null }),
        "nothing set: invoices fall back to the organization's name and first owner"
    );
    let res = send(
        &app,
        Method::PUT,
        &contact,
        &n.ada.token,
        Some(json!({ "name": "Northwind GmbH", "email": "billing@northwind.example" })),
    )
    .await;
    assert_eq!(res.status(), 200);

    let res = subscribe(&app, &n.ada_org, json!({ "plan_id": n.team, "seats": 3 })).await;
    assert_eq!(res.status(), 201);
    let sub: Value = res.json().await.unwrap();
    assert_eq!(sub["org_id"], n.org.as_str());
    assert_eq!(sub["seats"], 3);
    assert_eq!(sub["price"]["amount"], 2_000, "the price is per seat");
    assert_eq!(sub["period_price"]["amount"], 6_000);
    assert_eq!(sub["current_period_end"], "2027-01-16T09:00:00Z");

    let invoices = json_of(&app, INVOICES, &n.ada_org).await;
    let items = invoices["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{invoices}");
    let invoice = &items[0];
    assert_eq!(invoice["org_id"], n.org.as_str());
    assert_eq!(invoice["total"], 6_000);
    assert_eq!(
        invoice["customer"],
        json!({ "name": "Northwind GmbH", "email": "billing@northwind.example" })
    );
    assert_eq!(
        invoice["lines"][0]["description"],
        "TEAM × 3 seats, 2026-12-16 – 2027-01-16"
    );
    let id = invoice["id"].as_str().unwrap();
    let pdf = app
        .get(&format!("{INVOICES}/{id}/pdf"), Some(&n.ada_org))
        .await;
    assert_eq!(pdf.status(), 200);

    // The organization's plan is what its members use while acting for it.
    let features = &json_of(&app, ENTITLEMENTS, &n.ada_org).await["features"];
    assert_eq!(features["storage_bytes"], 2_000_000);
    assert_eq!(features["seats"], 3);
    assert_eq!(features["api_access"], true);

    // Ada acting for herself has no subscription and no invoice: the organization's are not
    // hers, though she subscribed and answers for it.
    let res = app.get(SUBSCRIPTION, Some(&n.ada.token)).await;
    assert_problem(res, 404, "not_found").await;
    assert_eq!(
        json_of(&app, INVOICES, &n.ada.token).await["items"],
        json!([])
    );
    for path in [format!("{INVOICES}/{id}"), format!("{INVOICES}/{id}/pdf")] {
        let res = app.get(&path, Some(&n.ada.token)).await;
        assert_problem(res, 404, "not_found").await;
    }
    let own = &json_of(&app, ENTITLEMENTS, &n.ada.token).await["features"];
    assert_eq!(own.get("seats"), None);
    assert_eq!(own["storage_bytes"], 1 << 30, "her own: the default");

    // A plain member uses the plan but sees no billing: 403 naming the permission.
    for path in [
        SUBSCRIPTION.to_owned(),
        INVOICES.to_owned(),
        format!("{INVOICES}/{id}"),
        ENTITLEMENTS.to_owned(),
    ] {
        let res = app.get(&path, Some(&n.bob_org)).await;
        assert_eq!(res.status(), 403, "{path}");
        let problem: Value = res.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("org_billing:read"),
            "{problem}"
        );
    }
    let res = subscribe(&app, &n.bob_org, json!({ "plan_id": n.team, "seats": 1 })).await;
    assert_eq!(res.status(), 403);
    let res = app.get(&contact, Some(&n.bob.token)).await;
    assert_eq!(res.status(), 403);

    // Every change is in the organization's audit trail.
    let filter = AuditFilter {
        org_id: Some(n.org.parse().unwrap()),
        ..AuditFilter::default()
    };
    let actions: Vec<AuditAction> = app
        .audit_log
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        AuditAction::OrgBillingContactChanged,
        AuditAction::SubscriptionChanged,
        AuditAction::InvoiceFinalized,
    ] {
        assert!(actions.contains(&action), "{action:?} in {actions:?}");
    }
    drop(n.admin);
}

#[tokio::test]
async fn seat_changes_are_prorated_both_ways_across_the_new_year() {
    let app = app_at("2026-12-16T00:00:00Z").await;
    let n = northwind(&app).await;
    let res = subscribe(&app, &n.ada_org, json!({ "plan_id": n.team, "seats": 3 })).await;
    assert_eq!(res.status(), 201);

    // Half of the 31-day period later (New Year's Eve, noon): 3 → 5 seats costs half of two
    // seats (2 000), then 5 → 4 credits half of one (1 000).
    app.clock.set(at("2026-12-31T12:00:00Z"));
    let ada = sign_in(&app, "ada@northwind.example").await;
    let ada_org = acting_token(&app, &ada, &n.org).await;
    let res = subscribe(&app, &ada_org, json!({ "plan_id": n.team, "seats": 5 })).await;
    assert_eq!(res.status(), 200);
    let sub: Value = res.json().await.unwrap();
    assert_eq!(
        (sub["seats"].clone(), sub["period_price"]["amount"].clone()),
        (json!(5), json!(10_000))
    );
    let res = subscribe(&app, &ada_org, json!({ "plan_id": n.team, "seats": 4 })).await;
    assert_eq!(res.status(), 200);
    let res = subscribe(&app, &ada_org, json!({ "plan_id": n.team })).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["seats"],
        4,
        "no `seats`: the count stays"
    );
    let pending: Vec<i64> = app
        .subscriptions
        .items_of(ada.id)
        .iter()
        .map(|i| i.amount.amount)
        .collect();
    assert_eq!(pending, [2_000, -1_000]);

    // The renewal bills four seats plus the charge, less the credit.
    let first = &json_of(&app, INVOICES, &ada_org).await["items"][0];
    let res = app
        .post_json(
            &format!(
                "/api/v1/admin/invoices/{}/mark-paid",
                first["id"].as_str().unwrap()
            ),
            &json!({}),
            Some(&sign_in(&app, "root@example.com").await.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let report = app
        .billing_jobs
        .run_jobs(at("2027-01-16T00:00:01Z"))
        .await
        .unwrap();
    assert_eq!((report.renewed, report.invoiced), (1, 1), "{report:?}");
    app.clock.set(at("2027-01-16T00:00:02Z"));
    let ada = sign_in(&app, "ada@northwind.example").await;
    let ada_org = acting_token(&app, &ada, &n.org).await;
    let renewal = &json_of(&app, INVOICES, &ada_org).await["items"][0];
    assert_eq!(
        renewal["number"], "INV-2027-000001",
        "numbered in the new year"
    );
    assert_eq!(renewal["total"], 8_000 + 2_000 - 1_000);
    assert_eq!(
        renewal["lines"][0]["description"],
        "TEAM × 4 seats, 2027-01-16 – 2027-02-16 (less a credit of 10.00 USD)"
    );
}

#[tokio::test]
async fn bad_seat_counts_are_refused_and_change_nothing() {
    let app = app_at("2026-12-16T09:00:00Z").await;
    let n = northwind(&app).await;
    let res = subscribe(&app, &n.ada.token, json!({ "plan_id": n.team, "seats": 2 })).await;
    assert_problem(res, 422, "validation_failed").await;
    for seats in [json!(0), json!(10_001)] {
        let res = subscribe(
            &app,
            &n.ada_org,
            json!({ "plan_id": n.team, "seats": seats }),
        )
        .await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let res = subscribe(&app, &n.ada_org, json!({ "plan_id": n.team, "seats": -1 })).await;
    assert_eq!(res.status(), 422, "not a seat count at all");
    for token in [&n.ada.token, &n.ada_org] {
        let res = app.get(SUBSCRIPTION, Some(token)).await;
        assert_eq!(res.status(), 404);
    }
    assert!(app.subscriptions.all_of(n.ada.id).is_empty());
}

#[tokio::test]
async fn a_removed_member_cannot_commit_the_organization_to_pay_with_a_stale_token() {
    let app = app_at("2026-12-16T09:00:00Z").await;
    let n = northwind(&app).await;
    let carol = account(&app, "carol@northwind.example").await;
    add_member(&app, &n.org, &carol, "admin").await;
    let carol_org = acting_token(&app, &carol, &n.org).await;
    let res = remove_member(&app, &n.org, carol.id, &n.ada.token).await;
    assert_eq!(res.status(), 204);
    // Her token is still within the revocation bound on this replica; the use case reads her
    // standing again.
    let res = subscribe(&app, &carol_org, json!({ "plan_id": n.team, "seats": 9 })).await;
    assert_problem(res, 401, "unauthenticated").await;
    assert!(app.subscriptions.all_of(carol.id).is_empty());
    let res = app.get(SUBSCRIPTION, Some(&n.ada_org)).await;
    assert_eq!(res.status(), 404, "nothing was subscribed");
    drop(n.bob_org);
}

#[tokio::test]
async fn deleting_the_organization_ends_its_subscription_and_keeps_its_invoices() {
    let app = app_at("2026-12-16T09:00:00Z").await;
    let n = northwind(&app).await;
    let pro = create_plan(&app, &n.admin, "team-pro", 5_000, 0, true).await;
    let res = subscribe(&app, &n.ada_org, json!({ "plan_id": n.team, "seats": 2 })).await;
    assert_eq!(res.status(), 201);
    app.clock.set(at("2026-12-31T09:00:00Z"));
    let ada = sign_in(&app, "ada@northwind.example").await;
    let ada_org = acting_token(&app, &ada, &n.org).await;
    let res = subscribe(&app, &ada_org, json!({ "plan_id": pro })).await;
    assert_eq!(res.status(), 200, "an upgrade: prorated for two seats");
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/orgs/{}", n.org),
        &ada.token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);

    let subs = app.subscriptions.all_of(ada.id);
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].status, plinth_billing::SubscriptionStatus::Canceled);
    assert!(
        app.billing_jobs
            .run_jobs(at("2027-02-01T00:00:00Z"))
            .await
            .unwrap()
            .renewed
            == 0,
        "an ended subscription is never renewed"
    );
    // Both invoices stay, the final one billing the upgrade's proration: 16 of 31 days of
    // two seats × 30.00 USD.
    let admin = sign_in(&app, "root@example.com").await;
    let all = json_of(&app, "/api/v1/admin/invoices?limit=10", &admin.token).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{all}");
    assert!(items.iter().all(|i| i["org_id"] == n.org.as_str()));
    assert_eq!(items[0]["total"], 3_097);
    assert_eq!(items[0]["customer"]["name"], "Northwind");
    assert_eq!(items[0]["customer"]["email"], "ada@northwind.example");
}

#[tokio::test]
async fn an_organizations_storage_quota_comes_from_its_plan() {
    let app = spawn_app_with(Options {
        default_storage_bytes: 100,
        ..Options::default()
    })
    .await;
    let n = northwind(&app).await;
    let res = app.upload(&n.ada_org, "big.txt", vec![b'x'; 500]).await;
    assert_problem(res, 413, "quota_exceeded").await;
    // `create_plan` gives 1 000 bytes per cent of price: 1.00 USD → 100 000 bytes.
    let small = create_plan(&app, &n.admin, "small", 100, 0, true).await;
    let res = subscribe(&app, &n.ada_org, json!({ "plan_id": small, "seats": 1 })).await;
    assert_eq!(res.status(), 201);
    let res = app.upload(&n.bob_org, "big.txt", vec![b'x'; 500]).await;
    assert_eq!(res.status(), 201, "any member acting for it uses the plan");
    let res = app.upload(&n.bob.token, "mine.txt", vec![b'x'; 500]).await;
    assert_problem(res, 413, "quota_exceeded").await;
}
