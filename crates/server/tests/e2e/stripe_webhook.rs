//! The Stripe webhook through the real stack (SQLite, or PostgreSQL when `TEST_DATABASE_URL`
//! is set): a signed `invoice.paid` pays the invoice once, however often and however
//! concurrently it is delivered; refused signatures change nothing; revenue in
//! `/admin/stats` follows; without `STRIPE_WEBHOOK_SECRET` the route is 409
//! `payments_not_configured`; a payment whose amount, currency or payment intent is not the
//! invoice's is recorded and audited, not applied. Paying an
//! invoice against a fake Stripe (`STRIPE_API_BASE`) keeps one payment intent, and the
//! `payment_intent.succeeded` webhook then marks it paid.

use plinth_security::StripeSignatureVerifier;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::admin_users::super_admin;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const SECRET: &str = "whsec_e2e_0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";
const WEBHOOK: &str = "/api/v1/billing/webhooks/stripe";

async fn app_with_secret() -> TestApp {
    spawn_app_with(|s| s.billing.stripe_webhook_secret = Some(SecretString::from(SECRET))).await
}

fn signer(secret: &str) -> StripeSignatureVerifier {
    StripeSignatureVerifier::new(SecretString::from(secret))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An open USD invoice of a new customer: (id, total).
async fn open_invoice(app: &TestApp, admin: &str) -> (String, i64) {
    let (_, pair) = app.register_user().await;
    let customer = pair["user"]["id"].as_str().unwrap();
    let res = app
        .post_json(
            "/api/v1/admin/invoices",
            &json!({
                "user_id": customer, "currency": "USD", "due_in_days": 14,
                "lines": [{ "description": "Pro plan", "quantity": 1, "unit_amount": 14_900 }]
            }),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_json(
            &format!("/api/v1/admin/invoices/{id}/finalize"),
            &json!({}),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let total = res.json::<Value>().await.unwrap()["total"]
        .as_i64()
        .unwrap();
    // Its payment is started: `pi_<id>` recorded on it, as `POST …/pay` does with Stripe.
    let uow = app.database.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    let invoice_id = plinth_billing::InvoiceId::from_uuid(id.parse().unwrap());
    app.database
        .invoices()
        .set_provider_payment_id(tx.as_mut(), invoice_id, &format!("pi_{id}"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (id, total)
}

/// A Stripe payment event of `kind` for `invoice`, paying `amount` `currency` with payment
/// intent `intent`: in the intent's `id` and `amount_received` for
/// `payment_intent.succeeded`, in a Stripe invoice's `payment_intent` and `amount_paid` for
/// `invoice.paid`.
fn payment(
    event_id: &str,
    kind: &str,
    invoice: &str,
    intent: &str,
    amount: i64,
    currency: &str,
) -> String {
    let mut object = json!({ "currency": currency, "metadata": { "plinth_invoice_id": invoice } });
    if kind == "invoice.paid" {
        object["id"] = "in_123".into();
        object["payment_intent"] = intent.into();
        object["amount_paid"] = amount.into();
    } else {
        object["id"] = intent.into();
        object["object"] = "payment_intent".into();
        object["amount_received"] = amount.into();
    }
    json!({ "id": event_id, "object": "event", "type": kind, "data": { "object": object } })
        .to_string()
}

/// The event paying an [`open_invoice`] (14 900 USD, its recorded payment intent).
fn event(event_id: &str, kind: &str, invoice: &str) -> String {
    payment(
        event_id,
        kind,
        invoice,
        &format!("pi_{invoice}"),
        14_900,
        "usd",
    )
}

async fn deliver(app: &TestApp, body: &str, signature: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(WEBHOOK))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body.to_owned());
    if let Some(sig) = signature {
        req = req.header("Stripe-Signature", sig);
    }
    req.send().await.unwrap()
}

async fn status_of(app: &TestApp, admin: &str, id: &str) -> String {
    let res = app
        .get_auth(&format!("/api/v1/admin/invoices/{id}"), admin)
        .await;
    res.json::<Value>().await.unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn audit_count(app: &TestApp, admin: &str, action: &str, target: &str) -> usize {
    let res = app
        .get_auth(
            &format!("/api/v1/admin/audit?action={action}&target_id={target}&limit=100"),
            admin,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn outcome(res: reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["outcome"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_signed_invoice_paid_event_pays_once_and_refused_ones_change_nothing() {
    let app = app_with_secret().await;
    let admin = super_admin(&app).await;
    let (id, total) = open_invoice(&app, &admin).await;
    let body = event("evt_e2e_paid", "invoice.paid", &id);
    let inbox = app.database.payment_events();

    // Refused: tampered body, wrong secret, old timestamp, missing or garbled header.
    let good = signer(SECRET).sign(now(), body.as_bytes());
    let tampered = body.replace("evt_e2e_paid", "evt_e2e_pai0");
    let refused = [
        (tampered.clone(), Some(good.clone())),
        (
            body.clone(),
            Some(signer("whsec_wrong").sign(now(), body.as_bytes())),
        ),
        (
            body.clone(),
            Some(signer(SECRET).sign(now() - 301, body.as_bytes())),
        ),
        (body.clone(), None),
        (body.clone(), Some("t=abc".to_owned())),
    ];
    for (b, sig) in &refused {
        let res = deliver(&app, b, sig.as_deref()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{sig:?}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "bad_request");
        assert!(!problem.to_string().contains(SECRET));
    }
    assert_eq!(status_of(&app, &admin, &id).await, "open");
    assert!(inbox.entry("evt_e2e_paid").await.unwrap().is_none());
    assert!(inbox.entry("evt_e2e_pai0").await.unwrap().is_none());

    // Several v1 (a rolled secret), one of them right: accepted and applied.
    let old = signer("whsec_old_secret").sign(now(), body.as_bytes());
    let old_v1 = old.split_once(",v1=").unwrap().1;
    let header = format!("{good},v1={old_v1}");
    assert_eq!(
        outcome(deliver(&app, &body, Some(&header)).await).await,
        "applied"
    );
    assert_eq!(status_of(&app, &admin, &id).await, "paid");
    let entry = inbox.entry("evt_e2e_paid").await.unwrap().unwrap();
    assert_eq!(entry.outcome.as_deref(), Some("applied"));
    assert!(entry.processed_at.is_some());

    // Redelivered: acknowledged, not applied again.
    let again = signer(SECRET).sign(now(), body.as_bytes());
    assert_eq!(
        outcome(deliver(&app, &body, Some(&again)).await).await,
        "duplicate"
    );
    assert_eq!(
        audit_count(&app, &admin, "billing.invoice_paid", &id).await,
        1
    );
    assert_eq!(
        audit_count(&app, &admin, "billing.webhook_received", "evt_e2e_paid").await,
        1
    );

    // Revenue: paid this month, nothing outstanding; another open invoice is outstanding.
    let (_, other_total) = open_invoice(&app, &admin).await;
    let stats: Value = app
        .get_auth("/api/v1/admin/stats", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["revenue"],
        json!({
            "paid_this_month": [{ "amount": total, "currency": "USD" }],
            "outstanding": [{ "amount": other_total, "currency": "USD" }],
            "overdue": []
        })
    );

    // A payment naming no invoice of ours, and a subscription event: recorded, 200.
    let unknown = event(
        "evt_e2e_unknown",
        "payment_intent.succeeded",
        &uuid::Uuid::now_v7().to_string(),
    );
    let sig = signer(SECRET).sign(now(), unknown.as_bytes());
    assert_eq!(
        outcome(deliver(&app, &unknown, Some(&sig)).await).await,
        "ignored"
    );
    let other = event("evt_e2e_other", "customer.created", &id);
    let sig = signer(SECRET).sign(now(), other.as_bytes());
    assert_eq!(
        outcome(deliver(&app, &other, Some(&sig)).await).await,
        "unhandled"
    );
    assert_eq!(
        inbox
            .entry("evt_e2e_other")
            .await
            .unwrap()
            .unwrap()
            .outcome
            .as_deref(),
        Some("unhandled")
    );
}

#[tokio::test]
async fn a_payment_that_is_not_the_invoice_is_recorded_and_audited_but_not_applied() {
    let app = app_with_secret().await;
    let admin = super_admin(&app).await;
    let (id, total) = open_invoice(&app, &admin).await;
    let intent = format!("pi_{id}");
    let wrong = [
        (
            "evt_e2e_amount",
            "payment_intent.succeeded",
            intent.as_str(),
            1,
            "usd",
        ),
        (
            "evt_e2e_currency",
            "payment_intent.succeeded",
            intent.as_str(),
            total,
            "eur",
        ),
        (
            "evt_e2e_intent",
            "payment_intent.succeeded",
            "pi_not_ours",
            total,
            "usd",
        ),
        (
            "evt_e2e_inv_intent",
            "invoice.paid",
            "pi_not_ours",
            total,
            "usd",
        ),
    ];
    for (event_id, kind, pi, amount, currency) in wrong {
        let body = payment(event_id, kind, &id, pi, amount, currency);
        let sig = signer(SECRET).sign(now(), body.as_bytes());
        // 2xx, so Stripe does not redeliver for days an event that would never match.
        assert_eq!(
            outcome(deliver(&app, &body, Some(&sig)).await).await,
            "payment_mismatch",
            "{event_id}"
        );
        assert_eq!(status_of(&app, &admin, &id).await, "open", "{event_id}");
    }
    assert_eq!(
        audit_count(&app, &admin, "billing.payment_mismatch", &id).await,
        4
    );
    assert_eq!(
        audit_count(&app, &admin, "billing.invoice_paid", &id).await,
        0
    );
    let res = app
        .get_auth(
            &format!(
                "/api/v1/admin/audit?action=billing.payment_mismatch&target_id={id}&limit=100"
            ),
            &admin,
        )
        .await;
    let items = res.json::<Value>().await.unwrap()["items"].clone();
    let currency = items
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["details"]["stripe_event_id"] == "evt_e2e_currency")
        .unwrap();
    assert_eq!(
        currency["details"]["expected"],
        json!({ "amount": total, "currency": "USD", "provider_payment_id": intent })
    );
    assert_eq!(currency["details"]["received"]["currency"], "EUR");
    let entry = app
        .database
        .payment_events()
        .entry("evt_e2e_intent")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.outcome.as_deref(), Some("payment_mismatch"));

    // The payment that is the invoice pays it.
    let body = event("evt_e2e_right", "payment_intent.succeeded", &id);
    let sig = signer(SECRET).sign(now(), body.as_bytes());
    assert_eq!(
        outcome(deliver(&app, &body, Some(&sig)).await).await,
        "applied"
    );
    assert_eq!(status_of(&app, &admin, &id).await, "paid");
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_apply_it_once() {
    let app = app_with_secret().await;
    let admin = super_admin(&app).await;
    let (id, _) = open_invoice(&app, &admin).await;
    let body = event("evt_e2e_concurrent", "invoice.paid", &id);
    let sig = signer(SECRET).sign(now(), body.as_bytes());
    let deliveries = (0..8).map(|_| async {
        let res = deliver(&app, &body, Some(&sig)).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, text)
    });
    let results = futures::future::join_all(deliveries).await;
    let mut outcomes: Vec<String> = results
        .iter()
        .map(|(status, text)| {
            assert_eq!(*status, StatusCode::OK, "{text}");
            serde_json::from_str::<Value>(text).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes[0], "applied");
    assert!(
        outcomes[1..].iter().all(|o| o == "duplicate"),
        "{outcomes:?}"
    );
    assert_eq!(status_of(&app, &admin, &id).await, "paid");
    assert_eq!(
        audit_count(&app, &admin, "billing.invoice_paid", &id).await,
        1
    );
}

#[tokio::test]
async fn without_a_webhook_secret_the_route_is_a_4xx_not_configured() {
    let app = spawn_app().await;
    let body = event(
        "evt_e2e_off",
        "invoice.paid",
        &uuid::Uuid::now_v7().to_string(),
    );
    let sig = signer(SECRET).sign(now(), body.as_bytes());
    let res = deliver(&app, &body, Some(&sig)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "payments_not_configured"
    );
    assert!(
        app.database
            .payment_events()
            .entry("evt_e2e_off")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn billing_run_jobs_makes_invoices_past_the_grace_uncollectible_once() {
    let app = spawn_app().await;
    let admin = super_admin(&app).await;
    let (_, pair) = app.register_user().await;
    let customer = pair["user"]["id"].as_str().unwrap();
    // Due at finalisation, so past a grace of 0 s at once; the 14-day one is not.
    let mut ids = Vec::new();
    for due in [0, 14] {
        let res = app
            .post_json(
                "/api/v1/admin/invoices",
                &json!({
                    "user_id": customer, "currency": "EUR", "due_in_days": due,
                    "lines": [{ "description": "Support", "quantity": 1, "unit_amount": 900 }]
                }),
                Some(&admin),
                None,
            )
            .await;
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .post_json(
                &format!("/api/v1/admin/invoices/{id}/finalize"),
                &json!({}),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        ids.push(id);
    }
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        crate::helpers::plinth(dir.path())
            .args(["billing", "run-jobs"])
            .env("DATABASE_URL", &app.database_url)
            .env(
                "STORAGE_URL",
                format!("file://{}", app.storage_dir.display()),
            )
            .env("BILLING_UNCOLLECTIBLE_AFTER", "0s")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    let report_with = |uncollectible: u64| {
        json!({
            "renewed": 0, "canceled": 0, "invoiced": 0, "renewals_failed": 0,
            "past_due": 0, "unpaid": 0, "uncollectible": uncollectible
        })
    };
    assert_eq!(report, report_with(1));
    assert_eq!(status_of(&app, &admin, &ids[0]).await, "uncollectible");
    assert_eq!(status_of(&app, &admin, &ids[1]).await, "open");
    let second = run();
    assert!(second.status.success());
    let report: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(report, report_with(0), "idempotent");
    assert_eq!(
        audit_count(&app, &admin, "billing.invoice_uncollectible", &ids[0]).await,
        1
    );
}

/// A live EUR subscription of a new user over HTTP: (token, subscription id).
async fn subscriber(app: &TestApp) -> (String, String) {
    let plan = crate::helpers::store_plan(app, "Team").await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan }),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (token, id)
}

fn subscription_event(event_id: &str, kind: &str, subscription: &str, status: &str) -> String {
    json!({
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": { "object": { "id": "sub_123", "object": "subscription", "status": status,
            "metadata": { "plinth_subscription_id": subscription } } }
    })
    .to_string()
}

#[tokio::test]
async fn stripe_subscription_events_sync_the_status_once() {
    let app = app_with_secret().await;
    let admin = super_admin(&app).await;
    let (token, sub) = subscriber(&app).await;
    let send = |body: String| {
        let app = &app;
        async move {
            let sig = signer(SECRET).sign(now(), body.as_bytes());
            outcome(deliver(app, &body, Some(&sig)).await).await
        }
    };
    let status = |app: &TestApp| {
        let req = app
            .client
            .get(app.url("/api/v1/billing/subscription"))
            .bearer_auth(token.clone());
        async move { req.send().await.unwrap() }
    };

    let updated = subscription_event(
        "evt_e2e_sub_1",
        "customer.subscription.updated",
        &sub,
        "past_due",
    );
    assert_eq!(send(updated.clone()).await, "applied");
    let res = status(&app).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "past_due");
    assert_eq!(send(updated).await, "duplicate");

    let deleted = subscription_event(
        "evt_e2e_sub_2",
        "customer.subscription.deleted",
        &sub,
        "canceled",
    );
    assert_eq!(send(deleted).await, "applied");
    assert_eq!(status(&app).await.status(), StatusCode::NOT_FOUND);
    let revive = subscription_event(
        "evt_e2e_sub_3",
        "customer.subscription.updated",
        &sub,
        "active",
    );
    assert_eq!(send(revive).await, "already_settled");
    assert_eq!(status(&app).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        audit_count(&app, &admin, "billing.subscription_changed", &sub).await,
        3,
        "subscribed, then two syncs"
    );
    let entry = app
        .database
        .payment_events()
        .entry("evt_e2e_sub_2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.outcome.as_deref(), Some("applied"));
}

/// The `(method, path)` of every call the fake Stripe saw.
type Calls = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A fake Stripe on 127.0.0.1 answering payment intents (one per idempotency key) and their
/// retrieval; returns its base URL and the calls it saw.
fn fake_stripe() -> (String, Calls) {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    async fn handle(req: HttpRequest, calls: web::Data<Calls>) -> HttpResponse {
        let path = req.path().to_owned();
        calls
            .lock()
            .unwrap()
            .push((req.method().to_string(), path.clone()));
        assert_eq!(
            req.headers()
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap(),
            format!("Bearer {STRIPE_KEY}")
        );
        if path == "/v1/customers" {
            return HttpResponse::Ok().json(json!({ "id": "cus_e2e", "object": "customer" }));
        }
        let id = path
            .strip_prefix("/v1/payment_intents/")
            .unwrap_or("pi_e2e1");
        HttpResponse::Ok().json(json!({
            "id": id, "object": "payment_intent", "client_secret": format!("{id}_secret_e2e"),
            "status": "requires_payment_method"
        }))
    }
    let calls = Calls::default();
    let data = web::Data::new(std::sync::Arc::clone(&calls));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(handle))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), calls)
}

const STRIPE_KEY: &str = "sk_test_e2e_never_shown_77";

#[tokio::test]
async fn paying_an_invoice_then_stripes_webhook_marks_it_paid() {
    let (base, calls) = fake_stripe();
    let app = spawn_app_with(|s| {
        s.billing.stripe_webhook_secret = Some(SecretString::from(SECRET));
        s.billing.stripe_api_key = Some(SecretString::from(STRIPE_KEY));
        s.billing.stripe_api_base = base;
    })
    .await;
    let admin = super_admin(&app).await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    let customer = pair["user"]["id"].as_str().unwrap();
    let res = app
        .post_json(
            "/api/v1/admin/invoices",
            &json!({
                "user_id": customer, "currency": "USD", "due_in_days": 14,
                "lines": [{ "description": "Pro plan", "quantity": 1, "unit_amount": 14_900 }]
            }),
            Some(&admin),
            None,
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pay_path = format!("/api/v1/billing/invoices/{id}/pay");
    // A draft cannot be paid (nor seen) by its customer.
    let res = app
        .post_json(&pay_path, &json!({}), Some(token), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_json(
            &format!("/api/v1/admin/invoices/{id}/finalize"),
            &json!({}),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Pay: the client secret to confirm with Stripe.js; the intent id is stored.
    let res = app
        .post_json(&pay_path, &json!({}), Some(token), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["payment_intent_id"], "pi_e2e1");
    assert_eq!(body["client_secret"], "pi_e2e1_secret_e2e");
    assert_eq!(
        body["amount"],
        json!({ "amount": 14_900, "currency": "USD" })
    );
    let invoice_id = plinth_billing::InvoiceId::from_uuid(id.parse().unwrap());
    let stored = app
        .database
        .invoices()
        .invoice(invoice_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.provider_payment_id.as_deref(), Some("pi_e2e1"));
    // Again: the stored intent is retrieved, never created twice.
    let res = app
        .post_json(&pay_path, &json!({}), Some(token), None)
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["payment_intent_id"],
        "pi_e2e1"
    );
    let seen = calls.lock().unwrap().clone();
    let creates = seen
        .iter()
        .filter(|(m, p)| m == "POST" && p == "/v1/payment_intents")
        .count();
    assert_eq!(creates, 1, "{seen:?}");
    assert!(seen.contains(&("GET".to_owned(), "/v1/payment_intents/pi_e2e1".to_owned())));

    // Stripe reports the success: the invoice is paid, and paying again is a conflict.
    let succeeded = payment(
        "evt_e2e_pay",
        "payment_intent.succeeded",
        &id,
        "pi_e2e1",
        14_900,
        "usd",
    );
    let sig = signer(SECRET).sign(now(), succeeded.as_bytes());
    assert_eq!(
        outcome(deliver(&app, &succeeded, Some(&sig)).await).await,
        "applied"
    );
    assert_eq!(status_of(&app, &admin, &id).await, "paid");
    let res = app
        .post_json(&pay_path, &json!({}), Some(token), None)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // One payment_started entry; the API key and the client secret are in no audit row.
    assert_eq!(
        audit_count(&app, &admin, "billing.payment_started", &id).await,
        1
    );
    let audit = app
        .get_auth(
            &format!("/api/v1/admin/audit?target_id={id}&limit=100"),
            &admin,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("pi_e2e1"), "{audit}");
    assert!(!audit.contains(STRIPE_KEY) && !audit.contains("secret_e2e"));
}
