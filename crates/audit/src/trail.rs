//! [`AuditTrail`]: reading and verifying the audit trail, for callers allowed to
//! (`audit:read`). Appending is not here: every service appends through [`AuditLog`] inside
//! the transaction of its change.

use std::sync::Arc;

use plinth_kernel::{Caller, Forbidden, Page, PageRequest, Permission, RepoError};

use crate::{AuditFilter, AuditLog, ChainReport, StoredEntry};

/// Why reading the trail failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The caller may not read the trail.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// The audit trail as administrators read it.
#[derive(Clone)]
pub struct AuditTrail {
    log: Arc<dyn AuditLog>,
}

impl AuditTrail {
    /// Reads through `log`.
    #[must_use]
    pub fn new(log: Arc<dyn AuditLog>) -> Self {
        Self { log }
    }

    /// Committed entries matching `filter`, newest first; a row that does not read back as an
    /// entry is listed as unreadable, never dropped.
    ///
    /// # Errors
    /// [`AuditError::Forbidden`] without `audit:read`; storage failure.
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, AuditError> {
        caller.require(Permission::AUDIT_READ)?;
        Ok(self.log.list_rows(filter, page).await?)
    }

    /// Checks the whole hash chain (see [`crate::verify_log`]).
    ///
    /// # Errors
    /// [`AuditError::Forbidden`] without `audit:read`; storage failure.
    pub async fn verify(&self, caller: &Caller) -> Result<ChainReport, AuditError> {
        caller.require(Permission::AUDIT_READ)?;
        Ok(self.log.verify().await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use plinth_kernel::UserId;

    use super::*;
    use crate::testing::MemoryAuditLog;

    #[tokio::test]
    async fn only_a_caller_with_audit_read_reads_or_verifies_the_trail() {
        let trail = AuditTrail::new(Arc::new(MemoryAuditLog::new()));
        let nobody = Caller::new(UserId::new(), vec![Permission::USERS_READ.to_owned()]);
        let auditor = Caller::new(UserId::new(), vec![Permission::AUDIT_READ.to_owned()]);
        let page = PageRequest::new(Some(10), None).unwrap();
        assert!(matches!(
            trail.list(&nobody, &AuditFilter::default(), page).await,
            Err(AuditError::Forbidden(_))
        ));
        assert!(matches!(
            trail.verify(&nobody).await,
            Err(AuditError::Forbidden(_))
        ));
        assert!(
            trail
                .list(&auditor, &AuditFilter::default(), page)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(trail.verify(&auditor).await.unwrap().ok);
    }
}
