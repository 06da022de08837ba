//! [`ObjectStoreBlobs`]: the [`BlobStore`] port over any [`ObjectStore`].

use std::path::PathBuf;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore};
use plinth_files::{BlobEntry, BlobError, BlobKey, BlobListing, BlobStore, ByteRange, ByteStream};
use plinth_kernel::Timestamp;

use multipart::PartWriter;

mod multipart;

/// Size of each multipart part (S3's minimum for all but the last part is 5 MiB).
const PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts uploading at once; with [`PART_SIZE`] this bounds an upload's memory to about
/// `(PARTS_IN_FLIGHT + 1) × 5 MiB` whatever the file size.
const PARTS_IN_FLIGHT: usize = 2;
/// Read size when streaming a local file: object_store reads 8 KiB per blocking-pool hop,
/// which caps a download near 170 MiB/s; 256 KiB per hop streams several times faster and
/// still bounds a download's memory to a few hundred KiB.
const FILE_READ_CHUNK: usize = 256 * 1024;
/// The folder `check` lists; it need not exist.
const HEALTH_PREFIX: &str = "plinth-health";

/// A [`BlobStore`] backed by an object_store implementation (local folder, memory, S3).
#[derive(Debug, Clone)]
pub struct ObjectStoreBlobs {
    store: Arc<dyn ObjectStore>,
    local_root: Option<PathBuf>,
}

impl ObjectStoreBlobs {
    /// Wraps `store`.
    #[must_use]
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            local_root: None,
        }
    }

    /// For a local-folder store: the folder, which [`BlobStore::check`] then also requires to
    /// exist (object_store itself reports a vanished folder as merely "not found").
    #[must_use]
    pub fn with_local_root(mut self, root: PathBuf) -> Self {
        self.local_root = Some(root);
        self
    }
}

/// Whether a local file name is object_store's staging file of an unfinished upload:
/// `<name>#<digits>` (complete blobs never end so: their names are server-chosen).
fn is_staging_file(name: &str) -> bool {
    name.rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Deletes staging files under `dir` last written before `before`; how many went.
fn sweep_staging(dir: &std::path::Path, before: Timestamp) -> Result<u64, BlobError> {
    let io = |e: std::io::Error| BlobError::Unavailable(Box::new(e));
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            removed += sweep_staging(&entry.path(), before)?;
        } else if kind.is_file() && entry.file_name().to_str().is_some_and(is_staging_file) {
            let modified: Timestamp = entry.metadata().map_err(io)?.modified().map_err(io)?.into();
            if modified < before {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    // Finished or swept by another replica meanwhile.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(e)),
                }
            }
        }
    }
    Ok(removed)
}

fn path_of(key: &BlobKey) -> Result<Path, BlobError> {
    Path::parse(key.as_str()).map_err(|e| BlobError::Internal(Box::new(e)))
}

/// Maps object_store's errors onto the port's: `NotFound` stays, generic (I/O, network)
/// failures mean the store is unavailable, anything else is internal.
fn map_error(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        e @ object_store::Error::Generic { .. } => BlobError::Unavailable(Box::new(e)),
        e => BlobError::Internal(Box::new(e)),
    }
}

/// The bytes `range` of a local file, read [`FILE_READ_CHUNK`] at a time.
fn file_stream(
    mut file: std::fs::File,
    range: &std::ops::Range<u64>,
) -> Result<ByteStream, BlobError> {
    use std::io::Seek as _;
    use tokio::io::AsyncReadExt as _;
    // A seek only moves the file offset: no I/O, nothing to keep off the executor.
    file.seek(std::io::SeekFrom::Start(range.start))
        .map_err(|e| BlobError::Internal(e.into()))?;
    let reader = tokio::fs::File::from_std(file).take(range.end.saturating_sub(range.start));
    Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
        reader,
        FILE_READ_CHUNK,
    )))
}

#[async_trait::async_trait]
impl BlobStore for ObjectStoreBlobs {
    #[tracing::instrument(skip(self, body), fields(key = key.as_str()))]
    async fn put(&self, key: &BlobKey, mut body: ByteStream) -> Result<u64, BlobError> {
        let path = path_of(key)?;
        let upload = self.store.put_multipart(&path).await.map_err(map_error)?;
        // Aborted on every way out but a completion, a dropped (cancelled) request included.
        let mut writer = PartWriter::new(upload, PART_SIZE, PARTS_IN_FLIGHT, key.as_str());
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let sent = match chunk {
                Ok(chunk) => {
                    size += chunk.len() as u64;
                    writer.write(chunk).await.map_err(map_error)
                }
                Err(e) => Err(BlobError::Aborted(e)),
            };
            if let Err(e) = sent {
                writer.abort().await;
                return Err(e);
            }
        }
        writer.finish().await.map_err(map_error)?;
        Ok(size)
    }

    #[tracing::instrument(skip(self), fields(key = key.as_str()))]
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let path = path_of(key)?;
        let range = match range {
            None => None,
            Some(r) if r.start <= r.end => {
                Some(GetRange::Bounded(r.start..r.end.saturating_add(1)))
            }
            Some(r) => {
                return Err(BlobError::Internal(
                    format!("empty range {}-{}", r.start, r.end).into(),
                ));
            }
        };
        let options = GetOptions {
            range,
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&path, options)
            .await
            .map_err(map_error)?;
        match result.payload {
            GetResultPayload::File(file, _) => file_stream(file, &result.range),
            GetResultPayload::Stream(stream) => Ok(Box::pin(stream.map_err(std::io::Error::other))),
        }
    }

    #[tracing::instrument(skip(self), fields(key = key.as_str()))]
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&path_of(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }

    #[tracing::instrument(skip(self), fields(key = key.as_str()))]
    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        match self.store.head(&path_of(key)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }

    fn list(&self, prefix: &str) -> BlobListing {
        let prefix = Path::from(prefix.trim_end_matches('/'));
        Box::pin(self.store.list(Some(&prefix)).map(|meta| {
            let meta = meta.map_err(map_error)?;
            Ok(BlobEntry {
                key: BlobKey(meta.location.to_string()),
                size: meta.size,
                last_modified: meta.last_modified,
            })
        }))
    }

    #[tracing::instrument(skip(self))]
    async fn sweep_partial_uploads(&self, before: Timestamp) -> Result<u64, BlobError> {
        let Some(root) = self.local_root.clone() else {
            return Ok(0);
        };
        tokio::task::spawn_blocking(move || sweep_staging(&root, before))
            .await
            .map_err(|e| BlobError::Internal(Box::new(e)))?
    }

    #[tracing::instrument(skip(self))]
    async fn check(&self) -> Result<(), BlobError> {
        if let Some(root) = &self.local_root {
            match tokio::fs::metadata(root).await {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    let msg = format!("storage folder {} is not a directory", root.display());
                    return Err(BlobError::Unavailable(msg.into()));
                }
                Err(e) => return Err(BlobError::Unavailable(Box::new(e))),
            }
        }
        // A listing, not a HEAD: S3 answers a HEAD in a missing bucket with a bare 404 that
        // reads like a missing key, while a listing there fails.
        match self
            .store
            .list_with_delimiter(Some(&Path::from(HEALTH_PREFIX)))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(BlobError::Unavailable(Box::new(e))),
        }
    }
}
