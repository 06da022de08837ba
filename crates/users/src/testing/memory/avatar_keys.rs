//! The [`AvatarKeyRepository`] of [`MemoryUserRepository`]: the `avatar_key` of the stored
//! users.

use std::sync::Arc;

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};

use super::{MemoryUserRepository, lock};
use crate::AvatarKeyRepository;

#[async_trait::async_trait]
impl AvatarKeyRepository for MemoryUserRepository {
    async fn set_avatar_key(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
        key: Option<&str>,
        at: Timestamp,
    ) -> Result<Option<String>, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let before = {
            let mut users = self.lock();
            let user = users.get_mut(&id).ok_or(RepoError::NotFound)?;
            let before = user.clone();
            user.avatar_key = key.map(str::to_owned);
            user.updated_at = at;
            before
        };
        let previous = before.avatar_key.clone();
        let users = Arc::clone(&self.users);
        tx.on_rollback(move || {
            lock(&users).insert(before.id, before);
        });
        Ok(previous)
    }

    async fn known_avatar_keys(&self, keys: &[String]) -> Result<Vec<String>, RepoError> {
        let users = self.lock();
        Ok(keys
            .iter()
            .filter(|k| users.values().any(|u| u.avatar_key.as_ref() == Some(*k)))
            .cloned()
            .collect())
    }
}
