//! Multipart uploads that fail at any step, or are cancelled, are aborted on the store: a
//! store that refuses a chosen part or the completion stands in for S3 (whose unfinished
//! uploads keep their parts, billed, until a lifecycle rule removes them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};
use plinth_blobs::ObjectStoreBlobs;
use plinth_files::{BlobError, BlobKey, BlobStore, ByteStream};

const MIB: usize = 1024 * 1024;

/// What the store refuses.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    /// The part with this index (0 is the first).
    part: Option<usize>,
    /// The completion.
    complete: bool,
}

/// An in-memory store whose multipart uploads fail as told and count their aborts.
#[derive(Debug)]
struct FaultyStore {
    inner: InMemory,
    faults: Faults,
    aborts: Arc<AtomicUsize>,
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore")
    }
}

fn refused(what: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: "faulty",
        source: format!("{what} refused").into(),
    }
}

#[derive(Debug)]
struct FaultyUpload {
    inner: Box<dyn MultipartUpload>,
    faults: Faults,
    parts: usize,
    aborts: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl MultipartUpload for FaultyUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let index = self.parts;
        self.parts += 1;
        if self.faults.part == Some(index) {
            return Box::pin(async move {
                // Refused after a moment, as a network failure would be.
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err(refused("part"))
            });
        }
        self.inner.put_part(data)
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        if self.faults.complete {
            return Err(refused("completion"));
        }
        self.inner.complete().await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.aborts.fetch_add(1, Ordering::SeqCst);
        self.inner.abort().await
    }
}

#[async_trait::async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        Ok(Box::new(FaultyUpload {
            inner: self.inner.put_multipart_opts(location, opts).await?,
            faults: self.faults,
            parts: 0,
            aborts: Arc::clone(&self.aborts),
        }))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn delete(&self, location: &Path) -> object_store::Result<()> {
        self.inner.delete(location).await
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy(&self, from: &Path, to: &Path) -> object_store::Result<()> {
        self.inner.copy(from, to).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> object_store::Result<()> {
        self.inner.copy_if_not_exists(from, to).await
    }
}

/// The blob store over a store with `faults`, and its abort count.
fn store_with(faults: Faults) -> (ObjectStoreBlobs, Arc<AtomicUsize>) {
    let aborts = Arc::new(AtomicUsize::new(0));
    let store = FaultyStore {
        inner: InMemory::new(),
        faults,
        aborts: Arc::clone(&aborts),
    };
    (ObjectStoreBlobs::new(Arc::new(store)), aborts)
}

/// `mib` MiB and one more KiB, in 64 KiB chunks: the upload's last part is a short one.
fn body_of(mib: usize) -> ByteStream {
    let chunks = mib * MIB / (64 * 1024) + 1;
    Box::pin(futures::stream::iter((0..chunks).map(move |i| {
        Ok(Bytes::from(vec![
            i as u8;
            if i + 1 == chunks {
                1024
            } else {
                64 * 1024
            }
        ]))
    })))
}

fn key() -> BlobKey {
    BlobKey("files/u/f/v1".into())
}

#[tokio::test]
async fn an_upload_that_completes_is_stored_and_not_aborted() {
    let (store, aborts) = store_with(Faults::default());
    assert_eq!(
        store.put(&key(), body_of(11)).await.unwrap(),
        (11 * MIB + 1024) as u64
    );
    assert!(store.exists(&key()).await.unwrap());
    assert_eq!(aborts.load(Ordering::SeqCst), 0);
}

/// Puts `body` into a store with `faults` and checks what the client and the bucket see: the
/// put fails as `expected` says, the upload was aborted once, and nothing is stored.
async fn assert_aborted(
    faults: Faults,
    body: ByteStream,
    expected: fn(&BlobError) -> bool,
    case: &str,
) {
    let (store, aborts) = store_with(faults);
    let err = store.put(&key(), body).await.unwrap_err();
    assert!(expected(&err), "{case}: {err:?}");
    assert_eq!(
        aborts.load(Ordering::SeqCst),
        1,
        "{case}: the upload was left open"
    );
    assert!(
        !store.exists(&key()).await.unwrap(),
        "{case}: something was stored"
    );
}

fn unavailable(e: &BlobError) -> bool {
    matches!(e, BlobError::Unavailable(_))
}

#[tokio::test]
async fn a_failing_last_part_aborts_the_upload() {
    // 6 MiB: a full 5 MiB part sent while the body streams, the last one when it ends.
    let faults = Faults {
        part: Some(1),
        ..Faults::default()
    };
    assert_aborted(faults, body_of(6), unavailable, "last part").await;
}

#[tokio::test]
async fn a_failing_part_while_others_are_sending_aborts_the_upload() {
    for part in [0, 1, 2] {
        let faults = Faults {
            part: Some(part),
            ..Faults::default()
        };
        assert_aborted(faults, body_of(16), unavailable, &format!("part {part}")).await;
    }
}

#[tokio::test]
async fn a_refused_completion_aborts_the_upload() {
    let faults = Faults {
        complete: true,
        ..Faults::default()
    };
    assert_aborted(faults, body_of(6), unavailable, "completion").await;
}

#[tokio::test]
async fn a_failing_body_aborts_the_upload() {
    let failing: ByteStream = Box::pin(body_of(6).chain(futures::stream::iter([Err(
        std::io::Error::other("client went away"),
    )])));
    let aborted = |e: &BlobError| matches!(e, BlobError::Aborted(_));
    assert_aborted(Faults::default(), failing, aborted, "body").await;
}

#[tokio::test]
async fn a_cancelled_upload_is_aborted() {
    let (store, aborts) = store_with(Faults::default());
    // 6 MiB, then the client goes silent and the request is dropped.
    let stalled: ByteStream = Box::pin(body_of(6).chain(futures::stream::pending()));
    assert!(
        tokio::time::timeout(Duration::from_millis(500), store.put(&key(), stalled))
            .await
            .is_err()
    );
    let mut waited = Duration::ZERO;
    while aborts.load(Ordering::SeqCst) == 0 && waited < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += Duration::from_millis(10);
    }
    assert_eq!(aborts.load(Ordering::SeqCst), 1, "the upload was left open");
    assert!(!store.exists(&key()).await.unwrap());
}
