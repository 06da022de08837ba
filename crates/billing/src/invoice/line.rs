//! Invoice lines: what is asked for ([`LineInput`]) and what it comes to ([`InvoiceLine`]).

use plinth_kernel::{Currency, Money, MoneyError};

use crate::invoice::InvoiceError;

/// Longest line description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// A line to add to a draft: `quantity × unit_amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    /// What is billed, 1–[`MAX_DESCRIPTION_CHARS`] characters (trimmed).
    pub description: String,
    /// How many, at least 1.
    pub quantity: i64,
    /// Price of one, ≥ 0, in the invoice's currency.
    pub unit_amount: Money,
}

impl LineInput {
    /// Checks the line for an invoice in `currency` and returns its trimmed description.
    pub(crate) fn validate(&self, currency: Currency) -> Result<String, InvoiceError> {
        let description = self.description.trim();
        if description.is_empty() {
            return Err(InvoiceError::EmptyDescription);
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(InvoiceError::DescriptionTooLong {
                max: MAX_DESCRIPTION_CHARS,
            });
        }
        if self.quantity < 1 {
            return Err(InvoiceError::InvalidQuantity(self.quantity));
        }
        if self.unit_amount.currency != currency {
            return Err(MoneyError::CurrencyMismatch(
                self.unit_amount.currency.to_string(),
                currency.to_string(),
            )
            .into());
        }
        if self.unit_amount.amount < 0 {
            return Err(InvoiceError::NegativeUnitAmount(self.unit_amount.amount));
        }
        Ok(description.to_owned())
    }
}

/// A line of an invoice with what it comes to. All amounts are minor units of the invoice's
/// currency, and `total = amount − discount + tax`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvoiceLine {
    /// What is billed.
    pub description: String,
    /// How many (≥ 1).
    pub quantity: i64,
    /// Price of one (≥ 0).
    pub unit_amount: i64,
    /// `quantity × unit_amount`.
    pub amount: i64,
    /// This line's share of the invoice discount (0 ≤ discount ≤ amount).
    pub discount: i64,
    /// Tax on `amount − discount`, rounded half-even.
    pub tax: i64,
    /// `amount − discount + tax`.
    pub total: i64,
}
