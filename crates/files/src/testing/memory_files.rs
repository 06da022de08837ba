//! [`MemoryFileRepository`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Email, OrgId, Page, PageRequest, RepoError, Transaction, UserId};

use crate::{
    BlobKey, DeletedFile, FileId, FileObject, FileRepository, FileShare, FileShareRepository,
    FileTotals, FileUsageRepository, FileVersion, FileVersionRepository, OrgShare, Owner, Viewer,
};

type ShareMap = HashMap<(FileId, Email), FileShare>;
type OrgShareMap = HashMap<(FileId, OrgId), OrgShare>;

/// File metadata in a map, for tests and examples.
#[derive(Clone, Default)]
pub struct MemoryFileRepository {
    rows: Arc<Mutex<HashMap<FileId, FileObject>>>,
    versions: Arc<Mutex<HashMap<(FileId, i32), FileVersion>>>,
    shares: Arc<Mutex<ShareMap>>,
    org_shares: Arc<Mutex<OrgShareMap>>,
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

    /// Every recorded version row (any file), in no particular order; for assertions in tests.
    #[must_use]
    pub fn all_versions(&self) -> Vec<FileVersion> {
        self.version_rows().values().cloned().collect()
    }

    fn rows(&self) -> MutexGuard<'_, HashMap<FileId, FileObject>> {
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn share_rows(&self) -> MutexGuard<'_, ShareMap> {
        self.shares.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn org_share_rows(&self) -> MutexGuard<'_, OrgShareMap> {
        self.org_shares
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Removes the organization shares `gone` picks (restored on rollback); how many.
    fn remove_org_shares(
        &self,
        tx: &mut MemoryTransaction,
        gone: impl Fn(&OrgShare) -> bool,
    ) -> u64 {
        let removed: Vec<OrgShare> = {
            let mut shares = self.org_share_rows();
            let keys: Vec<(FileId, OrgId)> = shares
                .iter()
                .filter(|(_, s)| gone(s))
                .map(|(k, _)| *k)
                .collect();
            keys.iter().filter_map(|k| shares.remove(k)).collect()
        };
        let count = removed.len() as u64;
        let shares = Arc::clone(&self.org_shares);
        tx.on_rollback(move || {
            let mut shares = shares.lock().unwrap_or_else(PoisonError::into_inner);
            for s in removed {
                shares.insert((s.file_id, s.org_id), s);
            }
        });
        count
    }

    fn version_rows(&self) -> MutexGuard<'_, HashMap<(FileId, i32), FileVersion>> {
        self.versions.lock().unwrap_or_else(PoisonError::into_inner)
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
        let removed_versions: Vec<FileVersion> = {
            let mut versions = self.version_rows();
            let keys: Vec<(FileId, i32)> =
                versions.keys().filter(|(f, _)| *f == id).copied().collect();
            keys.iter().filter_map(|k| versions.remove(k)).collect()
        };
        let removed_shares: Vec<FileShare> = {
            let mut shares = self.share_rows();
            let keys: Vec<(FileId, Email)> =
                shares.keys().filter(|(f, _)| *f == id).cloned().collect();
            keys.iter().filter_map(|k| shares.remove(k)).collect()
        };
        self.remove_org_shares(tx, |s| s.file_id == id);
        let rows = Arc::clone(&self.rows);
        let versions = Arc::clone(&self.versions);
        let shares = Arc::clone(&self.shares);
        tx.on_rollback(move || {
            let mut shares = shares.lock().unwrap_or_else(PoisonError::into_inner);
            for s in removed_shares {
                shares.insert((s.file_id, s.grantee_email.clone()), s);
            }
            rows.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(removed.id, removed);
            let mut versions = versions.lock().unwrap_or_else(PoisonError::into_inner);
            for v in removed_versions {
                versions.insert((v.file_id, v.version), v);
            }
        });
        Ok(())
    }

    async fn delete_owned(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Vec<DeletedFile>, RepoError> {
        let mut owned: Vec<FileObject> = self
            .rows()
            .values()
            .filter(|f| f.owner() == owner)
            .cloned()
            .collect();
        owned.sort_by_key(|f| f.id);
        let mut deleted = Vec::with_capacity(owned.len());
        for file in owned {
            let versions = self.versions(file.id).await?;
            self.delete(tx, file.id).await?;
            deleted.push(DeletedFile::new(
                file,
                versions.into_iter().map(|v| v.storage_key),
            ));
        }
        Ok(deleted)
    }

    async fn hand_over(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, RepoError> {
        let mtx = MemoryTransaction::from_dyn(tx)?;
        let handed: Vec<FileId> = self
            .rows()
            .values()
            .filter(|f| f.org_id == Some(org) && f.owner_id == from)
            .map(|f| f.id)
            .collect();
        {
            let mut rows = self.rows();
            for id in &handed {
                if let Some(f) = rows.get_mut(id) {
                    f.owner_id = to;
                }
            }
        }
        let rows = Arc::clone(&self.rows);
        let undo = handed.clone();
        mtx.on_rollback(move || {
            let mut rows = rows.lock().unwrap_or_else(PoisonError::into_inner);
            for id in &undo {
                if let Some(f) = rows.get_mut(id) {
                    f.owner_id = from;
                }
            }
        });
        Ok(handed.len() as u64)
    }

    async fn by_id(&self, id: FileId) -> Result<Option<FileObject>, RepoError> {
        Ok(self.rows().get(&id).cloned())
    }

    async fn list_for_owner(
        &self,
        owner: Owner,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError> {
        let mut rows: Vec<FileObject> = self
            .rows()
            .values()
            .filter(|f| f.owner() == owner)
            .filter(|f| page.cursor().is_none_or(|c| f.id.as_uuid() < c.last_id()))
            .cloned()
            .collect();
        rows.sort_by_key(|f| std::cmp::Reverse(f.id));
        rows.truncate(page.limit() as usize + 1);
        Ok(Page::from_rows(rows, page, |f| f.id.as_uuid()))
    }

    async fn revoke_signed_urls(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut rows = self.rows();
            let row = rows.get_mut(&id).ok_or(RepoError::NotFound)?;
            row.signed_url_generation = row.signed_url_generation.saturating_add(1);
        }
        let rows = Arc::clone(&self.rows);
        tx.on_rollback(move || {
            if let Some(row) = rows
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(&id)
            {
                row.signed_url_generation = row.signed_url_generation.saturating_sub(1);
            }
        });
        Ok(())
    }

    async fn record_download(&self, id: FileId) -> Result<(), RepoError> {
        let mut rows = self.rows();
        let row = rows.get_mut(&id).ok_or(RepoError::NotFound)?;
        row.download_count = row.download_count.saturating_add(1);
        Ok(())
    }
}

#[async_trait::async_trait]
impl FileVersionRepository for MemoryFileRepository {
    async fn insert_version(
        &self,
        tx: &mut dyn Transaction,
        version: &FileVersion,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        if !self.rows().contains_key(&version.file_id) {
            return Err(RepoError::internal("file_versions.file_id: no such file"));
        }
        let key = (version.file_id, version.version);
        {
            let mut versions = self.version_rows();
            if versions.contains_key(&key) {
                return Err(RepoError::Duplicate {
                    constraint: "pk_file_versions".to_owned(),
                });
            }
            versions.insert(key, version.clone());
        }
        let versions = Arc::clone(&self.versions);
        tx.on_rollback(move || {
            versions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
        });
        Ok(())
    }

    async fn versions(&self, id: FileId) -> Result<Vec<FileVersion>, RepoError> {
        let mut rows: Vec<FileVersion> = self
            .version_rows()
            .values()
            .filter(|v| v.file_id == id)
            .cloned()
            .collect();
        rows.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(rows)
    }

    async fn version(&self, id: FileId, version: i32) -> Result<Option<FileVersion>, RepoError> {
        Ok(self.version_rows().get(&(id, version)).cloned())
    }

    async fn update_current(
        &self,
        tx: &mut dyn Transaction,
        file: &FileObject,
        previous_version: i32,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let before = {
            let mut rows = self.rows();
            let row = rows
                .get_mut(&file.id)
                .filter(|r| r.version == previous_version)
                .ok_or(RepoError::NotFound)?;
            let before = row.clone();
            *row = FileObject {
                id: before.id,
                owner_id: before.owner_id,
                org_id: before.org_id,
                created_at: before.created_at,
                download_count: before.download_count,
                signed_url_generation: before.signed_url_generation,
                ..file.clone()
            };
            before
        };
        let rows = Arc::clone(&self.rows);
        tx.on_rollback(move || {
            // Only the columns this wrote: counts and revocations made meanwhile stay.
            if let Some(row) = rows
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(&before.id)
            {
                *row = FileObject {
                    download_count: row.download_count,
                    signed_url_generation: row.signed_url_generation,
                    ..before
                };
            }
        });
        Ok(())
    }
}

#[async_trait::async_trait]
impl FileShareRepository for MemoryFileRepository {
    async fn upsert_share(
        &self,
        tx: &mut dyn Transaction,
        share: &FileShare,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        if !self.rows().contains_key(&share.file_id) {
            return Err(RepoError::internal("file_shares.file_id: no such file"));
        }
        let key = (share.file_id, share.grantee_email.clone());
        upsert_row(tx, &self.shares, key, |before: Option<&FileShare>| {
            FileShare {
                created_at: before.map_or(share.created_at, |b| b.created_at),
                ..share.clone()
            }
        });
        Ok(())
    }

    async fn delete_share(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
        grantee: &Email,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let removed = self
            .share_rows()
            .remove(&(id, grantee.clone()))
            .ok_or(RepoError::NotFound)?;
        let shares = Arc::clone(&self.shares);
        tx.on_rollback(move || {
            shares
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert((removed.file_id, removed.grantee_email.clone()), removed);
        });
        Ok(())
    }

    async fn share_of(&self, id: FileId, grantee: &Email) -> Result<Option<FileShare>, RepoError> {
        Ok(self.share_rows().get(&(id, grantee.clone())).cloned())
    }

    async fn delete_shares_to(
        &self,
        tx: &mut dyn Transaction,
        grantee: &Email,
    ) -> Result<u64, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let removed: Vec<FileShare> = {
            let mut shares = self.share_rows();
            let keys: Vec<_> = shares
                .keys()
                .filter(|(_, email)| email == grantee)
                .cloned()
                .collect();
            keys.iter().filter_map(|k| shares.remove(k)).collect()
        };
        let count = removed.len() as u64;
        let shares = Arc::clone(&self.shares);
        tx.on_rollback(move || {
            let mut shares = shares.lock().unwrap_or_else(PoisonError::into_inner);
            for share in removed {
                shares.insert((share.file_id, share.grantee_email.clone()), share);
            }
        });
        Ok(count)
    }

    async fn shares(&self, id: FileId) -> Result<Vec<FileShare>, RepoError> {
        let mut rows: Vec<FileShare> = self
            .share_rows()
            .values()
            .filter(|s| s.file_id == id)
            .cloned()
            .collect();
        rows.sort_by(|a, b| {
            (a.created_at, &a.grantee_email).cmp(&(b.created_at, &b.grantee_email))
        });
        Ok(rows)
    }

    async fn upsert_org_share(
        &self,
        tx: &mut dyn Transaction,
        share: &OrgShare,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        if !self.rows().contains_key(&share.file_id) {
            return Err(RepoError::internal("file_org_shares.file_id: no such file"));
        }
        let key = (share.file_id, share.org_id);
        upsert_row(tx, &self.org_shares, key, |before: Option<&OrgShare>| {
            OrgShare {
                created_at: before.map_or(share.created_at, |b| b.created_at),
                ..share.clone()
            }
        });
        Ok(())
    }

    async fn delete_org_share(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
        org: OrgId,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        match self.remove_org_shares(tx, |s| s.file_id == id && s.org_id == org) {
            0 => Err(RepoError::NotFound),
            _ => Ok(()),
        }
    }

    async fn delete_org_shares_to(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
    ) -> Result<u64, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        Ok(self.remove_org_shares(tx, |s| s.org_id == org))
    }

    async fn org_share_of(&self, id: FileId, org: OrgId) -> Result<Option<OrgShare>, RepoError> {
        Ok(self.org_share_rows().get(&(id, org)).cloned())
    }

    async fn org_shares(&self, id: FileId) -> Result<Vec<OrgShare>, RepoError> {
        let mut shares: Vec<OrgShare> = self
            .org_share_rows()
            .values()
            .filter(|s| s.file_id == id)
            .cloned()
            .collect();
        shares.sort_by_key(|s| (s.created_at, s.org_id));
        Ok(shares)
    }

    async fn list_visible(
        &self,
        viewer: &Viewer,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError> {
        let own = Owner::User(viewer.id);
        let org = viewer.readable_org().map(Owner::Org);
        let mut shared: std::collections::HashSet<FileId> = self
            .share_rows()
            .values()
            .filter(|s| viewer.honours(s))
            .map(|s| s.file_id)
            .collect();
        if let Some(reading) = viewer.readable_org() {
            shared.extend(
                self.org_share_rows()
                    .values()
                    .filter(|s| s.org_id == reading)
                    .map(|s| s.file_id),
            );
        }
        let mut rows: Vec<FileObject> = self
            .rows()
            .values()
            .filter(|f| f.owner() == own || Some(f.owner()) == org || shared.contains(&f.id))
            .filter(|f| page.cursor().is_none_or(|c| f.id.as_uuid() < c.last_id()))
            .cloned()
            .collect();
        rows.sort_by_key(|f| std::cmp::Reverse(f.id));
        rows.truncate(page.limit() as usize + 1);
        Ok(Page::from_rows(rows, page, |f| f.id.as_uuid()))
    }
}

#[async_trait::async_trait]
impl FileUsageRepository for MemoryFileRepository {
    async fn bytes_used(&self, owner: Owner) -> Result<u64, RepoError> {
        Ok(self
            .rows()
            .values()
            .filter(|f| f.owner() == owner)
            .map(|f| f.size)
            .sum())
    }

    async fn stored_bytes(&self, owner: Owner) -> Result<u64, RepoError> {
        let owned: Vec<FileId> = self
            .rows()
            .values()
            .filter(|f| f.owner() == owner)
            .map(|f| f.id)
            .collect();
        Ok(self
            .version_rows()
            .values()
            .filter(|v| owned.contains(&v.file_id))
            .map(|v| v.size)
            .sum())
    }

    async fn lock_stored_bytes(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<u64, RepoError> {
        // The memory unit of work's single lock already serialises transactions.
        MemoryTransaction::from_dyn(tx)?;
        self.stored_bytes(owner).await
    }

    async fn totals(&self) -> Result<FileTotals, RepoError> {
        let rows = self.rows();
        Ok(FileTotals {
            count: rows.len() as u64,
            bytes: rows.values().map(|f| f.size).sum(),
        })
    }

    async fn known_storage_keys(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepoError> {
        let versions = self.version_rows();
        Ok(keys
            .iter()
            .filter(|key| versions.values().any(|v| &v.storage_key == *key))
            .cloned()
            .collect())
    }
}

/// Puts `make(the row now under key)` under `key` in `rows`, putting back what was there (or
/// nothing) if `tx` rolls back: the upsert of both kinds of share.
fn upsert_row<K, V>(
    tx: &mut MemoryTransaction,
    rows: &Arc<Mutex<HashMap<K, V>>>,
    key: K,
    make: impl FnOnce(Option<&V>) -> V,
) where
    K: Eq + std::hash::Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    let before = {
        let mut map = rows.lock().unwrap_or_else(PoisonError::into_inner);
        let before = map.get(&key).cloned();
        map.insert(key.clone(), make(before.as_ref()));
        before
    };
    let rows = Arc::clone(rows);
    tx.on_rollback(move || {
        let mut map = rows.lock().unwrap_or_else(PoisonError::into_inner);
        match before {
            Some(b) => map.insert(key, b),
            None => map.remove(&key),
        };
    });
}
