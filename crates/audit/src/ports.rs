//! The AuditLog port.

use plinth_kernel::{Page, PageRequest, RepoError, Transaction};

use crate::{AuditEvent, AuditFilter, ChainReport, StoredEntry};

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

    /// Lists committed rows matching `filter`, **newest first**, paginated by id. A row that
    /// does not read back as an entry is a [`StoredEntry::Unreadable`], never an error.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list_rows(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError>;

    /// [`AuditLog::list_rows`] without the rows that do not read back as an entry (the page
    /// may hold fewer items than asked; its cursor is unchanged).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, RepoError> {
        let rows = self.list_rows(filter, page).await?;
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .filter_map(StoredEntry::into_event)
                .collect(),
            next_cursor: rows.next_cursor,
        })
    }

    /// Up to `limit` committed rows with their stored chain fields, in ascending `seq` order,
    /// starting after `after_seq` (`None`: from the first row). Values are returned exactly as
    /// stored, so that [`AuditLog::verify`] sees any tampering; a row that does not read back as
    /// an entry (whatever its columns hold) is a [`StoredEntry::Unreadable`], never an error.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError>;

    /// Checks the whole chain (see [`crate::verify_log`]): `ok` when every entry is intact and
    /// linked to its predecessor, otherwise the id of the first entry that is not.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn verify(&self) -> Result<ChainReport, RepoError> {
        crate::verify_log(self).await
    }
}
