//! Ports of payments.

use plinth_kernel::{Money, RepoError, Timestamp, Transaction, UserId};

use crate::{CustomerSnapshot, InvoiceId};

/// How an invoice was paid, as recorded in its `billing.invoice_paid` audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMethod {
    /// An administrator recorded a payment received outside Plinth (`mark-paid`).
    Manual,
    /// Stripe reported the payment through a signed webhook.
    Stripe,
}

impl PaymentMethod {
    /// `manual` or `stripe`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Stripe => "stripe",
        }
    }
}

/// The payment of one open invoice, as a gateway is asked to collect it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// The invoice paid (the provider's metadata carries it back in the webhook).
    pub invoice_id: InvoiceId,
    /// The customer's account.
    pub user_id: UserId,
    /// The invoice's total.
    pub amount: Money,
    /// The customer's email and name, when known.
    pub customer: Option<CustomerSnapshot>,
}

/// What starting a payment produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaymentStart {
    /// The provider's payment id (Stripe `pi_…`); `None` for the manual gateway.
    pub provider_payment_id: Option<String>,
    /// The provider's customer id (Stripe `cus_…`), when one was created or reused.
    pub provider_customer_id: Option<String>,
    /// The secret the client-side SDK confirms the payment with (Stripe `client_secret`).
    pub client_secret: Option<String>,
    /// The provider's status of the payment (Stripe `requires_payment_method`,
    /// `processing`, `succeeded`, `canceled`…), when it said.
    pub status: Option<String>,
}

/// Why a gateway could not start a payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The provider could not be reached, timed out or failed (5xx): retrying with the same
    /// request is safe (same idempotency key).
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (4xx), with its message.
    #[error("payment provider refused the request: {0}")]
    Refused(String),
}

/// Collects the money of an invoice. The manual gateway ([`ManualGateway`]) takes nothing:
/// the administrator says the money arrived. A card gateway (Stripe, `plinth-stripe`) starts a
/// payment whose success arrives later through its webhook.
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync {
    /// The method recorded when this gateway settles an invoice.
    fn method(&self) -> PaymentMethod;

    /// Starts collecting `request`. Calling it again for the same invoice MUST NOT charge
    /// twice (a provider call carries a key fixed per invoice).
    ///
    /// # Errors
    /// [`GatewayError`].
    async fn start_payment(&self, request: &PaymentRequest) -> Result<PaymentStart, GatewayError>;

    /// The payment `provider_payment_id` that [`Self::start_payment`] started earlier, as the
    /// provider has it now (its client secret and status): how a later attempt to pay the
    /// same invoice reuses it instead of starting another (a provider forgets idempotency
    /// keys after a while; Stripe after 24 hours).
    ///
    /// # Errors
    /// [`GatewayError`]; `Refused` when the provider has no such payment.
    async fn payment(&self, provider_payment_id: &str) -> Result<PaymentStart, GatewayError>;
}

/// The gateway of admin `mark-paid`: the payment happened outside Plinth.
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualGateway;

#[async_trait::async_trait]
impl PaymentGateway for ManualGateway {
    fn method(&self) -> PaymentMethod {
        PaymentMethod::Manual
    }

    /// Nothing to start: the money arrives outside Plinth.
    async fn start_payment(&self, _request: &PaymentRequest) -> Result<PaymentStart, GatewayError> {
        Ok(PaymentStart::default())
    }

    /// The manual gateway starts no provider payment, so there is none to find.
    async fn payment(&self, _provider_payment_id: &str) -> Result<PaymentStart, GatewayError> {
        Err(GatewayError::Refused(
            "manual payments have no provider payment".to_owned(),
        ))
    }
}

/// Why a webhook's signature was refused. The messages never contain the secret or the
/// signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header.
    #[error("the signature header is missing")]
    Missing,
    /// The header is not `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
    #[error("the signature header is malformed")]
    Malformed,
    /// The timestamp is more than the tolerance away from now.
    #[error("the signature timestamp is outside the tolerance")]
    Expired,
    /// No `v1` signature matches the body.
    #[error("no signature matches the body")]
    Mismatch,
}

/// Checks that a webhook body comes from the provider.
pub trait WebhookVerifier: Send + Sync {
    /// Verifies `header` (the provider's signature header) over the raw `body` at `now`.
    ///
    /// # Errors
    /// [`SignatureError`] when the body must be refused.
    fn verify(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), SignatureError>;
}

/// One received webhook event, as kept in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    /// The provider's event id (primary key).
    pub id: String,
    /// The event type.
    pub kind: String,
    /// When it first arrived.
    pub received_at: Timestamp,
    /// When it was processed (set in the same transaction as its effect).
    pub processed_at: Option<Timestamp>,
    /// What processing did (`applied`, `already_settled`, `ignored`, `unhandled`).
    pub outcome: Option<String>,
    /// The invoice it concerned, when it named one of ours.
    pub invoice_id: Option<InvoiceId>,
}

/// The inbox of provider events: each event id is recorded once, so an event is applied
/// once however often, and however concurrently, it is delivered.
#[async_trait::async_trait]
pub trait PaymentEventInbox: Send + Sync {
    /// Inserts `entry` unless its id is already there. Returns `false` (writing nothing)
    /// when it is. With a concurrent insert of the same id, one of them returns `true` and
    /// the other `false` once the first commits (or `true` if the first rolls back).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only (a duplicate id is not an error).
    async fn insert_new(
        &self,
        tx: &mut dyn Transaction,
        entry: &InboxEntry,
    ) -> Result<bool, RepoError>;

    /// Sets `processed_at`, `outcome` and `invoice_id` of the entry `entry.id`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such entry.
    async fn mark_processed(
        &self,
        tx: &mut dyn Transaction,
        entry: &InboxEntry,
    ) -> Result<(), RepoError>;

    /// The entry with this event id.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn entry(&self, id: &str) -> Result<Option<InboxEntry>, RepoError>;
}
