//! Validation of a [`NewInvoice`], collecting every problem at once, into a priced draft.

use plinth_kernel::Money;

use crate::error::FieldErrors;
use crate::invoice::NewInvoice;
use crate::invoice::math::BPS_PER_WHOLE;
use crate::invoice::{Invoice, InvoiceError, LineInput, MAX_DESCRIPTION_CHARS};

/// Most lines an invoice may have.
pub const MAX_LINES: usize = 100;
/// Longest payment term, in days.
pub const MAX_DUE_IN_DAYS: u32 = 365;

/// Checks every field of `new` (and that its customer exists) and prices the draft, or
/// returns every problem found, keyed `user_id`, `lines`, `lines[i].description`,
/// `lines[i].quantity`, `lines[i].unit_amount`, `discount_bps`, `tax_rate_bps`,
/// `due_in_days`.
pub(crate) fn draft(new: &NewInvoice, customer_exists: bool) -> Result<Invoice, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut add = |field: String, message: String| errors.entry(field).or_default().push(message);
    if !customer_exists {
        add("user_id".into(), "there is no user with this id".into());
    }
    if new.lines.is_empty() || new.lines.len() > MAX_LINES {
        add(
            "lines".into(),
            format!("an invoice needs between 1 and {MAX_LINES} lines"),
        );
    }
    for (i, line) in new.lines.iter().enumerate() {
        let description = line.description.trim();
        if description.is_empty() {
            add(
                format!("lines[{i}].description"),
                InvoiceError::EmptyDescription.to_string(),
            );
        } else if description.chars().count() > MAX_DESCRIPTION_CHARS {
            add(
                format!("lines[{i}].description"),
                InvoiceError::DescriptionTooLong {
                    max: MAX_DESCRIPTION_CHARS,
                }
                .to_string(),
            );
        }
        if line.quantity < 1 {
            add(
                format!("lines[{i}].quantity"),
                InvoiceError::InvalidQuantity(line.quantity).to_string(),
            );
        }
        if line.unit_amount < 0 {
            add(
                format!("lines[{i}].unit_amount"),
                InvoiceError::NegativeUnitAmount(line.unit_amount).to_string(),
            );
        }
    }
    if new.discount_bps > BPS_PER_WHOLE {
        add(
            "discount_bps".into(),
            InvoiceError::DiscountOutOfRange(new.discount_bps).to_string(),
        );
    }
    if new.tax_rate_bps > BPS_PER_WHOLE {
        add(
            "tax_rate_bps".into(),
            InvoiceError::TaxRateOutOfRange(new.tax_rate_bps).to_string(),
        );
    }
    if new.due_in_days > MAX_DUE_IN_DAYS {
        add(
            "due_in_days".into(),
            format!("due_in_days must be between 0 and {MAX_DUE_IN_DAYS}"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    price(new).map_err(|e| {
        FieldErrors::from([(
            "lines".to_owned(),
            vec![format!("the invoice cannot be priced: {e}")],
        )])
    })
}

/// Prices the already checked lines and rates; only an overflow can fail here.
fn price(new: &NewInvoice) -> Result<Invoice, InvoiceError> {
    let mut invoice = Invoice::draft(new.currency);
    for line in &new.lines {
        invoice.add_line(LineInput {
            description: line.description.clone(),
            quantity: line.quantity,
            unit_amount: Money::new(line.unit_amount, new.currency),
        })?;
    }
    invoice.set_discount_bps(new.discount_bps)?;
    invoice.set_tax_rate_bps(new.tax_rate_bps)?;
    Ok(invoice)
}

#[cfg(test)]
mod tests {
    use plinth_kernel::{Currency, UserId};

    use super::*;
    use crate::invoice::NewInvoiceLine;

    fn new_invoice() -> NewInvoice {
        NewInvoice {
            user_id: UserId::new(),
            currency: Currency::parse("USD").unwrap(),
            lines: vec![NewInvoiceLine {
                description: " Pro plan ".into(),
                quantity: 2,
                unit_amount: 1000,
            }],
            discount_bps: 10_000,
            tax_rate_bps: 10_000,
            due_in_days: MAX_DUE_IN_DAYS,
        }
    }

    #[test]
    fn limits_are_inclusive_and_the_draft_is_priced() {
        let inv = draft(&new_invoice(), true).unwrap();
        assert_eq!(inv.lines()[0].description, "Pro plan");
        assert_eq!(inv.totals().subtotal, 2000);
        assert_eq!(inv.totals().discount, 2000);
        assert_eq!(inv.totals().total, 0);
    }

    #[test]
    fn every_problem_is_reported_under_its_field() {
        let mut new = new_invoice();
        new.lines.push(NewInvoiceLine {
            description: "é".repeat(501),
            quantity: 0,
            unit_amount: -1,
        });
        new.lines.push(NewInvoiceLine {
            description: "   ".into(),
            quantity: 1,
            unit_amount: 0,
        });
        new.discount_bps = 10_001;
        new.tax_rate_bps = 10_001;
        new.due_in_days = 366;
        let errors = draft(&new, false).unwrap_err();
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            vec![
                "discount_bps",
                "due_in_days",
                "lines[1].description",
                "lines[1].quantity",
                "lines[1].unit_amount",
                "lines[2].description",
                "tax_rate_bps",
                "user_id",
            ]
        );
        assert_eq!(
            errors["lines[1].quantity"],
            vec!["a line quantity must be at least 1, not 0"]
        );
    }

    #[test]
    fn line_count_and_overflow() {
        let mut new = new_invoice();
        new.lines.clear();
        assert!(draft(&new, true).unwrap_err().contains_key("lines"));
        new.lines = vec![new_invoice().lines[0].clone(); MAX_LINES + 1];
        assert!(draft(&new, true).unwrap_err().contains_key("lines"));
        new.lines = vec![NewInvoiceLine {
            description: "huge".into(),
            quantity: i64::MAX,
            unit_amount: 2,
        }];
        let errors = draft(&new, true).unwrap_err();
        assert!(errors["lines"][0].contains("overflow"), "{errors:?}");
    }
}
