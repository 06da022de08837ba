//! In-memory adapters for the kernel's ports (feature `testing`).
//!
//! [`MemoryUnitOfWork`] serialises transactions with one lock and keeps an undo log: writes
//! apply at once, and a transaction dropped without [`Transaction::commit`] runs its undo
//! closures in reverse, so the in-memory repositories roll back exactly like SQL ones.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

use crate::{Clock, RepoError, Timestamp, Transaction, UnitOfWork};

pub mod idempotency;

pub use idempotency::MemoryIdempotencyStore;

type Undo = Box<dyn FnOnce() + Send>;

/// Starts [`MemoryTransaction`]s, one at a time.
#[derive(Clone, Default)]
pub struct MemoryUnitOfWork {
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl MemoryUnitOfWork {
    /// A new unit of work.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl UnitOfWork for MemoryUnitOfWork {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        let guard = Arc::clone(&self.lock).lock_owned().await;
        Ok(Box::new(MemoryTransaction {
            _guard: guard,
            undo: Vec::new(),
            on_commit: Vec::new(),
            committed: false,
        }))
    }
}

/// A transaction over in-memory repositories: an undo log plus the global write lock.
pub struct MemoryTransaction {
    _guard: OwnedMutexGuard<()>,
    undo: Vec<Undo>,
    on_commit: Vec<Undo>,
    committed: bool,
}

impl MemoryTransaction {
    /// Downcasts a `dyn Transaction` handed to an in-memory repository.
    ///
    /// # Errors
    /// [`RepoError::Internal`] when the transaction came from another adapter.
    pub fn from_dyn(tx: &mut dyn Transaction) -> Result<&mut Self, RepoError> {
        tx.as_any_mut().downcast_mut::<Self>().ok_or_else(|| {
            RepoError::internal("an in-memory repository was given a foreign transaction")
        })
    }

    /// Registers how to undo a write just made; run in reverse order on rollback.
    pub fn on_rollback(&mut self, undo: impl FnOnce() + Send + 'static) {
        self.undo.push(Box::new(undo));
    }

    /// Registers what to do once the transaction commits (in registration order), for writes
    /// that must stay invisible until then (the event outbox).
    pub fn on_commit(&mut self, apply: impl FnOnce() + Send + 'static) {
        self.on_commit.push(Box::new(apply));
    }
}

#[async_trait::async_trait]
impl Transaction for MemoryTransaction {
    async fn commit(mut self: Box<Self>) -> Result<(), RepoError> {
        self.committed = true;
        self.undo.clear();
        for apply in std::mem::take(&mut self.on_commit) {
            apply();
        }
        Ok(())
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl Drop for MemoryTransaction {
    fn drop(&mut self) {
        if !self.committed {
            while let Some(undo) = self.undo.pop() {
                undo();
            }
        }
    }
}

/// A clock that stands still until moved.
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock showing `at`.
    #[must_use]
    pub fn new(at: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(at)),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, at: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }
}

/// The instant a [`ManualClock::default`] shows: a fixed, ordinary day (mid-month, mid-year),
/// so that no test depends on the date it runs. Tests of a calendar edge (a year's last
/// minute, 29 February) set their own instant.
#[must_use]
pub fn fixed_now() -> Timestamp {
    chrono::DateTime::from_timestamp(1_781_524_800, 0).unwrap_or_default()
}

impl Default for ManualClock {
    /// A clock showing [`fixed_now`], never the wall clock.
    fn default() -> Self {
        Self::new(fixed_now())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropped_transaction_undoes_in_reverse_and_commit_keeps() {
        let uow = MemoryUnitOfWork::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        {
            let mut tx = uow.begin().await.unwrap();
            let mtx = MemoryTransaction::from_dyn(tx.as_mut()).unwrap();
            for i in 0..3 {
                let log = Arc::clone(&log);
                mtx.on_rollback(move || log.lock().unwrap().push(i));
            }
        }
        assert_eq!(*log.lock().unwrap(), vec![2, 1, 0]);
        let mut tx = uow.begin().await.unwrap();
        let l2 = Arc::clone(&log);
        MemoryTransaction::from_dyn(tx.as_mut())
            .unwrap()
            .on_rollback(move || l2.lock().unwrap().push(9));
        tx.commit().await.unwrap();
        assert_eq!(log.lock().unwrap().len(), 3);
    }

    #[test]
    fn the_default_clock_shows_a_fixed_instant_not_the_wall_clock() {
        assert_eq!(
            ManualClock::default().now().to_rfc3339(),
            "2026-06-15T12:00:00+00:00"
        );
    }

    #[test]
    fn manual_clock_moves() {
        let c = ManualClock::default();
        let t0 = c.now();
        c.advance(chrono::Duration::seconds(90));
        assert_eq!(c.now() - t0, chrono::Duration::seconds(90));
    }
}
