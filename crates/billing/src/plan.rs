//! Plans, and [`PlanService`], their use cases (creating, editing with price versions,
//! listing).

mod service;
mod validate;

use std::collections::BTreeMap;

use plinth_kernel::{Money, Timestamp};

pub use service::{PlanChanges, PlanService};

plinth_kernel::typed_id!(
    /// Identifies a plan.
    PlanId
);

/// Billing interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Monthly.
    Month,
    /// Yearly.
    Year,
}

impl Interval {
    /// Stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }
}

/// A feature of a plan: on/off, or an integer limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum FeatureValue {
    /// A switch.
    Flag(bool),
    /// A limit (for example `storage_bytes`).
    Limit(i64),
}

/// A plan customers can subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Id.
    pub id: PlanId,
    /// Unique machine name, e.g. `pro`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Whether it is offered.
    pub active: bool,
    /// Price per interval.
    pub price: Money,
    /// Billing interval.
    pub interval: Interval,
    /// Free trial length.
    pub trial_days: u32,
    /// Features and limits.
    pub features: BTreeMap<String, FeatureValue>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Input for a new plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Unique code: 1–64 of `a-z 0-9 _ -`.
    pub code: String,
    /// Display name, 1–100 characters.
    pub name: String,
    /// Whether it is offered.
    pub active: bool,
    /// Price (amount ≥ 0).
    pub price: Money,
    /// Interval.
    pub interval: Interval,
    /// Trial days (0–365).
    pub trial_days: u32,
    /// Features.
    pub features: BTreeMap<String, FeatureValue>,
}
