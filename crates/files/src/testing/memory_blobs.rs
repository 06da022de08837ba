//! [`MemoryBlobStore`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use plinth_kernel::{Clock, SystemClock, Timestamp};

use crate::{BlobEntry, BlobError, BlobKey, BlobListing, BlobStore, ByteRange, ByteStream};

/// Size of the chunks [`MemoryBlobStore::get`] streams.
const READ_CHUNK: usize = 64 * 1024;

/// Blobs in a map, for tests and examples. An upload is buffered and becomes visible only
/// when its stream ended without error.
#[derive(Clone, Default)]
pub struct MemoryBlobStore {
    blobs: Arc<Mutex<HashMap<String, (Bytes, Timestamp)>>>,
    /// Set by [`MemoryBlobStore::set_unavailable`]: `check` then fails as an unreachable store.
    unavailable: Arc<AtomicBool>,
    /// Stamps each blob's `last_modified`; the system clock unless [`MemoryBlobStore::with_clock`].
    clock: Option<Arc<dyn Clock>>,
}

impl MemoryBlobStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that stamps blobs with `clock`'s time (a test's fixed clock, so that what
    /// reconciliation finds "old" follows that clock, not the wall clock).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The keys stored, sorted; for assertions in tests.
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.blobs().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The bytes under `key`, if any; for assertions in tests.
    #[must_use]
    pub fn bytes(&self, key: &BlobKey) -> Option<Bytes> {
        self.blobs().get(key.as_str()).map(|(b, _)| b.clone())
    }

    /// Makes [`BlobStore::check`] fail with [`BlobError::Unavailable`] (or succeed again), as
    /// a store that went down would; for readiness tests.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    fn blobs(&self) -> MutexGuard<'_, HashMap<String, (Bytes, Timestamp)>> {
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl BlobStore for MemoryBlobStore {
    async fn put(&self, key: &BlobKey, mut body: ByteStream) -> Result<u64, BlobError> {
        let mut buf = BytesMut::new();
        while let Some(chunk) = body.next().await {
            buf.extend_from_slice(&chunk.map_err(BlobError::Aborted)?);
        }
        let size = buf.len() as u64;
        let now = self
            .clock
            .as_ref()
            .map_or_else(|| SystemClock.now(), |c| c.now());
        self.blobs().insert(key.0.clone(), (buf.freeze(), now));
        Ok(size)
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let all = self
            .blobs()
            .get(key.as_str())
            .map(|(b, _)| b.clone())
            .ok_or(BlobError::NotFound)?;
        let bytes = match range {
            None => all,
            Some(r) => {
                let len = all.len() as u64;
                if r.start > r.end || r.start >= len {
                    return Err(BlobError::Internal(
                        format!(
                            "range {}-{} is outside a blob of {len} bytes",
                            r.start, r.end
                        )
                        .into(),
                    ));
                }
                let end = r.end.min(len - 1);
                #[allow(clippy::cast_possible_truncation)] // bounded by `len`, a usize
                all.slice(r.start as usize..=end as usize)
            }
        };
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..bytes.len())
            .step_by(READ_CHUNK)
            .map(|i| Ok(bytes.slice(i..bytes.len().min(i + READ_CHUNK))))
            .collect();
        Ok(Box::pin(futures::stream::iter(chunks)))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.blobs().remove(key.as_str());
        Ok(())
    }

    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        Ok(self.blobs().contains_key(key.as_str()))
    }

    fn list(&self, prefix: &str) -> BlobListing {
        let entries: Vec<Result<BlobEntry, BlobError>> = self
            .blobs()
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, (bytes, at))| {
                Ok(BlobEntry {
                    key: BlobKey(key.clone()),
                    size: bytes.len() as u64,
                    last_modified: *at,
                })
            })
            .collect();
        Box::pin(futures::stream::iter(entries))
    }

    /// Uploads are buffered here and stored whole, so none is ever left half-done.
    async fn sweep_partial_uploads(&self, _before: Timestamp) -> Result<u64, BlobError> {
        Ok(0)
    }

    async fn check(&self) -> Result<(), BlobError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(BlobError::Unavailable(
                "memory blob store set unavailable".into(),
            ));
        }
        Ok(())
    }
}
