//! Errors of the billing domain.

use std::collections::BTreeMap;

use plinth_kernel::{MoneyError, RepoError};

/// What [`crate::BillingService`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// No such plan.
    #[error("plan not found")]
    NotFound,
    /// A plan with this code exists.
    #[error("a plan with this code already exists")]
    CodeTaken,
    /// Invalid fields: field name → messages.
    #[error("invalid plan")]
    Invalid(BTreeMap<String, Vec<String>>),
    /// Money rule broken.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}
