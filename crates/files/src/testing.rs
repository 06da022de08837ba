//! In-memory adapters (feature `testing`) and the contract suites every adapter of the files
//! ports must pass.
//!
//! [`MemoryFileRepository`] works with [`plinth_kernel::testing::MemoryUnitOfWork`]: writes
//! apply at once and are undone if the transaction is dropped without commit.
//! [`MemoryBlobStore`] keeps blobs in a map and honours the [`crate::BlobStore`] contract
//! (a failed upload leaves nothing, ranges are inclusive). The other ports have fakes
//! ([`UnlimitedQuota`], [`FixedQuota`], [`MemoryViewers`], [`MemoryAvatarReferences`],
//! [`FakeUrlSigner`]), and [`crate::FilePorts::with_fakes`] fills them in.

pub mod contract;
mod fakes;
mod memory_blobs;
mod memory_files;

pub use fakes::{FakeUrlSigner, FixedQuota, MemoryAvatarReferences, MemoryViewers, UnlimitedQuota};
pub use memory_blobs::MemoryBlobStore;
pub use memory_files::MemoryFileRepository;

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
