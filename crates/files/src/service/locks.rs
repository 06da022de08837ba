//! Per-file locks: new versions of one file are made one at a time (within this process), so
//! two concurrent uploads never pick the same version number and blob key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

use crate::FileId;

type Slots = Arc<Mutex<HashMap<FileId, Arc<tokio::sync::Mutex<()>>>>>;

/// A map of per-file async mutexes; an entry lives only while someone holds or waits for it.
#[derive(Clone, Default)]
pub(crate) struct FileLocks {
    slots: Slots,
}

/// Holds one file's lock until dropped.
pub(crate) struct FileLockGuard {
    slots: Slots,
    id: FileId,
    guard: Option<OwnedMutexGuard<()>>,
}

impl FileLocks {
    /// Waits for, then holds, the lock of file `id`.
    pub(crate) async fn lock(&self, id: FileId) -> FileLockGuard {
        let mutex = Arc::clone(
            self.slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(id)
                .or_default(),
        );
        let guard = mutex.lock_owned().await;
        FileLockGuard {
            slots: Arc::clone(&self.slots),
            id,
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for FileLockGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots
            .get(&self.id)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            slots.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_holder_per_file_and_no_leftover_entries() {
        let locks = FileLocks::default();
        let (a, b) = (FileId::new(), FileId::new());
        let held = locks.lock(a).await;
        let other = locks.lock(b).await;
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move { drop(locks.lock(a).await) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second holder waits");
        drop(held);
        waiter.await.unwrap();
        drop(other);
        assert_eq!(locks.len(), 0, "released locks leave no entry");
    }
}
