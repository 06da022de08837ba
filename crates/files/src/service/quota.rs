//! The per-owner storage quota: every version of every file an owner (a user, or an
//! organization) has counts.
//!
//! Checked twice: before streaming (the body is cut off as soon as it passes the room left),
//! and again inside the transaction that inserts the row, under a per-owner lock, after the
//! size is known, so that two uploads racing each other cannot both fit into the same room.
//! A refused upload leaves nothing behind: the caller removes its blob. An owner whose
//! [`crate::StorageQuota`] answers `None` has no limit.

use plinth_kernel::{RepoError, Transaction};

use super::FileService;
use crate::{FileError, Owner};

impl FileService {
    /// The owner's `(limit, bytes stored now)`, or `None` when they have no limit.
    pub(crate) async fn quota_of(&self, owner: Owner) -> Result<Option<(u64, u64)>, FileError> {
        let Some(limit) = self.quota.storage_limit(owner).await? else {
            return Ok(None);
        };
        Ok(Some((limit, self.files.stored_bytes(owner).await?)))
    }

    /// Refuses `size` more bytes for `owner` in `tx` when they would pass `limit`. An
    /// organization's row is locked even without a limit: a deletion of the organization
    /// committed since the upload began leaves no row, and the file is refused
    /// ([`FileError::OrgStandingGone`]) rather than left to an organization that is gone.
    pub(crate) async fn check_quota(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
        limit: Option<u64>,
        size: u64,
    ) -> Result<(), FileError> {
        if limit.is_none() && matches!(owner, Owner::User(_)) {
            return Ok(());
        }
        let used = self
            .files
            .lock_stored_bytes(tx, owner)
            .await
            .map_err(|e| match (e, owner) {
                (RepoError::NotFound, Owner::Org(_)) => FileError::OrgStandingGone,
                (e, _) => FileError::Repo(e),
            })?;
        match limit {
            Some(limit) if used.saturating_add(size) > limit => {
                Err(FileError::QuotaExceeded { limit, used, size })
            }
            _ => Ok(()),
        }
    }
}
