//! [`MemoryAuditLog`] and [`FailingAuditLog`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Page, PageRequest, RepoError, Transaction};

use super::contract::AuditTamper;

use crate::{AuditEvent, AuditEventId, AuditFilter, AuditLog, ChainedEvent, StoredEntry};

/// An [`AuditLog`] kept in memory, chained like the SQL adapter (appends are serialised by
/// [`plinth_kernel::testing::MemoryUnitOfWork`]). Cheap to clone: clones share the same entries.
#[derive(Clone, Default)]
pub struct MemoryAuditLog {
    events: Arc<Mutex<Vec<ChainedEvent>>>,
}

impl MemoryAuditLog {
    /// An empty log.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<ChainedEvent>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the stored `details` of entry `id` behind the chain's back, as someone editing
    /// storage directly would (for tamper-detection tests). Returns whether the entry exists.
    pub fn tamper_details(&self, id: AuditEventId, details: serde_json::Value) -> bool {
        self.lock()
            .iter_mut()
            .find(|e| e.event.id == id)
            .map(|e| e.event.details = details)
            .is_some()
    }

    /// Removes entry `id` behind the chain's back (for tamper-detection tests). Returns whether
    /// it existed.
    pub fn tamper_delete(&self, id: AuditEventId) -> bool {
        let mut events = self.lock();
        let before = events.len();
        events.retain(|e| e.event.id != id);
        events.len() != before
    }
}

/// Whether `event` passes every condition of `filter` (`from` inclusive, `to` exclusive).
fn matches(filter: &AuditFilter, event: &AuditEvent) -> bool {
    filter.actor_id.is_none_or(|a| event.actor_id == Some(a))
        && filter.org_id.is_none_or(|o| event.org_id == Some(o))
        && filter.action.is_none_or(|a| event.action == a)
        && filter
            .target_id
            .as_ref()
            .is_none_or(|t| event.target_id.as_ref() == Some(t))
        && filter.from.is_none_or(|from| event.at >= from)
        && filter.to.is_none_or(|to| event.at < to)
}

#[async_trait::async_trait]
impl AuditLog for MemoryAuditLog {
    async fn append(&self, tx: &mut dyn Transaction, event: &AuditEvent) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut events = self.lock();
            if events.iter().any(|e| e.event.id == event.id) {
                return Err(RepoError::Duplicate {
                    constraint: "audit_events.id".into(),
                });
            }
            let (seq, prev) = events
                .last()
                .map_or((1, None), |head| (head.seq + 1, head.hash.clone()));
            events.push(ChainedEvent::link(seq, prev.as_deref(), event.clone()));
        }
        let events = Arc::clone(&self.events);
        let id: AuditEventId = event.id;
        tx.on_rollback(move || {
            events
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|e| e.event.id != id);
        });
        Ok(())
    }

    async fn list_rows(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        let mut rows: Vec<ChainedEvent> = self
            .lock()
            .iter()
            .filter(|e| matches(filter, &e.event))
            .filter(|e| {
                page.cursor()
                    .is_none_or(|c| e.event.id.as_uuid() < c.last_id())
            })
            .cloned()
            .collect();
        rows.sort_by_key(|e| std::cmp::Reverse(e.event.id));
        rows.truncate(page.limit() as usize + 1);
        Ok(Page::from_rows(rows, page, |e| e.event.id.as_uuid()).map(StoredEntry::Entry))
    }

    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        Ok(self
            .lock()
            .iter()
            .filter(|e| after_seq.is_none_or(|after| e.seq > after))
            .take(limit as usize)
            .cloned()
            .map(StoredEntry::Entry)
            .collect())
    }
}

#[async_trait::async_trait]
impl AuditTamper for MemoryAuditLog {
    async fn set_details(&self, id: AuditEventId, details: serde_json::Value) {
        assert!(self.tamper_details(id, details), "no audit entry {id}");
    }

    async fn delete(&self, id: AuditEventId) {
        assert!(self.tamper_delete(id), "no audit entry {id}");
    }
}

/// An [`AuditLog`] whose `append` always fails with [`RepoError::Unavailable`]; `list` returns
/// an empty page. Used to prove that a change is rolled back when its audit entry cannot be
/// written.
#[derive(Clone, Copy, Debug, Default)]
pub struct FailingAuditLog;

impl FailingAuditLog {
    /// A log that refuses every append.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

#[async_trait::async_trait]
impl AuditLog for FailingAuditLog {
    async fn append(
        &self,
        _tx: &mut dyn Transaction,
        _event: &AuditEvent,
    ) -> Result<(), RepoError> {
        Err(RepoError::Unavailable(
            "the audit log is down (FailingAuditLog)".into(),
        ))
    }

    async fn list_rows(
        &self,
        _filter: &AuditFilter,
        _page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        })
    }

    async fn chain_page(
        &self,
        _after_seq: Option<u64>,
        _limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::testing::MemoryUnitOfWork;
    use plinth_kernel::{RequestMeta, UnitOfWork};

    use super::*;
    use crate::AuditAction;

    #[tokio::test]
    async fn memory_log_passes_the_contract() {
        let log = MemoryAuditLog::new();
        super::super::contract::audit_log(
            Arc::new(log.clone()),
            Arc::new(MemoryUnitOfWork::new()),
            &log,
        )
        .await;
    }

    #[tokio::test]
    async fn failing_log_refuses_appends_and_stores_nothing() {
        let uow = MemoryUnitOfWork::new();
        let mut tx = uow.begin().await.unwrap();
        let event = AuditEvent::new(
            AuditAction::Registered,
            chrono::Utc::now(),
            &RequestMeta::default(),
        );
        let err = FailingAuditLog::new()
            .append(tx.as_mut(), &event)
            .await
            .unwrap_err();
        assert!(matches!(err, RepoError::Unavailable(_)));
        let page = FailingAuditLog::new()
            .list(&AuditFilter::default(), PageRequest::default())
            .await
            .unwrap();
        assert!(page.items.is_empty());
    }

    #[tokio::test]
    async fn appending_the_same_id_twice_is_a_duplicate() {
        let uow = MemoryUnitOfWork::new();
        let log = MemoryAuditLog::new();
        let event = AuditEvent::new(
            AuditAction::Registered,
            chrono::Utc::now(),
            &RequestMeta::default(),
        );
        let mut tx = uow.begin().await.unwrap();
        log.append(tx.as_mut(), &event).await.unwrap();
        assert!(matches!(
            log.append(tx.as_mut(), &event).await,
            Err(RepoError::Duplicate { .. })
        ));
    }
}
