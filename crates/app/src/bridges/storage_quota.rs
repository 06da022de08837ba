//! [`BillingStorageQuota`]: the file service's storage quota read from billing entitlements.

use plinth_billing::{SubscriptionError, SubscriptionService};
use plinth_files::{Owner, StorageQuota};
use plinth_kernel::RepoError;

/// The `storage_bytes` entitlement of the owner: a user's plan's, or the configured default.
/// An organization has the default until organizations can subscribe (issue 15's billing
/// part).
#[derive(Clone)]
pub struct BillingStorageQuota(pub SubscriptionService);

#[async_trait::async_trait]
impl StorageQuota for BillingStorageQuota {
    async fn storage_limit(&self, owner: Owner) -> Result<Option<u64>, RepoError> {
        match owner {
            Owner::User(user) => self.0.storage_limit(user).await.map_err(|e| match e {
                SubscriptionError::Repo(e) => e,
                other => RepoError::internal(other.to_string()),
            }),
            Owner::Org(_) => Ok(self.0.default_storage_limit()),
        }
    }
}
