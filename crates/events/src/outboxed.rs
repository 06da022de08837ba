//! [`OutboxedAuditLog`]: the audit log that also writes the events its entries imply.

use std::sync::Arc;

use plinth_audit::{AuditEvent, AuditFilter, AuditLog, ChainReport, StoredEntry};
use plinth_kernel::{Page, PageRequest, RepoError, Transaction};

use crate::{EventOutbox, project};

/// An [`AuditLog`] that, after appending an entry, appends the event [`project`] derives from
/// it to the outbox **in the same transaction**: every audited change produces its event
/// atomically, and a change that rolls back produces none. Reads go to the wrapped log.
#[derive(Clone)]
pub struct OutboxedAuditLog {
    audit: Arc<dyn AuditLog>,
    outbox: Arc<dyn EventOutbox>,
}

impl OutboxedAuditLog {
    /// `audit`, whose appends also feed `outbox`.
    #[must_use]
    pub fn new(audit: Arc<dyn AuditLog>, outbox: Arc<dyn EventOutbox>) -> Self {
        Self { audit, outbox }
    }
}

#[async_trait::async_trait]
impl AuditLog for OutboxedAuditLog {
    async fn append(&self, tx: &mut dyn Transaction, event: &AuditEvent) -> Result<(), RepoError> {
        self.audit.append(tx, event).await?;
        if let Some(domain) = project(event) {
            self.outbox.append(tx, &domain).await?;
        }
        Ok(())
    }

    async fn list_rows(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        self.audit.list_rows(filter, page).await
    }

    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        self.audit.chain_page(after_seq, limit).await
    }

    async fn verify(&self) -> Result<ChainReport, RepoError> {
        self.audit.verify().await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use plinth_audit::AuditAction;
    use plinth_audit::testing::MemoryAuditLog;
    use plinth_kernel::testing::{MemoryUnitOfWork, fixed_now};
    use plinth_kernel::{RequestMeta, UnitOfWork, UserId};

    use super::*;
    use crate::testing::MemoryEventOutbox;
    use crate::{EventId, EventType};

    #[tokio::test]
    async fn an_audited_change_writes_its_event_in_its_transaction_and_only_then() {
        let outbox = MemoryEventOutbox::new();
        let log = OutboxedAuditLog::new(Arc::new(MemoryAuditLog::new()), Arc::new(outbox.clone()));
        let uow = MemoryUnitOfWork::new();
        let user = UserId::new();
        let entry = |action| {
            AuditEvent::new(action, fixed_now(), &RequestMeta::default())
                .actor(user)
                .target("user", user)
        };

        let mut tx = uow.begin().await.unwrap();
        log.append(tx.as_mut(), &entry(AuditAction::UserUpdated))
            .await
            .unwrap();
        drop(tx);
        assert!(
            outbox.after(EventId(0), 10).await.unwrap().is_empty(),
            "rolled back"
        );

        let mut tx = uow.begin().await.unwrap();
        log.append(tx.as_mut(), &entry(AuditAction::LoginSucceeded))
            .await
            .unwrap();
        log.append(tx.as_mut(), &entry(AuditAction::UserUpdated))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let events = outbox.after(EventId(0), 10).await.unwrap();
        assert_eq!(events.len(), 1, "a sign-in is not an event");
        assert_eq!(events[0].id, EventId(1));
        assert_eq!(events[0].event.event_type, EventType::UserUpdated);
        let entries = log
            .list(&AuditFilter::default(), PageRequest::default())
            .await
            .unwrap();
        assert_eq!(
            entries.items.len(),
            2,
            "the audit entries are stored as before"
        );
    }
}
