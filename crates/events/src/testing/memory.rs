//! [`MemoryEventOutbox`] and [`MemoryMemberPermissions`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{OrgId, RepoError, Timestamp, Transaction, UserId};

use crate::{DomainEvent, EventId, EventOutbox, MemberPermissions, OutboxBounds, StoredEvent};

#[derive(Default)]
struct Log {
    events: Vec<StoredEvent>,
    newest: EventId,
}

/// An [`EventOutbox`] in memory: an event is numbered and stored when its transaction
/// commits ([`MemoryTransaction::on_commit`]; the in-memory unit of work runs one transaction
/// at a time, so positions follow commit order). Clones share the same events.
#[derive(Clone, Default)]
pub struct MemoryEventOutbox {
    log: Arc<Mutex<Log>>,
}

impl MemoryEventOutbox {
    /// An empty outbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl EventOutbox for MemoryEventOutbox {
    async fn append(&self, tx: &mut dyn Transaction, event: &DomainEvent) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let log = Arc::clone(&self.log);
        let event = event.clone();
        tx.on_commit(move || {
            let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
            let id = log.newest.next();
            log.newest = id;
            log.events.push(StoredEvent { id, event });
        });
        Ok(())
    }

    async fn after(&self, after: EventId, limit: u32) -> Result<Vec<StoredEvent>, RepoError> {
        Ok(self
            .lock()
            .events
            .iter()
            .filter(|e| e.id > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn bounds(&self) -> Result<Option<OutboxBounds>, RepoError> {
        let log = self.lock();
        Ok(log.events.first().map(|first| OutboxBounds {
            oldest: first.id,
            newest: log.newest,
        }))
    }

    async fn purge(&self, before: Timestamp) -> Result<u64, RepoError> {
        let mut log = self.lock();
        let newest = log.newest;
        let len = log.events.len();
        log.events
            .retain(|e| e.id == newest || e.event.occurred_at >= before);
        Ok((len - log.events.len()) as u64)
    }
}

/// Each member's permissions, by user and organization.
type Standings = HashMap<(UserId, OrgId), Vec<String>>;

/// [`MemberPermissions`] from a map the test fills.
#[derive(Clone, Default)]
pub struct MemoryMemberPermissions {
    standings: Arc<Mutex<Standings>>,
}

impl MemoryMemberPermissions {
    /// Nobody is a member of anything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `user` a member of `org` holding `permissions`.
    pub fn grant(&self, user: UserId, org: OrgId, permissions: &[&str]) {
        self.standings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                (user, org),
                permissions.iter().map(|p| (*p).to_owned()).collect(),
            );
    }

    /// Ends `user`'s membership of `org`.
    pub fn remove(&self, user: UserId, org: OrgId) {
        self.standings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(user, org));
    }
}

#[async_trait::async_trait]
impl MemberPermissions for MemoryMemberPermissions {
    async fn permissions(
        &self,
        user: UserId,
        org: OrgId,
    ) -> Result<Option<Vec<String>>, RepoError> {
        Ok(self
            .standings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(user, org))
            .cloned())
    }
}
