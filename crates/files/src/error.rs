//! Errors of the files domain.

use plinth_kernel::RepoError;

use crate::BlobError;

/// What [`crate::FileService`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// No such file, or one the caller may not know exists (never a 403).
    #[error("file not found")]
    NotFound,
    /// The caller's account was deleted or suspended since their token was issued.
    #[error("the account this token was issued to no longer exists or is suspended")]
    CallerGone,
    /// The token acts for an organization the caller no longer stands in with what the
    /// request needs (removed, role lowered, organization suspended or deleted) and the
    /// revocation has not reached this replica yet.
    #[error("the organization this token acts for no longer lets its holder do this")]
    OrgStandingGone,
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
    /// An avatar whose content is not a PNG, JPEG, GIF or WebP image (by its bytes, whatever
    /// its name or declared type); nothing was kept.
    #[error("an avatar must be a PNG, JPEG, GIF or WebP image; the content is {detected}")]
    NotAnImage {
        /// What the content was detected as: a MIME type, `empty`, or an image type whose
        /// signature is incomplete.
        detected: String,
    },
    /// Storing the upload would take the owner past their storage quota; nothing was kept.
    #[error(
        "storing {size} more bytes would exceed the storage quota of {limit} bytes ({used} used)"
    )]
    QuotaExceeded {
        /// The owner's quota.
        limit: u64,
        /// Bytes the owner already stores (every version of every file).
        used: u64,
        /// The size of the refused upload (as far as it was read).
        size: u64,
    },
    /// The upload had no usable file name or no content part.
    #[error("{0}")]
    InvalidUpload(String),
    /// The caller can see the file but may not do this to it (a share that does not allow
    /// it, or an owner-only action such as deleting or sharing); the text says what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// The file is not shared with that person.
    #[error("share not found")]
    ShareNotFound,
    /// A share that cannot be made (for example to the owner's own address).
    #[error("{0}")]
    InvalidShare(String),
    /// A share with an organization that cannot be made (the file is already that
    /// organization's).
    #[error("{0}")]
    InvalidOrgShare(String),
    /// The file is not shared with that organization.
    #[error("the file is not shared with that organization")]
    OrgShareNotFound,
    /// A signed-URL lifetime outside `1..=max` seconds.
    #[error("expires_in must be between 1 and {max} seconds")]
    InvalidExpiry {
        /// The longest lifetime allowed.
        max: u64,
    },
    /// A signed URL whose signature does not match (tampered, or signed by an unknown key),
    /// that has expired, or that was revoked (the file's signed URLs revoked, or the account
    /// that made it no longer allowed to download the file).
    #[error("the signed URL is invalid, has expired or was revoked")]
    BadSignature,
    /// Metadata storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Blob storage failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
}
