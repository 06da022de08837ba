//! The per-user storage quota port.

use plinth_kernel::{RepoError, UserId};

/// Where a user's storage quota comes from (the billing `storage_bytes` entitlement, in
/// Plinth). Every version of every file the user owns counts against it.
#[async_trait::async_trait]
pub trait StorageQuota: Send + Sync {
    /// The most bytes `owner` may store, or `None` for no limit.
    ///
    /// # Errors
    /// [`RepoError`] when the limit cannot be read (the upload is then refused).
    async fn storage_limit(&self, owner: UserId) -> Result<Option<u64>, RepoError>;
}
