//! Payment use cases with the in-memory adapters.

use crate::testing::billing_admin;
use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Clock as _, Currency, PageRequest, RequestMeta, UnitOfWork, UserId};

use super::*;
use crate::payment::{EventOutcome, GatewayError, SignatureError};
use crate::subscription::NoInvoices;
use crate::testing::{
    FakeWebhookVerifier, MemoryBillingRepository, MemoryCustomerDirectory, MemoryInvoiceRepository,
    MemoryPaymentEventInbox, MemorySubscriptionRepository, TextInvoiceRenderer,
};
use crate::{InvoiceRepository as _, NewInvoice, NewInvoiceLine};

struct Fixture {
    service: PaymentService,
    invoicing: InvoiceService,
    invoices: MemoryInvoiceRepository,
    inbox: MemoryPaymentEventInbox,
    audit: MemoryAuditLog,
    clock: ManualClock,
    customer: UserId,
}

fn fixture(verifier: bool) -> Fixture {
    let audit = MemoryAuditLog::new();
    let clock = ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-10T09:30:00Z")
            .unwrap()
            .to_utc(),
    );
    let customers = MemoryCustomerDirectory::new();
    let customer = UserId::new();
    customers.insert(customer, "ada@example.com", "Ada Lovelace");
    let inbox = MemoryPaymentEventInbox::new();
    let invoices = MemoryInvoiceRepository::new();
    let uow: Arc<dyn UnitOfWork> = Arc::new(MemoryUnitOfWork::new());
    let subscriptions = SubscriptionService::new(
        Arc::new(MemoryBillingRepository::new()),
        Arc::new(MemorySubscriptionRepository::new()),
        Arc::new(NoInvoices),
        Arc::new(crate::testing::MemoryCustomerDirectory::new()),
        Arc::new(audit.clone()),
        Arc::clone(&uow),
        Arc::new(clock.clone()),
        BTreeMap::new(),
    );
    let invoicing = InvoiceService::new(
        Arc::new(invoices.clone()),
        Arc::new(customers),
        Arc::new(TextInvoiceRenderer),
        subscriptions.clone(),
        Arc::new(audit.clone()),
        Arc::clone(&uow),
        Arc::new(clock.clone()),
    );
    let webhooks = if verifier {
        WebhookSetup::Configured(Arc::new(FakeWebhookVerifier))
    } else {
        WebhookSetup::NotConfigured
    };
    let service = PaymentService::new(
        invoicing.clone(),
        subscriptions,
        Arc::new(inbox.clone()),
        GatewaySetup::NotConfigured,
        webhooks,
        Arc::new(audit.clone()),
        uow,
        Arc::new(clock.clone()),
    );
    Fixture {
        service,
        invoicing,
        invoices,
        inbox,
        audit,
        clock,
        customer,
    }
}

async fn open_invoice(f: &Fixture, currency: &str, due_in_days: u32) -> InvoiceId {
    let meta = RequestMeta::default();
    let admin = UserId::new();
    let draft = f
        .invoicing
        .create_invoice(
            &billing_admin(admin),
            NewInvoice {
                user_id: f.customer,
                currency: Currency::parse(currency).unwrap(),
                lines: vec![NewInvoiceLine {
                    description: "Pro plan".into(),
                    quantity: 1,
                    unit_amount: 14_900,
                }],
                discount_bps: 0,
                tax_rate_bps: 0,
                due_in_days,
            },
            &meta,
        )
        .await
        .unwrap();
    f.invoicing
        .finalize_invoice(&billing_admin(admin), draft.id, &meta)
        .await
        .unwrap()
        .id
}

/// An open invoice (14 900 in `currency`) whose payment was started: `pi_<invoice id>` is
/// recorded on it, as the pay request does.
async fn started_invoice(f: &Fixture, currency: &str) -> InvoiceId {
    let id = open_invoice(f, currency, 14).await;
    let mut tx = MemoryUnitOfWork::new().begin().await.unwrap();
    f.invoices
        .set_provider_payment_id(tx.as_mut(), id, &format!("pi_{id}"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A Stripe payment event of `kind` naming `invoice` and paying `amount` `currency` with
/// payment intent `intent` (the intent's `id`, or a Stripe invoice's `payment_intent`).
fn payment(
    id: &str,
    kind: &str,
    invoice: &str,
    intent: &str,
    amount: i64,
    currency: &str,
) -> Vec<u8> {
    let mut object = serde_json::json!({
        "currency": currency, "metadata": { "plinth_invoice_id": invoice }
    });
    if kind == "invoice.paid" {
        object["id"] = "in_1".into();
        object["payment_intent"] = intent.into();
        object["amount_paid"] = amount.into();
    } else {
        object["id"] = intent.into();
        object["amount_received"] = amount.into();
    }
    serde_json::json!({ "id": id, "type": kind, "data": { "object": object } })
        .to_string()
        .into_bytes()
}

/// A payment event that matches a [`started_invoice`] in USD (of any other type: the same
/// metadata).
fn event(id: &str, kind: &str, invoice: &str) -> Vec<u8> {
    payment(id, kind, invoice, &format!("pi_{invoice}"), 14_900, "usd")
}

async fn receive(f: &Fixture, body: &[u8]) -> Result<EventOutcome, BillingError> {
    f.service
        .receive_stripe_event(
            Some(FakeWebhookVerifier::VALID),
            body,
            &RequestMeta::default(),
        )
        .await
}

async fn count(audit: &MemoryAuditLog, action: AuditAction) -> usize {
    audit
        .list(
            &AuditFilter {
                action: Some(action),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn a_signed_payment_event_pays_the_invoice_once() {
    let f = fixture(true);
    let id = started_invoice(&f, "USD").await;
    let body = event("evt_1", "invoice.paid", &id.to_string());

    assert_eq!(receive(&f, &body).await.unwrap(), EventOutcome::Applied);
    let paid = f
        .invoicing
        .invoice(&billing_admin(UserId::new()), id)
        .await
        .unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.paid_at, Some(f.clock.now()));
    let entry = f.inbox.entry("evt_1").await.unwrap().unwrap();
    assert_eq!(entry.outcome.as_deref(), Some("applied"));
    assert_eq!(entry.invoice_id, Some(id));

    // Redelivery, and another event for the same invoice: nothing applied again.
    assert_eq!(receive(&f, &body).await.unwrap(), EventOutcome::Duplicate);
    let other = event("evt_2", "payment_intent.succeeded", &id.to_string());
    assert_eq!(
        receive(&f, &other).await.unwrap(),
        EventOutcome::AlreadySettled
    );
    assert_eq!(count(&f.audit, AuditAction::InvoicePaid).await, 1);
    assert_eq!(count(&f.audit, AuditAction::WebhookReceived).await, 2);
    let paid = paid_events(&f.audit).await;
    assert_eq!(paid[0].details["method"], "stripe");
    assert_eq!(paid[0].details["stripe_event_id"], "evt_1");
    assert_eq!(paid[0].actor_id, None);
}

async fn paid_events(audit: &MemoryAuditLog) -> Vec<plinth_audit::AuditEvent> {
    audit
        .list(
            &AuditFilter {
                action: Some(AuditAction::InvoicePaid),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_payment_that_does_not_match_the_invoice_is_recorded_and_audited_not_applied() {
    let f = fixture(true);
    let id = started_invoice(&f, "USD").await;
    let unstarted = open_invoice(&f, "USD", 14).await;
    let inv = id.to_string();
    let intent = format!("pi_{id}");
    let wrong = [
        (
            "evt_amount",
            "payment_intent.succeeded",
            &inv,
            intent.as_str(),
            100,
            "usd",
        ),
        (
            "evt_currency",
            "payment_intent.succeeded",
            &inv,
            intent.as_str(),
            14_900,
            "eur",
        ),
        (
            "evt_intent",
            "payment_intent.succeeded",
            &inv,
            "pi_someone_else",
            14_900,
            "usd",
        ),
        (
            "evt_inv_amount",
            "invoice.paid",
            &inv,
            intent.as_str(),
            14_899,
            "usd",
        ),
    ];
    for (event_id, kind, invoice, pi, amount, currency) in wrong {
        let body = payment(event_id, kind, invoice, pi, amount, currency);
        assert_eq!(
            receive(&f, &body).await.unwrap(),
            EventOutcome::PaymentMismatch,
            "{event_id}"
        );
        let entry = f.inbox.entry(event_id).await.unwrap().unwrap();
        assert_eq!(entry.outcome.as_deref(), Some("payment_mismatch"));
    }
    // No payment was started for this one: whatever Stripe says, it matches nothing.
    let other = unstarted.to_string();
    let body = payment(
        "evt_unstarted",
        "payment_intent.succeeded",
        &other,
        "pi_x",
        14_900,
        "usd",
    );
    assert_eq!(
        receive(&f, &body).await.unwrap(),
        EventOutcome::PaymentMismatch
    );
    for invoice in [id, unstarted] {
        assert_eq!(
            f.invoicing
                .invoice(&billing_admin(UserId::new()), invoice)
                .await
                .unwrap()
                .status(),
            InvoiceStatus::Open
        );
    }
    assert_eq!(count(&f.audit, AuditAction::InvoicePaid).await, 0);
    let mismatches = f
        .audit
        .list(
            &AuditFilter {
                action: Some(AuditAction::PaymentMismatch),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(mismatches.len(), 5);
    let of = |event_id: &str| {
        mismatches
            .iter()
            .find(|e| e.details["stripe_event_id"] == event_id)
            .unwrap()
    };
    let unstarted_entry = of("evt_unstarted");
    assert_eq!(unstarted_entry.target_id.as_deref(), Some(other.as_str()));
    assert_eq!(
        unstarted_entry.details["expected"]["provider_payment_id"],
        serde_json::Value::Null
    );
    let d = &of("evt_inv_amount").details;
    assert_eq!(
        d["expected"],
        serde_json::json!({ "amount": 14_900, "currency": "USD", "provider_payment_id": intent })
    );
    assert_eq!(
        d["received"],
        serde_json::json!({ "amount": 14_899, "currency": "USD", "provider_payment_id": intent })
    );

    // The right payment still pays it.
    let right = event("evt_right", "payment_intent.succeeded", &inv);
    assert_eq!(receive(&f, &right).await.unwrap(), EventOutcome::Applied);
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), id)
            .await
            .unwrap()
            .status(),
        InvoiceStatus::Paid
    );
}

#[tokio::test]
async fn mark_paid_goes_through_the_manual_gateway() {
    let f = fixture(true);
    let id = open_invoice(&f, "USD", 14).await;
    let admin = UserId::new();
    f.invoicing
        .mark_invoice_paid(&billing_admin(admin), id, &RequestMeta::default())
        .await
        .unwrap();
    let paid = paid_events(&f.audit).await;
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].details["method"], "manual");
    assert_eq!(paid[0].actor_id, Some(admin.as_uuid()));
}

#[tokio::test]
async fn refused_or_unconfigured_webhooks_change_nothing() {
    let f = fixture(true);
    let id = open_invoice(&f, "USD", 14).await;
    let body = event("evt_1", "invoice.paid", &id.to_string());
    let meta = RequestMeta::default();
    for header in [None, Some("forged")] {
        let e = f
            .service
            .receive_stripe_event(header, &body, &meta)
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            BillingError::Signature(SignatureError::Missing | SignatureError::Mismatch)
        ));
    }
    assert!(matches!(
        receive(&f, b"{}").await,
        Err(BillingError::BadEvent(_))
    ));
    assert_eq!(f.inbox.entry("evt_1").await.unwrap(), None);
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), id)
            .await
            .unwrap()
            .status(),
        InvoiceStatus::Open
    );
    assert_eq!(count(&f.audit, AuditAction::WebhookReceived).await, 0);

    let off = fixture(false);
    assert!(matches!(
        receive(&off, &body).await,
        Err(BillingError::WebhookNotConfigured)
    ));
}

#[tokio::test]
async fn events_naming_no_invoice_or_other_types_are_recorded_only() {
    let f = fixture(true);
    let id = open_invoice(&f, "USD", 14).await;
    let unknown = event("evt_a", "invoice.paid", &InvoiceId::new().to_string());
    assert_eq!(receive(&f, &unknown).await.unwrap(), EventOutcome::Ignored);
    let garbage = event("evt_b", "invoice.paid", "not-a-uuid");
    assert_eq!(receive(&f, &garbage).await.unwrap(), EventOutcome::Ignored);
    let other = event("evt_c", "customer.created", &id.to_string());
    assert_eq!(receive(&f, &other).await.unwrap(), EventOutcome::Unhandled);
    // A subscription event naming no subscription of ours (only an invoice) is ignored.
    let sub = event("evt_d", "customer.subscription.updated", &id.to_string());
    assert_eq!(receive(&f, &sub).await.unwrap(), EventOutcome::Ignored);
    assert_eq!(
        f.inbox
            .entry("evt_c")
            .await
            .unwrap()
            .unwrap()
            .outcome
            .as_deref(),
        Some("unhandled")
    );
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), id)
            .await
            .unwrap()
            .status(),
        InvoiceStatus::Open
    );
    assert_eq!(count(&f.audit, AuditAction::InvoicePaid).await, 0);
    assert_eq!(count(&f.audit, AuditAction::WebhookReceived).await, 4);
}

#[tokio::test]
async fn revenue_splits_paid_outstanding_and_overdue_per_currency() {
    let f = fixture(true);
    let paid = started_invoice(&f, "USD").await;
    open_invoice(&f, "USD", 14).await;
    open_invoice(&f, "JPY", 1).await;
    receive(&f, &event("evt_1", "invoice.paid", &paid.to_string()))
        .await
        .unwrap();
    f.clock.advance(chrono::Duration::days(2));
    let r = f.service.revenue(f.clock.now()).await.unwrap();
    let show = |l: &[plinth_kernel::Money]| {
        l.iter()
            .map(|m| format!("{} {}", m.currency.code(), m.amount))
            .collect::<Vec<_>>()
    };
    assert_eq!(show(&r.paid_this_month), ["USD 14900"]);
    assert_eq!(show(&r.outstanding), ["USD 14900"]);
    assert_eq!(show(&r.overdue), ["JPY 14900"]);
    // Next month, this month's payment no longer counts.
    f.clock.advance(chrono::Duration::days(30));
    let r = f.service.revenue(f.clock.now()).await.unwrap();
    assert!(r.paid_this_month.is_empty());
    assert_eq!(show(&r.overdue), ["JPY 14900", "USD 14900"]);
}

/// The fixture's service with a [`FakePaymentGateway`](crate::testing::FakePaymentGateway).
fn with_gateway(f: &mut Fixture) -> crate::testing::FakePaymentGateway {
    let gateway = crate::testing::FakePaymentGateway::new();
    f.service = PaymentService {
        gateway: GatewaySetup::Configured(Arc::new(gateway.clone())),
        ..f.service.clone()
    };
    gateway
}

async fn events(audit: &MemoryAuditLog, action: AuditAction) -> Vec<plinth_audit::AuditEvent> {
    audit
        .list(
            &AuditFilter {
                action: Some(action),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn paying_starts_one_payment_records_it_and_reuses_it_later() {
    let mut f = fixture(true);
    let gateway = with_gateway(&mut f);
    let id = open_invoice(&f, "USD", 14).await;
    let meta = RequestMeta::default();

    let first = f
        .service
        .start_invoice_payment(f.customer, id, &meta)
        .await
        .unwrap();
    assert_eq!(first.invoice_id, id);
    assert_eq!(first.method, PaymentMethod::Stripe);
    assert_eq!(first.provider_payment_id, "pi_fake1");
    assert_eq!(first.client_secret, "pi_fake1_secret");
    assert_eq!(
        first.amount,
        Money::new(14_900, Currency::parse("USD").unwrap())
    );
    let starts = gateway.starts();
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].invoice_id, id);
    assert_eq!(starts[0].user_id, f.customer);
    assert_eq!(starts[0].amount, first.amount);
    assert_eq!(
        starts[0].customer.as_ref().map(|c| c.email.as_str()),
        Some("ada@example.com")
    );
    let stored = f
        .invoicing
        .invoice(&billing_admin(UserId::new()), id)
        .await
        .unwrap();
    assert_eq!(stored.provider_payment_id.as_deref(), Some("pi_fake1"));
    assert_eq!(stored.status(), InvoiceStatus::Open);
    let started = events(&f.audit, AuditAction::PaymentStarted).await;
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].actor_id, Some(f.customer.as_uuid()));
    assert_eq!(
        started[0].target_id.as_deref(),
        Some(id.to_string().as_str())
    );
    assert_eq!(started[0].details["provider"], "stripe");
    assert_eq!(started[0].details["provider_payment_id"], "pi_fake1");
    assert!(!started[0].details.to_string().contains("secret"));

    // Long after, when the provider has forgotten its idempotency key: the recorded payment
    // is found again, no second one is started, nothing more is written.
    gateway.forget_keys();
    let again = f
        .service
        .start_invoice_payment(f.customer, id, &meta)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(gateway.starts().len(), 1, "no second payment");
    assert_eq!(gateway.lookups(), ["pi_fake1"]);
    assert_eq!(count(&f.audit, AuditAction::PaymentStarted).await, 1);
}

#[tokio::test]
async fn only_the_customers_own_open_invoices_can_be_paid() {
    let mut f = fixture(true);
    let gateway = with_gateway(&mut f);
    let meta = RequestMeta::default();
    let admin = UserId::new();
    let open = open_invoice(&f, "USD", 14).await;
    let stranger = UserId::new();
    let e = f
        .service
        .start_invoice_payment(stranger, open, &meta)
        .await
        .unwrap_err();
    assert!(matches!(e, BillingError::InvoiceNotFound), "{e:?}");
    let e = f
        .service
        .start_invoice_payment(f.customer, InvoiceId::new(), &meta)
        .await
        .unwrap_err();
    assert!(matches!(e, BillingError::InvoiceNotFound), "{e:?}");

    // A draft is not issued: as invisible to its customer as an unknown invoice.
    let draft = f
        .invoicing
        .create_invoice(
            &billing_admin(admin),
            NewInvoice {
                user_id: f.customer,
                currency: Currency::parse("USD").unwrap(),
                lines: vec![NewInvoiceLine {
                    description: "Setup".into(),
                    quantity: 1,
                    unit_amount: 500,
                }],
                discount_bps: 0,
                tax_rate_bps: 0,
                due_in_days: 14,
            },
            &meta,
        )
        .await
        .unwrap();
    let e = f
        .service
        .start_invoice_payment(f.customer, draft.id, &meta)
        .await
        .unwrap_err();
    assert!(matches!(e, BillingError::InvoiceNotFound), "{e:?}");

    let paid = open_invoice(&f, "USD", 14).await;
    f.invoicing
        .mark_invoice_paid(&billing_admin(admin), paid, &meta)
        .await
        .unwrap();
    let void = open_invoice(&f, "USD", 14).await;
    f.invoicing
        .void_invoice(&billing_admin(admin), void, &meta)
        .await
        .unwrap();
    for (id, status) in [(paid, InvoiceStatus::Paid), (void, InvoiceStatus::Void)] {
        let e = f
            .service
            .start_invoice_payment(f.customer, id, &meta)
            .await
            .unwrap_err();
        assert!(
            matches!(e, BillingError::NotPayable(s) if s == status),
            "{e:?}"
        );
    }
    assert!(gateway.starts().is_empty(), "the gateway was never asked");
    assert_eq!(count(&f.audit, AuditAction::PaymentStarted).await, 0);
}

#[tokio::test]
async fn without_a_gateway_paying_is_not_configured() {
    let f = fixture(true);
    let id = open_invoice(&f, "USD", 14).await;
    let e = f
        .service
        .start_invoice_payment(f.customer, id, &RequestMeta::default())
        .await
        .unwrap_err();
    assert!(matches!(e, BillingError::PaymentsNotConfigured), "{e:?}");
}

#[tokio::test]
async fn a_failed_gateway_call_or_audit_writes_nothing() {
    let mut f = fixture(true);
    let gateway = with_gateway(&mut f);
    let id = open_invoice(&f, "USD", 14).await;
    let meta = RequestMeta::default();
    for failure in [
        GatewayError::Unavailable("Stripe /v1/payment_intents: timed out".into()),
        GatewayError::Refused("Stripe /v1/payment_intents: Your card was declined.".into()),
    ] {
        gateway.fail_with(Some(failure.clone()));
        let e = f
            .service
            .start_invoice_payment(f.customer, id, &meta)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, BillingError::Gateway(g) if *g == failure),
            "{e:?}"
        );
    }
    gateway.fail_with(None);
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), id)
            .await
            .unwrap()
            .provider_payment_id,
        None
    );

    // The column and the audit entry commit together: a failed append keeps neither.
    let mut failing = f.service.clone();
    failing.audit = Arc::new(plinth_audit::testing::FailingAuditLog::new());
    assert!(
        failing
            .start_invoice_payment(f.customer, id, &meta)
            .await
            .is_err()
    );
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), id)
            .await
            .unwrap()
            .provider_payment_id,
        None
    );
    assert_eq!(count(&f.audit, AuditAction::PaymentStarted).await, 0);

    // Working again: the retry starts the payment (the same one, by the invoice's key).
    let payment = f
        .service
        .start_invoice_payment(f.customer, id, &meta)
        .await
        .unwrap();
    assert_eq!(
        f.invoicing
            .invoice(&billing_admin(UserId::new()), id)
            .await
            .unwrap()
            .provider_payment_id,
        Some(payment.provider_payment_id)
    );
    assert_eq!(count(&f.audit, AuditAction::PaymentStarted).await, 1);
}
