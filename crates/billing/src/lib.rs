//! The billing domain: plans with prices and features, and [`BillingService`].
//! Money is integer minor units ([`plinth_kernel::Money`]); no float anywhere.

mod error;
mod plan;
mod ports;
mod service;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::BillingError;
pub use plan::{FeatureValue, Interval, NewPlan, Plan, PlanId};
pub use ports::BillingRepository;
pub use service::BillingService;
