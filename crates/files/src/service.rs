//! FileService: streaming upload, listing, download and delete.

use std::collections::BTreeSet;
use std::sync::Arc;

use plinth_audit::AuditLog;
use plinth_kernel::{Clock, UnitOfWork};

use crate::{BlobStore, ByteStream, FileRepository};

/// Upload limits (from `MAX_UPLOAD_BYTES`, `ALLOWED_FILE_TYPES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLimits {
    /// Largest accepted file in bytes.
    pub max_upload_bytes: u64,
    /// Allowed lower-case extensions without the dot.
    pub allowed_extensions: BTreeSet<String>,
}

/// An upload as received from the edge.
pub struct UploadInput {
    /// The client's file name (sanitised by the service).
    pub file_name: String,
    /// The content, streamed.
    pub body: ByteStream,
}

/// File use cases.
#[derive(Clone)]
pub struct FileService {
    pub(crate) files: Arc<dyn FileRepository>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) audit: Arc<dyn AuditLog>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) limits: FileLimits,
}

impl FileService {
    /// Wires the service to its ports.
    #[must_use]
    pub fn new(
        files: Arc<dyn FileRepository>,
        blobs: Arc<dyn BlobStore>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        limits: FileLimits,
    ) -> Self {
        Self { files, blobs, audit, uow, clock, limits }
    }

    /// The configured limits.
    #[must_use]
    pub fn limits(&self) -> &FileLimits {
        &self.limits
    }
}
