//! The AuditLog port.

use plinth_kernel::{Page, PageRequest, RepoError, Transaction};

use crate::{AuditEvent, AuditFilter};

/// Append-only storage of audit entries.
#[async_trait::async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends `event` inside `tx`; it becomes visible only if `tx` commits.
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
}
