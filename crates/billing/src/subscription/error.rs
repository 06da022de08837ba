//! Errors of the subscription use cases.

use plinth_kernel::{MoneyError, RepoError};

/// What subscribing, changing plan, cancelling, renewing or reading entitlements can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// The user has no live subscription.
    #[error("no subscription")]
    NotFound,
    /// No plan with this id is on offer (unknown or inactive).
    #[error("plan {0} is not available")]
    PlanUnavailable(String),
    /// The new plan is priced in another currency than the subscription.
    #[error("the plan is priced in {plan}, the subscription in {subscription}")]
    CurrencyMismatch {
        /// The plan's currency.
        plan: String,
        /// The subscription's currency.
        subscription: String,
    },
    /// The subscription changed concurrently; retrying may succeed.
    #[error("the subscription changed concurrently")]
    Conflict,
    /// A period could not be computed (past the calendar's end).
    #[error("the billing period is out of range")]
    PeriodOutOfRange,
    /// The caller acts for an organization without the billing permission this needs.
    #[error(transparent)]
    Forbidden(#[from] plinth_kernel::Forbidden),
    /// The caller's token acts for an organization whose billing they may no longer change
    /// (removed, their role changed, the organization suspended or deleted since it was
    /// minted).
    #[error("you may no longer change this organization's billing")]
    OrgStandingGone,
    /// A seat count that cannot be: not 1 for an account's own subscription, or outside
    /// 1..=[`crate::MAX_SEATS`] for an organization's.
    #[error("{0}")]
    InvalidSeats(String),
    /// Money rule broken (overflow).
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}
