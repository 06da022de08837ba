//! New versions of a file, and the versions of a file as they were.

use plinth_kernel::{RepoError, RequestMeta, UserId};

use super::{FileService, uploaded_event};
use crate::{FileError, FileId, FileObject, FileVersion, SharePermission, UploadInput, Viewer};

impl FileService {
    /// Stores new content for file `id` as its next version, when `viewer` owns it or holds
    /// an `edit` share: checked and streamed like [`FileService::upload`] to
    /// `files/<owner>/<id>/v<n+1>` (the blob lives under the owner whoever uploads it), then
    /// the version row, the file's new current state (name, type, size, SHA-256, version,
    /// `updated_at`) and a `file.uploaded` audit entry (actor: `viewer`; details carry the
    /// `version`) commit together. The earlier versions stay readable.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when `viewer` cannot see the file (also when it was deleted
    /// during the upload), [`FileError::Forbidden`] when their share does not allow `edit`; the
    /// upload errors of [`FileService::upload`].
    #[tracing::instrument(skip(self, viewer, input, meta), fields(viewer = %viewer.id, file_name = %input.file_name))]
    pub async fn upload_version_for(
        &self,
        viewer: &Viewer,
        id: FileId,
        input: UploadInput,
        meta: &RequestMeta,
    ) -> Result<FileObject, FileError> {
        self.authorize(viewer, id, SharePermission::Edit).await?;
        let _lock = self.locks.lock(id).await;
        let current = self.authorize(viewer, id, SharePermission::Edit).await?;
        let actor = viewer.id;
        let next = current
            .version
            .checked_add(1)
            .ok_or_else(|| FileError::InvalidUpload("the file has too many versions".into()))?;
        let stored = self
            .store_content(current.owner_id, current.owner(), id, next, input)
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
        self.check_quota(tx.as_mut(), file.owner(), quota, file.size)
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

    /// Counts one download of file `id` (best effort: a failure is logged, the download goes
    /// on).
    pub(crate) async fn count_download(&self, id: FileId) {
        if let Err(e) = self.files.record_download(id).await {
            tracing::warn!(file_id = %id, error = %e, "could not count a download");
        }
    }
}
