//! [`AppError`]: why a use case of the application layer failed, as its domain said it.

use plinth_files::FileError;
use plinth_kernel::RepoError;
use plinth_sessions::{AdminError, AuthError};

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
    /// Files.
    #[error(transparent)]
    Files(#[from] FileError),
    /// Storage, outside any one domain (beginning or committing the transaction).
    #[error(transparent)]
    Repo(#[from] RepoError),
}
