//! Fakes of the ports [`crate::FileService`] needs besides storage: quotas, the accounts
//! behind callers and links, the avatars accounts show, and a URL signer.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use plinth_audit::AuditLog;
use plinth_kernel::{ActingFor, Clock, OrgId, RepoError, UnitOfWork, UserId};
use sha2::{Digest, Sha256};

use crate::{
    AvatarReferences, BlobKey, BlobStore, FilePorts, FileStorage, Owner, StorageQuota,
    UrlSignature, UrlSigner, Viewer, ViewerDirectory,
};

/// A [`StorageQuota`] with no limit for anyone.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnlimitedQuota;

#[async_trait::async_trait]
impl StorageQuota for UnlimitedQuota {
    async fn storage_limit(&self, _: Owner) -> Result<Option<u64>, RepoError> {
        Ok(None)
    }
}

/// A [`StorageQuota`] of the same number of bytes for everyone.
#[derive(Debug, Clone, Copy)]
pub struct FixedQuota(pub u64);

#[async_trait::async_trait]
impl StorageQuota for FixedQuota {
    async fn storage_limit(&self, _: Owner) -> Result<Option<u64>, RepoError> {
        Ok(Some(self.0))
    }
}

/// A [`ViewerDirectory`] over the viewers a test registers: any other account is deleted or
/// suspended, and a member of no organization but those it is registered in. Clones share the
/// registry.
#[derive(Clone, Default)]
pub struct MemoryViewers {
    active: Arc<Mutex<HashMap<UserId, Viewer>>>,
    standings: Arc<Mutex<HashMap<(UserId, OrgId), ActingFor>>>,
}

impl MemoryViewers {
    /// No active account.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `viewer` an active account (replacing what was registered under its id).
    pub fn register(&self, viewer: Viewer) {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(viewer.id, viewer);
    }

    /// Account `id` stands in `standing.org_id` with `standing.permissions` (`None`: no longer).
    pub fn set_standing(&self, id: UserId, org: OrgId, standing: Option<ActingFor>) {
        let mut standings = self
            .standings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match standing {
            Some(s) => standings.insert((id, org), s),
            None => standings.remove(&(id, org)),
        };
    }

    /// Account `id` is deleted or suspended from now on.
    pub fn remove(&self, id: UserId) {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}

#[async_trait::async_trait]
impl ViewerDirectory for MemoryViewers {
    async fn active_viewer(&self, id: UserId) -> Result<Option<Viewer>, RepoError> {
        Ok(self
            .active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned())
    }

    async fn acting_for(&self, id: UserId, org: OrgId) -> Result<Option<ActingFor>, RepoError> {
        Ok(self
            .standings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(id, org))
            .cloned())
    }
}

/// [`AvatarReferences`] over a set of keys the test says are shown. Clones share the set.
#[derive(Clone, Default)]
pub struct MemoryAvatarReferences {
    shown: Arc<Mutex<HashSet<BlobKey>>>,
}

impl MemoryAvatarReferences {
    /// Nothing shown.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `key` as some account's avatar.
    pub fn show(&self, key: BlobKey) {
        self.shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key);
    }
}

#[async_trait::async_trait]
impl AvatarReferences for MemoryAvatarReferences {
    async fn known_avatar_keys(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepoError> {
        let shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.iter().filter(|k| shown.contains(k)).cloned().collect())
    }
}

/// A [`UrlSigner`] for tests only: deterministic and **not** a MAC (the SHA-256 of a fixed
/// secret and the payload, compared in variable time), under the key id `test`.
#[derive(Debug, Clone, Copy, Default)]
pub struct FakeUrlSigner;

impl FakeUrlSigner {
    /// The key id of every signature.
    pub const KID: &'static str = "test";
    const SECRET: &'static [u8] = b"plinth-files-fake-url-signer";

    /// The fake signer.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }

    fn digest(payload: &[u8]) -> String {
        let mut hash = Sha256::new();
        hash.update(Self::SECRET);
        hash.update(b"|");
        hash.update(payload);
        hex::encode(hash.finalize())
    }
}

impl UrlSigner for FakeUrlSigner {
    fn sign(&self, payload: &[u8]) -> UrlSignature {
        UrlSignature {
            kid: Self::KID.to_owned(),
            signature: Self::digest(payload),
        }
    }

    fn verify(&self, payload: &[u8], kid: &str, signature: &str) -> bool {
        kid == Self::KID && signature == Self::digest(payload)
    }
}

impl FilePorts {
    /// The storage, audit, transaction and clock ports given, and fakes for the others: no
    /// quota ([`UnlimitedQuota`]), no active account ([`MemoryViewers`]), no avatar shown
    /// ([`MemoryAvatarReferences`]) and a [`FakeUrlSigner`]. Replace any of them with struct
    /// update syntax: `FilePorts { viewers, ..FilePorts::with_fakes(…) }`.
    #[must_use]
    pub fn with_fakes(
        files: Arc<dyn FileStorage>,
        blobs: Arc<dyn BlobStore>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            files,
            blobs,
            audit,
            uow,
            clock,
            quota: Arc::new(UnlimitedQuota),
            viewers: Arc::new(MemoryViewers::new()),
            avatar_references: Arc::new(MemoryAvatarReferences::new()),
            url_signer: Arc::new(FakeUrlSigner::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fake_signer_accepts_its_own_signatures_only() {
        let signer = FakeUrlSigner::new();
        let signed = signer.sign(b"payload");
        assert_eq!(
            signed,
            FakeUrlSigner::new().sign(b"payload"),
            "deterministic"
        );
        assert!(signer.verify(b"payload", "test", &signed.signature));
        assert!(!signer.verify(b"payload!", "test", &signed.signature));
        assert!(!signer.verify(b"payload", "other", &signed.signature));
    }
}
