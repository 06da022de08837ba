//! The outbox port, and the question visibility asks of the organizations domain.

use plinth_kernel::{OrgId, RepoError, Timestamp, Transaction, UserId};

use crate::{DomainEvent, EventId, StoredEvent};

/// The oldest and newest positions the outbox still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBounds {
    /// The oldest retained event.
    pub oldest: EventId,
    /// The newest committed event.
    pub newest: EventId,
}

/// The transactional outbox: events appended in the transaction of the change they report.
#[async_trait::async_trait]
pub trait EventOutbox: Send + Sync {
    /// Appends `event` inside `tx`; it becomes visible only if `tx` commits.
    ///
    /// Its position MUST be one more than the newest committed event's (1 for the first ever,
    /// and never reused once committed: purging keeps the newest event), and positions MUST
    /// follow commit order: the adapter serialises appends until `tx` ends (the SQL adapter
    /// shares the audit chain's lock), so a reader that sees position `n` committed has every
    /// position below `n` committed or purged.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure; the caller must then abandon the whole transaction.
    async fn append(&self, tx: &mut dyn Transaction, event: &DomainEvent) -> Result<(), RepoError>;

    /// Up to `limit` committed events after `after`, in ascending position order.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn after(&self, after: EventId, limit: u32) -> Result<Vec<StoredEvent>, RepoError>;

    /// The oldest and newest retained positions; `None` when no event was ever committed.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn bounds(&self) -> Result<Option<OutboxBounds>, RepoError>;

    /// Deletes the events that occurred before `before`, except the newest one (which keeps
    /// the next position from being reused). Returns how many were deleted.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn purge(&self, before: Timestamp) -> Result<u64, RepoError>;
}

/// Where a user stands in an organization, asked at delivery time.
#[async_trait::async_trait]
pub trait MemberPermissions: Send + Sync {
    /// The organization permissions `user` holds in `org` now: `None` when they are not a
    /// member (or the organization is gone), an empty list when the organization is
    /// suspended (its members still see what any member sees).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn permissions(&self, user: UserId, org: OrgId)
    -> Result<Option<Vec<String>>, RepoError>;
}
