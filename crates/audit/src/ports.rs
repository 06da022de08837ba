//! The AuditLog port.

use plinth_kernel::{Page, PageRequest, RepoError, Transaction};

use crate::{AuditEvent, AuditFilter, ChainReport, ChainedEvent};

/// Append-only, hash-chained storage of audit entries.
#[async_trait::async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends `event` inside `tx`; it becomes visible only if `tx` commits.
    ///
    /// The entry MUST be chained: stored with the next `seq` (one more than the newest entry's,
    /// 1 for the first), `prev_hash` = the newest entry's hash ([`crate::GENESIS_HASH`] when there
    /// is none, or when the newest is a legacy entry without a hash) and
    /// `hash` = [`crate::chain_hash`]. Concurrent appends MUST NOT fork the chain: the adapter
    /// serialises them (a lock held until `tx` ends) or fails one of them.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure; the caller must then abandon the whole transaction.
    async fn append(&self, tx: &mut dyn Transaction, event: &AuditEvent) -> Result<(), RepoError>;

    /// Lists committed entries matching `filter`, **newest first**, paginated by id.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, RepoError>;

    /// Up to `limit` committed entries with their stored chain fields, in ascending `seq` order,
    /// starting after `after_seq` (`None`: from the first entry). Values are returned exactly as
    /// stored, so that [`AuditLog::verify`] sees any tampering.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure, or [`RepoError::Internal`] for a row that does not
    /// convert back into an entry.
    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ChainedEvent>, RepoError>;

    /// Checks the whole chain (see [`crate::verify_log`]): `ok` when every entry is intact and
    /// linked to its predecessor, otherwise the id of the first entry that is not.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn verify(&self) -> Result<ChainReport, RepoError> {
        crate::verify_log(self).await
    }
}
