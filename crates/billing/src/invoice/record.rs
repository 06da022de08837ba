//! A stored invoice: the priced [`Invoice`] plus who it is for and when things happened.

use plinth_kernel::{OrgId, Owner, Timestamp, UserId};

use crate::invoice::{Invoice, InvoiceStatus};

plinth_kernel::typed_id!(
    /// Identifies an invoice.
    InvoiceId
);

/// Who an invoice was issued to, copied at finalisation so that the issued document never
/// changes when the account does (or is deleted).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomerSnapshot {
    /// The account's email address at finalisation.
    pub email: String,
    /// The account's display name at finalisation.
    pub name: String,
}

/// An invoice as stored and served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    /// Id (UUIDv7).
    pub id: InvoiceId,
    /// The customer's account. Not a foreign key: invoices are accounting records and
    /// outlive the account.
    pub user_id: UserId,
    /// The organization it is addressed to (`None`: the account's own); `user_id` is then
    /// the member answerable for the subscription it bills.
    pub org_id: Option<OrgId>,
    /// Lines, rates, totals, status and number.
    pub invoice: Invoice,
    /// Days between finalisation and `due_at`.
    pub due_in_days: u32,
    /// The customer, from finalisation on.
    pub customer: Option<CustomerSnapshot>,
    /// When payment is due, from finalisation on (`issued_at + due_in_days`).
    pub due_at: Option<Timestamp>,
    /// When it was finalised.
    pub issued_at: Option<Timestamp>,
    /// When it was marked paid.
    pub paid_at: Option<Timestamp>,
    /// When it was voided.
    pub voided_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// The payment provider's id of the payment started for this invoice (Stripe `pi_…`),
    /// recorded once by [`crate::InvoiceRepository::set_provider_payment_id`] and never
    /// written by `update_invoice`; later payment attempts reuse it.
    pub provider_payment_id: Option<String>,
}

impl InvoiceRecord {
    /// Shorthand for the invoice's status.
    #[must_use]
    pub const fn status(&self) -> InvoiceStatus {
        self.invoice.status()
    }

    /// Whose invoice it is: the account's own, or the organization's.
    #[must_use]
    pub const fn owner(&self) -> Owner {
        match self.org_id {
            Some(org) => Owner::Org(org),
            None => Owner::User(self.user_id),
        }
    }

    /// Whether it is `open` past its due date at `now`.
    #[must_use]
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status() == InvoiceStatus::Open && self.due_at.is_some_and(|due| now > due)
    }
}

/// Which invoices an administrator lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// One customer's only.
    pub user_id: Option<UserId>,
    /// In this status only.
    pub status: Option<InvoiceStatus>,
}
