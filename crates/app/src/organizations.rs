//! Use cases on whole organizations that span domains: deleting one takes its files with it
//! and ends its subscription.

use std::sync::Arc;

use plinth_billing::SubscriptionService;
use plinth_files::FileService;
use plinth_kernel::{Caller, OrgId, RequestMeta, UnitOfWork};
use plinth_orgs::OrganizationService;

use crate::AppError;

/// Whole-organization use cases: [`Organizations::delete`] (`DELETE /orgs/{org_id}`).
#[derive(Clone)]
pub struct Organizations {
    orgs: OrganizationService,
    files: FileService,
    subscriptions: SubscriptionService,
    uow: Arc<dyn UnitOfWork>,
}

/// What deleting an organization removed besides the organization itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletedOrg {
    /// Files the organization owned (each with all its versions).
    pub files: u64,
    /// Whether it had a live subscription (ended at once).
    pub subscription_ended: bool,
}

impl Organizations {
    /// The use cases over `orgs`, `files` and `subscriptions`, in transactions from `uow`.
    #[must_use]
    pub fn new(
        orgs: OrganizationService,
        files: FileService,
        subscriptions: SubscriptionService,
        uow: Arc<dyn UnitOfWork>,
    ) -> Self {
        Self {
            orgs,
            files,
            subscriptions,
            uow,
        }
    }

    /// An owner deletes organization `id`: the organization with its memberships, roles and
    /// invitations (ending its members' tokens acting for it), every file it owns (each
    /// audited as `file.deleted`) and its live subscription (`canceled` at once, its pending
    /// charges invoiced, no refund; see `SubscriptionService::end_for_deleted_org`) go in one
    /// transaction, so a failure leaves the organization with all its files and its
    /// subscription. Its invoices stay: accounting records outlive the organization. The files' stored bytes are removed once that is committed, best
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
        // The subscription first, while the organization's billing contact is there to address
        // the final invoice to; a caller who may not delete it rolls all of it back below.
        let subscription_ended = self
            .subscriptions
            .end_for_deleted_org(tx.as_mut(), id, caller.user_id, meta)
            .await?;
        self.orgs.delete(tx.as_mut(), caller, id, meta).await?;
        let files = self
            .files
            .erase_org_files(tx.as_mut(), id, caller.user_id, meta)
            .await?;
        tx.commit().await?;
        self.files.remove_erased_blobs(&files.blobs).await;
        tracing::info!(org_id = %id, files = files.files, subscription_ended, "organization deleted");
        Ok(DeletedOrg {
            files: files.files,
            subscription_ended,
        })
    }
}
