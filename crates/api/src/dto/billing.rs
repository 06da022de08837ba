//! Plan bodies.

use std::collections::BTreeMap;

use plinth_billing::{FeatureValue, Interval, NewPlan, Plan};
use plinth_kernel::{Currency, Money};
use uuid::Uuid;
use validator::Validate;

use crate::{ApiError, FieldErrors};

/// An amount in integer minor units of an ISO 4217 currency. Never a float.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = Money, example = json!({ "amount": 1999, "currency": "USD" }))]
pub(crate) struct MoneyBody {
    /// Minor units (cents for USD).
    pub amount: i64,
    /// Upper-case ISO 4217 code.
    #[validate(length(equal = 3, message = "currency must be a three-letter ISO 4217 code"))]
    #[schema(pattern = r"^[A-Z]{3}$")]
    pub currency: String,
}

impl From<Money> for MoneyBody {
    fn from(m: Money) -> Self {
        Self {
            amount: m.amount,
            currency: m.currency.code().to_owned(),
        }
    }
}

/// Billing interval.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PlanInterval {
    /// Monthly.
    Month,
    /// Yearly.
    Year,
}

impl From<Interval> for PlanInterval {
    fn from(i: Interval) -> Self {
        match i {
            Interval::Month => Self::Month,
            Interval::Year => Self::Year,
        }
    }
}

impl From<PlanInterval> for Interval {
    fn from(i: PlanInterval) -> Self {
        match i {
            PlanInterval::Month => Self::Month,
            PlanInterval::Year => Self::Year,
        }
    }
}

/// A feature: on/off, or an integer limit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(untagged)]
#[schema(as = Feature)]
pub(crate) enum FeatureBody {
    /// A switch.
    Flag(bool),
    /// A limit.
    Limit(i64),
}

impl From<FeatureValue> for FeatureBody {
    fn from(f: FeatureValue) -> Self {
        match f {
            FeatureValue::Flag(b) => Self::Flag(b),
            FeatureValue::Limit(n) => Self::Limit(n),
        }
    }
}

impl From<FeatureBody> for FeatureValue {
    fn from(f: FeatureBody) -> Self {
        match f {
            FeatureBody::Flag(b) => Self::Flag(b),
            FeatureBody::Limit(n) => Self::Limit(n),
        }
    }
}

/// A plan customers can subscribe to.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Plan, example = json!({
    "id": "0190f5c5-0000-7000-8000-000000000001",
    "code": "pro",
    "name": "Pro",
    "active": true,
    "price": { "amount": 1999, "currency": "USD" },
    "interval": "month",
    "trial_days": 14,
    "features": { "api_access": true, "storage_bytes": 10737418240_i64 }
}))]
pub(crate) struct PlanBody {
    /// UUIDv7.
    pub id: Uuid,
    /// Unique machine name.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Whether it is offered.
    pub active: bool,
    /// Price per interval.
    pub price: MoneyBody,
    /// `month` or `year`.
    pub interval: PlanInterval,
    /// Free trial length in days.
    pub trial_days: u32,
    /// Feature key → on/off or integer limit.
    pub features: BTreeMap<String, FeatureBody>,
}

impl From<Plan> for PlanBody {
    fn from(p: Plan) -> Self {
        Self {
            id: p.id.as_uuid(),
            code: p.code,
            name: p.name,
            active: p.active,
            price: p.price.into(),
            interval: p.interval.into(),
            trial_days: p.trial_days,
            features: p.features.into_iter().map(|(k, v)| (k, v.into())).collect(),
        }
    }
}

/// The public plan list.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = PlanList)]
pub(crate) struct PlanListBody {
    /// Active plans, cheapest first.
    pub items: Vec<PlanBody>,
}

/// `POST /admin/plans`: a plan without its id.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = NewPlan, example = json!({
    "code": "pro",
    "name": "Pro",
    "active": true,
    "price": { "amount": 1999, "currency": "USD" },
    "interval": "month",
    "trial_days": 14,
    "features": { "api_access": true, "storage_bytes": 10737418240_i64 }
}))]
pub(crate) struct NewPlanRequest {
    /// Unique code: 1–64 of `a-z 0-9 _ -`.
    #[validate(length(
        min = 1,
        max = 64,
        message = "code must be between 1 and 64 characters"
    ))]
    pub code: String,
    /// Display name, 1–100 characters.
    #[validate(length(
        min = 1,
        max = 100,
        message = "name must be between 1 and 100 characters"
    ))]
    pub name: String,
    /// Whether it is offered (default true).
    #[serde(default = "yes")]
    pub active: bool,
    /// Price per interval (amount ≥ 0).
    #[validate(nested)]
    pub price: MoneyBody,
    /// `month` or `year`.
    pub interval: PlanInterval,
    /// Free trial days, 0–365 (default 0).
    #[serde(default)]
    #[validate(range(max = 365, message = "trial_days must be between 0 and 365"))]
    pub trial_days: u32,
    /// Feature key → on/off or integer limit.
    #[serde(default)]
    pub features: BTreeMap<String, FeatureBody>,
}

const fn yes() -> bool {
    true
}

impl NewPlanRequest {
    /// The domain input; an unknown currency is a 422 on `price.currency`.
    pub(crate) fn try_into_domain(self) -> Result<NewPlan, ApiError> {
        let currency = Currency::parse(&self.price.currency).map_err(|e| {
            let mut errors = FieldErrors::new();
            errors.insert("price.currency".to_owned(), vec![e.to_string()]);
            ApiError::validation(errors)
        })?;
        Ok(NewPlan {
            code: self.code,
            name: self.name,
            active: self.active,
            price: Money::new(self.price.amount, currency),
            interval: self.interval.into(),
            trial_days: self.trial_days,
            features: self
                .features
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect(),
        })
    }
}
