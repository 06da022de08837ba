//! Contract suites of payments: [`payment_event_inbox`] for every [`PaymentEventInbox`]
//! adapter, [`invoice_revenue`] for the revenue and overdue queries of every
//! [`crate::InvoiceReportRepository`] adapter (on an [`InvoiceStorage`], to write its
//! invoices), and [`provider_payment_id`] for the payment id of every [`InvoiceRepository`].

// These functions are test bodies: a failed expectation is meant to panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::sync::Arc;

use chrono::SubsecRound;
use plinth_kernel::{Currency, Money, RepoError, UnitOfWork, UserId};

use crate::invoice::{
    Invoice, InvoiceId, InvoiceNumber, InvoiceRecord, InvoiceReportRepository, InvoiceRepository,
    InvoiceStatus, InvoiceStorage, LineInput, RevenueBucket,
};
use crate::payment::{InboxEntry, PaymentEventInbox};

/// Every [`PaymentEventInbox`] promise: `insert_new` is `true` once per id then `false`,
/// writes nothing the second time, round-trips every field, `mark_processed` sets the outcome
/// (`NotFound` for an unknown id), and a dropped transaction undoes both.
pub async fn payment_event_inbox(inbox: Arc<dyn PaymentEventInbox>, uow: Arc<dyn UnitOfWork>) {
    let now = chrono::Utc::now().trunc_subsecs(6);
    let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
    let entry = InboxEntry {
        id: id.clone(),
        kind: "invoice.paid".into(),
        received_at: now,
        processed_at: None,
        outcome: None,
        invoice_id: None,
    };

    // A dropped transaction leaves nothing.
    {
        let mut tx = uow.begin().await.unwrap();
        assert!(inbox.insert_new(tx.as_mut(), &entry).await.unwrap());
    }
    assert_eq!(inbox.entry(&id).await.unwrap(), None, "insert rolled back");

    let mut tx = uow.begin().await.unwrap();
    assert!(inbox.insert_new(tx.as_mut(), &entry).await.unwrap());
    let processed = InboxEntry {
        processed_at: Some(now),
        outcome: Some("applied".into()),
        invoice_id: Some(InvoiceId::new()),
        ..entry.clone()
    };
    inbox.mark_processed(tx.as_mut(), &processed).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(inbox.entry(&id).await.unwrap(), Some(processed.clone()));

    // The same id again: refused without error, nothing overwritten.
    let mut tx = uow.begin().await.unwrap();
    let again = InboxEntry {
        kind: "payment_intent.succeeded".into(),
        ..entry.clone()
    };
    assert!(!inbox.insert_new(tx.as_mut(), &again).await.unwrap());
    drop(tx);
    assert_eq!(inbox.entry(&id).await.unwrap(), Some(processed.clone()));

    // Unknown id.
    let mut tx = uow.begin().await.unwrap();
    let unknown = InboxEntry {
        id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
        ..processed.clone()
    };
    assert!(matches!(
        inbox.mark_processed(tx.as_mut(), &unknown).await,
        Err(RepoError::NotFound)
    ));
    drop(tx);

    // A dropped mark_processed is undone.
    {
        let mut tx = uow.begin().await.unwrap();
        let changed = InboxEntry {
            outcome: Some("ignored".into()),
            ..processed.clone()
        };
        inbox.mark_processed(tx.as_mut(), &changed).await.unwrap();
    }
    assert_eq!(inbox.entry(&id).await.unwrap(), Some(processed));
}

/// The revenue buckets and the overdue query of an [`InvoiceReportRepository`]. Storage may hold
/// other invoices: the suite compares totals before and after adding its own, in a currency
/// pair (KWD, JPY) and with due dates far in the past, so it checks the deltas.
pub async fn invoice_revenue(
    repo: Arc<dyn InvoiceStorage>,
    uow: Arc<dyn UnitOfWork>,
    user: UserId,
) {
    let now = chrono::Utc::now().trunc_subsecs(6);
    let before = snapshot(&*repo, now).await;
    let year = 2000 + i32::try_from(uuid::Uuid::now_v7().as_u128() % 7000).unwrap();
    let day = chrono::Duration::days(1);
    // paid now (counts), paid long ago (does not), open due tomorrow, open due yesterday,
    // open due 60 days ago, a draft and a void one (never count).
    let cases: [(&str, i64, &str, Option<chrono::Duration>, bool); 7] = [
        ("KWD", 1_234, "paid", None, true),
        ("KWD", 5_000, "paid", None, false),
        ("KWD", 700, "open", Some(day), false),
        ("JPY", 1_500, "open", Some(-day), false),
        ("JPY", 99, "open", Some(-day * 60), false),
        ("JPY", 10_000, "draft", None, false),
        ("KWD", 3_000, "void", Some(-day), false),
    ];
    let mut ids = Vec::new();
    for (seq, (code, amount, status, due, paid_now)) in (1_u32..).zip(cases) {
        let currency = Currency::parse(code).unwrap();
        let mut invoice = Invoice::draft(currency);
        invoice
            .add_line(LineInput {
                description: "Revenue check".into(),
                quantity: 1,
                unit_amount: Money::new(amount, currency),
            })
            .unwrap();
        let mut r = InvoiceRecord {
            id: InvoiceId::new(),
            user_id: user,
            org_id: None,
            invoice,
            due_in_days: 14,
            customer: None,
            due_at: None,
            issued_at: None,
            paid_at: None,
            voided_at: None,
            created_at: now,
            updated_at: now,
            provider_payment_id: None,
        };
        // Lines may only be written to a draft: insert it, then move it as the service would.
        let mut tx = uow.begin().await.unwrap();
        repo.insert_invoice(tx.as_mut(), &r).await.unwrap();
        if status != "draft" {
            r.invoice
                .finalize(InvoiceNumber::new(year, seq).unwrap())
                .unwrap();
            r.issued_at = Some(now - day * 90);
            r.due_at = Some(now + due.unwrap_or(-day * 80));
            repo.update_invoice(tx.as_mut(), &r, InvoiceStatus::Draft)
                .await
                .unwrap();
        }
        if status == "paid" {
            r.invoice.mark_paid().unwrap();
            r.paid_at = Some(if paid_now { now } else { now - day * 400 });
        }
        if status == "void" {
            r.invoice.void().unwrap();
            r.voided_at = Some(now);
        }
        if status == "paid" || status == "void" {
            repo.update_invoice(tx.as_mut(), &r, InvoiceStatus::Open)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        ids.push(r.id);
    }
    let after = snapshot(&*repo, now).await;
    let delta = |b: &[Money], a: &[Money], code: &str| {
        let sum = |l: &[Money]| {
            l.iter()
                .filter(|m| m.currency.code() == code)
                .map(|m| m.amount)
                .sum::<i64>()
        };
        sum(a) - sum(b)
    };
    let since = now - chrono::Duration::hours(1);
    assert_eq!(
        delta(&before.0, &after.0, "KWD"),
        1_234,
        "paid since {since}"
    );
    assert_eq!(delta(&before.0, &after.0, "JPY"), 0);
    assert_eq!(delta(&before.1, &after.1, "KWD"), 700, "outstanding");
    assert_eq!(delta(&before.1, &after.1, "JPY"), 0);
    assert_eq!(delta(&before.2, &after.2, "JPY"), 1_599, "overdue");
    assert_eq!(delta(&before.2, &after.2, "KWD"), 0, "void is not overdue");
    for list in [&after.0, &after.1, &after.2] {
        let codes: Vec<&str> = list.iter().map(|m| m.currency.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "one entry per currency, ordered by code");
    }

    // Overdue query: only open invoices due before the instant, oldest due first.
    let due = repo.open_due_before(now, 10_000).await.unwrap();
    let mine: Vec<InvoiceId> = due.into_iter().filter(|id| ids.contains(id)).collect();
    assert_eq!(
        mine,
        vec![ids[4], ids[3]],
        "due 60 days ago, then yesterday"
    );
    let due = repo.open_due_before(now - day * 30, 10_000).await.unwrap();
    assert!(due.contains(&ids[4]) && !due.contains(&ids[3]));
    assert!(repo.open_due_before(now, 1).await.unwrap().len() <= 1);
}

async fn snapshot(
    repo: &dyn InvoiceReportRepository,
    now: plinth_kernel::Timestamp,
) -> (Vec<Money>, Vec<Money>, Vec<Money>) {
    let since = now - chrono::Duration::hours(1);
    (
        repo.totals_by_currency(RevenueBucket::PaidSince(since))
            .await
            .unwrap(),
        repo.totals_by_currency(RevenueBucket::OpenDueFrom(now))
            .await
            .unwrap(),
        repo.totals_by_currency(RevenueBucket::OpenDueBefore(now))
            .await
            .unwrap(),
    )
}

/// `set_provider_payment_id` of an [`InvoiceRepository`]: only an `open` invoice without one
/// takes it, the first one is kept, a dropped transaction undoes it, `update_invoice` never
/// clears it, and the amounts stay as they were.
pub async fn provider_payment_id(
    repo: Arc<dyn InvoiceRepository>,
    uow: Arc<dyn UnitOfWork>,
    user: UserId,
) {
    let now = chrono::Utc::now().trunc_subsecs(6);
    let year = 2000 + i32::try_from(uuid::Uuid::now_v7().as_u128() % 7000).unwrap();
    let currency = Currency::parse("EUR").unwrap();
    let mut invoice = Invoice::draft(currency);
    invoice
        .add_line(LineInput {
            description: "Payment id check".into(),
            quantity: 2,
            unit_amount: Money::new(2_500, currency),
        })
        .unwrap();
    let mut r = InvoiceRecord {
        id: InvoiceId::new(),
        user_id: user,
        org_id: None,
        invoice,
        due_in_days: 14,
        customer: None,
        due_at: None,
        issued_at: None,
        paid_at: None,
        voided_at: None,
        created_at: now,
        updated_at: now,
        provider_payment_id: None,
    };
    let set = |id: InvoiceId, pid: &'static str| {
        let repo = Arc::clone(&repo);
        let uow = Arc::clone(&uow);
        async move {
            let mut tx = uow.begin().await.unwrap();
            let result = repo.set_provider_payment_id(tx.as_mut(), id, pid).await;
            if result.is_ok() {
                tx.commit().await.unwrap();
            }
            result
        }
    };
    let stored = |id: InvoiceId| {
        let repo = Arc::clone(&repo);
        async move { repo.invoice(id).await.unwrap().unwrap() }
    };

    let mut tx = uow.begin().await.unwrap();
    repo.insert_invoice(tx.as_mut(), &r).await.unwrap();
    tx.commit().await.unwrap();
    // A draft is not payable.
    assert!(matches!(
        set(r.id, "pi_draft").await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        set(InvoiceId::new(), "pi_unknown").await,
        Err(RepoError::NotFound)
    ));

    r.invoice
        .finalize(InvoiceNumber::new(year, 1).unwrap())
        .unwrap();
    r.issued_at = Some(now);
    r.due_at = Some(now + chrono::Duration::days(14));
    let mut tx = uow.begin().await.unwrap();
    repo.update_invoice(tx.as_mut(), &r, InvoiceStatus::Draft)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored(r.id).await.provider_payment_id, None);

    // Dropped: undone.
    {
        let mut tx = uow.begin().await.unwrap();
        repo.set_provider_payment_id(tx.as_mut(), r.id, "pi_dropped")
            .await
            .unwrap();
    }
    assert_eq!(stored(r.id).await.provider_payment_id, None, "rolled back");

    set(r.id, "pi_first").await.unwrap();
    let open = stored(r.id).await;
    assert_eq!(open.provider_payment_id.as_deref(), Some("pi_first"));
    assert_eq!(
        open.invoice.totals(),
        r.invoice.totals(),
        "amounts unchanged"
    );
    assert_eq!(open.status(), InvoiceStatus::Open);
    // The first one is kept.
    assert!(matches!(
        set(r.id, "pi_second").await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        stored(r.id).await.provider_payment_id.as_deref(),
        Some("pi_first")
    );

    // A status move from a record read before (without the id) does not clear it.
    r.invoice.mark_paid().unwrap();
    r.paid_at = Some(now);
    let mut tx = uow.begin().await.unwrap();
    repo.update_invoice(tx.as_mut(), &r, InvoiceStatus::Open)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let paid = stored(r.id).await;
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.provider_payment_id.as_deref(), Some("pi_first"));
    assert_eq!(paid.invoice.totals(), r.invoice.totals());
}
