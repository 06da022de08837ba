//! Errors of the billing domain.

use std::collections::BTreeMap;

use plinth_kernel::{MoneyError, RepoError};

use crate::payment::{GatewayError, SignatureError};
use crate::{InvoiceStatus, RenderError, TransitionError};

/// Field name → messages, as [`BillingError::Invalid`] carries them.
pub(crate) type FieldErrors = BTreeMap<String, Vec<String>>;

/// What the billing services ([`crate::PlanService`], [`crate::InvoiceService`],
/// [`crate::PaymentService`], [`crate::BillingJobs`]) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// No such plan.
    #[error("plan not found")]
    NotFound,
    /// A plan with this code exists.
    #[error("a plan with this code already exists")]
    CodeTaken,
    /// Invalid fields: field name → messages.
    #[error("invalid input")]
    Invalid(BTreeMap<String, Vec<String>>),
    /// No such invoice, or one the caller may not see (HTTP 404).
    #[error("invoice not found")]
    InvoiceNotFound,
    /// A move the invoice state machine does not allow (HTTP 409).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Only a draft can be edited or deleted; this invoice is in the given status (HTTP 409).
    #[error("only a draft invoice can be changed or deleted; this one is {0}")]
    NotDraft(InvoiceStatus),
    /// The draft was edited while it was being finalised; nothing was finalised (HTTP 409).
    #[error("the draft changed while it was being finalised")]
    DraftChanged,
    /// The customer's account is gone, so the invoice cannot be issued to it (HTTP 409).
    #[error("the customer's account no longer exists")]
    CustomerGone,
    /// Every number of the year's sequence is used (HTTP 409).
    #[error("no invoice numbers left for {0}")]
    NumbersExhausted(i32),
    /// The printable document could not be produced (HTTP 500).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Money rule broken.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// The Stripe webhook is not configured (`STRIPE_WEBHOOK_SECRET` unset; HTTP 409
    /// `payments_not_configured`).
    #[error("the Stripe webhook is not configured")]
    WebhookNotConfigured,
    /// A webhook whose signature was refused (HTTP 400); nothing was recorded.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A correctly signed webhook body that is not an event (HTTP 400).
    #[error("malformed webhook event: {0}")]
    BadEvent(String),
    /// No payment gateway is configured (`STRIPE_API_KEY` unset; HTTP 409
    /// `payments_not_configured`).
    #[error("no payment gateway is configured")]
    PaymentsNotConfigured,
    /// Only an open invoice can be paid; this one is in the given status (HTTP 409).
    #[error("an invoice in status {0} cannot be paid")]
    NotPayable(InvoiceStatus),
    /// The payment gateway failed (`Unavailable`: HTTP 503) or refused (`Refused`: HTTP 502).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The caller lacks `billing:write`.
    #[error(transparent)]
    Forbidden(#[from] plinth_kernel::Forbidden),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// A subscription failure met inside an invoice, payment or job step, as a billing failure
/// (only storage failures occur there).
pub(crate) fn billing_error(e: crate::SubscriptionError) -> BillingError {
    match e {
        crate::SubscriptionError::Repo(e) => BillingError::Repo(e),
        other => BillingError::Repo(RepoError::internal(other.to_string())),
    }
}
