//! The per-owner storage quota: every version of every file an owner (a user, or an
//! organization) has counts.
//!
//! Checked twice: before streaming (the body is cut off as soon as it passes the room left),
//! and again inside the transaction that inserts the row, under a per-owner lock, after the
//! size is known, so that two uploads racing each other cannot both fit into the same room.
//! A refused upload leaves nothing behind: the caller removes its blob. An owner whose
//! [`crate::StorageQuota`] answers `None` has no limit.

use plinth_kernel::Transaction;

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

    /// Refuses `size` more bytes for `owner` in `tx` when they would pass `limit`.
    pub(crate) async fn check_quota(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
        limit: Option<u64>,
        size: u64,
    ) -> Result<(), FileError> {
        let Some(limit) = limit else {
            return Ok(());
        };
        let used = self.files.lock_stored_bytes(tx, owner).await?;
        if used.saturating_add(size) > limit {
            return Err(FileError::QuotaExceeded { limit, used, size });
        }
        Ok(())
    }
}
