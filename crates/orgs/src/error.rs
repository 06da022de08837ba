//! [`OrgError`]: why an organization use case refused or failed.

use plinth_kernel::{Forbidden, RepoError};

use crate::{OrgNameError, OrgRuleError};

/// What went wrong in an organization use case. Someone outside an organization learns
/// nothing of it: every refusal to a non-member is [`OrgError::NotFound`].
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// No such organization (or member, or role) that the caller may see (HTTP 404).
    #[error("not found")]
    NotFound,
    /// Like [`OrgError::NotFound`], with what the user should know (HTTP 404).
    #[error("{0}")]
    NotFoundBecause(&'static str),
    /// A member lacks a permission or rank (HTTP 403; the message says what).
    #[error("{0}")]
    Forbidden(String),
    /// The change would leave the organization without an owner (HTTP 409).
    #[error("an organization keeps at least one owner; transfer ownership first")]
    LastOwner,
    /// The input is invalid (HTTP 422): which field, and why.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field at fault (`name`, `role`, `permissions`, `user_id`).
        field: &'static str,
        /// Why, for the user.
        message: String,
    },
    /// It exists already or is still in use (HTTP 409; the message says what).
    #[error("{0}")]
    Conflict(String),
    /// The organization sent as many invitations as it may this hour (HTTP 429).
    #[error("too many invitations; try again in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until another one may go.
        retry_after_secs: u64,
    },
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl From<Forbidden> for OrgError {
    fn from(f: Forbidden) -> Self {
        Self::Forbidden(f.0)
    }
}

impl From<OrgRuleError> for OrgError {
    fn from(e: OrgRuleError) -> Self {
        match e {
            OrgRuleError::Forbidden(message) => Self::Forbidden(message),
            OrgRuleError::LastOwner => Self::LastOwner,
        }
    }
}

impl From<OrgNameError> for OrgError {
    fn from(e: OrgNameError) -> Self {
        Self::invalid("name", e.0)
    }
}

impl OrgError {
    /// [`OrgError::Invalid`] for `field`.
    #[must_use]
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}
