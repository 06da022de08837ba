//! [`MemoryAnnouncementRepository`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Page, PageRequest, RepoError, Timestamp, Transaction};

use crate::{Announcement, AnnouncementId, AnnouncementRepository};

type Rows = Arc<Mutex<BTreeMap<AnnouncementId, Announcement>>>;

/// An [`AnnouncementRepository`] kept in memory, ordered by id. Clones share the same rows.
#[derive(Clone, Default)]
pub struct MemoryAnnouncementRepository {
    rows: Rows,
}

impl MemoryAnnouncementRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored announcement, oldest first (to check what was, or was not, stored).
    #[must_use]
    pub fn all(&self) -> Vec<Announcement> {
        lock(&self.rows).values().cloned().collect()
    }

    /// Newest first, after the cursor, those `keep` accepts, one more than a page.
    fn page(&self, page: PageRequest, keep: impl Fn(&Announcement) -> bool) -> Page<Announcement> {
        let before = page
            .cursor()
            .map(|c| AnnouncementId::from_uuid(c.last_id()));
        let rows: Vec<Announcement> = lock(&self.rows)
            .values()
            .rev()
            .filter(|a| before.is_none_or(|b| a.id < b))
            .filter(|a| keep(a))
            .take(page.limit() as usize + 1)
            .cloned()
            .collect();
        Page::from_rows(rows, page, |a| a.id.as_uuid())
    }
}

fn lock(rows: &Rows) -> MutexGuard<'_, BTreeMap<AnnouncementId, Announcement>> {
    rows.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait::async_trait]
impl AnnouncementRepository for MemoryAnnouncementRepository {
    async fn insert(
        &self,
        tx: &mut dyn Transaction,
        announcement: &Announcement,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut rows = lock(&self.rows);
            if rows.contains_key(&announcement.id) {
                return Err(RepoError::Duplicate {
                    constraint: "announcements.id".into(),
                });
            }
            rows.insert(announcement.id, announcement.clone());
        }
        let (rows, id) = (Arc::clone(&self.rows), announcement.id);
        tx.on_rollback(move || {
            lock(&rows).remove(&id);
        });
        Ok(())
    }

    async fn list(&self, page: PageRequest) -> Result<Page<Announcement>, RepoError> {
        Ok(self.page(page, |_| true))
    }

    async fn active(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Announcement>, RepoError> {
        Ok(self.page(page, |a| a.is_active(now)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::UserId;
    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::MemoryAnnouncementRepository;

    #[tokio::test]
    async fn memory_repository_passes_the_contract() {
        super::super::announcement_contract::announcement_repository(
            Arc::new(MemoryAnnouncementRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            UserId::new(),
        )
        .await;
    }
}
