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
use plinth_kernel::{Caller, Clock, Page, PageRequest, RepoError, RequestMeta, UnitOfWork, UserId};

use crate::{
    AvatarReferences, BlobError, BlobKey, BlobStore, ByteRange, ByteStream, FileError, FileId,
    FileObject, FileStorage, FileVersion, ORG_FILES_WRITE, Owner, StorageQuota, UrlSigner,
    ViewerDirectory,
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

/// Every port [`FileService`] is built from; none is optional.
pub struct FilePorts {
    /// File rows, versions, shares and usage.
    pub files: Arc<dyn FileStorage>,
    /// File and avatar bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// The audit trail.
    pub audit: Arc<dyn AuditLog>,
    /// Transactions over the repositories above.
    pub uow: Arc<dyn UnitOfWork>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Each owner's storage limit (every upload and new version is held to it); a quota that
    /// answers `None` is unlimited.
    pub quota: Arc<dyn StorageQuota>,
    /// The accounts behind callers and signed links: who is asking, and whether the account
    /// that made a link may still use it.
    pub viewers: Arc<dyn ViewerDirectory>,
    /// Which avatar images accounts show (the reconciler removes the others).
    pub avatar_references: Arc<dyn AvatarReferences>,
    /// Signs and checks signed download links.
    pub url_signer: Arc<dyn UrlSigner>,
}

/// The settings [`FileService`] is built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePolicy {
    /// Upload limits.
    pub limits: FileLimits,
    /// The start of signed links: the `PUBLIC_URL` setting, e.g. `https://api.example.com`
    /// (a trailing `/` is ignored).
    pub public_url: String,
    /// The largest accepted avatar image in bytes (`MAX_AVATAR_BYTES`; the default is
    /// [`DEFAULT_MAX_AVATAR_BYTES`]).
    pub max_avatar_bytes: u64,
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
    /// The per-owner storage quota.
    pub(crate) quota: Arc<dyn StorageQuota>,
    /// The accounts behind callers and signed links.
    pub(crate) viewers: Arc<dyn ViewerDirectory>,
    /// Which avatar images accounts show.
    pub(crate) avatar_references: Arc<dyn AvatarReferences>,
    /// Signs and checks signed links.
    pub(crate) url_signer: Arc<dyn UrlSigner>,
    /// The start of signed links, without a trailing `/`.
    pub(crate) public_url: String,
    /// The largest accepted avatar image in bytes.
    pub(crate) max_avatar_bytes: u64,
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
    /// Wires the service to `ports`, with `policy`.
    #[must_use]
    pub fn new(ports: FilePorts, policy: FilePolicy) -> Self {
        let FilePorts {
            files,
            blobs,
            audit,
            uow,
            clock,
            quota,
            viewers,
            avatar_references,
            url_signer,
        } = ports;
        let FilePolicy {
            limits,
            public_url,
            max_avatar_bytes,
        } = policy;
        Self {
            files,
            blobs,
            audit,
            uow,
            clock,
            limits,
            locks: locks::FileLocks::default(),
            quota,
            viewers,
            avatar_references,
            url_signer,
            public_url: public_url.trim_end_matches('/').to_owned(),
            max_avatar_bytes,
        }
    }

    /// The configured limits.
    #[must_use]
    pub fn limits(&self) -> &FileLimits {
        &self.limits
    }

    /// Stores a new file: the caller's own, or, when their token acts for an organization, the
    /// organization's (which takes `org_files:write` there). The name is sanitised, the
    /// extension checked, the body streamed to the blob store while it is counted, hashed and
    /// sniffed and held to the owner's storage quota, then the row, its version-1 row and a
    /// `file.uploaded` audit entry are committed together.
    ///
    /// # Errors
    /// [`FileError::Forbidden`] for an organization member without `org_files:write`,
    /// [`FileError::InvalidUpload`] for a name that sanitises to nothing,
    /// [`FileError::TypeNotAllowed`] for an extension not in the limits,
    /// [`FileError::TooLarge`] as soon as the body passes `max_upload_bytes` and
    /// [`FileError::TypeMismatch`] as soon as the content disagrees with the extension (the
    /// rest of the body is not read and nothing is kept), [`FileError::QuotaExceeded`],
    /// [`FileError::Blob`] / [`FileError::Repo`] when storage fails (nothing is kept either).
    #[tracing::instrument(skip(self, caller, input, meta), fields(caller = %caller.user_id, file_name = %input.file_name))]
    pub async fn upload(
        &self,
        caller: &Caller,
        input: UploadInput,
        meta: &RequestMeta,
    ) -> Result<FileObject, FileError> {
        let org = match caller.org() {
            Some(acting) => {
                acting
                    .require(ORG_FILES_WRITE)
                    .map_err(|e| FileError::Forbidden(e.0))?;
                Some(acting.org_id)
            }
            None => None,
        };
        let uploader = caller.user_id;
        let owner = org.map_or(Owner::User(uploader), Owner::Org);
        self.confirm_org_write(uploader, org).await?;
        let id = FileId::new();
        let stored = self.store_content(uploader, owner, id, 1, input).await?;
        let quota = stored.quota;
        let now = self.clock.now();
        let file = FileObject {
            id,
            owner_id: uploader,
            org_id: org,
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

    /// Checks the name, then streams `input` to `files/<uploader>/<id>/v<version>`, refusing
    /// (and removing) it mid-stream when it is too large, passes `owner`'s quota or its
    /// content does not match.
    pub(crate) async fn store_content(
        &self,
        uploader: UserId,
        owner: Owner,
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
            "files/{uploader}/{id}/v{version}-{}",
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
        self.check_quota(tx.as_mut(), file.owner(), quota, file.size)
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

    /// The files `owner` owns (not those shared with them, nor the organization files they
    /// uploaded), newest first: an account's export.
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
        Ok(self.files.list_for_owner(Owner::User(owner), page).await?)
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

    /// Deletes `file` (its access already checked) for `actor`: the row, its version rows and a
    /// `file.deleted` audit entry commit together, then the blob of every version is removed (a
    /// failure there is logged; the reconciler removes orphans).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when the file went in the meantime; [`FileError::Repo`] on
    /// storage failure.
    #[tracing::instrument(skip(self, file, meta), fields(file_id = %file.id))]
    pub(crate) async fn delete(
        &self,
        actor: UserId,
        file: FileObject,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        let id = file.id;
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
        let event = file_event(
            AuditAction::FileDeleted,
            self.clock.now(),
            meta,
            actor,
            &file,
        )
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
    // `owner_id`: the account the file belongs to unless `org_id` names its organization (who
    // uploaded this version may be someone else, through an `edit` share): its event goes there.
    file_event(AuditAction::FileUploaded, at, meta, actor, file).details(serde_json::json!({
        "name": file.name,
        "size": file.size,
        "sha256": file.sha256,
        "version": file.version,
        "owner_id": file.owner_id,
    }))
}

/// An audit entry of `action` on `file` by `actor`, filed under the file's organization when
/// it has one (its administrators' audit view lists it).
pub(crate) fn file_event(
    action: AuditAction,
    at: plinth_kernel::Timestamp,
    meta: &RequestMeta,
    actor: UserId,
    file: &FileObject,
) -> AuditEvent {
    let event = AuditEvent::new(action, at, meta)
        .actor(actor)
        .target("file", file.id);
    match file.org_id {
        Some(org) => event.org(org.as_uuid()),
        None => event,
    }
}
