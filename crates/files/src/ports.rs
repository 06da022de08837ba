//! Ports of the files domain.

use plinth_kernel::{Email, OrgId, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};

use crate::{
    BlobError, BlobKey, BlobListing, ByteRange, ByteStream, DeletedFile, FileId, FileObject,
    FileShare, FileTotals, FileVersion, OrgShare, Owner, UrlSignature, Viewer,
};

/// Storage of file metadata: the rows of files.
#[async_trait::async_trait]
pub trait FileRepository: Send + Sync {
    /// Inserts metadata for a new file.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn insert(&self, tx: &mut dyn Transaction, file: &FileObject) -> Result<(), RepoError>;

    /// Deletes a file's metadata, its version rows included.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such file.
    async fn delete(&self, tx: &mut dyn Transaction, id: FileId) -> Result<(), RepoError>;

    /// Deletes every file of `owner` in `tx` (a user's own files, not the organization files
    /// they uploaded; or every file of an organization), each with its versions and shares (an
    /// account or an organization being erased), and returns them oldest first with the
    /// storage keys of all their versions.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn delete_owned(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Vec<DeletedFile>, RepoError>;

    /// Makes `to` the uploader of every file of organization `org` that `from` uploaded (an
    /// account being erased leaves its organizations' files to them); returns how many.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn hand_over(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, RepoError>;

    /// Finds a file by id (whoever owns it; access checks are the service's job).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn by_id(&self, id: FileId) -> Result<Option<FileObject>, RepoError>;

    /// Files of `owner` (a user's own files, not the organization files they uploaded; or an
    /// organization's files), newest first (by id), paginated.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list_for_owner(
        &self,
        owner: Owner,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError>;

    /// Adds one to a file's `download_count`, atomically (`download_count + 1` in one
    /// statement, so concurrent downloads are all counted), outside any transaction.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such file.
    async fn record_download(&self, id: FileId) -> Result<(), RepoError>;

    /// Adds one to a file's `signed_url_generation` in one statement (no read-modify-write, so
    /// a concurrent new version or revocation is never undone), ending every signed URL made
    /// under the previous generation.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such file.
    async fn revoke_signed_urls(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
    ) -> Result<(), RepoError>;
}

/// Storage of the versions of files.
#[async_trait::async_trait]
pub trait FileVersionRepository: Send + Sync {
    /// Records a version of a file (the file's row must exist).
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] when the file already has that version number.
    async fn insert_version(
        &self,
        tx: &mut dyn Transaction,
        version: &FileVersion,
    ) -> Result<(), RepoError>;

    /// Every recorded version of a file, newest first (empty for an unknown file).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn versions(&self, id: FileId) -> Result<Vec<FileVersion>, RepoError>;

    /// One recorded version of a file.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn version(&self, id: FileId, version: i32) -> Result<Option<FileVersion>, RepoError>;

    /// Makes `file` (same id) the current state of its row: name, content type, size, SHA-256,
    /// version, storage key and `updated_at` are replaced (the uploader, the organization,
    /// `created_at`, `download_count` and `signed_url_generation` are kept, whatever `file`
    /// says), but only while the stored row is
    /// still at `previous_version` (an optimistic check against concurrent new versions).
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such file at `previous_version`.
    async fn update_current(
        &self,
        tx: &mut dyn Transaction,
        file: &FileObject,
        previous_version: i32,
    ) -> Result<(), RepoError>;
}

/// Storage of shares of files with addresses.
#[async_trait::async_trait]
pub trait FileShareRepository: Send + Sync {
    /// Shares a file with `share.grantee_email`, or, when it is already shared with that
    /// address, replaces the permission (keeping the first `created_at`). Deleting the file
    /// deletes its shares.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure (the file's row must exist).
    async fn upsert_share(
        &self,
        tx: &mut dyn Transaction,
        share: &FileShare,
    ) -> Result<(), RepoError>;

    /// Removes the share of file `id` with `grantee`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such share.
    async fn delete_share(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
        grantee: &Email,
    ) -> Result<(), RepoError>;

    /// Ends every share with `grantee` (an account being erased); returns how many.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn delete_shares_to(
        &self,
        tx: &mut dyn Transaction,
        grantee: &Email,
    ) -> Result<u64, RepoError>;

    /// The share of file `id` with `grantee`, if any.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn share_of(&self, id: FileId, grantee: &Email) -> Result<Option<FileShare>, RepoError>;

    /// Every share of file `id`, oldest first.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn shares(&self, id: FileId) -> Result<Vec<FileShare>, RepoError>;

    /// Shares a file with organization `share.org_id`, or, when it already is, replaces the
    /// permission (keeping the first `created_at`). Deleting the file deletes its shares.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure (the file's row must exist).
    async fn upsert_org_share(
        &self,
        tx: &mut dyn Transaction,
        share: &OrgShare,
    ) -> Result<(), RepoError>;

    /// Removes the share of file `id` with organization `org`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such share.
    async fn delete_org_share(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
        org: OrgId,
    ) -> Result<(), RepoError>;

    /// Ends every share with organization `org` (it is being deleted); returns how many.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn delete_org_shares_to(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
    ) -> Result<u64, RepoError>;

    /// The share of file `id` with organization `org`, if any.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn org_share_of(&self, id: FileId, org: OrgId) -> Result<Option<OrgShare>, RepoError>;

    /// Every share of file `id` with an organization, oldest first.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn org_shares(&self, id: FileId) -> Result<Vec<OrgShare>, RepoError>;

    /// Files owned by `viewer` (their own, not the organization files they uploaded), of the
    /// organization their token acts for when it lets them read its files
    /// ([`Viewer::readable_org`]), shared with that organization, or shared with them (with
    /// any permission, among the shares [`Viewer::honours`]), newest first (by id), paginated
    /// like
    /// [`FileRepository::list_for_owner`].
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list_visible(
        &self,
        viewer: &Viewer,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError>;
}

/// What is stored, summed: quotas, statistics and the reconciler's question "is this blob
/// anyone's?".
#[async_trait::async_trait]
pub trait FileUsageRepository: Send + Sync {
    /// Total size of the current versions of `owner`'s files (for stats).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn bytes_used(&self, owner: Owner) -> Result<u64, RepoError>;

    /// Bytes of every version of every file of `owner` (what the storage quota counts; a user's
    /// own files only, an organization's whoever uploaded them).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn stored_bytes(&self, owner: Owner) -> Result<u64, RepoError>;

    /// [`FileUsageRepository::stored_bytes`] inside `tx`, holding a per-owner lock (the user's
    /// or the organization's row) until `tx` ends, so that two uploads of one owner cannot both
    /// pass a quota check made with it.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when the owner's row is gone (an organization deleted meanwhile;
    /// an adapter that keeps no such rows cannot tell and answers the sum); [`RepoError`] on
    /// storage failure.
    async fn lock_stored_bytes(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<u64, RepoError>;

    /// How many files there are, of every owner, and the sum of their current sizes (older
    /// versions not counted).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn totals(&self) -> Result<FileTotals, RepoError>;

    /// Which of `keys` are the storage key of some file version (the others belong to no
    /// file: an upload whose row was never written, or a deleted file or account).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn known_storage_keys(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepoError>;
}

/// Every metadata port of the files domain, one per seam, as one object: what `FileService` is
/// built from. Implemented for any type that implements the four (the SQL and in-memory
/// adapters do).
pub trait FileStorage:
    FileRepository + FileVersionRepository + FileShareRepository + FileUsageRepository
{
}

impl<T> FileStorage for T where
    T: FileRepository + FileVersionRepository + FileShareRepository + FileUsageRepository
{
}

/// Which stored avatar images some account still shows. The users domain owns that link
/// (`users.avatar_key`); the composition root adapts it, so `files` does not depend on `users`.
#[async_trait::async_trait]
pub trait AvatarReferences: Send + Sync {
    /// Which of `keys` (blobs under `avatars/`) are some account's avatar.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn known_avatar_keys(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepoError>;
}

/// The accounts behind signed URLs: a link works only while the account that made it may
/// still download the file. The users domain owns accounts; the composition root adapts it, so
/// `files` does not depend on `users`.
#[async_trait::async_trait]
pub trait ViewerDirectory: Send + Sync {
    /// Account `id` as a [`Viewer`], when it exists and is active; `None` for a deleted or
    /// suspended account.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn active_viewer(&self, id: UserId) -> Result<Option<Viewer>, RepoError>;

    /// Account `id`'s standing in organization `org` now, as a token acting for it would carry
    /// it (for a signed link to one of its files: it works only while the account that made it
    /// may still read the organization's files); `None` when they are not a member or the
    /// organization is suspended or gone.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn acting_for(
        &self,
        id: UserId,
        org: OrgId,
    ) -> Result<Option<plinth_kernel::ActingFor>, RepoError>;
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

    /// Every complete blob whose key starts with `prefix` (a folder such as `files/`), in no
    /// particular order.
    fn list(&self, prefix: &str) -> BlobListing;

    /// Removes uploads that never completed and were last written before `before` (a local
    /// folder's staging files left by a crash; S3 keeps unfinished multipart uploads out of
    /// sight and bills them until a bucket lifecycle rule aborts them). Returns how many went.
    ///
    /// # Errors
    /// [`BlobError::Unavailable`], [`BlobError::Internal`].
    async fn sweep_partial_uploads(&self, before: Timestamp) -> Result<u64, BlobError>;

    /// A cheap round trip proving the store answers (for `/ready`).
    ///
    /// # Errors
    /// [`BlobError::Unavailable`] when it does not.
    async fn check(&self) -> Result<(), BlobError>;
}

/// Where a user's storage quota comes from (the billing `storage_bytes` entitlement, in
/// Plinth). Every version of every file the user owns counts against it.
#[async_trait::async_trait]
pub trait StorageQuota: Send + Sync {
    /// The most bytes `owner` (a user, or an organization) may store, or `None` for no limit.
    ///
    /// # Errors
    /// [`RepoError`] when the limit cannot be read (the upload is then refused).
    async fn storage_limit(&self, owner: Owner) -> Result<Option<u64>, RepoError>;
}

/// Signs and verifies the payload of signed URLs with a current key and, for rotation, any
/// number of previous keys (verification only).
pub trait UrlSigner: Send + Sync {
    /// Signs `payload` with the current key.
    fn sign(&self, payload: &[u8]) -> UrlSignature;

    /// Whether `signature` is a valid signature of `payload` under the key `kid` (current or
    /// previous); compared in constant time. An unknown `kid` or malformed hex is `false`.
    fn verify(&self, payload: &[u8], kid: &str, signature: &str) -> bool;
}
