//! [`BillingStorageQuota`]: the file service's storage quota read from billing entitlements.

use plinth_billing::{SubscriptionError, SubscriptionService};
use plinth_files::{Owner, StorageQuota};
use plinth_kernel::RepoError;

/// The `storage_bytes` entitlement of the owner: from the plan of its subscription (an
/// account's own, or the organization's), else the configured default.
#[derive(Clone)]
pub struct BillingStorageQuota(pub SubscriptionService);

#[async_trait::async_trait]
impl StorageQuota for BillingStorageQuota {
    async fn storage_limit(&self, owner: Owner) -> Result<Option<u64>, RepoError> {
        self.0.storage_limit(owner).await.map_err(|e| match e {
            SubscriptionError::Repo(e) => e,
            other => RepoError::internal(other.to_string()),
        })
    }
}
