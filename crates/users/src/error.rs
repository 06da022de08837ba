//! Errors of the users domain.

use plinth_kernel::{EmailError, RepoError};

use crate::{HashError, PasswordError};

/// What [`crate::UserService`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// No such user (or one the caller may not see).
    #[error("user not found")]
    NotFound,
    /// The email belongs to another account.
    #[error("email is already registered")]
    EmailTaken,
    /// Bad email.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// Policy refused the password.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// Bad display name (message for the user).
    #[error("{0}")]
    InvalidName(String),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}
