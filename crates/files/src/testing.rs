//! In-memory adapters (feature `testing`) and the contract suites every adapter of the files
//! ports must pass.
//!
//! [`MemoryFileRepository`] works with [`plinth_kernel::testing::MemoryUnitOfWork`]: writes
//! apply at once and are undone if the transaction is dropped without commit.
//! [`MemoryBlobStore`] keeps blobs in a map and honours the [`crate::BlobStore`] contract
//! (a failed upload leaves nothing, ranges are inclusive).

pub mod contract;
mod memory_blobs;
mod memory_files;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use plinth_kernel::RepoError;

pub use memory_blobs::MemoryBlobStore;
pub use memory_files::MemoryFileRepository;

use crate::{AvatarReferences, BlobKey};

/// [`AvatarReferences`] over a set of keys the test says are shown. Clones share the set.
#[derive(Clone, Default)]
pub struct MemoryAvatarReferences {
    shown: Arc<Mutex<HashSet<BlobKey>>>,
}

impl MemoryAvatarReferences {
    /// Nothing shown.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `key` as some account's avatar.
    pub fn show(&self, key: BlobKey) {
        self.shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key);
    }
}

#[async_trait::async_trait]
impl AvatarReferences for MemoryAvatarReferences {
    async fn known_avatar_keys(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepoError> {
        let shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.iter().filter(|k| shown.contains(k)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::UserId;
    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::*;

    #[tokio::test]
    async fn memory_file_repository_passes_the_contract() {
        let owners = [UserId::new(), UserId::new()];
        contract::file_repository(
            Arc::new(MemoryFileRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            owners,
        )
        .await;
    }

    #[tokio::test]
    async fn memory_blob_store_passes_the_contract() {
        contract::blob_store(Arc::new(MemoryBlobStore::new())).await;
    }
}
