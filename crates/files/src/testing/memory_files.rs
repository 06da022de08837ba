//! [`MemoryFileRepository`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Page, PageRequest, RepoError, Transaction, UserId};

use crate::{FileId, FileObject, FileRepository};

/// File metadata in a map, for tests and examples.
#[derive(Clone, Default)]
pub struct MemoryFileRepository {
    rows: Arc<Mutex<HashMap<FileId, FileObject>>>,
}

impl MemoryFileRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored file (any owner), in no particular order; for assertions in tests.
    #[must_use]
    pub fn all(&self) -> Vec<FileObject> {
        self.rows().values().cloned().collect()
    }

    fn rows(&self) -> MutexGuard<'_, HashMap<FileId, FileObject>> {
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl FileRepository for MemoryFileRepository {
    async fn insert(&self, tx: &mut dyn Transaction, file: &FileObject) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut rows = self.rows();
            if rows.contains_key(&file.id) {
                return Err(RepoError::Duplicate {
                    constraint: "files.id".to_owned(),
                });
            }
            rows.insert(file.id, file.clone());
        }
        let rows = Arc::clone(&self.rows);
        let id = file.id;
        tx.on_rollback(move || {
            rows.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        });
        Ok(())
    }

    async fn delete(&self, tx: &mut dyn Transaction, id: FileId) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let removed = self.rows().remove(&id).ok_or(RepoError::NotFound)?;
        let rows = Arc::clone(&self.rows);
        tx.on_rollback(move || {
            rows.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(removed.id, removed);
        });
        Ok(())
    }

    async fn by_id(&self, id: FileId) -> Result<Option<FileObject>, RepoError> {
        Ok(self.rows().get(&id).cloned())
    }

    async fn list_for_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError> {
        let mut rows: Vec<FileObject> = self
            .rows()
            .values()
            .filter(|f| f.owner_id == owner)
            .filter(|f| page.cursor().is_none_or(|c| f.id.as_uuid() < c.last_id()))
            .cloned()
            .collect();
        rows.sort_by_key(|f| std::cmp::Reverse(f.id));
        rows.truncate(page.limit() as usize + 1);
        Ok(Page::from_rows(rows, page, |f| f.id.as_uuid()))
    }

    async fn bytes_used(&self, owner: UserId) -> Result<u64, RepoError> {
        Ok(self
            .rows()
            .values()
            .filter(|f| f.owner_id == owner)
            .map(|f| f.size)
            .sum())
    }
}
