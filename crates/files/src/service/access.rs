//! Who is asking, and who may do what to a file: its owner everything, a sharee what their
//! share allows, anyone else nothing (and they are told the file does not exist).

use plinth_kernel::UserId;

use crate::{FileError, FileId, FileObject, SharePermission, Viewer};

use super::FileService;

/// How a viewer relates to a file they can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// They own it.
    Owner,
    /// It is shared with them.
    Shared(SharePermission),
}

impl FileService {
    /// The signed-in `caller` as the access checks need them: their id (ownership) and their
    /// address with whether it is verified (shares), read through the
    /// [`crate::ViewerDirectory`] port.
    ///
    /// # Errors
    /// [`FileError::CallerGone`] when the account was deleted or suspended since its token was
    /// issued; [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn viewer(&self, caller: UserId) -> Result<Viewer, FileError> {
        self.viewers
            .active_viewer(caller)
            .await?
            .ok_or(FileError::CallerGone)
    }

    /// The file and how `viewer` relates to it.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when there is no such file or it is neither theirs nor shared
    /// with them.
    pub(crate) async fn access(
        &self,
        viewer: &Viewer,
        id: FileId,
    ) -> Result<(FileObject, Access), FileError> {
        let file = self.files.by_id(id).await?.ok_or(FileError::NotFound)?;
        let access = self.relation(viewer, &file).await?;
        Ok((file, access))
    }

    /// How `viewer` relates to `file`.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when it is neither theirs nor shared with them (a share counts
    /// only as [`Viewer::honours`] says).
    pub(crate) async fn relation(
        &self,
        viewer: &Viewer,
        file: &FileObject,
    ) -> Result<Access, FileError> {
        if file.owner_id == viewer.id {
            return Ok(Access::Owner);
        }
        match self.files.share_of(file.id, &viewer.email).await? {
            Some(share) if viewer.honours(&share) => Ok(Access::Shared(share.permission)),
            _ => Err(FileError::NotFound),
        }
    }

    /// The file, when `viewer` owns it or holds a share allowing `needed`.
    ///
    /// # Errors
    /// [`FileError::NotFound`] as for [`FileService::access`], [`FileError::Forbidden`] when
    /// their share is weaker than `needed`.
    pub(crate) async fn authorize(
        &self,
        viewer: &Viewer,
        id: FileId,
        needed: SharePermission,
    ) -> Result<FileObject, FileError> {
        match self.access(viewer, id).await? {
            (file, Access::Owner) => Ok(file),
            (file, Access::Shared(held)) if held.allows(needed) => Ok(file),
            (_, Access::Shared(held)) => Err(FileError::Forbidden(format!(
                "This file is shared with you with the `{held}` permission; this needs `{needed}`."
            ))),
        }
    }

    /// The file, when `viewer` owns it: the check every owner-only action makes first, for a
    /// use case that must make it before anything else (sharing reads its body only after it).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when there is no such file or it is neither theirs nor shared
    /// with them; [`FileError::Forbidden`] for a sharee, saying "Only the file's owner can
    /// {what}." (`what` names the action, e.g. `share it`); [`FileError::Repo`] on storage
    /// failure.
    pub async fn owned(
        &self,
        viewer: &Viewer,
        id: FileId,
        what: &str,
    ) -> Result<FileObject, FileError> {
        match self.access(viewer, id).await? {
            (file, Access::Owner) => Ok(file),
            (_, Access::Shared(_)) => Err(FileError::Forbidden(format!(
                "Only the file's owner can {what}."
            ))),
        }
    }
}
