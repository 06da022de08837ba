//! `PATCH /admin/plans/{id}`: any fields of a plan.

use std::collections::BTreeMap;

use plinth_billing::PlanChanges;
use plinth_kernel::{Currency, Money};
use validator::Validate;

use crate::dto::billing::{FeatureBody, MoneyBody, PlanInterval};
use crate::{ApiError, FieldErrors};

/// The fields to change; absent fields keep their value. A new `price` or `interval` becomes
/// the plan's next price version; existing subscriptions keep the price they chose.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanChanges, example = json!({
    "price": { "amount": 2499, "currency": "USD" },
    "features": { "api_access": true, "storage_bytes": 21474836480_i64 }
}))]
pub(crate) struct UpdatePlanRequest {
    /// Unique code: 1–64 of `a-z 0-9 _ -`.
    #[validate(length(
        min = 1,
        max = 64,
        message = "code must be between 1 and 64 characters"
    ))]
    pub code: Option<String>,
    /// Display name, 1–100 characters.
    #[validate(length(
        min = 1,
        max = 100,
        message = "name must be between 1 and 100 characters"
    ))]
    pub name: Option<String>,
    /// Whether it is offered.
    pub active: Option<bool>,
    /// Price per interval (amount ≥ 0): a new price version.
    #[validate(nested)]
    pub price: Option<MoneyBody>,
    /// `month` or `year`: a new price version.
    pub interval: Option<PlanInterval>,
    /// Free trial days, 0–365.
    #[validate(range(max = 365, message = "trial_days must be between 0 and 365"))]
    pub trial_days: Option<u32>,
    /// Feature key → on/off or integer limit (replaces the whole map).
    pub features: Option<BTreeMap<String, FeatureBody>>,
}

impl UpdatePlanRequest {
    /// The domain changes; an unknown currency is a 422 on `price.currency`.
    pub(crate) fn try_into_domain(self) -> Result<PlanChanges, ApiError> {
        let price = match self.price {
            None => None,
            Some(price) => {
                let currency = Currency::parse(&price.currency).map_err(|e| {
                    let mut errors = FieldErrors::new();
                    errors.insert("price.currency".to_owned(), vec![e.to_string()]);
                    ApiError::validation(errors)
                })?;
                Some(Money::new(price.amount, currency))
            }
        };
        Ok(PlanChanges {
            code: self.code,
            name: self.name,
            active: self.active,
            price,
            interval: self.interval.map(Into::into),
            trial_days: self.trial_days,
            features: self
                .features
                .map(|f| f.into_iter().map(|(k, v)| (k, v.into())).collect()),
        })
    }
}
