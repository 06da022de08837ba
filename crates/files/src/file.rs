//! File metadata.

use plinth_kernel::{Timestamp, UserId};

use crate::BlobKey;

plinth_kernel::typed_id!(
    /// Identifies a file (all its versions share it).
    FileId
);

/// The metadata of the current version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileObject {
    /// Id.
    pub id: FileId,
    /// Owner.
    pub owner_id: UserId,
    /// Sanitised display name (no path separators or control characters).
    pub name: String,
    /// MIME type sniffed from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Version number, starting at 1.
    pub version: i32,
    /// Where the bytes are.
    pub storage_key: BlobKey,
    /// First upload.
    pub created_at: Timestamp,
    /// Last new version.
    pub updated_at: Timestamp,
}
