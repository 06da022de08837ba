//! Who is asking, and who may do what to a file: its owner everything, a sharee what their
//! share allows, anyone else nothing (and they are told the file does not exist). An
//! organization's file has no owning account: a caller whose token acts for the organization
//! does what their organization permissions allow (`org_files:write` everything an owner does,
//! `org_files:read` see and download), whoever uploaded it.

use plinth_kernel::{Caller, OrgId, UserId};

use crate::{
    FileError, FileId, FileObject, ORG_FILES_WRITE, OrgFileAccess, SharePermission, Viewer,
};

use super::FileService;

/// How a viewer relates to a file they can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// They own it, or may do everything with their organization's file (`org_files:write`).
    Owner,
    /// It is shared with them: with their address, or with the organization their token acts
    /// for (then `via_org` names it, when that share is the one that counts).
    Shared(SharePermission, Option<OrgId>),
    /// Their organization's file, which they may see and download only (`org_files:read`).
    OrgReader,
}

impl FileService {
    /// The signed-in `caller` as the access checks need them: their id (ownership), their
    /// address with whether it is verified (shares), read through the
    /// [`crate::ViewerDirectory`] port, and the organization their token acts for.
    ///
    /// # Errors
    /// [`FileError::CallerGone`] when the account was deleted or suspended since its token was
    /// issued; [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn viewer(&self, caller: &Caller) -> Result<Viewer, FileError> {
        Ok(self
            .viewers
            .active_viewer(caller.user_id)
            .await?
            .ok_or(FileError::CallerGone)?
            .acting_for(caller.org().cloned()))
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
        match file.org_id {
            // Whoever uploaded it: an organization's file is reached through the organization.
            Some(org) => match viewer.org_access(org) {
                Some(OrgFileAccess::Write) => return Ok(Access::Owner),
                Some(OrgFileAccess::Read) => return Ok(Access::OrgReader),
                None => {}
            },
            None if file.owner_id == viewer.id => return Ok(Access::Owner),
            None => {}
        }
        // Through a share with the organization the token acts for, or with their address:
        // the stronger counts.
        let through_org = match viewer.readable_org() {
            Some(org) => self
                .files
                .org_share_of(file.id, org)
                .await?
                .and_then(|share| viewer.through_org_share(&share)),
            None => None,
        };
        let direct = self
            .files
            .share_of(file.id, &viewer.email)
            .await?
            .filter(|share| viewer.honours(share))
            .map(|share| share.permission);
        match (through_org, direct) {
            (Some(held), Some(direct)) if direct >= held => Ok(Access::Shared(direct, None)),
            (Some(held), _) => Ok(Access::Shared(held, viewer.readable_org())),
            (None, Some(direct)) => Ok(Access::Shared(direct, None)),
            (None, None) => Err(FileError::NotFound),
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
            (file, Access::Owner) if needed == SharePermission::Edit => {
                self.confirm_org_write(viewer.id, file.org_id).await?;
                Ok(file)
            }
            (file, Access::Owner) => Ok(file),
            (file, Access::Shared(held, via_org)) if held.allows(needed) => {
                // An edit through a share with their organization: their standing there is
                // read again, as for a change to the organization's own file.
                if needed == SharePermission::Edit {
                    self.confirm_org_write(viewer.id, via_org).await?;
                }
                Ok(file)
            }
            (_, Access::Shared(held, _)) => Err(FileError::Forbidden(format!(
                "This file is shared with you with the `{held}` permission; this needs `{needed}`."
            ))),
            (file, Access::OrgReader) if SharePermission::Download.allows(needed) => Ok(file),
            (_, Access::OrgReader) => Err(org_write_needed()),
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
            (file, Access::Owner) => {
                self.confirm_org_write(viewer.id, file.org_id).await?;
                Ok(file)
            }
            (_, Access::Shared(..)) => Err(FileError::Forbidden(format!(
                "Only the file's owner can {what}."
            ))),
            (_, Access::OrgReader) => Err(org_write_needed()),
        }
    }
}

impl FileService {
    /// A change to an organization's file is not left to the token alone: within the
    /// revocation bound it may still act for an organization the caller left, or one that was
    /// suspended or deleted, so the caller's standing there is read now (one query, only for
    /// changes to an organization's file, or through a share with an organization: `org` is
    /// that organization, `None` otherwise).
    ///
    /// # Errors
    /// [`FileError::OrgStandingGone`] when they may no longer write its files.
    pub(crate) async fn confirm_org_write(
        &self,
        user: UserId,
        org: Option<OrgId>,
    ) -> Result<(), FileError> {
        let Some(org) = org else {
            return Ok(());
        };
        let standing = self.viewers.acting_for(user, org).await?;
        if standing.is_some_and(|s| s.can(ORG_FILES_WRITE)) {
            Ok(())
        } else {
            Err(FileError::OrgStandingGone)
        }
    }
}

/// The refusal of an organization member who may only read its files.
fn org_write_needed() -> FileError {
    FileError::Forbidden(plinth_kernel::Forbidden::missing(ORG_FILES_WRITE).0)
}
