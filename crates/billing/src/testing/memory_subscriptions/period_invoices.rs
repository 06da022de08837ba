//! The [`PeriodInvoiceRepository`] of [`MemorySubscriptionRepository`]: the period → invoice
//! claims, and the overdue queries that read the connected invoice repository.

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction};

use super::MemorySubscriptionRepository;
use crate::subscription::{PeriodInvoiceRepository, SubscriptionId, SubscriptionStatus};
use crate::{InvoiceId, InvoiceStatus};

impl MemorySubscriptionRepository {
    /// Whether a period invoice of `subscription` is open and due before `now`.
    fn overdue(&self, subscription: SubscriptionId, now: Timestamp) -> bool {
        let Some(invoices) = &self.invoices else {
            return false;
        };
        let ids: Vec<InvoiceId> = self
            .lock()
            .period_invoices
            .iter()
            .filter(|((s, _), _)| *s == subscription)
            .map(|(_, id)| *id)
            .collect();
        ids.into_iter().any(|id| {
            invoices.status_and_due(id).is_some_and(|(status, due)| {
                status == InvoiceStatus::Open && due.is_some_and(|d| d < now)
            })
        })
    }
}

#[async_trait::async_trait]
impl PeriodInvoiceRepository for MemorySubscriptionRepository {
    async fn claim_period_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        invoice: InvoiceId,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let key = (subscription, period_start);
        {
            let mut state = self.lock();
            if state.period_invoices.contains_key(&key) {
                return Ok(false);
            }
            if state.period_invoices.values().any(|i| *i == invoice) {
                return Err(RepoError::Duplicate {
                    constraint: "subscription_invoices.invoice_id".to_owned(),
                });
            }
            state.period_invoices.insert(key, invoice);
        }
        Self::undo_with(tx, &self.state, move |s| {
            s.period_invoices.remove(&key);
        });
        Ok(true)
    }

    async fn subscription_of_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: InvoiceId,
    ) -> Result<Option<SubscriptionId>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .lock()
            .period_invoices
            .iter()
            .find(|(_, i)| **i == invoice)
            .map(|((s, _), _)| *s))
    }

    async fn has_overdue_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.overdue(subscription, now))
    }

    async fn overdue_subscriptions(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError> {
        let mut candidates: Vec<SubscriptionId> = self
            .lock()
            .subscriptions
            .values()
            .filter(|s| {
                matches!(
                    s.status,
                    SubscriptionStatus::Trialing | SubscriptionStatus::Active
                )
            })
            .map(|s| s.id)
            .collect();
        candidates.sort();
        Ok(candidates
            .into_iter()
            .filter(|id| self.overdue(*id, now))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }
}
