//! Invoices on real databases: the database itself refuses to change a finalised invoice
//! (triggers, SQLite and PostgreSQL), parallel finalisations take consecutive numbers, and a
//! rolled-back finalisation gives its number back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use plinth_billing::testing::billing_admin;
use std::sync::Arc;

use common::{TestDb, create_user, postgres, sqlite};
use plinth_audit::AuditLog;
use plinth_audit::testing::FailingAuditLog;
use plinth_billing::subscription::NoInvoices;
use plinth_billing::testing::TextInvoiceRenderer;
use plinth_billing::{
    BillingError, InvoiceChanges, InvoiceId, InvoiceService, InvoiceStatus, NewInvoice,
    NewInvoiceLine, SubscriptionService,
};
use plinth_kernel::testing::{ManualClock, fixed_now};
use plinth_kernel::{Clock, Currency, RequestMeta, UserId};
use plinth_store::Database;
use sea_orm::{ConnectionTrait, Statement};

fn service(t: &TestDb, audit: Arc<dyn AuditLog>) -> InvoiceService {
    invoice_service(&t.db, audit)
}

/// The invoice service over `db`, writing its audit entries to `audit`.
fn invoice_service(db: &Database, audit: Arc<dyn AuditLog>) -> InvoiceService {
    // A fixed instant: numbering is per year, and the wall clock could cross one mid-test.
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
    let subscriptions = SubscriptionService::new(
        db.billing(),
        db.subscriptions(),
        Arc::new(NoInvoices),
        Arc::new(plinth_billing::testing::MemoryCustomerDirectory::new()),
        Arc::clone(&audit),
        db.unit_of_work(),
        Arc::clone(&clock),
        std::collections::BTreeMap::new(),
    );
    InvoiceService::new(
        db.invoices(),
        db.customers(),
        Arc::new(TextInvoiceRenderer),
        subscriptions,
        audit,
        db.unit_of_work(),
        clock,
    )
}

fn new_invoice(user: UserId) -> NewInvoice {
    NewInvoice {
        user_id: user,
        currency: Currency::parse("EUR").unwrap(),
        lines: vec![
            NewInvoiceLine {
                description: "Consulting".into(),
                quantity: 3,
                unit_amount: 12_000,
            },
            NewInvoiceLine {
                description: "Travel".into(),
                quantity: 1,
                unit_amount: 4_550,
            },
        ],
        discount_bps: 500,
        tax_rate_bps: 2000,
        due_in_days: 30,
    }
}

async fn draft(s: &InvoiceService, user: UserId) -> InvoiceId {
    s.create_invoice(
        &billing_admin(user),
        new_invoice(user),
        &RequestMeta::default(),
    )
    .await
    .unwrap()
    .id
}

/// Runs `sql` with `id` substituted; `Ok` when the database accepted it.
async fn raw(t: &TestDb, sql: &str, id: InvoiceId) -> Result<u64, sea_orm::DbErr> {
    let conn = t.db.connection();
    let sql = sql.replace("{id}", &quoted_id(t, id));
    conn.execute_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .map(|r| r.rows_affected())
}

/// How a UUID literal is spelled in SQL: text on PostgreSQL, the stored blob on SQLite.
fn quoted_id(t: &TestDb, id: InvoiceId) -> String {
    if t.label == "postgres" {
        format!("'{}'", id.as_uuid())
    } else {
        format!("x'{}'", id.as_uuid().simple())
    }
}

async fn the_database_freezes_finalised_invoices(t: TestDb) {
    let user = create_user(&t.db).await;
    let s = service(&t, t.db.audit());
    let open = draft(&s, user).await;
    let still_draft = draft(&s, user).await;
    s.finalize_invoice(&billing_admin(user), open, &RequestMeta::default())
        .await
        .unwrap();

    // A draft's amounts and lines may still change…
    assert_eq!(
        raw(
            &t,
            "UPDATE invoices SET total = total + 1, tax = tax + 1 WHERE id = {id}",
            still_draft
        )
        .await
        .unwrap(),
        1,
        "{}: a draft is editable",
        t.label
    );
    raw(
        &t,
        "UPDATE invoice_lines SET tax = tax + 1 WHERE invoice_id = {id} AND position = 0",
        still_draft,
    )
    .await
    .unwrap();

    // …a finalised invoice's never do, whoever asks.
    for sql in [
        "UPDATE invoices SET total = total + 1 WHERE id = {id}",
        "UPDATE invoices SET subtotal = 0, discount = 0, tax = 0, total = 0 WHERE id = {id}",
        "UPDATE invoices SET currency = 'USD' WHERE id = {id}",
        "UPDATE invoices SET number = NULL WHERE id = {id}",
        "UPDATE invoices SET tax_rate_bps = 0 WHERE id = {id}",
        "UPDATE invoice_lines SET amount = amount + 1 WHERE invoice_id = {id}",
        "DELETE FROM invoice_lines WHERE invoice_id = {id}",
        "DELETE FROM invoices WHERE id = {id}",
        "INSERT INTO invoice_lines (invoice_id, position, description, quantity, unit_amount, \
         amount, discount, tax, total) VALUES ({id}, 9, 'late', 1, 1, 1, 0, 0, 1)",
    ] {
        let result = raw(&t, sql, open).await;
        assert!(
            result.is_err(),
            "{}: the database accepted {sql:?} on a finalised invoice",
            t.label
        );
    }
    // The provider's payment id may be recorded on an open invoice (paying it starts a
    // payment)…
    assert_eq!(
        raw(
            &t,
            "UPDATE invoices SET provider_payment_id = 'pi_raw' WHERE id = {id}",
            open
        )
        .await
        .unwrap(),
        1,
        "{}: recording the payment id is allowed",
        t.label
    );
    // …but not as a way round the freeze.
    let result = raw(
        &t,
        "UPDATE invoices SET provider_payment_id = 'pi_raw2', total = total + 1 WHERE id = {id}",
        open,
    )
    .await;
    assert!(
        result.is_err(),
        "{}: amounts changed with the payment id",
        t.label
    );
    assert_eq!(
        s.invoice(&billing_admin(UserId::new()), open)
            .await
            .unwrap()
            .provider_payment_id
            .as_deref(),
        Some("pi_raw")
    );
    // Status moves and payment dates are still allowed (that is how it gets paid).
    s.mark_invoice_paid(&billing_admin(user), open, &RequestMeta::default())
        .await
        .unwrap();
    let stored = s
        .invoice(&billing_admin(UserId::new()), open)
        .await
        .unwrap();
    assert_eq!(stored.status(), InvoiceStatus::Paid);
    assert_eq!(stored.invoice.totals().total, 46_226, "{}", t.label);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_freezes_finalised_invoices() {
    the_database_freezes_finalised_invoices(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_freezes_finalised_invoices() {
    let Some(t) = postgres().await else { return };
    the_database_freezes_finalised_invoices(t).await;
}

async fn parallel_finalisations_take_consecutive_numbers(t: TestDb, n: usize) {
    let user = create_user(&t.db).await;
    let s = service(&t, t.db.audit());
    let mut drafts = Vec::new();
    for _ in 0..n {
        drafts.push(draft(&s, user).await);
    }
    let tasks: Vec<_> = drafts
        .iter()
        .map(|id| {
            let s = s.clone();
            let id = *id;
            tokio::spawn(async move {
                s.finalize_invoice(&billing_admin(user), id, &RequestMeta::default())
                    .await
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        let record = task.await.unwrap().unwrap();
        numbers.push(record.invoice.number().unwrap());
    }
    numbers.sort();
    let seqs: Vec<u32> = numbers.iter().map(|n| n.seq()).collect();
    assert_eq!(
        seqs,
        (1..=u32::try_from(n).unwrap()).collect::<Vec<_>>(),
        "{}: {n} parallel finalisations must take 1..={n} with no gap or duplicate",
        t.label
    );
    assert!(
        numbers
            .iter()
            .all(|x| x.year() == chrono::Datelike::year(&fixed_now()))
    );
    // Every invoice holds the number it was given.
    for id in drafts {
        let stored = s.invoice(&billing_admin(UserId::new()), id).await.unwrap();
        assert_eq!(stored.status(), InvoiceStatus::Open);
        assert!(numbers.contains(&stored.invoice.number().unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_parallel_finalisations_take_consecutive_numbers() {
    let Some(t) = postgres().await else { return };
    parallel_finalisations_take_consecutive_numbers(t, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_parallel_finalisations_take_consecutive_numbers() {
    parallel_finalisations_take_consecutive_numbers(sqlite().await, 8).await;
}

async fn a_rolled_back_finalisation_gives_its_number_back(t: TestDb) {
    let user = create_user(&t.db).await;
    let good = service(&t, t.db.audit());
    let failing = service(&t, Arc::new(FailingAuditLog));
    let first = draft(&good, user).await;
    let second = draft(&good, user).await;
    // The audit entry fails after the number was taken: everything rolls back.
    assert!(
        failing
            .finalize_invoice(&billing_admin(user), first, &RequestMeta::default())
            .await
            .is_err()
    );
    assert_eq!(
        good.invoice(&billing_admin(UserId::new()), first)
            .await
            .unwrap()
            .status(),
        InvoiceStatus::Draft,
        "{}",
        t.label
    );
    let open = good
        .finalize_invoice(&billing_admin(user), second, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(
        open.invoice.number().unwrap().seq(),
        1,
        "{}: the rolled-back number is given again",
        t.label
    );
    let open = good
        .finalize_invoice(&billing_admin(user), first, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(open.invoice.number().unwrap().seq(), 2, "{}", t.label);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rolled_back_finalisation_gives_its_number_back() {
    let Some(t) = postgres().await else { return };
    a_rolled_back_finalisation_gives_its_number_back(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rolled_back_finalisation_gives_its_number_back() {
    a_rolled_back_finalisation_gives_its_number_back(sqlite().await).await;
}

async fn concurrent_transitions_of_one_invoice_have_one_winner(t: TestDb) {
    let user = create_user(&t.db).await;
    let s = service(&t, t.db.audit());
    for _ in 0..5 {
        let id = draft(&s, user).await;
        s.finalize_invoice(&billing_admin(user), id, &RequestMeta::default())
            .await
            .unwrap();
        let meta = RequestMeta::default();
        let admin_user = billing_admin(user);
        let (paid, void) = tokio::join!(
            s.mark_invoice_paid(&admin_user, id, &meta),
            s.void_invoice(&admin_user, id, &meta),
        );
        assert!(
            paid.is_ok() != void.is_ok(),
            "{}: exactly one of pay and void wins: {paid:?} / {void:?}",
            t.label
        );
        let loser = paid.err().or(void.err()).unwrap();
        assert!(
            matches!(loser, plinth_billing::BillingError::Transition(_)),
            "{}: the loser is a 409 transition error: {loser:?}",
            t.label
        );
        let stored = s.invoice(&billing_admin(UserId::new()), id).await.unwrap();
        assert_eq!(
            stored.paid_at.is_some(),
            stored.status() == InvoiceStatus::Paid
        );
        assert_eq!(
            stored.voided_at.is_some(),
            stored.status() == InvoiceStatus::Void
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_transitions_have_one_winner() {
    let Some(t) = postgres().await else { return };
    concurrent_transitions_of_one_invoice_have_one_winner(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_transitions_have_one_winner() {
    concurrent_transitions_of_one_invoice_have_one_winner(sqlite().await).await;
}

fn new_lines() -> InvoiceChanges {
    InvoiceChanges {
        lines: Some(vec![NewInvoiceLine {
            description: "Consulting, revised".into(),
            quantity: 2,
            unit_amount: 9_999,
        }]),
        discount_bps: Some(0),
        due_in_days: Some(3),
        ..InvoiceChanges::default()
    }
}

async fn edits_and_finalisations_of_one_draft_agree(t: TestDb) {
    let user = create_user(&t.db).await;
    let s = service(&t, t.db.audit());
    let failing = service(&t, Arc::new(FailingAuditLog));
    let meta = RequestMeta::default();

    // An edit or a deletion whose audit entry fails changes nothing.
    let id = draft(&s, user).await;
    let before = s.invoice(&billing_admin(UserId::new()), id).await.unwrap();
    assert!(
        failing
            .update_invoice(&billing_admin(user), id, new_lines(), &meta)
            .await
            .is_err()
    );
    assert!(
        failing
            .delete_invoice(&billing_admin(user), id, &meta)
            .await
            .is_err()
    );
    assert_eq!(
        s.invoice(&billing_admin(UserId::new()), id).await.unwrap(),
        before,
        "{}",
        t.label
    );
    let edited = s
        .update_invoice(&billing_admin(user), id, new_lines(), &meta)
        .await
        .unwrap();
    assert_eq!(
        s.invoice(&billing_admin(UserId::new()), id)
            .await
            .unwrap()
            .invoice,
        edited.invoice
    );
    assert_eq!(edited.invoice.totals().total, 23_998, "{}", t.label);

    // Racing: whichever commits first, the finalised invoice, the finalisation's answer and
    // the edit's answer agree on the lines that were frozen.
    for _ in 0..6 {
        let id = draft(&s, user).await;
        let old = s.invoice(&billing_admin(UserId::new()), id).await.unwrap();
        let admin_user = billing_admin(user);
        let (edit, finalise) = tokio::join!(
            s.update_invoice(&admin_user, id, new_lines(), &meta),
            s.finalize_invoice(&admin_user, id, &meta),
        );
        let stored = s.invoice(&billing_admin(UserId::new()), id).await.unwrap();
        match &finalise {
            Ok(open) => {
                assert_eq!(open.invoice, stored.invoice, "{}: answer = stored", t.label);
                assert_eq!(open.due_in_days, stored.due_in_days);
                let term = chrono::Duration::days(i64::from(stored.due_in_days));
                assert_eq!(stored.due_at, stored.issued_at.map(|at| at + term));
            }
            Err(BillingError::DraftChanged) => {
                assert_eq!(stored.status(), InvoiceStatus::Draft, "{}", t.label);
            }
            Err(e) => panic!("{}: finalisation failed: {e:?}", t.label),
        }
        match &edit {
            Ok(e) => assert_eq!(e.invoice.lines(), stored.invoice.lines(), "{}", t.label),
            Err(BillingError::NotDraft(InvoiceStatus::Open)) => {
                assert_eq!(stored.invoice.lines(), old.invoice.lines(), "{}", t.label);
            }
            Err(e) => panic!("{}: edit failed: {e:?}", t.label),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_edits_and_finalisations_agree() {
    let Some(t) = postgres().await else { return };
    edits_and_finalisations_of_one_draft_agree(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_edits_and_finalisations_agree() {
    edits_and_finalisations_of_one_draft_agree(sqlite().await).await;
}

/// Two administrators editing different fields of one draft at once: both edits stay (the
/// draft is read under its row lock in the transaction that writes it, so the second edit
/// starts from the first one's result instead of overwriting it with what it read before).
async fn concurrent_edits_of_one_draft_both_stay(t: TestDb) {
    let user = create_user(&t.db).await;
    let s = service(&t, t.db.audit());
    let replica = t.second_connection().await;
    let other = invoice_service(&replica, replica.audit());
    let meta = RequestMeta::default();
    for _ in 0..8 {
        let id = draft(&s, user).await;
        let tax = InvoiceChanges {
            tax_rate_bps: Some(700),
            ..InvoiceChanges::default()
        };
        let term = InvoiceChanges {
            due_in_days: Some(5),
            ..InvoiceChanges::default()
        };
        let admin_user = billing_admin(user);
        let (a, b) = tokio::join!(
            s.update_invoice(&admin_user, id, tax, &meta),
            other.update_invoice(&admin_user, id, term, &meta),
        );
        a.unwrap();
        b.unwrap();
        let stored = s.invoice(&billing_admin(UserId::new()), id).await.unwrap();
        assert_eq!(
            (stored.invoice.tax_rate_bps(), stored.due_in_days),
            (700, 5),
            "{}: both edits are kept",
            t.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_edits_of_one_draft_both_stay() {
    let Some(t) = postgres().await else { return };
    concurrent_edits_of_one_draft_both_stay(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_edits_of_one_draft_both_stay() {
    concurrent_edits_of_one_draft_both_stay(sqlite().await).await;
}
