//! Payment use cases with the in-memory adapters.

use std::sync::Arc;

use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Clock as _, Currency, PageRequest, RequestMeta, UserId};

use super::*;
use crate::payment::SignatureError;
use crate::testing::{
    FakeWebhookVerifier, MemoryBillingRepository, MemoryCustomerDirectory, MemoryInvoiceRepository,
    MemoryPaymentEventInbox, TextInvoiceRenderer,
};
use crate::{InvoiceId, Invoicing, NewInvoice, NewInvoiceLine};

struct Fixture {
    service: BillingService,
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
    let service = BillingService::new(
        Arc::new(MemoryBillingRepository::new()),
        Arc::new(audit.clone()),
        Arc::new(MemoryUnitOfWork::new()),
        Arc::new(clock.clone()),
    )
    .with_invoicing(Invoicing {
        invoices: Arc::new(MemoryInvoiceRepository::new()),
        customers: Arc::new(customers),
        renderer: Arc::new(TextInvoiceRenderer),
    })
    .with_payments(Payments {
        inbox: Arc::new(inbox.clone()),
        verifier: verifier.then(|| Arc::new(FakeWebhookVerifier) as Arc<dyn WebhookVerifier>),
    });
    Fixture {
        service,
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
        .service
        .create_invoice(
            admin,
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
    f.service
        .finalize_invoice(admin, draft.id, &meta)
        .await
        .unwrap()
        .id
}

fn event(id: &str, kind: &str, invoice: &str) -> Vec<u8> {
    serde_json::json!({
        "id": id, "type": kind,
        "data": { "object": { "id": "in_1", "metadata": { "plinth_invoice_id": invoice } } }
    })
    .to_string()
    .into_bytes()
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
    let id = open_invoice(&f, "USD", 14).await;
    let body = event("evt_1", "invoice.paid", &id.to_string());

    assert_eq!(receive(&f, &body).await.unwrap(), EventOutcome::Applied);
    let paid = f.service.invoice(id).await.unwrap();
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
async fn mark_paid_goes_through_the_manual_gateway() {
    let f = fixture(true);
    let id = open_invoice(&f, "USD", 14).await;
    let admin = UserId::new();
    f.service
        .mark_invoice_paid(admin, id, &RequestMeta::default())
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
        f.service.invoice(id).await.unwrap().status(),
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
        f.service.invoice(id).await.unwrap().status(),
        InvoiceStatus::Open
    );
    assert_eq!(count(&f.audit, AuditAction::InvoicePaid).await, 0);
    assert_eq!(count(&f.audit, AuditAction::WebhookReceived).await, 4);
}

#[tokio::test]
async fn revenue_splits_paid_outstanding_and_overdue_per_currency() {
    let f = fixture(true);
    let paid = open_invoice(&f, "USD", 14).await;
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

#[tokio::test]
async fn jobs_make_invoices_uncollectible_only_after_the_grace_and_once() {
    let f = fixture(true);
    let f_service = f
        .service
        .clone()
        .with_uncollectible_after(chrono::Duration::days(10));
    let late = open_invoice(&f, "USD", 1).await;
    let recent = open_invoice(&f, "USD", 5).await;
    f.clock.advance(chrono::Duration::days(12));
    // late: due 11 days ago (> 10); recent: due 7 days ago.
    let report = f_service.run_jobs(f.clock.now()).await.unwrap();
    assert_eq!(report.uncollectible, 1);
    assert_eq!(
        f.service.invoice(late).await.unwrap().status(),
        InvoiceStatus::Uncollectible
    );
    assert_eq!(
        f.service.invoice(recent).await.unwrap().status(),
        InvoiceStatus::Open
    );
    assert_eq!(
        f_service
            .run_jobs(f.clock.now())
            .await
            .unwrap()
            .uncollectible,
        0
    );
    assert_eq!(count(&f.audit, AuditAction::InvoiceUncollectible).await, 1);
    // The default grace is 30 days.
    f.clock.advance(chrono::Duration::days(20));
    assert_eq!(
        f.service
            .run_jobs(f.clock.now())
            .await
            .unwrap()
            .uncollectible,
        0
    );
    f.clock.advance(chrono::Duration::days(4));
    assert_eq!(
        f.service
            .run_jobs(f.clock.now())
            .await
            .unwrap()
            .uncollectible,
        1
    );
}
