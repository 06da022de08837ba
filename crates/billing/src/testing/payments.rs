//! [`MemoryPaymentEventInbox`], [`FakeWebhookVerifier`] and [`FakePaymentGateway`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction};

use crate::payment::{
    GatewayError, InboxEntry, PaymentEventInbox, PaymentGateway, PaymentMethod, PaymentRequest,
    PaymentStart, SignatureError, WebhookVerifier,
};

/// The inbox in a map, with the table's promise: one entry per id, rolled back with its
/// transaction.
#[derive(Clone, Default)]
pub struct MemoryPaymentEventInbox {
    entries: Arc<Mutex<HashMap<String, InboxEntry>>>,
}

impl MemoryPaymentEventInbox {
    /// An empty inbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, InboxEntry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn undo(&self, tx: &mut MemoryTransaction, id: String, old: Option<InboxEntry>) {
        let entries = Arc::clone(&self.entries);
        tx.on_rollback(move || {
            let mut e = entries.lock().unwrap_or_else(PoisonError::into_inner);
            match old {
                Some(old) => e.insert(id, old),
                None => e.remove(&id),
            };
        });
    }
}

#[async_trait::async_trait]
impl PaymentEventInbox for MemoryPaymentEventInbox {
    async fn insert_new(
        &self,
        tx: &mut dyn Transaction,
        entry: &InboxEntry,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut entries = self.lock();
            if entries.contains_key(&entry.id) {
                return Ok(false);
            }
            entries.insert(entry.id.clone(), entry.clone());
        }
        self.undo(tx, entry.id.clone(), None);
        Ok(true)
    }

    async fn mark_processed(
        &self,
        tx: &mut dyn Transaction,
        entry: &InboxEntry,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let old = {
            let mut entries = self.lock();
            let stored = entries.get_mut(&entry.id).ok_or(RepoError::NotFound)?;
            let old = stored.clone();
            stored.processed_at = entry.processed_at;
            stored.outcome.clone_from(&entry.outcome);
            stored.invoice_id = entry.invoice_id;
            old
        };
        self.undo(tx, entry.id.clone(), Some(old));
        Ok(())
    }

    async fn entry(&self, id: &str) -> Result<Option<InboxEntry>, RepoError> {
        Ok(self.lock().get(id).cloned())
    }
}

/// Accepts a webhook when the signature header is exactly [`FakeWebhookVerifier::VALID`];
/// a missing header is [`SignatureError::Missing`], anything else [`SignatureError::Mismatch`].
#[derive(Debug, Clone, Copy, Default)]
pub struct FakeWebhookVerifier;

impl FakeWebhookVerifier {
    /// The one header value accepted.
    pub const VALID: &'static str = "fake-valid-signature";
}

impl WebhookVerifier for FakeWebhookVerifier {
    fn verify(
        &self,
        header: Option<&str>,
        _body: &[u8],
        _now: Timestamp,
    ) -> Result<(), SignatureError> {
        match header {
            None => Err(SignatureError::Missing),
            Some(Self::VALID) => Ok(()),
            Some(_) => Err(SignatureError::Mismatch),
        }
    }
}

#[derive(Default)]
struct GatewayState {
    /// Payments by invoice, as a provider replays a fixed idempotency key.
    payments: HashMap<crate::InvoiceId, String>,
    starts: Vec<PaymentRequest>,
    lookups: Vec<String>,
    failure: Option<GatewayError>,
}

/// A card gateway in memory, behaving like Stripe behind [`PaymentGateway`]: one payment
/// (`pi_fake<n>`, client secret `pi_fake<n>_secret`) per invoice however often it is started,
/// every call recorded, and a failure that can be switched on.
#[derive(Clone, Default)]
pub struct FakePaymentGateway {
    state: Arc<Mutex<GatewayState>>,
}

impl FakePaymentGateway {
    /// A gateway that has started nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, GatewayState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every later call fails with `failure` (`None`: works again).
    pub fn fail_with(&self, failure: Option<GatewayError>) {
        self.lock().failure = failure;
    }

    /// The requests `start_payment` received, in order.
    #[must_use]
    pub fn starts(&self) -> Vec<PaymentRequest> {
        self.lock().starts.clone()
    }

    /// The payment ids `payment` was asked for, in order.
    #[must_use]
    pub fn lookups(&self) -> Vec<String> {
        self.lock().lookups.clone()
    }

    /// Forgets which payment belongs to which invoice, as Stripe forgets an idempotency key
    /// after 24 hours: a new start creates a new payment.
    pub fn forget_keys(&self) {
        self.lock().payments.clear();
    }
}

fn fake_payment(id: &str) -> PaymentStart {
    PaymentStart {
        provider_payment_id: Some(id.to_owned()),
        provider_customer_id: None,
        client_secret: Some(format!("{id}_secret")),
        status: Some("requires_payment_method".to_owned()),
    }
}

#[async_trait::async_trait]
impl PaymentGateway for FakePaymentGateway {
    fn method(&self) -> PaymentMethod {
        PaymentMethod::Stripe
    }

    async fn start_payment(&self, request: &PaymentRequest) -> Result<PaymentStart, GatewayError> {
        let mut state = self.lock();
        state.starts.push(request.clone());
        if let Some(failure) = &state.failure {
            return Err(failure.clone());
        }
        let n = state.starts.len();
        let id = state
            .payments
            .entry(request.invoice_id)
            .or_insert_with(|| format!("pi_fake{n}"))
            .clone();
        Ok(fake_payment(&id))
    }

    async fn payment(&self, provider_payment_id: &str) -> Result<PaymentStart, GatewayError> {
        let mut state = self.lock();
        state.lookups.push(provider_payment_id.to_owned());
        if let Some(failure) = &state.failure {
            return Err(failure.clone());
        }
        Ok(fake_payment(provider_payment_id))
    }
}
