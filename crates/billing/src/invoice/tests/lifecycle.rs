//! Finalisation and the status machine, through the invoice's own methods.

use plinth_kernel::Currency;

use super::{invoice, line};
use crate::invoice::{Invoice, InvoiceError, InvoiceNumber, InvoiceStatus, TransitionError};

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn number(seq: u32) -> InvoiceNumber {
    InvoiceNumber::new(2026, seq).unwrap()
}

/// An invoice brought to `status` through the allowed moves.
fn in_status(status: InvoiceStatus) -> Invoice {
    let mut inv = invoice("USD", &[(1, 1000)], 0, 0);
    if status != InvoiceStatus::Draft {
        inv.finalize(number(1)).unwrap();
    }
    if !matches!(status, InvoiceStatus::Draft | InvoiceStatus::Open) {
        inv.move_to(status).unwrap();
    }
    assert_eq!(inv.status(), status);
    inv
}

#[test]
fn finalising_numbers_the_invoice_and_freezes_it() {
    let mut inv = in_status(InvoiceStatus::Draft);
    assert_eq!(inv.number(), None);
    inv.finalize(number(7)).unwrap();
    assert_eq!(inv.status(), InvoiceStatus::Open);
    assert_eq!(inv.number().unwrap().to_string(), "INV-2026-000007");
    let frozen = inv.clone();
    let not_draft = Err(InvoiceError::NotDraft(InvoiceStatus::Open));
    assert_eq!(inv.add_line(line("late", 1, 1, cur("USD"))), not_draft);
    assert_eq!(inv.set_discount_bps(100), not_draft);
    assert_eq!(inv.set_tax_rate_bps(100), not_draft);
    assert_eq!(inv.remove_line(0).map(|_| ()), not_draft);
    assert_eq!(inv, frozen);
    // An empty draft can be finalised too (a zero invoice, e.g. during a trial).
    let mut empty = Invoice::draft(cur("EUR"));
    empty.finalize(number(8)).unwrap();
    assert_eq!(empty.total().to_string(), "0.00 EUR");
}

#[test]
fn every_illegal_transition_is_refused_and_changes_nothing() {
    use InvoiceStatus::{Draft, Open, Paid, Uncollectible, Void};
    type Move = fn(&mut Invoice) -> Result<(), TransitionError>;
    let moves: [(InvoiceStatus, Move); 4] = [
        (Open, |i| i.finalize(number(2))),
        (Paid, Invoice::mark_paid),
        (Void, Invoice::void),
        (Uncollectible, Invoice::mark_uncollectible),
    ];
    let allowed = [
        (Draft, Open),
        (Open, Paid),
        (Open, Void),
        (Open, Uncollectible),
    ];
    for from in InvoiceStatus::ALL {
        for (to, apply) in moves {
            let mut inv = in_status(from);
            let before = inv.clone();
            if allowed.contains(&(from, to)) {
                apply(&mut inv).unwrap();
                assert_eq!(inv.status(), to);
            } else {
                assert_eq!(
                    apply(&mut inv),
                    Err(TransitionError { from, to }),
                    "{from} → {to}"
                );
                assert_eq!(inv, before, "{from} → {to} changed the invoice");
            }
        }
        // Opening goes through `finalize` only, and nothing goes back to draft.
        for to in [Open, Draft] {
            let mut inv = in_status(from);
            assert_eq!(inv.move_to(to), Err(TransitionError { from, to }));
        }
    }
    // The number given at finalisation stays when finalising again is refused.
    let mut inv = in_status(Open);
    assert!(inv.finalize(number(99)).is_err());
    assert_eq!(inv.number(), Some(number(1)));
}
