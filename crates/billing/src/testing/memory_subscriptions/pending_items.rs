//! The [`PendingItemRepository`] of [`MemorySubscriptionRepository`].

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction};

use super::MemorySubscriptionRepository;
use crate::subscription::{PendingItem, PendingItemId, PendingItemRepository, SubscriptionId};

#[async_trait::async_trait]
impl PendingItemRepository for MemorySubscriptionRepository {
    async fn insert_pending_item(
        &self,
        tx: &mut dyn Transaction,
        item: &PendingItem,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        self.lock().items.push(item.clone());
        let id = item.id;
        Self::undo_with(tx, &self.state, move |s| s.items.retain(|i| i.id != id));
        Ok(())
    }

    async fn pending_items(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
    ) -> Result<Vec<PendingItem>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        let mut items: Vec<PendingItem> = self
            .lock()
            .items
            .iter()
            .filter(|i| i.subscription_id == subscription && i.invoiced_at.is_none())
            .cloned()
            .collect();
        items.sort_by_key(|i| (i.created_at, i.id));
        Ok(items)
    }

    async fn mark_items_invoiced(
        &self,
        tx: &mut dyn Transaction,
        items: &[PendingItemId],
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let ids: Vec<PendingItemId> = items.to_vec();
        {
            let mut state = self.lock();
            for item in state.items.iter_mut().filter(|i| ids.contains(&i.id)) {
                item.invoiced_at = Some(at);
            }
        }
        Self::undo_with(tx, &self.state, move |s| {
            for item in s.items.iter_mut().filter(|i| ids.contains(&i.id)) {
                item.invoiced_at = None;
            }
        });
        Ok(())
    }
}
