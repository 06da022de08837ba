//! The [`AppDataRepository`] of [`MemoryUserRepository`]: one document per user.

use std::sync::{Arc, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Transaction, UserId};

use super::MemoryUserRepository;
use crate::{AppData, AppDataRepository};

#[async_trait::async_trait]
impl AppDataRepository for MemoryUserRepository {
    async fn app_data(&self, id: UserId) -> Result<Option<AppData>, RepoError> {
        let documents = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(documents.get(&id).cloned())
    }

    async fn put_app_data(
        &self,
        tx: &mut dyn Transaction,
        data: &AppData,
        expected: Option<&str>,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut documents = self
                .documents
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let current = documents.get(&data.user_id).map(|d| d.etag.as_str());
            if current != expected {
                return Ok(false);
            }
            documents.insert(data.user_id, data.clone())
        };
        let (documents, id) = (Arc::clone(&self.documents), data.user_id);
        tx.on_rollback(move || {
            let mut documents = documents.lock().unwrap_or_else(PoisonError::into_inner);
            match previous {
                Some(previous) => documents.insert(id, previous),
                None => documents.remove(&id),
            };
        });
        Ok(true)
    }
}
