//! FileService: streaming upload, listing, download and delete.
//!
//! Uploads go blob first, then the metadata row and its audit entry in one transaction; if the
//! transaction fails the blob is removed again, so a row never exists without its blob.

mod access;
mod avatar;
mod erase;
mod locks;
mod quota;
mod reconcile;
mod shares;
mod signed;
mod sniff;
mod stats;
#[cfg(test)]
mod tests;
mod upload;
mod versions;

pub use avatar::{AVATAR_PREFIX, DEFAULT_MAX_AVATAR_BYTES, StoredAvatar, avatar_content_type};
pub use erase::ErasedFiles;
pub use reconcile::ReconcileReport;

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError};

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{Clock, Page, PageRequest, RepoError, RequestMeta, UnitOfWork, UserId};

use crate::{
    AvatarReferences, BlobError, BlobKey, BlobStore, ByteRange, ByteStream, FileError, FileId,
    FileObject, FileStorage, FileVersion, StorageQuota,
};

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

impl std::fmt::Debug for UploadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadInput")
            .field("file_name", &self.file_name)
            .finish_non_exhaustive()
    }
}

/// File use cases.
#[derive(Clone)]
pub struct FileService {
    pub(crate) files: Arc<dyn FileStorage>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) audit: Arc<dyn AuditLog>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) limits: FileLimits,
    /// Serialises new versions of one file within this process.
    pub(crate) locks: locks::FileLocks,
    /// Signed URLs, once [`FileService::with_url_signer`] configured them.
    pub(crate) signing: Option<signed::Signing>,
    /// The per-owner storage quota, once [`FileService::with_quota`] set it.
    pub(crate) quota: Option<Arc<dyn StorageQuota>>,
    /// The largest accepted avatar image in bytes.
    pub(crate) max_avatar_bytes: u64,
    /// Which avatar images accounts show, once [`FileService::with_avatar_references`] set it;
    /// without it the reconciler leaves `avatars/` alone.
    pub(crate) avatar_references: Option<Arc<dyn AvatarReferences>>,
}

/// Content streamed to the blob store and checked on the way.
pub(crate) struct StoredContent {
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) key: BlobKey,
    /// The owner's quota when the upload started (`None`: unlimited).
    pub(crate) quota: Option<u64>,
}

impl FileService {
    /// Wires the service to its ports.
    #[must_use]
    pub fn new(
        files: Arc<dyn FileStorage>,
        blobs: Arc<dyn BlobStore>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        limits: FileLimits,
    ) -> Self {
        Self {
            files,
            blobs,
            audit,
            uow,
            clock,
            limits,
            locks: locks::FileLocks::default(),
            signing: None,
            quota: None,
            max_avatar_bytes: avatar::DEFAULT_MAX_AVATAR_BYTES,
            avatar_references: None,
        }
    }

    /// Lets the reconciler sweep `avatars/` too: images no account shows are removed.
    #[must_use]
    pub fn with_avatar_references(mut self, references: Arc<dyn AvatarReferences>) -> Self {
        self.avatar_references = Some(references);
        self
    }

    /// The configured limits.
    #[must_use]
    pub fn limits(&self) -> &FileLimits {
        &self.limits
    }

    /// Stores a new file owned by `owner`: the name is sanitised, the extension checked, the
    /// body streamed to the blob store while it is counted, hashed and sniffed, then the row,
    /// its version-1 row and a `file.uploaded` audit entry are committed together.
    ///
    /// # Errors
    /// [`FileError::InvalidUpload`] for a name that sanitises to nothing,
    /// [`FileError::TypeNotAllowed`] for an extension not in the limits,
    /// [`FileError::TooLarge`] as soon as the body passes `max_upload_bytes` and
    /// [`FileError::TypeMismatch`] as soon as the content disagrees with the extension (the
    /// rest of the body is not read and nothing is kept), [`FileError::Blob`] /
    /// [`FileError::Repo`] when storage fails (nothing is kept either).
    #[tracing::instrument(skip(self, input, meta), fields(file_name = %input.file_name))]
    pub async fn upload(
        &self,
        owner: UserId,
        input: UploadInput,
        meta: &RequestMeta,
    ) -> Result<FileObject, FileError> {
        let id = FileId::new();
        let stored = self.store_content(owner, id, 1, input).await?;
        let quota = stored.quota;
        let now = self.clock.now();
        let file = FileObject {
            id,
            owner_id: owner,
            name: stored.name,
            content_type: stored.content_type,
            size: stored.size,
            sha256: stored.sha256,
            version: 1,
            storage_key: stored.key,
            created_at: now,
            updated_at: now,
            download_count: 0,
            signed_url_generation: 0,
        };
        if let Err(e) = self.record_upload(&file, quota, meta).await {
            self.remove_blob(&file.storage_key).await;
            return Err(e);
        }
        Ok(file)
    }

    /// Checks the name, then streams `input` to `files/<owner>/<id>/v<version>`, refusing
    /// (and removing) it mid-stream when it is too large or its content does not match.
    pub(crate) async fn store_content(
        &self,
        owner: UserId,
        id: FileId,
        version: i32,
        input: UploadInput,
    ) -> Result<StoredContent, FileError> {
        let name = upload::sanitise_file_name(&input.file_name)?;
        let extension = upload::extension_of(&name);
        if !self.limits.allowed_extensions.contains(&extension) {
            return Err(FileError::TypeNotAllowed(extension));
        }
        // Unique per write, not just per version: two replicas writing version n of one file at
        // once each store their own blob, and the one whose row loses removes its own.
        let key = BlobKey(format!(
            "files/{owner}/{id}/v{version}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        let limit = self.limits.max_upload_bytes;
        let quota = self.quota_of(owner).await?;
        // Stop reading as soon as the quota is passed, not only at the end.
        let room = quota.map(|(limit, used)| limit.saturating_sub(used));
        let stream_limit = room.map_or(limit, |room| room.min(limit));
        let (body, meter) = upload::metered(input.body, stream_limit, &extension);
        let stored = self.blobs.put(&key, body).await;
        let (size, sha256, head, limit_hit, mismatch) = {
            let mut m = meter.lock().unwrap_or_else(PoisonError::into_inner);
            (
                m.bytes,
                m.sha256_hex(),
                std::mem::take(&mut m.head),
                m.limit_hit,
                m.mismatch.take(),
            )
        };
        if limit_hit {
            // The store must have abandoned the upload; make sure nothing is left anyway.
            self.remove_blob(&key).await;
            return Err(match quota {
                Some((quota, used)) if stream_limit < limit => FileError::QuotaExceeded {
                    limit: quota,
                    used,
                    size,
                },
                _ => FileError::TooLarge { limit },
            });
        }
        if let Some((extension, detected)) = mismatch {
            self.remove_blob(&key).await;
            return Err(FileError::TypeMismatch {
                extension,
                detected,
            });
        }
        stored?;
        Ok(StoredContent {
            content_type: sniff::content_type(&head, &extension),
            name,
            size,
            sha256,
            key,
            quota: quota.map(|(limit, _)| limit),
        })
    }

    async fn record_upload(
        &self,
        file: &FileObject,
        quota: Option<u64>,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        let mut tx = self.uow.begin().await?;
        self.check_quota(tx.as_mut(), file.owner_id, quota, file.size)
            .await?;
        self.files.insert(tx.as_mut(), file).await?;
        self.files
            .insert_version(tx.as_mut(), &FileVersion::of_current(file))
            .await?;
        self.audit
            .append(
                tx.as_mut(),
                &uploaded_event(file.owner_id, file, file.created_at, meta),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Best-effort blob removal; a failure is logged and left to the orphan reconciler.
    async fn remove_blob(&self, key: &BlobKey) {
        if let Err(e) = self.blobs.delete(key).await {
            tracing::warn!(key = key.as_str(), error = %e, "could not remove blob; the reconciler will");
        }
    }

    /// The metadata of a file `viewer` may see (their own).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when there is no such file or it is someone else's;
    /// [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn get(&self, viewer: UserId, id: FileId) -> Result<FileObject, FileError> {
        match self.files.by_id(id).await? {
            Some(file) if file.owner_id == viewer => Ok(file),
            _ => Err(FileError::NotFound),
        }
    }

    /// The files `owner` owns (not those shared with them), newest first: an account's export.
    /// Listing for a caller is [`FileService::list_for`].
    ///
    /// # Errors
    /// [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn list_owned(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<FileObject>, FileError> {
        Ok(self.files.list_for_owner(owner, page).await?)
    }

    /// Streams the content (or `range`) of `file` as it is (any version).
    pub(crate) async fn open_blob(
        &self,
        file: FileObject,
        range: Option<ByteRange>,
    ) -> Result<(FileObject, ByteStream), FileError> {
        let range = range.map(|r| ByteRange {
            start: r.start,
            end: r.end.min(file.size.saturating_sub(1)),
        });
        let stream = self.blobs.get(&file.storage_key, range).await.map_err(|e| {
            if matches!(e, BlobError::NotFound) {
                tracing::error!(file_id = %file.id, key = file.storage_key.as_str(), "file row without its blob");
            }
            FileError::Blob(e)
        })?;
        Ok((file, stream))
    }

    /// Deletes a file of `owner`: the row, its version rows and a `file.deleted` audit entry
    /// commit together, then the blob of every version is removed (a failure there is logged;
    /// the reconciler removes orphans).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when there is no such file or it is someone else's;
    /// [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self, meta))]
    pub(crate) async fn delete(
        &self,
        owner: UserId,
        id: FileId,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        let file = self.get(owner, id).await?;
        let mut keys: Vec<BlobKey> = self
            .files
            .versions(id)
            .await?
            .into_iter()
            .map(|v| v.storage_key)
            .collect();
        if !keys.contains(&file.storage_key) {
            keys.push(file.storage_key.clone());
        }
        let mut tx = self.uow.begin().await?;
        self.files
            .delete(tx.as_mut(), id)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => FileError::NotFound,
                other => FileError::Repo(other),
            })?;
        let event = AuditEvent::new(AuditAction::FileDeleted, self.clock.now(), meta)
            .actor(owner)
            .target("file", id)
            .details(
                serde_json::json!({ "name": file.name, "size": file.size, "sha256": file.sha256 }),
            );
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        for key in &keys {
            self.remove_blob(key).await;
        }
        Ok(())
    }

    /// Whether the blob store answers (for `/ready`).
    ///
    /// # Errors
    /// [`FileError::Blob`] (usually [`BlobError::Unavailable`]) when it does not.
    #[tracing::instrument(skip(self))]
    pub async fn check_storage(&self) -> Result<(), FileError> {
        Ok(self.blobs.check().await?)
    }
}

/// The `file.uploaded` entry of `file` (a new file or a new version of one).
fn uploaded_event(
    actor: UserId,
    file: &FileObject,
    at: plinth_kernel::Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    AuditEvent::new(AuditAction::FileUploaded, at, meta)
        .actor(actor)
        .target("file", file.id)
        .details(serde_json::json!({
            "name": file.name,
            "size": file.size,
            "sha256": file.sha256,
            "version": file.version,
        }))
}
