//! Invoices as pure domain values: lines, an optional percentage discount spread over the
//! lines, tax per line, totals, numbering and the status machine (no storage, no clock); and
//! [`InvoiceService`], their use cases over the invoice ports.
//!
//! The money rules, all in integer minor units of the invoice's single currency (the
//! currency's exponent only matters for display, which [`Money`] handles):
//! - a line's amount is `quantity × unit_amount`; the subtotal is their sum;
//! - the discount is `subtotal × discount_bps / 10 000`, rounded half-even, then spread over
//!   the lines in proportion to their amounts so the per-line shares add up to exactly the
//!   discount (largest remainder first, the earlier line first on a tie);
//! - each line's tax is `(amount − its discount share) × tax_rate_bps / 10 000`, rounded
//!   half-even; the invoice's tax is the sum of the lines' taxes;
//! - `total = subtotal − discount + tax`.
//!
//! Products are computed in `i128` and every sum is checked: an amount that does not fit in
//! an `i64` is [`plinth_kernel::MoneyError::Overflow`], never a panic or a wrap.
//!
//! ```
//! use plinth_billing::invoice::{Invoice, LineInput};
//! use plinth_kernel::{Currency, Money};
//!
//! let usd = Currency::parse("USD")?;
//! let mut invoice = Invoice::draft(usd);
//! invoice.add_line(LineInput {
//!     description: "Pro plan, March".into(),
//!     quantity: 1,
//!     unit_amount: Money::new(14_900, usd),
//! })?;
//! invoice.set_discount_bps(1000)?; // 10 %
//! invoice.set_tax_rate_bps(825)?; // 8.25 %
//! assert_eq!(invoice.total().to_string(), "145.16 USD");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod line;
pub mod math;
mod number;
mod ports;
mod rate;
mod record;
mod restore;
mod service;
mod status;
mod totals;

#[cfg(test)]
mod tests;

use plinth_kernel::{Currency, Money};

pub use error::InvoiceError;
pub use line::{InvoiceLine, LineInput, MAX_DESCRIPTION_CHARS};
pub use number::{InvoiceNumber, InvoiceNumberError, MAX_SEQUENCE};
pub use ports::{
    CustomerDirectory, InvoiceRenderer, InvoiceReportRepository, InvoiceRepository, InvoiceStorage,
    RenderError, RevenueBucket,
};
pub use rate::{bps_to_percent, percent_to_bps};
pub use record::{CustomerSnapshot, InvoiceFilter, InvoiceId, InvoiceRecord};
pub use restore::{InvoiceParts, RestoreError};
pub(crate) use service::invoice_event;
pub use service::{InvoiceChanges, InvoiceService, NewInvoice, NewInvoiceLine};
pub use status::{InvoiceStatus, TransitionError};
pub use totals::InvoiceTotals;

use math::BPS_PER_WHOLE;

/// An invoice. Created as a draft whose lines, discount and tax rate can change (every
/// change re-prices it, or is refused and leaves it untouched); [`Self::finalize`] numbers it
/// and freezes its amounts; then it is paid, voided or marked uncollectible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    currency: Currency,
    status: InvoiceStatus,
    number: Option<InvoiceNumber>,
    discount_bps: u32,
    tax_rate_bps: u32,
    lines: Vec<InvoiceLine>,
    totals: InvoiceTotals,
}

impl Invoice {
    /// An empty draft in `currency`: no lines, no discount, no tax, totals zero.
    #[must_use]
    pub fn draft(currency: Currency) -> Self {
        Self {
            currency,
            status: InvoiceStatus::Draft,
            number: None,
            discount_bps: 0,
            tax_rate_bps: 0,
            lines: Vec::new(),
            totals: InvoiceTotals::default(),
        }
    }

    /// The one currency of every amount on the invoice.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Where the invoice is in its life.
    #[must_use]
    pub const fn status(&self) -> InvoiceStatus {
        self.status
    }

    /// The number, once finalised.
    #[must_use]
    pub const fn number(&self) -> Option<InvoiceNumber> {
        self.number
    }

    /// The discount in basis points of the subtotal (0–10 000; 1000 = 10 %).
    #[must_use]
    pub const fn discount_bps(&self) -> u32 {
        self.discount_bps
    }

    /// The tax rate in basis points (0–10 000; 825 = 8.25 %).
    #[must_use]
    pub const fn tax_rate_bps(&self) -> u32 {
        self.tax_rate_bps
    }

    /// The priced lines, in the order they were added.
    #[must_use]
    pub fn lines(&self) -> &[InvoiceLine] {
        &self.lines
    }

    /// Subtotal, discount, tax and total in minor units.
    #[must_use]
    pub const fn totals(&self) -> InvoiceTotals {
        self.totals
    }

    /// The subtotal as [`Money`].
    #[must_use]
    pub const fn subtotal(&self) -> Money {
        Money::new(self.totals.subtotal, self.currency)
    }

    /// The discount as [`Money`].
    #[must_use]
    pub const fn discount(&self) -> Money {
        Money::new(self.totals.discount, self.currency)
    }

    /// The tax as [`Money`].
    #[must_use]
    pub const fn tax(&self) -> Money {
        Money::new(self.totals.tax, self.currency)
    }

    /// The total owed as [`Money`].
    #[must_use]
    pub const fn total(&self) -> Money {
        Money::new(self.totals.total, self.currency)
    }

    /// Appends a line to the draft.
    ///
    /// # Errors
    /// [`InvoiceError::NotDraft`]; an invalid line ([`InvoiceError::EmptyDescription`],
    /// [`InvoiceError::DescriptionTooLong`], [`InvoiceError::InvalidQuantity`],
    /// [`InvoiceError::NegativeUnitAmount`]); a unit amount in another currency
    /// ([`plinth_kernel::MoneyError::CurrencyMismatch`]); amounts that overflow
    /// ([`plinth_kernel::MoneyError::Overflow`]).
    pub fn add_line(&mut self, input: LineInput) -> Result<(), InvoiceError> {
        self.ensure_draft()?;
        let description = input.validate(self.currency)?;
        let mut lines = self.lines.clone();
        lines.push(InvoiceLine {
            description,
            quantity: input.quantity,
            unit_amount: input.unit_amount.amount,
            amount: 0,
            discount: 0,
            tax: 0,
            total: 0,
        });
        self.reprice(lines, self.discount_bps, self.tax_rate_bps)
    }

    /// Removes and returns the line at `index` (from 0) of the draft.
    ///
    /// # Errors
    /// [`InvoiceError::NotDraft`], [`InvoiceError::NoSuchLine`].
    pub fn remove_line(&mut self, index: usize) -> Result<InvoiceLine, InvoiceError> {
        self.ensure_draft()?;
        if index >= self.lines.len() {
            return Err(InvoiceError::NoSuchLine(index));
        }
        let mut lines = self.lines.clone();
        let removed = lines.remove(index);
        self.reprice(lines, self.discount_bps, self.tax_rate_bps)?;
        Ok(removed)
    }

    /// Sets the draft's discount, in basis points of the subtotal (0–10 000; see
    /// [`percent_to_bps`] for `"12.5"`-style input).
    ///
    /// # Errors
    /// [`InvoiceError::NotDraft`], [`InvoiceError::DiscountOutOfRange`], overflow.
    pub fn set_discount_bps(&mut self, bps: u32) -> Result<(), InvoiceError> {
        self.ensure_draft()?;
        if bps > BPS_PER_WHOLE {
            return Err(InvoiceError::DiscountOutOfRange(bps));
        }
        self.reprice(self.lines.clone(), bps, self.tax_rate_bps)
    }

    /// Sets the draft's tax rate in basis points (0–10 000).
    ///
    /// # Errors
    /// [`InvoiceError::NotDraft`], [`InvoiceError::TaxRateOutOfRange`], overflow.
    pub fn set_tax_rate_bps(&mut self, bps: u32) -> Result<(), InvoiceError> {
        self.ensure_draft()?;
        if bps > BPS_PER_WHOLE {
            return Err(InvoiceError::TaxRateOutOfRange(bps));
        }
        self.reprice(self.lines.clone(), self.discount_bps, bps)
    }

    /// `draft → open`: gives the invoice its number and freezes its lines and amounts.
    ///
    /// # Errors
    /// [`TransitionError`] unless the invoice is a draft.
    pub fn finalize(&mut self, number: InvoiceNumber) -> Result<(), TransitionError> {
        self.status = self.status.transition(InvoiceStatus::Open)?;
        self.number = Some(number);
        Ok(())
    }

    /// `open → paid`.
    ///
    /// # Errors
    /// [`TransitionError`] unless the invoice is open.
    pub fn mark_paid(&mut self) -> Result<(), TransitionError> {
        self.move_to(InvoiceStatus::Paid)
    }

    /// `open → void`: cancelled, kept for the record.
    ///
    /// # Errors
    /// [`TransitionError`] unless the invoice is open.
    pub fn void(&mut self) -> Result<(), TransitionError> {
        self.move_to(InvoiceStatus::Void)
    }

    /// `open → uncollectible`: given up on as a debt.
    ///
    /// # Errors
    /// [`TransitionError`] unless the invoice is open.
    pub fn mark_uncollectible(&mut self) -> Result<(), TransitionError> {
        self.move_to(InvoiceStatus::Uncollectible)
    }

    /// Moves to `to` if the state machine allows it. `to = Open` is refused here: only
    /// [`Self::finalize`], which assigns the number, opens an invoice.
    ///
    /// # Errors
    /// [`TransitionError`] for a move the machine does not allow.
    pub fn move_to(&mut self, to: InvoiceStatus) -> Result<(), TransitionError> {
        if to == InvoiceStatus::Open {
            return Err(TransitionError {
                from: self.status,
                to,
            });
        }
        self.status = self.status.transition(to)?;
        Ok(())
    }

    fn ensure_draft(&self) -> Result<(), InvoiceError> {
        match self.status {
            InvoiceStatus::Draft => Ok(()),
            other => Err(InvoiceError::NotDraft(other)),
        }
    }

    /// Prices `lines` with the given rates and keeps the result, or leaves `self` untouched.
    fn reprice(
        &mut self,
        lines: Vec<InvoiceLine>,
        discount_bps: u32,
        tax_rate_bps: u32,
    ) -> Result<(), InvoiceError> {
        let (lines, totals) = totals::price(&lines, discount_bps, tax_rate_bps)?;
        self.lines = lines;
        self.totals = totals;
        self.discount_bps = discount_bps;
        self.tax_rate_bps = tax_rate_bps;
        Ok(())
    }
}
