//! What editing or computing an invoice can fail with.

use plinth_kernel::MoneyError;

use crate::invoice::InvoiceStatus;

/// Why an invoice edit was refused. The invoice is left exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// A line's description is empty or blank.
    #[error("a line needs a description")]
    EmptyDescription,
    /// A line's description is longer than [`crate::invoice::MAX_DESCRIPTION_CHARS`].
    #[error("a line description may have at most {max} characters")]
    DescriptionTooLong {
        /// The limit.
        max: usize,
    },
    /// A line's quantity is below 1.
    #[error("a line quantity must be at least 1, not {0}")]
    InvalidQuantity(i64),
    /// A line's unit amount is negative (credits are not invoice lines).
    #[error("a line unit amount must not be negative, not {0}")]
    NegativeUnitAmount(i64),
    /// The discount is above 100 % (10 000 basis points).
    #[error("a discount must be between 0 and 10000 basis points, not {0}")]
    DiscountOutOfRange(u32),
    /// The tax rate is above 100 % (10 000 basis points).
    #[error("a tax rate must be between 0 and 10000 basis points, not {0}")]
    TaxRateOutOfRange(u32),
    /// A percentage given as text is not 0–100 with at most two decimals.
    #[error("{0:?} is not a percentage from 0 to 100 with at most two decimals")]
    InvalidPercent(String),
    /// No line at this position.
    #[error("the invoice has no line {0}")]
    NoSuchLine(usize),
    /// Only drafts can be edited (HTTP 409).
    #[error("only a draft invoice can be edited; this one is {0}")]
    NotDraft(InvoiceStatus),
    /// A line in another currency ([`MoneyError::CurrencyMismatch`]) or an amount that does
    /// not fit in 64 bits ([`MoneyError::Overflow`]).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl InvoiceError {
    /// The input field the error is about, for field-level validation answers (`None` for
    /// [`Self::NoSuchLine`], [`Self::NotDraft`] and overflow).
    #[must_use]
    pub const fn field(&self) -> Option<&'static str> {
        match self {
            Self::EmptyDescription | Self::DescriptionTooLong { .. } => Some("description"),
            Self::InvalidQuantity(_) => Some("quantity"),
            Self::NegativeUnitAmount(_) | Self::Money(MoneyError::CurrencyMismatch(..)) => {
                Some("unit_amount")
            }
            Self::DiscountOutOfRange(_) => Some("discount_bps"),
            Self::TaxRateOutOfRange(_) => Some("tax_rate_bps"),
            Self::InvalidPercent(_) => Some("percent"),
            Self::NoSuchLine(_) | Self::NotDraft(_) | Self::Money(_) => None,
        }
    }
}
