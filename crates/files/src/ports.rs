//! Ports of the files domain.

use plinth_kernel::{Page, PageRequest, RepoError, Transaction, UserId};

use crate::{BlobError, BlobKey, ByteRange, ByteStream, FileId, FileObject};

/// Storage of file metadata.
#[async_trait::async_trait]
pub trait FileRepository: Send + Sync {
    /// Inserts metadata for a new file.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn insert(&self, tx: &mut dyn Transaction, file: &FileObject) -> Result<(), RepoError>;

    /// Deletes a file's metadata.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such file.
    async fn delete(&self, tx: &mut dyn Transaction, id: FileId) -> Result<(), RepoError>;

    /// Finds a file by id (whoever owns it; access checks are the service's job).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn by_id(&self, id: FileId) -> Result<Option<FileObject>, RepoError>;

    /// Files owned by `owner`, newest first (by id), paginated.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list_for_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError>;

    /// Total bytes stored by `owner` (for quotas and stats).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn bytes_used(&self, owner: UserId) -> Result<u64, RepoError>;
}

/// Where file contents live (local folder, memory, S3).
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// Streams `body` to `key` and returns the number of bytes written. The blob becomes
    /// visible only when the whole stream was stored; if `body` yields an error the upload is
    /// abandoned, nothing stays under `key`, and [`BlobError::Aborted`] carries the error.
    ///
    /// # Errors
    /// [`BlobError::Aborted`], [`BlobError::Unavailable`], [`BlobError::Internal`].
    async fn put(&self, key: &BlobKey, body: ByteStream) -> Result<u64, BlobError>;

    /// Streams the blob, or the inclusive `range` of it.
    ///
    /// # Errors
    /// MUST return [`BlobError::NotFound`] when no blob is under `key`.
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError>;

    /// Deletes the blob; deleting a missing blob succeeds.
    ///
    /// # Errors
    /// [`BlobError::Unavailable`], [`BlobError::Internal`].
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Whether a blob exists under `key`.
    ///
    /// # Errors
    /// [`BlobError::Unavailable`], [`BlobError::Internal`].
    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError>;

    /// A cheap round trip proving the store answers (for `/ready`).
    ///
    /// # Errors
    /// [`BlobError::Unavailable`] when it does not.
    async fn check(&self) -> Result<(), BlobError>;
}
