//! Invoices priced by hand: every expected figure below was worked out on paper (the
//! comments show the working) before the code ran.

use plinth_kernel::{Currency, Money, MoneyError};

use super::*;

mod lifecycle;

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn line(description: &str, quantity: i64, unit: i64, currency: Currency) -> LineInput {
    LineInput {
        description: description.into(),
        quantity,
        unit_amount: Money::new(unit, currency),
    }
}

fn invoice(currency: &str, lines: &[(i64, i64)], discount_bps: u32, tax_bps: u32) -> Invoice {
    let currency = cur(currency);
    let mut invoice = Invoice::draft(currency);
    for (i, (quantity, unit)) in lines.iter().enumerate() {
        invoice
            .add_line(line(&format!("line {i}"), *quantity, *unit, currency))
            .unwrap();
    }
    invoice.set_discount_bps(discount_bps).unwrap();
    invoice.set_tax_rate_bps(tax_bps).unwrap();
    invoice
}

/// (amount, discount, tax) of every line.
fn per_line(invoice: &Invoice) -> Vec<(i64, i64, i64)> {
    invoice
        .lines()
        .iter()
        .map(|l| (l.amount, l.discount, l.tax))
        .collect()
}

fn totals(subtotal: i64, discount: i64, tax: i64, total: i64) -> InvoiceTotals {
    InvoiceTotals {
        subtotal,
        discount,
        tax,
        total,
    }
}

/// The lines add up to the totals, and each line's total is amount − discount + tax.
fn assert_consistent(invoice: &Invoice) {
    let t = invoice.totals();
    let lines = invoice.lines();
    assert_eq!(lines.iter().map(|l| l.amount).sum::<i64>(), t.subtotal);
    assert_eq!(lines.iter().map(|l| l.discount).sum::<i64>(), t.discount);
    assert_eq!(lines.iter().map(|l| l.tax).sum::<i64>(), t.tax);
    assert_eq!(lines.iter().map(|l| l.total).sum::<i64>(), t.total);
    for l in lines {
        assert_eq!(l.amount, l.quantity * l.unit_amount);
        assert_eq!(l.total, l.amount - l.discount + l.tax);
        assert!(0 <= l.discount && l.discount <= l.amount);
    }
}

#[test]
fn usd_three_lines_with_ten_percent_off_and_8_25_percent_tax() {
    // 3 × 19.99 = 59.97, 1 × 149.00, 2 × 4.50 = 9.00 → subtotal 217.97.
    // Discount 10 % = 21.797 → 21.80 (2180). Exact shares 2180 × amount / 21797:
    // 599.78, 1490.21, 90.01 → floors 599 + 1490 + 90 = 2179, the last cent goes to the
    // largest remainder (line 1) → 600, 1490, 90.
    // Tax 8.25 % of 53.97 = 4.452525 → 4.45; of 134.10 = 11.06325 → 11.06;
    // of 8.10 = 0.66825 → 0.67 → 16.18. Total 217.97 − 21.80 + 16.18 = 212.35.
    let inv = invoice("USD", &[(3, 1999), (1, 14_900), (2, 450)], 1000, 825);
    assert_eq!(
        per_line(&inv),
        vec![(5997, 600, 445), (14_900, 1490, 1106), (900, 90, 67)]
    );
    assert_eq!(inv.totals(), totals(21_797, 2180, 1618, 21_235));
    assert_eq!(inv.total().to_string(), "212.35 USD");
    assert_eq!(inv.discount().to_string(), "21.80 USD");
    assert_consistent(&inv);
}

#[test]
fn tax_is_rounded_half_even_per_line_then_summed() {
    // 10 % of 0.05, 0.15, 0.25 = 0.005, 0.015, 0.025 → 0, 2, 2 (ties to even) minor units.
    for (amount, tax) in [(5, 0), (15, 2), (25, 2), (35, 4), (14, 1), (16, 2)] {
        let inv = invoice("USD", &[(1, amount)], 0, 1000);
        assert_eq!(inv.totals().tax, tax, "10 % of {amount}");
    }
    // Three lines of 5: 0 + 0 + 0, although 10 % of the subtotal 15 would round to 2.
    let inv = invoice("USD", &[(1, 5), (1, 5), (1, 5)], 0, 1000);
    assert_eq!(inv.totals(), totals(15, 0, 0, 15));
}

#[test]
fn the_discount_itself_is_rounded_half_even() {
    // 50 % of 5 = 2.5 → 2; 50 % of 7 = 3.5 → 4.
    assert_eq!(invoice("USD", &[(1, 5)], 5000, 0).totals().discount, 2);
    assert_eq!(invoice("USD", &[(1, 7)], 5000, 0).totals().discount, 4);
}

#[test]
fn zero_decimal_jpy() {
    // 3 × ¥1000 + ¥333 = ¥3333. 15 % = 499.95 → ¥500. Shares 500 × 3000 / 3333 = 450.04 and
    // 500 × 333 / 3333 = 49.95 → 450 + 49, the last yen to line 2 → 450, 50.
    // Tax 10 % of 2550 = 255, of 283 = 28.3 → 28. Total 3333 − 500 + 283 = 3116.
    let inv = invoice("JPY", &[(3, 1000), (1, 333)], 1500, 1000);
    assert_eq!(per_line(&inv), vec![(3000, 450, 255), (333, 50, 28)]);
    assert_eq!(inv.totals(), totals(3333, 500, 283, 3116));
    assert_eq!(inv.total().to_string(), "3116 JPY");
    assert_consistent(&inv);
}

#[test]
fn three_decimal_kwd() {
    // 2 × 1.250 + 0.333 = 2.833 KWD. 12.5 % = 0.354125 → 0.354. Shares 354 × 2500 / 2833 =
    // 312.39 and 354 × 333 / 2833 = 41.61 → 312 + 41, the last fils to line 2 → 312, 42.
    // Tax 5 % of 2.188 = 0.1094 → 0.109, of 0.291 = 0.01455 → 0.015. Total 2.603 KWD.
    let inv = invoice(
        "KWD",
        &[(2, 1250), (1, 333)],
        percent_to_bps("12.5").unwrap(),
        percent_to_bps("5").unwrap(),
    );
    assert_eq!(per_line(&inv), vec![(2500, 312, 109), (333, 42, 15)]);
    assert_eq!(inv.totals(), totals(2833, 354, 124, 2603));
    assert_eq!(inv.total().to_string(), "2.603 KWD");
    assert_consistent(&inv);
}

#[test]
fn an_uneven_discount_is_spread_so_the_shares_sum_exactly() {
    // 33.33 % of 60.01 = 20.001333 → 20.00. Exact shares 333.28, 666.56, 1000.17: floors sum
    // to 1999 and the last cent goes to the largest remainder, line 2.
    let inv = invoice("USD", &[(1, 1000), (1, 2000), (1, 3001)], 3333, 0);
    assert_eq!(
        per_line(&inv),
        vec![(1000, 333, 0), (2000, 667, 0), (3001, 1000, 0)]
    );
    assert_eq!(inv.totals(), totals(6001, 2000, 0, 4001));
    // Equal lines: 50 % of 3 = 1.5 → 2, shares of 0.67 each; the two left-over units go to
    // the first two lines.
    let inv = invoice("USD", &[(1, 1), (1, 1), (1, 1)], 5000, 0);
    assert_eq!(per_line(&inv), vec![(1, 1, 0), (1, 1, 0), (1, 0, 0)]);
    assert_consistent(&inv);
}

#[test]
fn a_full_discount_leaves_nothing_to_tax() {
    let inv = invoice("USD", &[(3, 1999), (1, 14_900), (2, 450)], 10_000, 825);
    assert_eq!(
        per_line(&inv),
        vec![(5997, 5997, 0), (14_900, 14_900, 0), (900, 900, 0)]
    );
    assert_eq!(inv.totals(), totals(21_797, 21_797, 0, 0));
    assert_consistent(&inv);
}

#[test]
fn edits_reprice_the_draft() {
    let mut inv = invoice("USD", &[(3, 1999), (1, 14_900), (2, 450)], 1000, 825);
    let removed = inv.remove_line(1).unwrap();
    assert_eq!(
        (removed.description.as_str(), removed.amount),
        ("line 1", 14_900)
    );
    // 59.97 + 9.00 = 68.97; 10 % = 6.897 → 6.90; exact shares 599.96 and 90.04 → floors
    // 599 + 90, the last cent to line 1 → 600, 90; tax on 53.97 = 4.45 and on 8.10 = 0.67.
    assert_eq!(per_line(&inv), vec![(5997, 600, 445), (900, 90, 67)]);
    assert_eq!(inv.totals(), totals(6897, 690, 512, 6719));
    assert_eq!(inv.remove_line(2), Err(InvoiceError::NoSuchLine(2)));
    inv.set_discount_bps(0).unwrap();
    inv.set_tax_rate_bps(0).unwrap();
    assert_eq!(inv.totals(), totals(6897, 0, 0, 6897));
    inv.add_line(line("  padded  ", 1, 3, cur("USD"))).unwrap();
    assert_eq!(inv.lines()[2].description, "padded");
    assert_eq!(inv.totals().total, 6900);
}

#[test]
fn a_line_in_another_currency_is_refused() {
    let mut inv = invoice("USD", &[(1, 100)], 0, 0);
    let before = inv.clone();
    let err = inv.add_line(line("euros", 1, 100, cur("EUR"))).unwrap_err();
    assert_eq!(
        err,
        InvoiceError::Money(MoneyError::CurrencyMismatch("EUR".into(), "USD".into()))
    );
    assert_eq!(err.field(), Some("unit_amount"));
    assert_eq!(inv, before);
}

#[test]
fn invalid_input_is_refused_and_changes_nothing() {
    let usd = cur("USD");
    let mut inv = invoice("USD", &[(1, 100)], 500, 500);
    let before = inv.clone();
    let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
    let cases = [
        (
            line("", 1, 1, usd),
            InvoiceError::EmptyDescription,
            "description",
        ),
        (
            line(" \t ", 1, 1, usd),
            InvoiceError::EmptyDescription,
            "description",
        ),
        (
            line(&long, 1, 1, usd),
            InvoiceError::DescriptionTooLong {
                max: MAX_DESCRIPTION_CHARS,
            },
            "description",
        ),
        (
            line("x", 0, 1, usd),
            InvoiceError::InvalidQuantity(0),
            "quantity",
        ),
        (
            line("x", -2, 1, usd),
            InvoiceError::InvalidQuantity(-2),
            "quantity",
        ),
        (
            line("x", 1, -1, usd),
            InvoiceError::NegativeUnitAmount(-1),
            "unit_amount",
        ),
    ];
    for (input, expected, field) in cases {
        let err = inv.add_line(input).unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(err.field(), Some(field));
    }
    inv.add_line(line(&"é".repeat(MAX_DESCRIPTION_CHARS), 1, 0, usd))
        .unwrap();
    inv.remove_line(1).unwrap();
    assert_eq!(
        inv.set_discount_bps(10_001),
        Err(InvoiceError::DiscountOutOfRange(10_001))
    );
    assert_eq!(
        inv.set_tax_rate_bps(10_001),
        Err(InvoiceError::TaxRateOutOfRange(10_001))
    );
    assert_eq!(inv, before);
}

#[test]
fn overflow_is_an_error_never_a_panic_and_changes_nothing() {
    let usd = cur("USD");
    let mut inv = Invoice::draft(usd);
    // One line's amount: 2 × i64::MAX.
    let err = inv.add_line(line("huge", 2, i64::MAX, usd)).unwrap_err();
    assert_eq!(err, InvoiceError::Money(MoneyError::Overflow));
    assert_eq!(err.field(), None);
    // The subtotal: i64::MAX + 1.
    inv.add_line(line("max", 1, i64::MAX, usd)).unwrap();
    let before = inv.clone();
    assert_eq!(
        inv.add_line(line("one more", 1, 1, usd)),
        Err(InvoiceError::Money(MoneyError::Overflow))
    );
    assert_eq!(inv, before);
    // The total: i64::MAX plus any tax.
    assert_eq!(
        inv.set_tax_rate_bps(1),
        Err(InvoiceError::Money(MoneyError::Overflow))
    );
    assert_eq!(inv, before);
    // A discount brings it back within range: i64::MAX × 50 % rounds to 2^62 and the tax
    // on the rest fits.
    inv.set_discount_bps(5000).unwrap();
    inv.set_tax_rate_bps(10_000).unwrap();
    assert_eq!(inv.totals().discount, 1 << 62);
    assert_eq!(
        inv.totals().total,
        i64::MAX - (1 << 62) + (i64::MAX - (1 << 62))
    );
    assert_consistent(&inv);
}
