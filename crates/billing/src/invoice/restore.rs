//! Rebuilding an [`Invoice`] from storage.

use plinth_kernel::Currency;

use crate::invoice::{Invoice, InvoiceLine, InvoiceNumber, InvoiceStatus, InvoiceTotals};

/// Everything an [`Invoice`] holds, as a repository stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceParts {
    /// The one currency.
    pub currency: Currency,
    /// Where it is in its life.
    pub status: InvoiceStatus,
    /// Its number, from finalisation on.
    pub number: Option<InvoiceNumber>,
    /// Discount in basis points.
    pub discount_bps: u32,
    /// Tax rate in basis points.
    pub tax_rate_bps: u32,
    /// The priced lines.
    pub lines: Vec<InvoiceLine>,
    /// The stored totals.
    pub totals: InvoiceTotals,
}

/// Why stored parts do not make an invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored invoice is inconsistent: {0}")]
pub struct RestoreError(pub String);

impl Invoice {
    /// Rebuilds an invoice exactly as stored. A finalised invoice's amounts are its frozen
    /// truth and are kept as they are; they must still add up (`total = subtotal − discount +
    /// tax`, each the sum over the lines), and only a non-draft carries a number.
    ///
    /// # Errors
    /// [`RestoreError`] when the parts contradict each other.
    pub fn restore(parts: InvoiceParts) -> Result<Self, RestoreError> {
        let InvoiceParts {
            currency,
            status,
            number,
            discount_bps,
            tax_rate_bps,
            lines,
            totals,
        } = parts;
        if (status == InvoiceStatus::Draft) != number.is_none() {
            return Err(RestoreError(format!(
                "status {status} with number {number:?}"
            )));
        }
        let sum = |f: fn(&InvoiceLine) -> i64| -> Option<i64> {
            lines.iter().try_fold(0i64, |acc, l| acc.checked_add(f(l)))
        };
        let consistent = sum(|l| l.amount) == Some(totals.subtotal)
            && sum(|l| l.discount) == Some(totals.discount)
            && sum(|l| l.tax) == Some(totals.tax)
            && totals
                .subtotal
                .checked_sub(totals.discount)
                .and_then(|t| t.checked_add(totals.tax))
                == Some(totals.total);
        if !consistent {
            return Err(RestoreError(format!(
                "totals {totals:?} do not add up over the lines"
            )));
        }
        Ok(Self {
            currency,
            status,
            number,
            discount_bps,
            tax_rate_bps,
            lines,
            totals,
        })
    }

    /// The parts [`Self::restore`] takes back.
    #[must_use]
    pub fn to_parts(&self) -> InvoiceParts {
        InvoiceParts {
            currency: self.currency,
            status: self.status,
            number: self.number,
            discount_bps: self.discount_bps,
            tax_rate_bps: self.tax_rate_bps,
            lines: self.lines.clone(),
            totals: self.totals,
        }
    }
}

#[cfg(test)]
mod tests {
    use plinth_kernel::Money;

    use super::*;
    use crate::invoice::LineInput;

    fn priced() -> Invoice {
        let usd = Currency::parse("USD").unwrap();
        let mut inv = Invoice::draft(usd);
        for (q, u) in [(3, 333), (1, 1000)] {
            inv.add_line(LineInput {
                description: "x".into(),
                quantity: q,
                unit_amount: Money::new(u, usd),
            })
            .unwrap();
        }
        inv.set_discount_bps(1250).unwrap();
        inv.set_tax_rate_bps(825).unwrap();
        inv
    }

    #[test]
    fn parts_round_trip() {
        let mut inv = priced();
        assert_eq!(Invoice::restore(inv.to_parts()).unwrap(), inv);
        inv.finalize(InvoiceNumber::new(2026, 3).unwrap()).unwrap();
        inv.mark_paid().unwrap();
        assert_eq!(Invoice::restore(inv.to_parts()).unwrap(), inv);
    }

    #[test]
    fn contradictions_are_refused() {
        let inv = priced();
        let mut parts = inv.to_parts();
        parts.totals.total += 1;
        assert!(Invoice::restore(parts).is_err(), "total off by one");
        let mut parts = inv.to_parts();
        parts.lines[0].tax += 1;
        assert!(Invoice::restore(parts).is_err(), "line tax not summed");
        let mut parts = inv.to_parts();
        parts.status = InvoiceStatus::Open;
        assert!(Invoice::restore(parts).is_err(), "open without a number");
        let mut parts = inv.to_parts();
        parts.number = Some(InvoiceNumber::new(2026, 1).unwrap());
        assert!(Invoice::restore(parts).is_err(), "draft with a number");
    }
}
