//! `POST /api/v1/billing/invoices/{id}/pay` through the real `StripeGateway` against a fake
//! Stripe served by actix-web on 127.0.0.1 (never the network): the client secret comes back,
//! the invoice keeps one payment intent for ever, only the caller's open invoices are payable,
//! Stripe's failures and refusals map to 503 and 502, and the API key never shows; without
//! Stripe settings the route is a 409 `payments_not_configured` (an unknown invoice a 404).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use plinth_audit::{AuditAction, AuditFilter, AuditLog as _};
use plinth_billing::InvoiceId;
use plinth_kernel::PageRequest;
use plinth_stripe::{StripeConfig, StripeGateway};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};

const API_KEY: &str = "sk_test_plinth_api_tests_4242";

/// How the fake answers.
#[derive(Clone, Copy)]
enum Mode {
    Normal,
    ServerError,
    CardError,
}

/// What the fake saw: `(method, path)` of every call.
#[derive(Clone, Default)]
struct Fake {
    calls: Arc<Mutex<Vec<(String, String)>>>,
    /// Payment intent ids by idempotency key, as Stripe replays them.
    intents: Arc<Mutex<HashMap<String, String>>>,
}

impl Fake {
    fn count(&self, method: &str, prefix: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p)| m == method && p.starts_with(prefix))
            .count()
    }
}

fn intent(id: &str, status: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": id, "object": "payment_intent", "client_secret": format!("{id}_secret_fake"),
        "status": status
    }))
}

async fn handle(req: HttpRequest, fake: web::Data<Fake>, mode: web::Data<Mode>) -> HttpResponse {
    let path = req.path().to_owned();
    fake.calls
        .lock()
        .unwrap()
        .push((req.method().to_string(), path.clone()));
    let authorized = req
        .headers()
        .get("authorization")
        .is_some_and(|v| v.to_str().unwrap() == format!("Bearer {API_KEY}"));
    assert!(authorized, "every call carries the API key");
    match **mode {
        Mode::ServerError => return HttpResponse::InternalServerError().finish(),
        Mode::CardError => {
            return HttpResponse::PaymentRequired().json(json!({
                "error": { "type": "card_error", "message": "Your card was declined." }
            }));
        }
        Mode::Normal => {}
    }
    if path == "/v1/customers" {
        return HttpResponse::Ok().json(json!({ "id": "cus_fake1", "object": "customer" }));
    }
    if let Some(id) = path.strip_prefix("/v1/payment_intents/") {
        return intent(id, "processing");
    }
    let key = req
        .headers()
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let mut intents = fake.intents.lock().unwrap();
    let n = intents.len() + 1;
    let id = intents
        .entry(key)
        .or_insert_with(|| format!("pi_fake{n}"))
        .clone();
    intent(&id, "requires_payment_method")
}

/// Serves a fake Stripe; returns its base URL and what it sees.
fn fake_stripe(mode: Mode) -> (String, Fake) {
    let fake = Fake::default();
    let data = web::Data::new(fake.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::Data::new(mode))
            .default_service(web::to(handle))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), fake)
}

/// The app with `StripeGateway` pointed at a fake Stripe in `mode`.
async fn app_with_stripe(mode: Mode) -> (TestApp, Fake) {
    let (base, fake) = fake_stripe(mode);
    let gateway = StripeGateway::new(StripeConfig {
        api_base: base,
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        ..StripeConfig::new(SecretString::from(API_KEY))
    })
    .unwrap();
    let app = spawn_app_with(Options {
        payment_gateway: Some(Arc::new(gateway)),
        ..Options::default()
    })
    .await;
    (app, fake)
}

/// A customer's `(token, user id)`.
async fn customer(app: &TestApp, email: &str) -> (String, String) {
    let pair = app.register(email).await;
    (
        pair["access_token"].as_str().unwrap().to_owned(),
        pair["user"]["id"].as_str().unwrap().to_owned(),
    )
}

/// A USD invoice of `user_id` for 149.00, finalised unless `finalize` is false: its id.
async fn invoice(app: &TestApp, admin: &str, user_id: &str, finalize: bool) -> String {
    let res = app
        .post_json(
            "/api/v1/admin/invoices",
            &json!({
                "user_id": user_id, "currency": "USD", "due_in_days": 14,
                "lines": [{ "description": "Pro plan", "quantity": 1, "unit_amount": 14_900 }]
            }),
            Some(admin),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    if finalize {
        let res = app
            .post_json(
                &format!("/api/v1/admin/invoices/{id}/finalize"),
                &json!({}),
                Some(admin),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    id
}

async fn pay(app: &TestApp, token: &str, id: &str, key: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/billing/invoices/{id}/pay")))
        .bearer_auth(token);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    req.send().await.unwrap()
}

async fn started(app: &TestApp) -> Vec<plinth_audit::AuditEvent> {
    app.audit_log
        .list(
            &AuditFilter {
                action: Some(AuditAction::PaymentStarted),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
}

async fn stored_payment_id(app: &TestApp, id: &str) -> Option<String> {
    let id = InvoiceId::from_uuid(id.parse().unwrap());
    app.state
        .invoices
        .invoice(
            &plinth_billing::testing::billing_admin(plinth_kernel::UserId::new()),
            id,
        )
        .await
        .unwrap()
        .provider_payment_id
}

#[tokio::test]
async fn paying_returns_the_client_secret_and_every_later_call_reuses_the_intent() {
    let (app, fake) = app_with_stripe(Mode::Normal).await;
    let admin = app.admin_token().await;
    let (token, user_id) = customer(&app, "payer@example.com").await;
    let id = invoice(&app, &admin, &user_id, true).await;

    let res = pay(&app, &token, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.unwrap();
    assert!(!text.contains(API_KEY));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({
            "invoice_id": id, "provider": "stripe", "payment_intent_id": "pi_fake1",
            "client_secret": "pi_fake1_secret_fake", "status": "requires_payment_method",
            "amount": { "amount": 14_900, "currency": "USD" }
        })
    );
    assert_eq!(
        stored_payment_id(&app, &id).await.as_deref(),
        Some("pi_fake1")
    );

    // Again, and again with an Idempotency-Key: the same intent, retrieved, never re-created.
    let again: Value = pay(&app, &token, &id, None).await.json().await.unwrap();
    assert_eq!(again["payment_intent_id"], "pi_fake1");
    assert_eq!(again["client_secret"], "pi_fake1_secret_fake");
    assert_eq!(again["status"], "processing", "Stripe's current status");
    let keyed = pay(&app, &token, &id, Some("pay-once-1")).await;
    assert_eq!(keyed.status(), 200);
    let replay = pay(&app, &token, &id, Some("pay-once-1")).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(
        replay.json::<Value>().await.unwrap()["payment_intent_id"],
        "pi_fake1"
    );
    assert_eq!(
        fake.count("POST", "/v1/payment_intents"),
        1,
        "one intent, ever"
    );
    assert_eq!(fake.count("POST", "/v1/customers"), 1);
    assert_eq!(
        fake.count("GET", "/v1/payment_intents/pi_fake1"),
        2,
        "the replay did not reach Stripe"
    );

    // Audited once, with the payment id and neither the key nor the client secret.
    let entries = started(&app).await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.target_id.as_deref(), Some(id.as_str()));
    assert_eq!(entry.actor_id.map(|a| a.to_string()), Some(user_id));
    assert_eq!(entry.details["provider_payment_id"], "pi_fake1");
    let serialized = serde_json::to_string(entry).unwrap();
    assert!(!serialized.contains(API_KEY));
    assert!(!serialized.contains("secret"), "{serialized}");
}

#[tokio::test]
async fn only_the_callers_open_invoices_can_be_paid() {
    let (app, fake) = app_with_stripe(Mode::Normal).await;
    let admin = app.admin_token().await;
    let (token, user_id) = customer(&app, "owner@example.com").await;
    let (other, _) = customer(&app, "other@example.com").await;
    let open = invoice(&app, &admin, &user_id, true).await;

    let res = pay(&app, &other, &open, None).await;
    assert_problem(res, 404, "not_found").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_problem(pay(&app, &token, &unknown, None).await, 404, "not_found").await;
    // A draft is not issued yet: invisible to its customer, as in GET /invoices/{id}.
    let draft = invoice(&app, &admin, &user_id, false).await;
    assert_problem(pay(&app, &token, &draft, None).await, 404, "not_found").await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/billing/invoices/{open}/pay")))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "unauthenticated").await;

    for action in ["mark-paid", "void"] {
        let id = invoice(&app, &admin, &user_id, true).await;
        let res = app
            .post_json(
                &format!("/api/v1/admin/invoices/{id}/{action}"),
                &json!({}),
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), 200);
        let problem = assert_problem(pay(&app, &token, &id, None).await, 409, "conflict").await;
        let status = if action == "void" { "void" } else { "paid" };
        assert_eq!(
            problem["detail"],
            format!("Only an open invoice can be paid; this one is {status}.")
        );
    }
    assert!(
        fake.calls.lock().unwrap().is_empty(),
        "Stripe was never called"
    );
    assert!(started(&app).await.is_empty());
    assert_eq!(stored_payment_id(&app, &open).await, None);
}

#[tokio::test]
async fn without_an_api_key_paying_is_a_4xx_not_configured_and_an_unknown_invoice_a_404() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (token, user_id) = customer(&app, "early@example.com").await;
    // An unknown invoice is a 404 whatever the configuration.
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_problem(pay(&app, &token, &unknown, None).await, 404, "not_found").await;
    // Another user's invoice too.
    let (other_token, _) = customer(&app, "other@example.com").await;
    let id = invoice(&app, &admin, &user_id, true).await;
    assert_problem(pay(&app, &other_token, &id, None).await, 404, "not_found").await;
    // The caller's own open invoice: payments are switched off, a documented 409.
    let res = pay(&app, &token, &id, None).await;
    assert!(
        !res.headers().contains_key("retry-after"),
        "nothing to wait for"
    );
    let problem = assert_problem(res, 409, "payments_not_configured").await;
    assert_eq!(problem["title"], "Payments not configured");
    assert_eq!(stored_payment_id(&app, &id).await, None);
    assert!(started(&app).await.is_empty());
}

#[tokio::test]
async fn a_failing_stripe_is_503_with_retry_after_and_changes_nothing() {
    let (app, fake) = app_with_stripe(Mode::ServerError).await;
    let admin = app.admin_token().await;
    let (token, user_id) = customer(&app, "unlucky@example.com").await;
    let id = invoice(&app, &admin, &user_id, true).await;
    let res = pay(&app, &token, &id, Some("retry-me")).await;
    assert_eq!(res.headers()["retry-after"], "5");
    let problem = assert_problem(res, 503, "unavailable").await;
    assert!(!problem.to_string().contains(API_KEY));
    assert_eq!(stored_payment_id(&app, &id).await, None);
    assert!(started(&app).await.is_empty());
    // A 5xx is not stored under the Idempotency-Key: the retry reaches Stripe again.
    let calls = fake.calls.lock().unwrap().len();
    assert_problem(
        pay(&app, &token, &id, Some("retry-me")).await,
        503,
        "unavailable",
    )
    .await;
    assert!(fake.calls.lock().unwrap().len() > calls);
}

#[tokio::test]
async fn a_refusal_by_stripe_is_502_with_its_message() {
    let (app, _) = app_with_stripe(Mode::CardError).await;
    let admin = app.admin_token().await;
    let (token, user_id) = customer(&app, "declined@example.com").await;
    let id = invoice(&app, &admin, &user_id, true).await;
    let problem = assert_problem(pay(&app, &token, &id, None).await, 502, "payment_refused").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("Your card was declined."), "{detail}");
    assert!(!problem.to_string().contains(API_KEY));
    assert_eq!(stored_payment_id(&app, &id).await, None);
    assert!(started(&app).await.is_empty());
}
