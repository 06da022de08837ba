//! The files domain: file metadata, the blob-store port, and [`FileService`], which streams
//! uploads (hashing and size-limiting on the way) and downloads, and stores avatar images.

mod blob;
mod error;
mod file;
mod ports;
mod service;
mod share;
mod signing;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use blob::{BlobEntry, BlobError, BlobKey, BlobListing, ByteRange, ByteStream};
pub use error::FileError;
pub use file::{DeletedFile, FileId, FileObject, FileTotals, FileVersion, Owner};
pub use ports::{
    AvatarReferences, BlobStore, FileRepository, FileShareRepository, FileStorage,
    FileUsageRepository, FileVersionRepository, StorageQuota, UrlSigner, ViewerDirectory,
};
pub use service::{
    AVATAR_PREFIX, DEFAULT_MAX_AVATAR_BYTES, ErasedFiles, FileLimits, FilePolicy, FilePorts,
    FileService, ReconcileReport, StoredAvatar, UploadInput, avatar_content_type,
};
pub use share::{
    FileShare, ORG_FILES_READ, ORG_FILES_WRITE, OrgFileAccess, OrgShare, SharePermission, Viewer,
};
pub use signing::{MAX_SIGNED_URL_SECONDS, SignedParams, SignedUrl, UrlSignature, signed_payload};
