//! The error every repository and transaction port returns.

/// Boxed error used as a source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong talking to storage. Domain errors wrap it with `#[from]`.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness constraint was violated. `constraint` names what was duplicated
    /// (for example `"users.email"`), so services can map it to a domain error.
    #[error("duplicate value for {constraint}")]
    Duplicate {
        /// What was duplicated.
        constraint: String,
    },
    /// The row to update or delete does not exist.
    #[error("row not found")]
    NotFound,
    /// The database is unreachable or timed out; the caller may retry later (HTTP 503).
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or corrupt data (HTTP 500).
    #[error("storage failure")]
    Internal(#[source] BoxError),
}

impl RepoError {
    /// Wraps any error as [`RepoError::Internal`].
    pub fn internal(e: impl Into<BoxError>) -> Self {
        Self::Internal(e.into())
    }
}
