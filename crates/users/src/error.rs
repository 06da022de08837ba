//! Errors of the users domain.

use plinth_kernel::{EmailError, Forbidden, RepoError};

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
    /// Bad locale: not a language tag [`crate::Locale::parse`] accepts (message for the user).
    #[error("{0}")]
    InvalidLocale(String),
    /// The app-data document is not JSON (message for the user).
    #[error("the document is not valid JSON: {0}")]
    InvalidDocument(String),
    /// The app-data document is larger than [`crate::MAX_APP_DATA_BYTES`].
    #[error("the document is larger than {limit} bytes")]
    DocumentTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// `If-Match` named a version that is not the stored one.
    #[error("the document changed since the version given in If-Match")]
    VersionMismatch,
    /// The caller lacks the permission this needs.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}
