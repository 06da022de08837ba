//! [`AppError`]: why a use case of the application layer failed, as its domain said it.

use std::collections::BTreeMap;

use plinth_billing::{BillingError, SubscriptionError};
use plinth_files::FileError;
use plinth_kernel::{Forbidden, RepoError};
use plinth_orgs::OrgError;
use plinth_sessions::{AdminError, AuthError};
use plinth_users::UserError;

/// The error of the domain step that failed; the use case changed nothing unless its
/// documentation says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Signing in, a password check, the caller's own account.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// An administrator's action on another account.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// Profiles and app data.
    #[error(transparent)]
    Users(#[from] UserError),
    /// Files.
    #[error(transparent)]
    Files(#[from] FileError),
    /// Organizations.
    #[error(transparent)]
    Orgs(#[from] OrgError),
    /// Plans, subscriptions, invoices and payments.
    #[error(transparent)]
    Billing(#[from] BillingError),
    /// A subscription step (ending or handing over an organization's).
    #[error(transparent)]
    Subscriptions(#[from] SubscriptionError),
    /// The caller lacks a permission the use case needs.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// Input the use case refused, by field name: every message for each bad field.
    #[error("invalid input: {0:?}")]
    Invalid(BTreeMap<String, Vec<String>>),
    /// Storage, outside any one domain (beginning or committing the transaction).
    #[error(transparent)]
    Repo(#[from] RepoError),
}
