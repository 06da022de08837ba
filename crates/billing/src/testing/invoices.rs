//! [`MemoryInvoiceRepository`]: its [`InvoiceRepository`] here, its
//! [`crate::InvoiceReportRepository`] in [`reports`].

mod reports;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction};

use crate::invoice::{InvoiceId, InvoiceRecord, InvoiceRepository, InvoiceStatus};

#[derive(Default)]
struct State {
    invoices: HashMap<InvoiceId, InvoiceRecord>,
    counters: HashMap<i32, u32>,
    /// A draft edit the next `next_invoice_number` applies first (see
    /// [`MemoryInvoiceRepository::edit_draft_before_next_number`]).
    edit_before_number: Option<InvoiceRecord>,
}

/// Invoices and counters in maps, with the SQL tables' promises: unique numbers, the
/// status compare-and-set, frozen amounts, rollback of everything a dropped transaction wrote.
#[derive(Clone, Default)]
pub struct MemoryInvoiceRepository {
    state: Arc<Mutex<State>>,
}

impl MemoryInvoiceRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the next `next_invoice_number` first apply `edit` to its draft, in the same
    /// transaction: a draft edit that lands after a finalisation has read the draft and before
    /// it takes its number.
    pub fn edit_draft_before_next_number(&self, edit: InvoiceRecord) {
        self.lock().edit_before_number = Some(edit);
    }

    /// The status and due date of invoice `id` (for the subscription repository's joins).
    pub(crate) fn status_and_due(
        &self,
        id: InvoiceId,
    ) -> Option<(InvoiceStatus, Option<Timestamp>)> {
        self.lock()
            .invoices
            .get(&id)
            .map(|r| (r.status(), r.due_at))
    }

    /// Registers an undo step that puts `id` back as it was (`None`: removes it).
    fn undo_invoice(&self, tx: &mut MemoryTransaction, id: InvoiceId, old: Option<InvoiceRecord>) {
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
            match old {
                Some(old) => s.invoices.insert(id, old),
                None => s.invoices.remove(&id),
            };
        });
    }
}

fn number_taken(state: &State, record: &InvoiceRecord) -> bool {
    record.invoice.number().is_some_and(|n| {
        state
            .invoices
            .values()
            .any(|r| r.id != record.id && r.invoice.number() == Some(n))
    })
}

fn duplicate(constraint: &str) -> RepoError {
    RepoError::Duplicate {
        constraint: constraint.to_owned(),
    }
}

#[async_trait::async_trait]
impl InvoiceRepository for MemoryInvoiceRepository {
    async fn insert_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: &InvoiceRecord,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = self.lock();
            if state.invoices.contains_key(&invoice.id) {
                return Err(duplicate("invoices.id"));
            }
            if number_taken(&state, invoice) {
                return Err(duplicate("invoices.number"));
            }
            state.invoices.insert(invoice.id, invoice.clone());
        }
        self.undo_invoice(tx, invoice.id, None);
        Ok(())
    }

    async fn update_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: &InvoiceRecord,
        from: InvoiceStatus,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut state = self.lock();
            let previous = state
                .invoices
                .get(&invoice.id)
                .filter(|r| r.status() == from)
                .cloned()
                .ok_or(RepoError::NotFound)?;
            if number_taken(&state, invoice) {
                return Err(duplicate("invoices.number"));
            }
            // Lines, rates and amounts are fixed at insertion, as in the SQL adapter.
            let mut parts = previous.invoice.to_parts();
            parts.status = invoice.invoice.status();
            parts.number = invoice.invoice.number();
            let updated = InvoiceRecord {
                invoice: crate::Invoice::restore(parts).map_err(RepoError::internal)?,
                user_id: previous.user_id,
                org_id: previous.org_id,
                due_in_days: previous.due_in_days,
                created_at: previous.created_at,
                provider_payment_id: previous.provider_payment_id.clone(),
                ..invoice.clone()
            };
            state.invoices.insert(invoice.id, updated);
            previous
        };
        self.undo_invoice(tx, invoice.id, Some(previous));
        Ok(())
    }

    async fn set_provider_payment_id(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
        provider_payment_id: &str,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut state = self.lock();
            let record = state
                .invoices
                .get_mut(&id)
                .filter(|r| r.status() == InvoiceStatus::Open && r.provider_payment_id.is_none())
                .ok_or(RepoError::NotFound)?;
            let previous = record.clone();
            record.provider_payment_id = Some(provider_payment_id.to_owned());
            previous
        };
        self.undo_invoice(tx, id, Some(previous));
        Ok(())
    }

    async fn update_draft(
        &self,
        tx: &mut dyn Transaction,
        invoice: &InvoiceRecord,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut state = self.lock();
            let previous = state
                .invoices
                .get(&invoice.id)
                .filter(|r| r.status() == InvoiceStatus::Draft)
                .cloned()
                .ok_or(RepoError::NotFound)?;
            // Only the lines, rates, amounts, payment term and `updated_at`, as in SQL.
            let mut parts = invoice.invoice.to_parts();
            parts.currency = previous.invoice.currency();
            parts.status = InvoiceStatus::Draft;
            parts.number = None;
            let updated = InvoiceRecord {
                invoice: crate::Invoice::restore(parts).map_err(RepoError::internal)?,
                due_in_days: invoice.due_in_days,
                updated_at: invoice.updated_at,
                ..previous.clone()
            };
            state.invoices.insert(invoice.id, updated);
            previous
        };
        self.undo_invoice(tx, invoice.id, Some(previous));
        Ok(())
    }

    async fn delete_draft(&self, tx: &mut dyn Transaction, id: InvoiceId) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut state = self.lock();
            if state
                .invoices
                .get(&id)
                .is_none_or(|r| r.status() != InvoiceStatus::Draft)
            {
                return Err(RepoError::NotFound);
            }
            state.invoices.remove(&id)
        };
        self.undo_invoice(tx, id, previous);
        Ok(())
    }

    async fn next_invoice_number(
        &self,
        tx: &mut dyn Transaction,
        year: i32,
    ) -> Result<u32, RepoError> {
        let edit = self.lock().edit_before_number.take();
        if let Some(edit) = edit {
            self.update_draft(tx, &edit).await?;
        }
        let tx = MemoryTransaction::from_dyn(tx)?;
        let (previous, next) = {
            let mut state = self.lock();
            let previous = state.counters.get(&year).copied();
            let next = previous
                .unwrap_or(0)
                .checked_add(1)
                .ok_or_else(|| RepoError::internal("invoice counter overflow"))?;
            state.counters.insert(year, next);
            (previous, next)
        };
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
            match previous {
                Some(p) => s.counters.insert(year, p),
                None => s.counters.remove(&year),
            };
        });
        Ok(next)
    }

    async fn invoice(&self, id: InvoiceId) -> Result<Option<InvoiceRecord>, RepoError> {
        Ok(self.lock().invoices.get(&id).cloned())
    }

    async fn lock_invoice(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
    ) -> Result<Option<InvoiceRecord>, RepoError> {
        // The memory transaction holds the global write lock already.
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.lock().invoices.get(&id).cloned())
    }
}
