//! Entitlements: the features and limits a user may use right now.

use std::collections::BTreeMap;

use plinth_kernel::UserId;

use super::SubscriptionService;
use crate::FeatureValue;
use crate::subscription::SubscriptionError;

/// The feature key of the per-user storage quota, in bytes.
pub const STORAGE_BYTES: &str = "storage_bytes";

impl SubscriptionService {
    /// `user`'s features: the defaults, overridden by the features of the plan of their
    /// `trialing`, `active` or `past_due` subscription (an `unpaid` or `canceled` one grants
    /// nothing beyond the defaults).
    ///
    /// # Errors
    /// [`SubscriptionError::Repo`] on storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn entitlements(
        &self,
        user: UserId,
    ) -> Result<BTreeMap<String, FeatureValue>, SubscriptionError> {
        let mut features = self.default_features.clone();
        let Some(subscription) = self.subscriptions.live_subscription(user).await? else {
            return Ok(features);
        };
        if !subscription.status.grants_features() {
            return Ok(features);
        }
        if let Some(plan) = self.plans.plan(subscription.plan_id).await? {
            features.extend(plan.features);
        }
        Ok(features)
    }

    /// `user`'s `storage_bytes` limit: `None` when neither their plan nor the defaults set
    /// one (unlimited); a negative limit counts as 0.
    ///
    /// # Errors
    /// As [`SubscriptionService::entitlements`].
    pub async fn storage_limit(&self, user: UserId) -> Result<Option<u64>, SubscriptionError> {
        Ok(storage_limit_of(&self.entitlements(user).await?))
    }

    /// The `storage_bytes` limit of the default features (what anyone without a plan has),
    /// read like [`SubscriptionService::storage_limit`].
    #[must_use]
    pub fn default_storage_limit(&self) -> Option<u64> {
        storage_limit_of(&self.default_features)
    }

    /// Whether `user`'s entitlements switch `feature` on (`true`) or give it a limit above 0.
    ///
    /// # Errors
    /// As [`SubscriptionService::entitlements`].
    pub async fn has_feature(
        &self,
        user: UserId,
        feature: &str,
    ) -> Result<bool, SubscriptionError> {
        Ok(match self.entitlements(user).await?.get(feature) {
            Some(FeatureValue::Flag(on)) => *on,
            Some(FeatureValue::Limit(n)) => *n > 0,
            None => false,
        })
    }
}

/// The `storage_bytes` limit `features` set: `None` when they set none (unlimited) or switch
/// it on; a negative limit counts as 0, a switched-off flag as 0.
fn storage_limit_of(features: &BTreeMap<String, FeatureValue>) -> Option<u64> {
    match features.get(STORAGE_BYTES) {
        Some(FeatureValue::Limit(n)) => Some(u64::try_from(*n).unwrap_or(0)),
        Some(FeatureValue::Flag(true)) | None => None,
        Some(FeatureValue::Flag(false)) => Some(0),
    }
}
