//! [`MemoryPaymentEventInbox`] and [`FakeWebhookVerifier`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction};

use crate::payment::{InboxEntry, PaymentEventInbox, SignatureError, WebhookVerifier};

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
