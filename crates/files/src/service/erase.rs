//! The files' steps of erasing an account or deleting an organization: their rows inside the
//! erasure's transaction, their bytes once it is committed.

use plinth_audit::AuditAction;
use plinth_kernel::{Email, OrgId, RequestMeta, Transaction, UserId};

use super::{FileService, file_event};
use crate::{BlobKey, FileError, Owner};

/// What erasing an account's files removed from the database, and the blobs to remove once
/// that is committed ([`FileService::remove_erased_blobs`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasedFiles {
    /// Files (with all their versions) deleted.
    pub files: u64,
    /// Shares with the account's address (or with the organization) ended.
    pub shares: u64,
    /// The stored bytes of every version of those files.
    pub blobs: Vec<BlobKey>,
}

impl FileService {
    /// Deletes, in `tx`, every file `owner` owns with its versions and shares (each audited
    /// as `file.deleted` by `actor`, like a single delete) and, given `email`, every share with
    /// that address, so a future account at it inherits nothing. The blobs stay until the caller has committed
    /// `tx` and calls [`FileService::remove_erased_blobs`]: a rollback loses no file's bytes.
    ///
    /// # Errors
    /// [`FileError::Repo`] when storage fails (roll `tx` back).
    #[tracing::instrument(skip(self, tx, email, meta))]
    pub async fn erase_account_files(
        &self,
        tx: &mut dyn Transaction,
        owner: UserId,
        actor: UserId,
        email: Option<&Email>,
        meta: &RequestMeta,
    ) -> Result<ErasedFiles, FileError> {
        let mut erased = self
            .erase_files_of(tx, Owner::User(owner), actor, meta)
            .await?;
        if let Some(email) = email {
            erased.shares = self.files.delete_shares_to(tx, email).await?;
        }
        Ok(erased)
    }

    /// Deletes, in `tx`, every file of organization `org` with its versions and shares (each
    /// audited as `file.deleted` by `actor`), and ends every share of other files with it: the
    /// organization is being deleted. The blobs stay
    /// until `tx` is committed and [`FileService::remove_erased_blobs`] is called.
    ///
    /// # Errors
    /// [`FileError::Repo`] when storage fails (roll `tx` back).
    #[tracing::instrument(skip(self, tx, meta))]
    pub async fn erase_org_files(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        actor: UserId,
        meta: &RequestMeta,
    ) -> Result<ErasedFiles, FileError> {
        let mut erased = self
            .erase_files_of(tx, Owner::Org(org), actor, meta)
            .await?;
        erased.shares = self.files.delete_org_shares_to(tx, org).await?;
        Ok(erased)
    }

    /// Makes `to` the uploader of the files of organization `org` that `from` uploaded, in
    /// `tx`: an account being erased leaves them to the organization (`to` is one of its
    /// owners), where a user's own files go with the user.
    ///
    /// # Errors
    /// [`FileError::Repo`] when storage fails (roll `tx` back).
    #[tracing::instrument(skip(self, tx))]
    pub async fn hand_over_org_files(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, FileError> {
        Ok(self.files.hand_over(tx, org, from, to).await?)
    }

    /// Deletes every file of `owner` in `tx`, each audited as `file.deleted` by `actor`.
    async fn erase_files_of(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
        actor: UserId,
        meta: &RequestMeta,
    ) -> Result<ErasedFiles, FileError> {
        let now = self.clock.now();
        let deleted = self.files.delete_owned(tx, owner).await?;
        let mut erased = ErasedFiles {
            files: deleted.len() as u64,
            ..ErasedFiles::default()
        };
        for gone in deleted {
            let file = &gone.file;
            let event = file_event(AuditAction::FileDeleted, now, meta, actor, file).details(
                serde_json::json!({
                    "name": file.name, "size": file.size, "sha256": file.sha256,
                }),
            );
            self.audit.append(tx, &event).await?;
            erased.blobs.extend(gone.storage_keys);
        }
        Ok(erased)
    }

    /// Removes the blobs of files erased by a committed [`FileService::erase_account_files`]
    /// or [`FileService::erase_org_files`], best effort: one that cannot be removed now is logged and left to the reconciler, which
    /// removes blobs no file refers to.
    pub async fn remove_erased_blobs(&self, blobs: &[BlobKey]) {
        for key in blobs {
            self.remove_blob(key).await;
        }
    }
}
