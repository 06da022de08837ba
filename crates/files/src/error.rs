//! Errors of the files domain.

use plinth_kernel::RepoError;

use crate::BlobError;

/// What [`crate::FileService`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// No such file, or one the caller may not know exists (never a 403).
    #[error("file not found")]
    NotFound,
    /// The upload passed `MAX_UPLOAD_BYTES`; nothing was kept.
    #[error("file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The extension is not in `ALLOWED_FILE_TYPES`.
    #[error("file type {0:?} is not allowed")]
    TypeNotAllowed(String),
    /// The upload had no usable file name or no content part.
    #[error("{0}")]
    InvalidUpload(String),
    /// Metadata storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Blob storage failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
}
