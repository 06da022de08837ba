//! Pricing an invoice: line amounts, the discount spread over the lines, tax per line.

use plinth_kernel::MoneyError;

use crate::invoice::InvoiceLine;
use crate::invoice::math::{allocate, apply_bps};

/// An invoice's totals, in minor units of its currency:
/// `total = subtotal − discount + tax`, and each is the sum of the same figure over the lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct InvoiceTotals {
    /// Sum of the lines' `quantity × unit_amount`.
    pub subtotal: i64,
    /// The discount: `subtotal × discount_bps / 10 000` rounded half-even.
    pub discount: i64,
    /// Sum of the lines' tax.
    pub tax: i64,
    /// What is owed.
    pub total: i64,
}

/// Prices `lines` (only their description, quantity and unit amount are read):
/// 1. each line's amount is `quantity × unit_amount`, and the subtotal their sum;
/// 2. the discount is `subtotal × discount_bps / 10 000` rounded half-even, spread over the
///    lines in proportion to their amounts by the largest-remainder method, so the shares add
///    up to exactly the discount;
/// 3. each line's tax is `(amount − its discount) × tax_bps / 10 000` rounded half-even, and
///    the invoice's tax is their sum.
///
/// Both rates must be at most 10 000 basis points (the caller checks).
pub(crate) fn price(
    lines: &[InvoiceLine],
    discount_bps: u32,
    tax_bps: u32,
) -> Result<(Vec<InvoiceLine>, InvoiceTotals), MoneyError> {
    let mut amounts = Vec::with_capacity(lines.len());
    let mut subtotal = 0i64;
    for line in lines {
        let amount = i128::from(line.quantity) * i128::from(line.unit_amount);
        let amount = i64::try_from(amount).map_err(|_| MoneyError::Overflow)?;
        subtotal = subtotal.checked_add(amount).ok_or(MoneyError::Overflow)?;
        amounts.push(amount);
    }
    let discount = apply_bps(subtotal, discount_bps)?;
    // Cannot fail: the amounts are ≥ 0 and the discount is between 0 and their sum.
    let shares = allocate(discount, &amounts).ok_or(MoneyError::Overflow)?;
    let mut tax = 0i64;
    let mut priced = Vec::with_capacity(lines.len());
    for ((line, amount), share) in lines.iter().zip(amounts).zip(shares) {
        let taxable = amount - share;
        let line_tax = apply_bps(taxable, tax_bps)?;
        tax = tax.checked_add(line_tax).ok_or(MoneyError::Overflow)?;
        priced.push(InvoiceLine {
            description: line.description.clone(),
            quantity: line.quantity,
            unit_amount: line.unit_amount,
            amount,
            discount: share,
            tax: line_tax,
            total: taxable.checked_add(line_tax).ok_or(MoneyError::Overflow)?,
        });
    }
    let total = (subtotal - discount)
        .checked_add(tax)
        .ok_or(MoneyError::Overflow)?;
    Ok((
        priced,
        InvoiceTotals {
            subtotal,
            discount,
            tax,
            total,
        },
    ))
}
