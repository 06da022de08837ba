//! Use cases on whole organizations that span domains: deleting one takes its files with it.

use std::sync::Arc;

use plinth_files::FileService;
use plinth_kernel::{Caller, OrgId, RequestMeta, UnitOfWork};
use plinth_orgs::OrganizationService;

use crate::AppError;

/// Whole-organization use cases: [`Organizations::delete`] (`DELETE /orgs/{org_id}`).
#[derive(Clone)]
pub struct Organizations {
    orgs: OrganizationService,
    files: FileService,
    uow: Arc<dyn UnitOfWork>,
}

/// What deleting an organization removed besides the organization itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletedOrg {
    /// Files the organization owned (each with all its versions).
    pub files: u64,
}

impl Organizations {
    /// The use cases over `orgs` and `files`, in transactions from `uow`.
    #[must_use]
    pub fn new(orgs: OrganizationService, files: FileService, uow: Arc<dyn UnitOfWork>) -> Self {
        Self { orgs, files, uow }
    }

    /// An owner deletes organization `id`: the organization with its memberships, roles and
    /// invitations (ending its members' tokens acting for it) and every file it owns (each
    /// audited as `file.deleted`) go in one transaction, so a failure leaves the organization
    /// with all its files. The files' stored bytes are removed once that is committed, best
    /// effort (the storage reconciler removes any left behind).
    ///
    /// # Errors
    /// [`AppError::Orgs`]: not a member (404), not an owner (403), suspended; storage failure.
    /// Nothing is deleted then.
    #[tracing::instrument(skip_all, fields(actor = %caller.user_id, org_id = %id))]
    pub async fn delete(
        &self,
        caller: &Caller,
        id: OrgId,
        meta: &RequestMeta,
    ) -> Result<DeletedOrg, AppError> {
        let mut tx = self.uow.begin().await?;
        self.orgs.delete(tx.as_mut(), caller, id, meta).await?;
        let files = self
            .files
            .erase_org_files(tx.as_mut(), id, caller.user_id, meta)
            .await?;
        tx.commit().await?;
        self.files.remove_erased_blobs(&files.blobs).await;
        tracing::info!(org_id = %id, files = files.files, "organization deleted");
        Ok(DeletedOrg { files: files.files })
    }
}
