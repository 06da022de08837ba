//! Subscription and entitlement bodies.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use plinth_billing::{FeatureValue, Subscription, SubscriptionStatus};
use uuid::Uuid;

use crate::dto::billing::{FeatureBody, MoneyBody};

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SubscriptionStatusBody {
    /// In a free trial until `trial_end`.
    Trialing,
    /// Paid up.
    Active,
    /// An invoice is overdue.
    PastDue,
    /// Ended.
    Canceled,
    /// An invoice was written off.
    Unpaid,
}

impl From<SubscriptionStatus> for SubscriptionStatusBody {
    fn from(s: SubscriptionStatus) -> Self {
        match s {
            SubscriptionStatus::Trialing => Self::Trialing,
            SubscriptionStatus::Active => Self::Active,
            SubscriptionStatus::PastDue => Self::PastDue,
            SubscriptionStatus::Canceled => Self::Canceled,
            SubscriptionStatus::Unpaid => Self::Unpaid,
        }
    }
}

/// The caller's subscription: their own, or the organization's they act for.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Subscription, example = json!({
    "id": "0190f5c5-0000-7000-8000-0000000000a1",
    "plan_id": "0190f5c5-0000-7000-8000-000000000001",
    "org_id": null,
    "status": "trialing",
    "price": { "amount": 1999, "currency": "USD" },
    "seats": 1,
    "period_price": { "amount": 1999, "currency": "USD" },
    "current_period_start": "2026-04-01T09:30:00Z",
    "current_period_end": "2026-04-15T09:30:00Z",
    "trial_end": "2026-04-15T09:30:00Z",
    "cancel_at_period_end": false,
    "scheduled_plan_id": null,
    "created_at": "2026-04-01T09:30:00Z"
}))]
pub(crate) struct SubscriptionBody {
    /// UUIDv7.
    pub id: Uuid,
    /// The current plan.
    pub plan_id: Uuid,
    /// The organization whose subscription it is; `null` for the account's own (beyond the
    /// contract).
    pub org_id: Option<Uuid>,
    /// `trialing`, `active`, `past_due`, `canceled` or `unpaid`.
    pub status: SubscriptionStatusBody,
    /// What each period costs: the plan's price when it was chosen (a later price change of
    /// the plan does not apply to this subscription). Per seat.
    pub price: MoneyBody,
    /// Seats paid for: 1 for an account's own subscription, 1–10000 for an organization's
    /// (beyond the contract).
    #[schema(minimum = 1, maximum = 10000)]
    pub seats: u32,
    /// What each period costs: `price × seats` (beyond the contract).
    pub period_price: MoneyBody,
    /// Start of the current period (the trial, while trialing).
    pub current_period_start: DateTime<Utc>,
    /// End of the current period: when it renews, or ends if `cancel_at_period_end`.
    pub current_period_end: DateTime<Utc>,
    /// End of the free trial, if any.
    pub trial_end: Option<DateTime<Utc>>,
    /// Ends at `current_period_end` instead of renewing.
    pub cancel_at_period_end: bool,
    /// A plan taking over at `current_period_end` (a scheduled downgrade), if any.
    pub scheduled_plan_id: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<Subscription> for SubscriptionBody {
    fn from(s: Subscription) -> Self {
        // A stored subscription's period price fits: it was invoiced (or checked) at creation.
        let period_price = s.period_price().unwrap_or(s.price);
        Self {
            id: s.id.as_uuid(),
            plan_id: s.plan_id.as_uuid(),
            org_id: s.org_id.map(|o| o.as_uuid()),
            status: s.status.into(),
            price: s.price.into(),
            seats: s.quantity,
            period_price: period_price.into(),
            current_period_start: s.current_period_start,
            current_period_end: s.current_period_end,
            trial_end: s.trial_end,
            cancel_at_period_end: s.cancel_at_period_end,
            scheduled_plan_id: s.scheduled_plan_id.map(|p| p.as_uuid()),
            created_at: s.created_at,
        }
    }
}

/// `POST /billing/subscription`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SubscribeRequest, example = json!({ "plan_id": "0190f5c5-0000-7000-8000-000000000001" }))]
pub(crate) struct SubscribeRequest {
    /// The active plan to subscribe to or change to.
    pub plan_id: Uuid,
    /// Seats, for an organization's subscription only (acting for it): 1–10000; omitted,
    /// the current count (1 for a new subscription). An account's own subscription has 1
    /// (beyond the contract).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000)]
    pub seats: Option<u32>,
}

/// What the caller may use now.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Entitlements, example = json!({
    "features": { "api_access": true, "storage_bytes": 10737418240_i64 }
}))]
pub(crate) struct EntitlementsBody {
    /// Feature key → on/off or integer limit: the configured defaults overridden by the
    /// features of the caller's `trialing`, `active` or `past_due` plan (the organization's,
    /// acting for one, with its paid `seats`).
    pub features: BTreeMap<String, FeatureBody>,
}

impl From<BTreeMap<String, FeatureValue>> for EntitlementsBody {
    fn from(features: BTreeMap<String, FeatureValue>) -> Self {
        Self {
            features: features.into_iter().map(|(k, v)| (k, v.into())).collect(),
        }
    }
}
