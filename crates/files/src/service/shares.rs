//! Viewer-aware use cases: the owner or a sharee, each limited by the share's permission, and
//! sharing itself (owner only).

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, OrgId, Page, PageRequest, RepoError, RequestMeta};

use super::{FileService, file_event};
use crate::{
    ByteRange, ByteStream, FileError, FileId, FileObject, FileShare, OrgShare, SharePermission,
    Viewer,
};

impl FileService {
    /// The metadata of a file `viewer` owns or that is shared with them (any permission).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when there is no such file or they cannot see it;
    /// [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn get_for(&self, viewer: &Viewer, id: FileId) -> Result<FileObject, FileError> {
        self.authorize(viewer, id, SharePermission::View).await
    }

    /// The files `viewer` owns and those shared with them, newest first.
    ///
    /// # Errors
    /// [`FileError::Repo`] on storage failure.
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn list_for(
        &self,
        viewer: &Viewer,
        page: PageRequest,
    ) -> Result<Page<FileObject>, FileError> {
        Ok(self.files.list_visible(viewer, page).await?)
    }

    /// Every version of a file `viewer` can see (any permission), newest first.
    ///
    /// # Errors
    /// As [`FileService::get_for`].
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn versions_for(
        &self,
        viewer: &Viewer,
        id: FileId,
    ) -> Result<Vec<FileObject>, FileError> {
        let file = self.authorize(viewer, id, SharePermission::View).await?;
        self.versions_of(file).await
    }

    /// The metadata of the file at `version` (the current one when `None`), when `viewer` may
    /// download it (owner, or a `download` or `edit` share); for the headers of a download
    /// before [`FileService::open_version_for`].
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see the file or there is no such version,
    /// [`FileError::Forbidden`] for a `view` share.
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn downloadable_for(
        &self,
        viewer: &Viewer,
        id: FileId,
        version: Option<i32>,
    ) -> Result<FileObject, FileError> {
        let file = self
            .authorize(viewer, id, SharePermission::Download)
            .await?;
        match version {
            None => Ok(file),
            Some(v) => Ok(self.at_version(file, v).await?.0),
        }
    }

    /// The metadata and content (or inclusive `range`) of the file at `version`, when `viewer`
    /// may download it; the current version counts as a download.
    ///
    /// # Errors
    /// As [`FileService::downloadable_for`]; [`FileError::Blob`] when the content cannot be
    /// read.
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn open_version_for(
        &self,
        viewer: &Viewer,
        id: FileId,
        version: i32,
        range: Option<ByteRange>,
    ) -> Result<(FileObject, ByteStream), FileError> {
        let file = self
            .authorize(viewer, id, SharePermission::Download)
            .await?;
        let (file, current) = self.at_version(file, version).await?;
        let opened = self.open_blob(file, range).await?;
        if current {
            self.count_download(id).await;
        }
        Ok(opened)
    }

    /// Deletes a file `viewer` owns: the row, its versions and shares and a `file.deleted` entry
    /// commit together, then the blob of every version is removed (the reconciler removes any
    /// left behind).
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see it, [`FileError::Forbidden`] for a sharee.
    #[tracing::instrument(skip(self, viewer, meta), fields(viewer = %viewer.id))]
    pub async fn delete_for(
        &self,
        viewer: &Viewer,
        id: FileId,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        let file = self.owned(viewer, id, "delete it").await?;
        self.delete(viewer.id, file, meta).await
    }

    /// Shares a file `viewer` owns with `grantee` (whether or not they have an account: the
    /// share works for the account whose address is `grantee` once that address is
    /// verified), or replaces the
    /// permission of an existing share. The share and a `file.shared` audit entry (details:
    /// `email`, `permission`) commit together.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see the file, [`FileError::Forbidden`] for a
    /// sharee, [`FileError::InvalidShare`] for the owner's own address.
    #[tracing::instrument(skip(self, viewer, grantee, meta), fields(viewer = %viewer.id))]
    pub async fn share(
        &self,
        viewer: &Viewer,
        id: FileId,
        grantee: Email,
        permission: SharePermission,
        meta: &RequestMeta,
    ) -> Result<FileShare, FileError> {
        self.owned(viewer, id, "share it").await?;
        if grantee == viewer.email {
            return Err(FileError::InvalidShare(
                "You own this file; share it with someone else.".to_owned(),
            ));
        }
        let now = self.clock.now();
        let created_at = self
            .files
            .share_of(id, &grantee)
            .await?
            .map_or(now, |s| s.created_at);
        let share = FileShare {
            file_id: id,
            grantee_email: grantee,
            permission,
            created_at,
        };
        let mut tx = self.uow.begin().await?;
        self.files.upsert_share(tx.as_mut(), &share).await?;
        let event = AuditEvent::new(AuditAction::FileShared, now, meta)
            .actor(viewer.id)
            .target("file", id)
            .details(serde_json::json!({
                "email": share.grantee_email.as_str(),
                "permission": permission.as_str(),
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(share)
    }

    /// Ends the share of a file `viewer` owns with `grantee`; recorded as `file.shared` with
    /// `permission: null`.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see the file, [`FileError::ShareNotFound`] when
    /// it is not shared with `grantee`, [`FileError::Forbidden`] for a sharee.
    #[tracing::instrument(skip(self, viewer, grantee, meta), fields(viewer = %viewer.id))]
    pub async fn unshare(
        &self,
        viewer: &Viewer,
        id: FileId,
        grantee: &Email,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        self.owned(viewer, id, "change its shares").await?;
        let mut tx = self.uow.begin().await?;
        self.files
            .delete_share(tx.as_mut(), id, grantee)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => FileError::ShareNotFound,
                other => FileError::Repo(other),
            })?;
        let event = AuditEvent::new(AuditAction::FileShared, self.clock.now(), meta)
            .actor(viewer.id)
            .target("file", id)
            .details(serde_json::json!({
                "email": grantee.as_str(),
                "permission": null,
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every share of a file `viewer` owns, oldest first.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see it, [`FileError::Forbidden`] for a sharee.
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn shares_for(
        &self,
        viewer: &Viewer,
        id: FileId,
    ) -> Result<Vec<FileShare>, FileError> {
        self.owned(viewer, id, "see its shares").await?;
        Ok(self.files.shares(id).await?)
    }

    /// Shares a file `viewer` owns with organization `org` (whether or not it exists: the
    /// answer never says), or replaces the permission of that share: its members reach the
    /// file while their token acts for it ([`Viewer::through_org_share`]). The share and a
    /// `file.shared` audit entry (details: `org_id`, `permission`) commit together.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see the file, [`FileError::Forbidden`] for a
    /// sharee, [`FileError::InvalidOrgShare`] for the organization that owns the file.
    #[tracing::instrument(skip(self, viewer, meta), fields(viewer = %viewer.id))]
    pub async fn share_with_org(
        &self,
        viewer: &Viewer,
        id: FileId,
        org: OrgId,
        permission: SharePermission,
        meta: &RequestMeta,
    ) -> Result<OrgShare, FileError> {
        let file = self.owned(viewer, id, "share it").await?;
        if file.org_id == Some(org) {
            return Err(FileError::InvalidOrgShare(
                "The file is that organization's own; share it with another one.".to_owned(),
            ));
        }
        let now = self.clock.now();
        let created_at = self
            .files
            .org_share_of(id, org)
            .await?
            .map_or(now, |s| s.created_at);
        let share = OrgShare {
            file_id: id,
            org_id: org,
            permission,
            created_at,
        };
        let mut tx = self.uow.begin().await?;
        self.files.upsert_org_share(tx.as_mut(), &share).await?;
        let event = file_event(AuditAction::FileShared, now, meta, viewer.id, &file)
            .details(serde_json::json!({ "org_id": org, "permission": permission.as_str() }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(share)
    }

    /// Ends the share of a file `viewer` owns with organization `org`; recorded as
    /// `file.shared` with `permission: null`.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see the file, [`FileError::OrgShareNotFound`]
    /// when it is not shared with `org`, [`FileError::Forbidden`] for a sharee.
    #[tracing::instrument(skip(self, viewer, meta), fields(viewer = %viewer.id))]
    pub async fn unshare_org(
        &self,
        viewer: &Viewer,
        id: FileId,
        org: OrgId,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        let file = self.owned(viewer, id, "change its shares").await?;
        let mut tx = self.uow.begin().await?;
        self.files
            .delete_org_share(tx.as_mut(), id, org)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => FileError::OrgShareNotFound,
                other => FileError::Repo(other),
            })?;
        let event = file_event(
            AuditAction::FileShared,
            self.clock.now(),
            meta,
            viewer.id,
            &file,
        )
        .details(serde_json::json!({ "org_id": org, "permission": null }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every share of a file `viewer` owns with an organization, oldest first.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see it, [`FileError::Forbidden`] for a sharee.
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn org_shares_for(
        &self,
        viewer: &Viewer,
        id: FileId,
    ) -> Result<Vec<OrgShare>, FileError> {
        self.owned(viewer, id, "see its shares").await?;
        Ok(self.files.org_shares(id).await?)
    }
}
