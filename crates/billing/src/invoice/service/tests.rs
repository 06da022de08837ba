//! Invoice use cases with the in-memory adapters.

use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Clock as _, Currency, PageRequest, RequestMeta, UnitOfWork, UserId};

use super::*;
use crate::invoice::{InvoiceReportRepository as _, InvoiceRepository as _};
use crate::subscription::NoInvoices;
use crate::testing::{
    MemoryBillingRepository, MemoryCustomerDirectory, MemoryInvoiceRepository,
    MemorySubscriptionRepository, TextInvoiceRenderer,
};

struct Fixture {
    service: InvoiceService,
    invoices: MemoryInvoiceRepository,
    customers: MemoryCustomerDirectory,
    audit: MemoryAuditLog,
    clock: ManualClock,
    admin: plinth_kernel::Caller,
    customer: UserId,
}

fn fixture() -> Fixture {
    let audit = MemoryAuditLog::new();
    let clock = ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-01T09:30:00Z")
            .unwrap()
            .to_utc(),
    );
    let invoices = MemoryInvoiceRepository::new();
    let customers = MemoryCustomerDirectory::new();
    let customer = UserId::new();
    customers.insert(customer, "ada@example.com", "Ada Lovelace");
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
    let service = InvoiceService::new(
        Arc::new(invoices.clone()),
        Arc::new(customers.clone()),
        Arc::new(TextInvoiceRenderer),
        subscriptions,
        Arc::new(audit.clone()),
        uow,
        Arc::new(clock.clone()),
    );
    Fixture {
        service,
        invoices,
        customers,
        audit,
        clock,
        admin: crate::testing::billing_admin(UserId::new()),
        customer,
    }
}

fn new_invoice(user: UserId) -> NewInvoice {
    NewInvoice {
        user_id: user,
        currency: Currency::parse("USD").unwrap(),
        lines: vec![
            NewInvoiceLine {
                description: "Pro plan, March".into(),
                quantity: 1,
                unit_amount: 14_900,
            },
            NewInvoiceLine {
                description: "Extra seats".into(),
                quantity: 3,
                unit_amount: 1_999,
            },
        ],
        discount_bps: 1000,
        tax_rate_bps: 825,
        due_in_days: 14,
    }
}

async fn actions(audit: &MemoryAuditLog) -> Vec<AuditAction> {
    audit
        .list(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .rev()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn a_draft_is_priced_stored_and_audited() {
    let f = fixture();
    let meta = RequestMeta::default();
    let draft = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    assert_eq!(draft.status(), InvoiceStatus::Draft);
    assert_eq!(draft.invoice.number(), None);
    // 14 900 + 5 997 = 20 897; 10 % = 2 089.7 → 2 090 (half-even); tax per line after its
    // discount share.
    let t = draft.invoice.totals();
    assert_eq!((t.subtotal, t.discount), (20_897, 2_090));
    assert_eq!(t.total, t.subtotal - t.discount + t.tax);
    // Discount shares 1 490 and 600 (largest remainder); 8.25 % of 13 410 = 1 106.325 → 1 106,
    // of 5 397 = 445.2525 → 445.
    assert_eq!(t.tax, 1_551);
    assert_eq!(t.total, 20_358);
    assert_eq!(
        f.invoices.invoice(draft.id).await.unwrap(),
        Some(draft.clone())
    );
    assert_eq!(actions(&f.audit).await, vec![AuditAction::InvoiceCreated]);
}

#[tokio::test]
async fn bad_input_stores_nothing() {
    let f = fixture();
    let mut new = new_invoice(UserId::new());
    new.lines[1].quantity = 0;
    let Err(BillingError::Invalid(errors)) = f
        .service
        .create_invoice(&f.admin, new, &RequestMeta::default())
        .await
    else {
        panic!("an unknown user and a zero quantity must be refused");
    };
    assert_eq!(
        errors.keys().map(String::as_str).collect::<Vec<_>>(),
        vec!["lines[1].quantity", "user_id"]
    );
    let all = f
        .invoices
        .invoices(&InvoiceFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert!(all.items.is_empty());
    assert!(actions(&f.audit).await.is_empty());
}

#[tokio::test]
async fn finalising_numbers_gaplessly_per_year_and_snapshots_the_customer() {
    let f = fixture();
    let meta = RequestMeta::default();
    let mut numbers = Vec::new();
    for _ in 0..3 {
        let d = f
            .service
            .create_invoice(&f.admin, new_invoice(f.customer), &meta)
            .await
            .unwrap();
        let open = f
            .service
            .finalize_invoice(&f.admin, d.id, &meta)
            .await
            .unwrap();
        assert_eq!(open.status(), InvoiceStatus::Open);
        assert_eq!(
            open.invoice.totals(),
            d.invoice.totals(),
            "totals are frozen as priced"
        );
        assert_eq!(open.issued_at, Some(f.clock.now()));
        assert_eq!(
            open.due_at,
            Some(f.clock.now() + chrono::Duration::days(14))
        );
        assert_eq!(
            open.customer.as_ref().map(|c| c.email.as_str()),
            Some("ada@example.com")
        );
        numbers.push(open.invoice.number().unwrap().to_string());
    }
    assert_eq!(
        numbers,
        vec!["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    );
    // A new year starts again at 1.
    f.clock.advance(chrono::Duration::days(366));
    let d = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    let open = f
        .service
        .finalize_invoice(&f.admin, d.id, &meta)
        .await
        .unwrap();
    assert_eq!(
        open.invoice.number().unwrap().to_string(),
        "INV-2027-000001"
    );
    // The snapshot does not follow later changes to the account.
    f.customers.insert(f.customer, "new@example.com", "Renamed");
    let stored = f.service.invoice(&f.admin, open.id).await.unwrap();
    assert_eq!(stored.customer.unwrap().email, "ada@example.com");
}

#[tokio::test]
async fn a_failed_finalisation_gives_its_number_back() {
    let f = fixture();
    let meta = RequestMeta::default();
    let gone = UserId::new();
    f.customers.insert(gone, "gone@example.com", "Gone");
    let d1 = f
        .service
        .create_invoice(&f.admin, new_invoice(gone), &meta)
        .await
        .unwrap();
    f.customers.remove(gone);
    assert!(matches!(
        f.service.finalize_invoice(&f.admin, d1.id, &meta).await,
        Err(BillingError::CustomerGone)
    ));
    let d2 = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    let open = f
        .service
        .finalize_invoice(&f.admin, d2.id, &meta)
        .await
        .unwrap();
    assert_eq!(open.invoice.number().unwrap().seq(), 1);
    assert_eq!(
        f.service.invoice(&f.admin, d1.id).await.unwrap().status(),
        InvoiceStatus::Draft
    );
}

#[tokio::test]
async fn transitions_follow_the_machine_and_are_audited() {
    let f = fixture();
    let meta = RequestMeta::default();
    let d = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    // Not yet open: paying or voiding a draft is a conflict and changes nothing.
    for result in [
        f.service.mark_invoice_paid(&f.admin, d.id, &meta).await,
        f.service.void_invoice(&f.admin, d.id, &meta).await,
    ] {
        assert!(matches!(
            result,
            Err(BillingError::Transition(TransitionError {
                from: InvoiceStatus::Draft,
                ..
            }))
        ));
    }
    f.service
        .finalize_invoice(&f.admin, d.id, &meta)
        .await
        .unwrap();
    f.clock.advance(chrono::Duration::hours(1));
    let paid = f
        .service
        .mark_invoice_paid(&f.admin, d.id, &meta)
        .await
        .unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.paid_at, Some(f.clock.now()));
    assert!(matches!(
        f.service.void_invoice(&f.admin, d.id, &meta).await,
        Err(BillingError::Transition(TransitionError {
            from: InvoiceStatus::Paid,
            to: InvoiceStatus::Void
        }))
    ));
    assert!(matches!(
        f.service.finalize_invoice(&f.admin, d.id, &meta).await,
        Err(BillingError::Transition(_))
    ));
    assert_eq!(f.service.invoice(&f.admin, d.id).await.unwrap(), paid);

    let d2 = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    f.service
        .finalize_invoice(&f.admin, d2.id, &meta)
        .await
        .unwrap();
    let void = f
        .service
        .void_invoice(&f.admin, d2.id, &meta)
        .await
        .unwrap();
    assert_eq!(void.voided_at, Some(f.clock.now()));
    assert!(matches!(
        f.service
            .mark_invoice_uncollectible(None, d2.id, &meta)
            .await,
        Err(BillingError::Transition(_))
    ));
    let d3 = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    f.service
        .finalize_invoice(&f.admin, d3.id, &meta)
        .await
        .unwrap();
    let gone = f
        .service
        .mark_invoice_uncollectible(None, d3.id, &meta)
        .await
        .unwrap();
    assert_eq!(gone.status(), InvoiceStatus::Uncollectible);
    assert!(matches!(
        f.service.invoice(&f.admin, InvoiceId::new()).await,
        Err(BillingError::InvoiceNotFound)
    ));
    use AuditAction::*;
    assert_eq!(
        actions(&f.audit).await,
        vec![
            InvoiceCreated,
            InvoiceFinalized,
            InvoicePaid,
            InvoiceCreated,
            InvoiceFinalized,
            InvoiceVoided,
            InvoiceCreated,
            InvoiceFinalized,
            InvoiceUncollectible,
        ]
    );
}

#[tokio::test]
async fn customers_see_only_their_issued_invoices() {
    let f = fixture();
    let meta = RequestMeta::default();
    let other = UserId::new();
    f.customers.insert(other, "bob@example.com", "Bob");
    let draft = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    let issued = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    let issued = f
        .service
        .finalize_invoice(&f.admin, issued.id, &meta)
        .await
        .unwrap();
    let bobs = f
        .service
        .create_invoice(&f.admin, new_invoice(other), &meta)
        .await
        .unwrap();
    f.service
        .finalize_invoice(&f.admin, bobs.id, &meta)
        .await
        .unwrap();

    let mine = f
        .service
        .customer_invoices(f.customer, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(mine.items, vec![issued.clone()]);
    assert_eq!(
        f.service
            .customer_invoice(f.customer, issued.id)
            .await
            .unwrap(),
        issued
    );
    for id in [draft.id, bobs.id, InvoiceId::new()] {
        assert!(matches!(
            f.service.customer_invoice(f.customer, id).await,
            Err(BillingError::InvoiceNotFound)
        ));
        assert!(matches!(
            f.service.customer_invoice_document(f.customer, id).await,
            Err(BillingError::InvoiceNotFound)
        ));
    }
    let (content_type, bytes) = f
        .service
        .customer_invoice_document(f.customer, issued.id)
        .await
        .unwrap();
    assert!(content_type.starts_with("text/plain"));
    assert!(
        String::from_utf8(bytes)
            .unwrap()
            .contains("INV-2026-000001")
    );
}

#[tokio::test]
async fn a_draft_edited_while_it_is_finalised_is_not_finalised_with_stale_amounts() {
    let f = fixture();
    let meta = RequestMeta::default();
    let draft = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    let mut edited = draft.clone();
    edited.invoice.remove_line(1).unwrap();
    edited.due_in_days = 1;
    f.invoices.edit_draft_before_next_number(edited);
    let err = f
        .service
        .finalize_invoice(&f.admin, draft.id, &meta)
        .await
        .unwrap_err();
    assert!(matches!(err, BillingError::DraftChanged), "{err:?}");
    let stored = f.invoices.invoice(draft.id).await.unwrap().unwrap();
    assert_eq!(stored.status(), InvoiceStatus::Draft);
    assert_eq!(
        actions(&f.audit).await,
        vec![AuditAction::InvoiceCreated],
        "nothing finalised"
    );
    // Finalising again works, and the number given back is taken.
    let open = f
        .service
        .finalize_invoice(&f.admin, draft.id, &meta)
        .await
        .unwrap();
    assert_eq!(open.invoice.number().unwrap().seq(), 1);
}

#[tokio::test]
async fn without_billing_write_no_invoice_is_created_read_or_changed() {
    let f = fixture();
    let meta = RequestMeta::default();
    let draft = f
        .service
        .create_invoice(&f.admin, new_invoice(f.customer), &meta)
        .await
        .unwrap();
    let clerk = plinth_kernel::Caller::new(
        UserId::new(),
        vec![plinth_kernel::Permission::USERS_READ.to_owned()],
    );
    let forbidden = |r: Result<(), BillingError>| {
        assert!(matches!(r, Err(BillingError::Forbidden(_))), "{r:?}");
    };
    forbidden(
        f.service
            .create_invoice(&clerk, new_invoice(f.customer), &meta)
            .await
            .map(drop),
    );
    forbidden(f.service.invoice(&clerk, draft.id).await.map(drop));
    forbidden(
        f.service
            .list_invoices(&clerk, &InvoiceFilter::default(), PageRequest::default())
            .await
            .map(drop),
    );
    forbidden(
        f.service
            .finalize_invoice(&clerk, draft.id, &meta)
            .await
            .map(drop),
    );
    forbidden(f.service.delete_invoice(&clerk, draft.id, &meta).await);
    assert_eq!(
        f.invoices.invoice(draft.id).await.unwrap(),
        Some(draft),
        "the draft is unchanged"
    );
    assert_eq!(actions(&f.audit).await, vec![AuditAction::InvoiceCreated]);
}
