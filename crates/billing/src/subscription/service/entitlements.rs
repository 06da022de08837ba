//! Entitlements: the features and limits a user may use right now.

use std::collections::BTreeMap;

use plinth_kernel::{Caller, Owner};

use super::SubscriptionService;
use crate::FeatureValue;
use crate::subscription::SubscriptionError;
use crate::{ORG_BILLING_READ, billing_owner};

/// The feature key of the storage quota (per account, or per organization), in bytes.
pub const STORAGE_BYTES: &str = "storage_bytes";

/// The feature key an organization's entitlements carry its paid seats under.
pub const SEATS: &str = "seats";

impl SubscriptionService {
    /// The features of `owner` (an account, or an organization): the defaults, overridden by
    /// the features of the plan of its `trialing`, `active` or `past_due` subscription (an
    /// `unpaid` or `canceled` one grants nothing beyond the defaults). An organization's also
    /// carry its paid seats as [`SEATS`].
    ///
    /// # Errors
    /// [`SubscriptionError::Repo`] on storage failure.
    #[tracing::instrument(skip(self, owner), fields(owner = %owner.into()))]
    pub async fn entitlements(
        &self,
        owner: impl Into<Owner> + Copy,
    ) -> Result<BTreeMap<String, FeatureValue>, SubscriptionError> {
        let owner = owner.into();
        let mut features = self.default_features.clone();
        let Some(subscription) = self.subscriptions.live_subscription(owner).await? else {
            return Ok(features);
        };
        if !subscription.status.grants_features() {
            return Ok(features);
        }
        if let Some(plan) = self.plans.plan(subscription.plan_id).await? {
            features.extend(plan.features);
        }
        if subscription.org_id.is_some() {
            features.insert(
                SEATS.to_owned(),
                FeatureValue::Limit(i64::from(subscription.quantity)),
            );
        }
        Ok(features)
    }

    /// The entitlements of whoever's billing `caller` reaches: their own, or, acting for an
    /// organization with `org_billing:read`, the organization's (what its members may use
    /// while acting for it).
    ///
    /// # Errors
    /// [`SubscriptionError::Forbidden`] acting without `org_billing:read`;
    /// [`SubscriptionError::Repo`].
    pub async fn entitlements_for(
        &self,
        caller: &Caller,
    ) -> Result<BTreeMap<String, FeatureValue>, SubscriptionError> {
        self.entitlements(billing_owner(caller, ORG_BILLING_READ)?)
            .await
    }

    /// `owner`'s `storage_bytes` limit: `None` when neither its plan nor the defaults set
    /// one (unlimited); a negative limit counts as 0.
    ///
    /// # Errors
    /// As [`SubscriptionService::entitlements`].
    pub async fn storage_limit(
        &self,
        owner: impl Into<Owner> + Copy,
    ) -> Result<Option<u64>, SubscriptionError> {
        Ok(storage_limit_of(&self.entitlements(owner).await?))
    }

    /// The `storage_bytes` limit of the default features (what anyone without a plan has),
    /// read like [`SubscriptionService::storage_limit`].
    #[must_use]
    pub fn default_storage_limit(&self) -> Option<u64> {
        storage_limit_of(&self.default_features)
    }

    /// Whether `owner`'s entitlements switch `feature` on (`true`) or give it a limit above 0.
    ///
    /// # Errors
    /// As [`SubscriptionService::entitlements`].
    pub async fn has_feature(
        &self,
        owner: impl Into<Owner> + Copy,
        feature: &str,
    ) -> Result<bool, SubscriptionError> {
        Ok(match self.entitlements(owner).await?.get(feature) {
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
