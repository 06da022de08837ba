//! [`require_feature`]: a guard for routes that only some plans include.

use plinth_sessions::Principal;

use crate::{ApiError, AppState};

/// Fails with 403 `feature_required` unless the caller's entitlements (see
/// `GET /billing/entitlements`) switch `feature` on, or give it a limit above 0.
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
    if state
        .subscriptions
        .has_feature(principal.user_id, feature)
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::FeatureRequired(feature.to_owned()))
    }
}
