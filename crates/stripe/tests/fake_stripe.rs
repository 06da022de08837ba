//! `StripeGateway` against a fake Stripe served by actix-web on 127.0.0.1 (never the network):
//! the requests it sends (auth, idempotency keys, form fields), the answers it understands,
//! retrieving a payment intent created earlier, and its timeouts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use plinth_billing::payment::{GatewayError, PaymentGateway, PaymentRequest};
use plinth_billing::{CustomerSnapshot, InvoiceId};
use plinth_kernel::{Currency, Money, UserId};
use plinth_stripe::{StripeConfig, StripeGateway, payment_key};
use secrecy::SecretString;

/// One request the fake received.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: String,
    idempotency_key: String,
    form: HashMap<String, String>,
}

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Payment intents by idempotency key, as Stripe replays them.
    intents: Arc<Mutex<HashMap<String, String>>>,
}

/// How the fake answers.
#[derive(Clone, Copy)]
enum Mode {
    Normal,
    Slow,
    CardError,
    ServerError,
    /// 401 whose message repeats the key, as Stripe's does (partly).
    BadKey,
}

async fn handle(
    req: HttpRequest,
    body: web::Form<HashMap<String, String>>,
    fake: web::Data<Fake>,
    mode: web::Data<Mode>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let seen = Seen {
        path: req.path().to_owned(),
        authorization: header("authorization"),
        idempotency_key: header("idempotency-key"),
        form: body.into_inner(),
    };
    fake.seen.lock().unwrap().push(seen.clone());
    match **mode {
        Mode::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
        Mode::CardError => {
            return HttpResponse::PaymentRequired().json(serde_json::json!({
                "error": { "type": "card_error", "message": "Your card was declined." }
            }));
        }
        Mode::ServerError => return HttpResponse::InternalServerError().finish(),
        Mode::BadKey => return bad_key(),
        Mode::Normal => {}
    }
    if seen.path == "/v1/customers" {
        return HttpResponse::Ok()
            .json(serde_json::json!({ "id": "cus_fake1", "object": "customer" }));
    }
    let mut intents = fake.intents.lock().unwrap();
    let n = intents.len() + 1;
    let id = intents
        .entry(seen.idempotency_key.clone())
        .or_insert_with(|| format!("pi_fake{n}"))
        .clone();
    HttpResponse::Ok().json(serde_json::json!({
        "id": id, "object": "payment_intent", "client_secret": format!("{id}_secret_x"),
        "status": "requires_payment_method"
    }))
}

fn bad_key() -> HttpResponse {
    HttpResponse::Unauthorized().json(serde_json::json!({
        "error": { "type": "invalid_request_error",
            "message": "Invalid API Key provided: sk_test_fake_123" }
    }))
}

/// `GET /v1/payment_intents/{id}`: an intent created before, else Stripe's 404.
async fn retrieve(
    req: HttpRequest,
    id: web::Path<String>,
    fake: web::Data<Fake>,
    mode: web::Data<Mode>,
) -> HttpResponse {
    let authorization = req
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    fake.seen.lock().unwrap().push(Seen {
        path: req.path().to_owned(),
        authorization,
        idempotency_key: String::new(),
        form: HashMap::new(),
    });
    match **mode {
        Mode::ServerError => return HttpResponse::InternalServerError().finish(),
        Mode::BadKey => return bad_key(),
        _ => {}
    }
    let id = id.into_inner();
    if !fake.intents.lock().unwrap().values().any(|v| *v == id) {
        return HttpResponse::NotFound().json(serde_json::json!({
            "error": { "type": "invalid_request_error",
                "message": format!("No such payment_intent: '{id}'") }
        }));
    }
    HttpResponse::Ok().json(serde_json::json!({
        "id": id, "object": "payment_intent", "client_secret": format!("{id}_secret_x"),
        "status": "processing"
    }))
}

/// Serves the fake; returns its base URL and what it sees.
fn serve(mode: Mode) -> (String, Fake) {
    let fake = Fake::default();
    let data = web::Data::new(fake.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::Data::new(mode))
            .route("/v1/payment_intents/{id}", web::get().to(retrieve))
            .default_service(web::post().to(handle))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), fake)
}

fn gateway(base: &str, timeout: Duration) -> StripeGateway {
    StripeGateway::new(StripeConfig {
        api_key: SecretString::from("sk_test_fake_123"),
        api_base: base.to_owned(),
        connect_timeout: Duration::from_secs(2),
        timeout,
    })
    .unwrap()
}

fn request(invoice: InvoiceId, customer: bool) -> PaymentRequest {
    PaymentRequest {
        invoice_id: invoice,
        user_id: UserId::new(),
        amount: Money::new(14_900, Currency::parse("USD").unwrap()),
        customer: customer.then(|| CustomerSnapshot {
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
        }),
    }
}

#[tokio::test]
async fn a_payment_creates_the_customer_and_an_intent_with_fixed_idempotency_keys() {
    let (base, fake) = serve(Mode::Normal);
    let gw = gateway(&base, Duration::from_secs(5));
    let invoice = InvoiceId::new();
    let req = request(invoice, true);

    let first = gw.start_payment(&req).await.unwrap();
    assert_eq!(first.provider_customer_id.as_deref(), Some("cus_fake1"));
    assert_eq!(first.provider_payment_id.as_deref(), Some("pi_fake1"));
    assert_eq!(first.client_secret.as_deref(), Some("pi_fake1_secret_x"));
    assert_eq!(first.status.as_deref(), Some("requires_payment_method"));

    // A retry (after a timeout, say) sends the same keys, so Stripe returns the same intent.
    let again = gw.start_payment(&req).await.unwrap();
    assert_eq!(again, first);

    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    let (customers, intents): (Vec<_>, Vec<_>) =
        seen.iter().partition(|s| s.path == "/v1/customers");
    for s in &seen {
        assert_eq!(s.authorization, "Bearer sk_test_fake_123");
    }
    assert_eq!(
        customers[0].idempotency_key,
        format!("plinth-customer-{}", req.user_id)
    );
    assert_eq!(customers[0].idempotency_key, customers[1].idempotency_key);
    assert_eq!(customers[0].form["email"], "ada@example.com");
    assert_eq!(intents[0].idempotency_key, payment_key(invoice));
    assert_eq!(
        intents[0].idempotency_key,
        format!("plinth-payment-{invoice}")
    );
    assert_eq!(intents[1].idempotency_key, intents[0].idempotency_key);
    let form = &intents[0].form;
    assert_eq!(form["amount"], "14900", "integer minor units");
    assert_eq!(form["currency"], "usd");
    assert_eq!(form["metadata[plinth_invoice_id]"], invoice.to_string());
    assert_eq!(form["customer"], "cus_fake1");

    // Another invoice is another payment.
    let other = gw
        .start_payment(&request(InvoiceId::new(), false))
        .await
        .unwrap();
    assert_eq!(other.provider_payment_id.as_deref(), Some("pi_fake2"));
    assert_eq!(other.provider_customer_id, None);
}

#[tokio::test]
async fn a_slow_stripe_times_out_as_unavailable() {
    let (base, _) = serve(Mode::Slow);
    let gw = gateway(&base, Duration::from_millis(300));
    let started = Instant::now();
    let err = gw
        .start_payment(&request(InvoiceId::new(), false))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Unavailable(m) if m.contains("timed out")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the total timeout applies"
    );
}

#[tokio::test]
async fn refusals_and_failures_are_told_apart_and_nothing_reachable_is_unavailable() {
    let (base, _) = serve(Mode::CardError);
    let err = gateway(&base, Duration::from_secs(5))
        .start_payment(&request(InvoiceId::new(), false))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Refused("Stripe /v1/payment_intents: Your card was declined.".into())
    );
    let (base, _) = serve(Mode::ServerError);
    let err = gateway(&base, Duration::from_secs(5))
        .start_payment(&request(InvoiceId::new(), false))
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)));
    // A closed port: connection refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = gateway(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5))
        .start_payment(&request(InvoiceId::new(), false))
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)));
    assert!(!format!("{:?}", gateway(&base, Duration::from_secs(1))).contains("sk_test"));
}

#[tokio::test]
async fn a_payment_started_before_is_retrieved_with_its_secret_and_status() {
    let (base, fake) = serve(Mode::Normal);
    let gw = gateway(&base, Duration::from_secs(5));
    let started = gw
        .start_payment(&request(InvoiceId::new(), false))
        .await
        .unwrap();
    let id = started.provider_payment_id.unwrap();

    let found = gw.payment(&id).await.unwrap();
    assert_eq!(found.provider_payment_id.as_deref(), Some(id.as_str()));
    assert_eq!(found.client_secret, Some(format!("{id}_secret_x")));
    assert_eq!(found.status.as_deref(), Some("processing"));
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        2,
        "one create, one retrieve: nothing created again"
    );
    assert_eq!(seen[1].path, format!("/v1/payment_intents/{id}"));
    assert_eq!(seen[1].authorization, "Bearer sk_test_fake_123");
    assert_eq!(
        seen[1].idempotency_key, "",
        "a read carries no idempotency key"
    );

    // Unknown to Stripe: refused with its message; not an id: refused without a call.
    let err = gw.payment("pi_unknown9").await.unwrap_err();
    assert_eq!(
        err,
        GatewayError::Refused(
            "Stripe /v1/payment_intents/pi_unknown9: No such payment_intent: 'pi_unknown9'".into()
        )
    );
    let err = gw.payment("../v1/customers").await.unwrap_err();
    assert!(matches!(err, GatewayError::Refused(_)), "{err:?}");
    assert_eq!(fake.seen.lock().unwrap().len(), 3);

    let (down, _) = serve(Mode::ServerError);
    let err = gateway(&down, Duration::from_secs(5))
        .payment(&id)
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_refused_api_key_is_never_repeated() {
    let (base, _) = serve(Mode::BadKey);
    let gw = gateway(&base, Duration::from_secs(5));
    let err = gw
        .start_payment(&request(InvoiceId::new(), false))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Refused("Stripe /v1/payment_intents: the API key was refused".into())
    );
    let err = gw.payment("pi_fake1").await.unwrap_err();
    assert!(!format!("{err:?}").contains("sk_test"), "{err:?}");
}
