//! [`require_feature`]: a guard for routes that only some plans include.

use plinth_kernel::Owner;
use plinth_sessions::Principal;

use crate::{ApiError, AppState};

/// Fails with 403 `feature_required` unless the caller's entitlements (see
/// `GET /billing/entitlements`) switch `feature` on, or give it a limit above 0: the
/// organization's when the token acts for one (whatever the member's billing permissions:
/// what the organization paid for is what its members may use), else the account's own.
///
/// In a handler: `require_feature(&state, &user.0, "api_access").await?;` (tested in
/// `tests/api/subscriptions.rs`).
///
/// Document the refusal on the route with `crate::openapi::responses::FeatureRequired`.
///
/// # Errors
/// [`ApiError::FeatureRequired`]; 503/500 when the entitlements cannot be read.
pub async fn require_feature(
    state: &AppState,
    principal: &Principal,
    feature: &str,
) -> Result<(), ApiError> {
    let owner = match &principal.org {
        Some(acting) => Owner::Org(acting.org_id),
        None => Owner::User(principal.user_id),
    };
    if state.subscriptions.has_feature(owner, feature).await? {
        Ok(())
    } else {
        Err(ApiError::FeatureRequired(feature.to_owned()))
    }
}
