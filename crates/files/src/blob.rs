//! Blob-store vocabulary.

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

/// A stream of bytes: upload bodies and download contents are never held whole in memory.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A server-chosen storage key such as `files/<owner>/<file>/<version>`; never a client's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(pub String);

impl BlobKey {
    /// The key text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored blob, as [`crate::BlobStore::list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    /// Its key.
    pub key: BlobKey,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub last_modified: plinth_kernel::Timestamp,
}

/// The blobs under a prefix, streamed (a store may hold millions).
pub type BlobListing = Pin<Box<dyn Stream<Item = Result<BlobEntry, BlobError>> + Send>>;

/// An inclusive byte range `start..=end` (HTTP `Range` semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

/// Blob-store failures.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No blob under the key.
    #[error("blob not found")]
    NotFound,
    /// The upload stream itself failed (client went away, limit hit); nothing was kept.
    #[error("upload stream aborted")]
    Aborted(#[source] std::io::Error),
    /// The store is unreachable (HTTP 503).
    #[error("blob store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else.
    #[error("blob store failure")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}
