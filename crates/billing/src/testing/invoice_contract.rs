//! The [`InvoiceStorage`] contract suite (its [`InvoiceRepository`] and
//! [`crate::InvoiceReportRepository`] listings), run unchanged against every adapter. It uses
//! fresh ids and a year of its own for the counters, and filters lists by its own users, so
//! storage may already hold other invoices.

// This function is a test body: a failed expectation is meant to panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::sync::Arc;

use chrono::SubsecRound;
use plinth_kernel::{
    Currency, Money, OrgId, Owner, PageRequest, RepoError, Timestamp, UnitOfWork, UserId,
};

use crate::invoice::{
    CustomerSnapshot, Invoice, InvoiceFilter, InvoiceId, InvoiceNumber, InvoiceRecord,
    InvoiceRepository, InvoiceStatus, InvoiceStorage, LineInput,
};

/// Runs every [`InvoiceRepository`] promise, and those of the listings of
/// [`crate::InvoiceReportRepository`], against `repo`: insert/get round trip of every
/// field and line (KWD, JPY), `Duplicate` on `invoices.id` and `invoices.number`, counters
/// that start at 1, count up and give back a rolled-back number, the status compare-and-set
/// of `update_invoice` (`NotFound` when the status moved) which never rewrites lines or
/// amounts, lists newest first with filters and cursors, drafts hidden from
/// `issued_invoices_of`, rollback of inserts and updates, draft edits and deletions (refused
/// once open) and an edit racing a finalisation. `users` are two accounts (a
/// SQL adapter may require them to exist).
///
/// # Panics
/// On the first broken promise.
pub async fn invoice_repository(
    repo: Arc<dyn InvoiceStorage>,
    uow: Arc<dyn UnitOfWork>,
    users: [UserId; 2],
) {
    let [alice, bob] = users;
    let now = chrono::Utc::now().trunc_subsecs(6);

    // Round trip of a draft with every field, in currencies of 3 and 0 decimals.
    let kwd = draft(alice, "KWD", &[(3, 1_234), (1, 5)], 1250, 825, now);
    let jpy = draft(alice, "JPY", &[(1, 1_500)], 0, 1000, now);
    for r in [&kwd, &jpy] {
        insert(&*repo, &*uow, r).await;
        assert_eq!(
            repo.invoice(r.id).await.unwrap().as_ref(),
            Some(r),
            "invoice() returns every field and line"
        );
    }
    assert_eq!(repo.invoice(InvoiceId::new()).await.unwrap(), None);
    let mut tx = uow.begin().await.unwrap();
    match repo.insert_invoice(tx.as_mut(), &kwd).await {
        Err(RepoError::Duplicate { constraint }) => assert_eq!(constraint, "invoices.id"),
        other => panic!("a second insert of an id must be Duplicate(invoices.id): {other:?}"),
    }
    drop(tx);

    // Counters: 1, 2, a rolled-back 3 given back, then 3.
    let year = 2000 + i32::try_from(uuid::Uuid::now_v7().as_u128() % 7000).unwrap();
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let mut tx = uow.begin().await.unwrap();
        numbers.push(repo.next_invoice_number(tx.as_mut(), year).await.unwrap());
        tx.commit().await.unwrap();
    }
    {
        let mut tx = uow.begin().await.unwrap();
        assert_eq!(
            repo.next_invoice_number(tx.as_mut(), year).await.unwrap(),
            3
        );
    }
    let mut tx = uow.begin().await.unwrap();
    numbers.push(repo.next_invoice_number(tx.as_mut(), year).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        numbers,
        vec![1, 2, 3],
        "gapless, and a rollback gives the number back"
    );
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.next_invoice_number(tx.as_mut(), year + 1)
            .await
            .unwrap(),
        1,
        "each year has its own sequence"
    );
    drop(tx);

    // Finalise through the compare-and-set.
    let number = InvoiceNumber::new(year, 1).unwrap();
    let open = finalized(&kwd, number, now);
    let mut tx = uow.begin().await.unwrap();
    repo.update_invoice(tx.as_mut(), &open, InvoiceStatus::Draft)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(repo.invoice(kwd.id).await.unwrap().as_ref(), Some(&open));
    let mut tx = uow.begin().await.unwrap();
    let again = repo
        .update_invoice(tx.as_mut(), &open, InvoiceStatus::Draft)
        .await;
    assert!(
        matches!(again, Err(RepoError::NotFound)),
        "update from a status the invoice has left: {again:?}"
    );
    drop(tx);

    // Lines and amounts are never rewritten by an update.
    let mut tampered = open.clone();
    let mut other = Invoice::draft(open.invoice.currency());
    other
        .add_line(LineInput {
            description: "not stored".into(),
            quantity: 1,
            unit_amount: Money::new(1, open.invoice.currency()),
        })
        .unwrap();
    other.finalize(number).unwrap();
    other.mark_paid().unwrap();
    tampered.invoice = other;
    tampered.paid_at = Some(now + chrono::Duration::days(2));
    let mut tx = uow.begin().await.unwrap();
    repo.update_invoice(tx.as_mut(), &tampered, InvoiceStatus::Open)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let paid = repo.invoice(kwd.id).await.unwrap().unwrap();
    assert_eq!(paid.status(), InvoiceStatus::Paid);
    assert_eq!(paid.paid_at, tampered.paid_at);
    assert_eq!(
        paid.invoice.lines(),
        open.invoice.lines(),
        "lines are fixed"
    );
    assert_eq!(
        paid.invoice.totals(),
        open.invoice.totals(),
        "amounts are fixed"
    );

    // A number is unique.
    let clash = finalized(&jpy, number, now);
    let mut tx = uow.begin().await.unwrap();
    match repo
        .update_invoice(tx.as_mut(), &clash, InvoiceStatus::Draft)
        .await
    {
        Err(RepoError::Duplicate { constraint }) => assert_eq!(constraint, "invoices.number"),
        other => panic!("a taken number must be Duplicate(invoices.number): {other:?}"),
    }
    drop(tx);
    assert_eq!(repo.invoice(jpy.id).await.unwrap().as_ref(), Some(&jpy));

    // Lists: newest first, filters, cursors; the customer never sees drafts.
    let mut bobs = Vec::new();
    for i in 0..3 {
        let d = draft(bob, "EUR", &[(1, 100 * (i + 1))], 0, 0, now);
        insert(&*repo, &*uow, &d).await;
        bobs.push(d);
    }
    let bob_open = finalized(&bobs[1], InvoiceNumber::new(year, 2).unwrap(), now);
    let mut tx = uow.begin().await.unwrap();
    repo.update_invoice(tx.as_mut(), &bob_open, InvoiceStatus::Draft)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let ids =
        |p: &plinth_kernel::Page<InvoiceRecord>| p.items.iter().map(|r| r.id).collect::<Vec<_>>();
    let by_bob = InvoiceFilter {
        user_id: Some(bob),
        status: None,
    };
    let first = repo.invoices(&by_bob, PageRequest::first(2)).await.unwrap();
    assert_eq!(ids(&first), vec![bobs[2].id, bobs[1].id], "newest first");
    let cursor = first.next_cursor.expect("a second page").encode();
    let second = repo
        .invoices(&by_bob, PageRequest::new(Some(2), Some(&cursor)).unwrap())
        .await
        .unwrap();
    assert_eq!(ids(&second), vec![bobs[0].id]);
    assert_eq!(second.next_cursor, None, "the last page has no cursor");
    assert_eq!(
        second.items[0], bobs[0],
        "listed invoices carry every field"
    );
    let open_of_bob = repo
        .invoices(
            &InvoiceFilter {
                user_id: Some(bob),
                status: Some(InvoiceStatus::Open),
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&open_of_bob), vec![bobs[1].id]);
    let paid_any = repo
        .invoices(
            &InvoiceFilter {
                user_id: None,
                status: Some(InvoiceStatus::Paid),
            },
            PageRequest::first(100),
        )
        .await
        .unwrap();
    assert!(paid_any.items.iter().any(|r| r.id == kwd.id));
    assert!(
        paid_any
            .items
            .iter()
            .all(|r| r.status() == InvoiceStatus::Paid)
    );
    let issued = repo
        .issued_invoices_of(bob.into(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&issued), vec![bobs[1].id], "drafts are not issued");
    assert_eq!(issued.items[0], bob_open);
    let alices = repo
        .issued_invoices_of(alice.into(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&alices), vec![kwd.id], "only the user's own");

    // An organization's invoice, which alice answers for: the organization's listing has it,
    // alice's own never does (the tenant filter is the repository's).
    let org = OrgId::new();
    let org_draft = InvoiceRecord {
        org_id: Some(org),
        ..draft(alice, "USD", &[(3, 2_000)], 0, 0, now)
    };
    insert(&*repo, &*uow, &org_draft).await;
    let org_open = finalized(&org_draft, InvoiceNumber::new(year, 3).unwrap(), now);
    let mut tx = uow.begin().await.unwrap();
    repo.update_invoice(tx.as_mut(), &org_open, InvoiceStatus::Draft)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        repo.invoice(org_draft.id).await.unwrap(),
        Some(org_open.clone())
    );
    let of_org = repo
        .issued_invoices_of(Owner::Org(org), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&of_org), vec![org_draft.id]);
    let alices = repo
        .issued_invoices_of(alice.into(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&alices),
        vec![kwd.id],
        "an organization's invoice is not its member's own"
    );
    assert!(
        repo.issued_invoices_of(Owner::Org(OrgId::new()), PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Rollback of an insert and of an update.
    let ghost = draft(alice, "USD", &[(1, 1)], 0, 0, now);
    {
        let mut tx = uow.begin().await.unwrap();
        repo.insert_invoice(tx.as_mut(), &ghost).await.unwrap();
        let voided = InvoiceRecord {
            voided_at: Some(now),
            invoice: {
                let mut i = bob_open.invoice.clone();
                i.void().unwrap();
                i
            },
            ..bob_open.clone()
        };
        repo.update_invoice(tx.as_mut(), &voided, InvoiceStatus::Open)
            .await
            .unwrap();
    }
    assert_eq!(repo.invoice(ghost.id).await.unwrap(), None, "insert undone");
    assert_eq!(
        repo.invoice(bob_open.id).await.unwrap().as_ref(),
        Some(&bob_open),
        "update undone"
    );

    drafts(&*repo, &*uow, alice, year, now).await;
    edit_races_finalise(&(repo as Arc<dyn InvoiceRepository>), &uow, bob, year, now).await;
}

/// `update_draft` and `delete_draft`: a draft changes wholly (or not at all when rolled
/// back), `invoice_in` and `lock_invoice` see a transaction's own writes, and an open invoice
/// is refused.
async fn drafts(
    repo: &dyn InvoiceRepository,
    uow: &dyn UnitOfWork,
    user: UserId,
    year: i32,
    now: Timestamp,
) {
    let before = draft(user, "JPY", &[(2, 1_500)], 0, 1000, now);
    insert(repo, uow, &before).await;
    let after = edited(&before, now);
    assert_ne!(after.invoice.totals(), before.invoice.totals());
    {
        let mut tx = uow.begin().await.unwrap();
        repo.update_draft(tx.as_mut(), &after).await.unwrap();
        assert_eq!(
            repo.invoice_in(tx.as_mut(), before.id)
                .await
                .unwrap()
                .as_ref(),
            Some(&after),
            "invoice_in reads the transaction's own writes"
        );
        assert_eq!(
            repo.lock_invoice(tx.as_mut(), before.id)
                .await
                .unwrap()
                .as_ref(),
            Some(&after),
            "lock_invoice reads the transaction's own writes"
        );
        assert_eq!(
            repo.lock_invoice(tx.as_mut(), InvoiceId::new())
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        repo.invoice(before.id).await.unwrap().as_ref(),
        Some(&before),
        "a rolled-back edit leaves the draft as it was"
    );
    let mut tx = uow.begin().await.unwrap();
    repo.update_draft(tx.as_mut(), &after).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        repo.invoice(before.id).await.unwrap().as_ref(),
        Some(&after),
        "every line, rate, amount and the payment term are replaced"
    );

    // An open invoice is neither edited nor deleted; neither is an unknown one.
    let open = finalized(&after, InvoiceNumber::new(year, 4).unwrap(), now);
    let mut tx = uow.begin().await.unwrap();
    repo.update_invoice(tx.as_mut(), &open, InvoiceStatus::Draft)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = uow.begin().await.unwrap();
    let edit = repo.update_draft(tx.as_mut(), &edited(&after, now)).await;
    assert!(
        matches!(edit, Err(RepoError::NotFound)),
        "edit of open: {edit:?}"
    );
    let delete = repo.delete_draft(tx.as_mut(), open.id).await;
    assert!(
        matches!(delete, Err(RepoError::NotFound)),
        "delete of open: {delete:?}"
    );
    let unknown = repo.delete_draft(tx.as_mut(), InvoiceId::new()).await;
    assert!(matches!(unknown, Err(RepoError::NotFound)), "{unknown:?}");
    let ghost = draft(user, "USD", &[(1, 1)], 0, 0, now);
    let unknown = repo.update_draft(tx.as_mut(), &ghost).await;
    assert!(matches!(unknown, Err(RepoError::NotFound)), "{unknown:?}");
    tx.commit().await.unwrap();
    assert_eq!(repo.invoice(open.id).await.unwrap().as_ref(), Some(&open));
    assert_eq!(repo.invoice(ghost.id).await.unwrap(), None);

    // A draft is deleted with its lines; a rollback brings it back.
    let doomed = draft(user, "KWD", &[(3, 1_234), (1, 5)], 1250, 825, now);
    insert(repo, uow, &doomed).await;
    {
        let mut tx = uow.begin().await.unwrap();
        repo.delete_draft(tx.as_mut(), doomed.id).await.unwrap();
        assert_eq!(repo.invoice_in(tx.as_mut(), doomed.id).await.unwrap(), None);
    }
    assert_eq!(
        repo.invoice(doomed.id).await.unwrap().as_ref(),
        Some(&doomed),
        "a rolled-back delete leaves the draft"
    );
    let mut tx = uow.begin().await.unwrap();
    repo.delete_draft(tx.as_mut(), doomed.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(repo.invoice(doomed.id).await.unwrap(), None);
    let mut tx = uow.begin().await.unwrap();
    let again = repo.delete_draft(tx.as_mut(), doomed.id).await;
    assert!(matches!(again, Err(RepoError::NotFound)), "{again:?}");
}

/// An edit and a finalisation of the same draft at the same time: the finalisation always
/// wins its compare-and-set, and the open invoice has all of the old lines and amounts (the
/// edit then found no draft) or all of the new ones (the edit committed first), never a mix.
async fn edit_races_finalise(
    repo: &Arc<dyn InvoiceRepository>,
    uow: &Arc<dyn UnitOfWork>,
    user: UserId,
    year: i32,
    now: Timestamp,
) {
    for round in 0..8 {
        let before = draft(user, "KWD", &[(3, 1_234), (1, 5)], 1250, 825, now);
        insert(&**repo, &**uow, &before).await;
        let after = edited(&before, now);
        let number = InvoiceNumber::new(year, 100 + round).unwrap();
        let open = finalized(&before, number, now);
        let edit = {
            let (repo, uow, after) = (Arc::clone(repo), Arc::clone(uow), after.clone());
            tokio::spawn(async move {
                let mut tx = uow.begin().await.unwrap();
                repo.update_draft(tx.as_mut(), &after).await?;
                tx.commit().await
            })
        };
        let finalise = {
            let (repo, uow, open) = (Arc::clone(repo), Arc::clone(uow), open.clone());
            tokio::spawn(async move {
                let mut tx = uow.begin().await.unwrap();
                repo.update_invoice(tx.as_mut(), &open, InvoiceStatus::Draft)
                    .await?;
                tx.commit().await
            })
        };
        let (edit, finalise) = (edit.await.unwrap(), finalise.await.unwrap());
        finalise.unwrap();
        let stored = repo.invoice(before.id).await.unwrap().unwrap();
        assert_eq!(stored.status(), InvoiceStatus::Open);
        assert_eq!(stored.invoice.number(), Some(number));
        let amounts = |r: &InvoiceRecord| {
            (
                r.invoice.lines().to_vec(),
                r.invoice.totals(),
                r.invoice.discount_bps(),
                r.invoice.tax_rate_bps(),
                r.due_in_days,
            )
        };
        match edit {
            Ok(()) => assert_eq!(amounts(&stored), amounts(&after), "edit first: all new"),
            Err(RepoError::NotFound) => {
                assert_eq!(
                    amounts(&stored),
                    amounts(&before),
                    "finalised first: all old"
                );
            }
            Err(e) => panic!("an edit racing a finalisation failed: {e:?}"),
        }
    }
}

/// `r` with other lines, rates and payment term (same currency), as an edit writes it.
fn edited(r: &InvoiceRecord, now: Timestamp) -> InvoiceRecord {
    let currency = r.invoice.currency();
    let other = draft(
        r.user_id,
        currency.code(),
        &[(1, 999), (4, 7), (2, 1)],
        500,
        2000,
        now,
    );
    InvoiceRecord {
        invoice: other.invoice,
        due_in_days: 3,
        updated_at: now,
        ..r.clone()
    }
}

/// A priced draft of `user` (timestamps at microsecond precision, as SQL keeps them).
fn draft(
    user: UserId,
    currency: &str,
    lines: &[(i64, i64)],
    discount_bps: u32,
    tax_rate_bps: u32,
    now: Timestamp,
) -> InvoiceRecord {
    let currency = Currency::parse(currency).unwrap();
    let mut invoice = Invoice::draft(currency);
    for (i, (quantity, unit)) in lines.iter().enumerate() {
        invoice
            .add_line(LineInput {
                description: format!("Line {i}: «service» ✓"),
                quantity: *quantity,
                unit_amount: Money::new(*unit, currency),
            })
            .unwrap();
    }
    invoice.set_discount_bps(discount_bps).unwrap();
    invoice.set_tax_rate_bps(tax_rate_bps).unwrap();
    InvoiceRecord {
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
        created_at: now - chrono::Duration::days(1),
        updated_at: now - chrono::Duration::microseconds(1_500_001),
        provider_payment_id: None,
    }
}

fn finalized(draft: &InvoiceRecord, number: InvoiceNumber, now: Timestamp) -> InvoiceRecord {
    let mut r = draft.clone();
    r.invoice.finalize(number).unwrap();
    r.customer = Some(CustomerSnapshot {
        email: "ada@example.com".into(),
        name: "Ada Lovelace".into(),
    });
    r.issued_at = Some(now);
    r.due_at = Some(now + chrono::Duration::days(14));
    r.updated_at = now;
    r
}

async fn insert(repo: &dyn InvoiceRepository, uow: &dyn UnitOfWork, r: &InvoiceRecord) {
    let mut tx = uow.begin().await.unwrap();
    repo.insert_invoice(tx.as_mut(), r).await.unwrap();
    tx.commit().await.unwrap();
}
