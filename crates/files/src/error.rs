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
    /// The content disagrees with the extension: `infer` recognised it as a type whose usual
    /// extensions do not include `extension` (a PNG named `x.pdf`), a signed type's content was
    /// not recognised, or a text type is not UTF-8 without NUL bytes. Nothing was kept.
    #[error("file content ({detected}) does not match its extension {extension:?}")]
    TypeMismatch {
        /// The declared (lower-case) extension.
        extension: String,
        /// The MIME type the content was detected as.
        detected: String,
    },
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
