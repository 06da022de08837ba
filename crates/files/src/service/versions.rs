//! New versions of a file, the list of versions, and reading an old one.

use plinth_kernel::{RepoError, RequestMeta, UserId};

use super::{FileService, uploaded_event};
use crate::{
    ByteRange, ByteStream, FileError, FileId, FileObject, FileVersion, SharePermission,
    UploadInput, Viewer,
};

impl FileService {
    /// Stores new content for file `id` as its next version (owner only for now): checked and
    /// streamed like [`FileService::upload`] to `files/<owner>/<id>/v<n+1>`, then the version
    /// row, the file's new current state (name, type, size, SHA-256, version, `updated_at`)
    /// and a `file.uploaded` audit entry (details carry the `version`) commit together. The
    /// earlier versions stay readable.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when there is no such file or it is someone else's (also when it
    /// was deleted during the upload); the upload errors of [`FileService::upload`].
    #[tracing::instrument(skip(self, input, meta), fields(file_name = %input.file_name))]
    pub async fn upload_version(
        &self,
        actor: UserId,
        id: FileId,
        input: UploadInput,
        meta: &RequestMeta,
    ) -> Result<FileObject, FileError> {
        self.new_version(actor, None, id, input, meta).await
    }

    /// [`FileService::upload_version`] for the owner or a sharee whose share allows `edit`
    /// (the new version's blob still lives under the owner; the audit actor is `viewer`).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when `viewer` cannot see the file, [`FileError::Forbidden`] when
    /// their share does not allow `edit`; the upload errors of [`FileService::upload`].
    #[tracing::instrument(skip(self, viewer, input, meta), fields(viewer = %viewer.id, file_name = %input.file_name))]
    pub async fn upload_version_for(
        &self,
        viewer: &Viewer,
        id: FileId,
        input: UploadInput,
        meta: &RequestMeta,
    ) -> Result<FileObject, FileError> {
        self.new_version(viewer.id, Some(viewer), id, input, meta)
            .await
    }

    /// The file, when `actor` (or `viewer`, with an `edit` share) may add versions to it.
    async fn editable(
        &self,
        actor: UserId,
        viewer: Option<&Viewer>,
        id: FileId,
    ) -> Result<FileObject, FileError> {
        match viewer {
            Some(viewer) => self.authorize(viewer, id, SharePermission::Edit).await,
            None => self.get(actor, id).await,
        }
    }

    async fn new_version(
        &self,
        actor: UserId,
        viewer: Option<&Viewer>,
        id: FileId,
        input: UploadInput,
        meta: &RequestMeta,
    ) -> Result<FileObject, FileError> {
        self.editable(actor, viewer, id).await?;
        let _lock = self.locks.lock(id).await;
        let current = self.editable(actor, viewer, id).await?;
        let next = current
            .version
            .checked_add(1)
            .ok_or_else(|| FileError::InvalidUpload("the file has too many versions".into()))?;
        let stored = self
            .store_content(current.owner_id, id, next, input)
            .await?;
        let quota = stored.quota;
        let file = FileObject {
            name: stored.name,
            content_type: stored.content_type,
            size: stored.size,
            sha256: stored.sha256,
            version: next,
            storage_key: stored.key,
            updated_at: self.clock.now(),
            ..current.clone()
        };
        match self
            .record_version(actor, &file, current.version, quota, meta)
            .await
        {
            Ok(()) => Ok(file),
            // Another process made this version meanwhile; its row points at its own key, so
            // this blob is ours alone and goes like any other failed write.
            Err(e) => {
                if matches!(e, FileError::Repo(RepoError::Duplicate { .. })) {
                    tracing::warn!(file_id = %id, version = next, "concurrent new versions of one file");
                }
                self.remove_blob(&file.storage_key).await;
                Err(e)
            }
        }
    }

    async fn record_version(
        &self,
        actor: UserId,
        file: &FileObject,
        previous: i32,
        quota: Option<u64>,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        let mut tx = self.uow.begin().await?;
        self.check_quota(tx.as_mut(), file.owner_id, quota, file.size)
            .await?;
        self.files
            .insert_version(tx.as_mut(), &FileVersion::of_current(file))
            .await?;
        self.files
            .update_current(tx.as_mut(), file, previous)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => FileError::NotFound,
                other => FileError::Repo(other),
            })?;
        self.audit
            .append(
                tx.as_mut(),
                &uploaded_event(actor, file, file.updated_at, meta),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every version of a file `viewer` may see, newest first; each as the file was at that
    /// version (`updated_at` is when that version was uploaded).
    ///
    /// # Errors
    /// [`FileError::NotFound`] as for [`FileService::get`]; [`FileError::Repo`] on storage
    /// failure.
    #[tracing::instrument(skip(self))]
    pub async fn versions(&self, viewer: UserId, id: FileId) -> Result<Vec<FileObject>, FileError> {
        let file = self.get(viewer, id).await?;
        self.versions_of(file).await
    }

    /// Every version of `file`, newest first.
    pub(crate) async fn versions_of(&self, file: FileObject) -> Result<Vec<FileObject>, FileError> {
        let id = file.id;
        let mut rows = self.files.versions(id).await?;
        if !rows.iter().any(|v| v.version == file.version) {
            rows.push(FileVersion::of_current(&file));
        }
        rows.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(rows.iter().map(|v| v.as_file(&file)).collect())
    }

    /// A file `viewer` may see as it was at `version` (the current metadata for the current
    /// version).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when the file is not visible or has no such version;
    /// [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn get_version(
        &self,
        viewer: UserId,
        id: FileId,
        version: i32,
    ) -> Result<FileObject, FileError> {
        Ok(self.resolve_version(viewer, id, version).await?.0)
    }

    /// The file at `version`, and whether that is its current version.
    async fn resolve_version(
        &self,
        viewer: UserId,
        id: FileId,
        version: i32,
    ) -> Result<(FileObject, bool), FileError> {
        let file = self.get(viewer, id).await?;
        self.at_version(file, version).await
    }

    /// `file` at `version`, and whether that is its current version.
    pub(crate) async fn at_version(
        &self,
        file: FileObject,
        version: i32,
    ) -> Result<(FileObject, bool), FileError> {
        let id = file.id;
        if version == file.version {
            return Ok((file, true));
        }
        match self.files.version(id, version).await? {
            Some(v) => Ok((v.as_file(&file), false)),
            None => Err(FileError::NotFound),
        }
    }

    /// The metadata and content (or inclusive `range`) of one version of a file, as
    /// [`FileService::open`] does for the current one (which is counted as a download; old
    /// versions are not).
    ///
    /// # Errors
    /// As [`FileService::get_version`]; [`FileError::Blob`] when the content cannot be read.
    #[tracing::instrument(skip(self))]
    pub async fn open_version(
        &self,
        viewer: UserId,
        id: FileId,
        version: i32,
        range: Option<ByteRange>,
    ) -> Result<(FileObject, ByteStream), FileError> {
        let (file, current) = self.resolve_version(viewer, id, version).await?;
        let opened = self.open_blob(file, range).await?;
        if current {
            self.count_download(id).await;
        }
        Ok(opened)
    }

    /// Counts one download of file `id` (best effort: a failure is logged, the download goes
    /// on).
    pub(crate) async fn count_download(&self, id: FileId) {
        if let Err(e) = self.files.record_download(id).await {
            tracing::warn!(file_id = %id, error = %e, "could not count a download");
        }
    }
}
