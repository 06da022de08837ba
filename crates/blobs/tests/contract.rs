//! The BlobStore contract against the object_store adapter (memory and a local folder), the
//! no-leftovers promise of aborted uploads, and `STORAGE_URL` parsing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use object_store::memory::InMemory;
use plinth_blobs::{BlobConfigError, ObjectStoreBlobs, open_store};
use plinth_files::testing::contract;
use plinth_files::{BlobError, BlobKey, BlobStore, ByteStream};

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path)
            } else {
                out.push(path)
            }
        }
    }
    out
}

fn local_store(dir: &Path) -> Arc<dyn BlobStore> {
    open_store(&format!("file://{}", dir.display())).unwrap()
}

/// Six MiB of data (more than one multipart part) in 64 KiB chunks, then `tail`.
fn six_mib_then(tail: Vec<Result<Bytes, std::io::Error>>) -> ByteStream {
    let head = (0..96).map(|i| Ok(Bytes::from(vec![i as u8; 64 * 1024])));
    Box::pin(futures::stream::iter(head.chain(tail)))
}

#[tokio::test]
async fn memory_store_passes_the_blob_contract() {
    contract::blob_store(Arc::new(ObjectStoreBlobs::new(Arc::new(InMemory::new())))).await;
    contract::blob_store(open_store("memory://").unwrap()).await;
}

#[tokio::test]
async fn local_store_passes_the_blob_contract_and_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    contract::blob_store(local_store(dir.path())).await;
    assert_eq!(
        files_under(dir.path()),
        Vec::<PathBuf>::new(),
        "aborted uploads left staging files"
    );
}

#[tokio::test]
async fn local_store_keeps_blobs_as_files_under_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(dir.path());
    let key = BlobKey("files/owner/file/v1".into());
    let body: ByteStream = Box::pin(futures::stream::iter([Ok(Bytes::from_static(b"on disk"))]));
    assert_eq!(store.put(&key, body).await.unwrap(), 7);
    assert_eq!(
        std::fs::read(dir.path().join("files/owner/file/v1")).unwrap(),
        b"on disk"
    );
    store.delete(&key).await.unwrap();
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn a_body_failing_after_a_part_was_written_leaves_no_staging_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(dir.path());
    let key = BlobKey("files/u/f/v1".into());
    let body = six_mib_then(vec![Err(std::io::Error::other("limit hit"))]);
    let err = store.put(&key, body).await.unwrap_err();
    assert!(matches!(err, BlobError::Aborted(_)), "{err:?}");
    assert!(!store.exists(&key).await.unwrap());
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn an_upload_cancelled_midway_leaves_no_staging_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(dir.path());
    let key = BlobKey("files/u/f/v1".into());
    // The client sends 6 MiB and then goes silent; the request is dropped (as actix does
    // when the connection closes).
    let body: ByteStream = Box::pin(six_mib_then(Vec::new()).chain(futures::stream::pending()));
    let put = store.put(&key, body);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), put)
            .await
            .is_err()
    );
    for _ in 0..50 {
        if files_under(dir.path()).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
    assert!(!store.exists(&key).await.unwrap());
}

#[tokio::test]
async fn check_fails_when_the_local_folder_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("blobs");
    let store = local_store(&folder);
    store.check().await.unwrap();
    std::fs::remove_dir_all(&folder).unwrap();
    assert!(matches!(
        store.check().await,
        Err(BlobError::Unavailable(_))
    ));
}

#[test]
fn file_urls_with_absolute_paths_create_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("nested/blobs");
    open_store(&format!("file://{}", folder.display())).unwrap();
    assert!(folder.is_dir());
}

#[tokio::test]
async fn file_urls_with_relative_paths_resolve_against_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = std::env::current_dir().unwrap();
    let target = dir.path().join("relative-store");
    // ../../..<to the root>/tmp/…: a relative path to the temporary folder.
    let ups = "../".repeat(cwd.components().count() - 1);
    let relative = format!("{ups}{}", target.strip_prefix("/").unwrap().display());
    assert!(!relative.starts_with('/'));
    let store = open_store(&format!("file://{relative}")).unwrap();
    assert!(target.is_dir(), "the folder is created");
    let key = BlobKey("k".into());
    store
        .put(
            &key,
            Box::pin(futures::stream::iter([Ok(Bytes::from_static(b"x"))])),
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(target.join("k")).unwrap(), b"x");
}

#[test]
fn a_file_url_naming_a_regular_file_is_refused() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = open_store(&format!("file://{}", file.path().display()))
        .err()
        .unwrap();
    assert!(
        matches!(err, BlobConfigError::LocalFolder { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("cannot use storage folder"));
}

#[test]
fn s3_urls_build_without_contacting_anything() {
    open_store("s3://plinth-files").unwrap();
    open_store("s3://plinth-files/").unwrap();
    open_store("s3://plinth-files/tenant-a/uploads").unwrap();
}

/// Whether an error is the expected kind.
type Expect = fn(&BlobConfigError) -> bool;

#[test]
fn malformed_urls_are_refused_with_the_accepted_forms() {
    let cases: [(&str, Expect); 9] = [
        ("", |e| matches!(e, BlobConfigError::Unsupported { .. })),
        ("data/files", |e| {
            matches!(e, BlobConfigError::Unsupported { .. })
        }),
        ("ftp://host/dir", |e| {
            matches!(e, BlobConfigError::Unsupported { .. })
        }),
        ("gs://bucket", |e| {
            matches!(e, BlobConfigError::Unsupported { .. })
        }),
        ("memory://somewhere", |e| {
            matches!(e, BlobConfigError::Unsupported { .. })
        }),
        ("file://", |e| matches!(e, BlobConfigError::MissingPath)),
        ("s3://", |e| matches!(e, BlobConfigError::BadBucket)),
        ("s3:///prefix", |e| matches!(e, BlobConfigError::BadBucket)),
        ("s3://AKIAEXAMPLE:hunter2secret@bucket/x", |e| {
            matches!(e, BlobConfigError::BadBucket)
        }),
    ];
    for (url, expected) in cases {
        let err = open_store(url)
            .err()
            .unwrap_or_else(|| panic!("{url:?} should be refused"));
        assert!(expected(&err), "{url:?} gave {err:?}");
        let message = err.to_string();
        assert!(
            message.contains(
                "file:///absolute/path, file://relative/path, memory:// or s3://bucket[/prefix]"
            ),
            "{url:?}: {message}"
        );
        assert!(
            !message.contains("hunter2"),
            "a credential leaked: {message}"
        );
    }
    assert!(
        open_store("ftp://host")
            .err()
            .unwrap()
            .to_string()
            .contains("\"ftp\"")
    );
}

#[tokio::test]
async fn a_crashed_uploads_staging_file_is_hidden_from_the_listing_and_swept_once_old() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(dir.path());
    let done = BlobKey("files/u1/f1/v1-done".into());
    store
        .put(
            &done,
            Box::pin(futures::stream::iter([Ok(Bytes::from("ok"))])),
        )
        .await
        .unwrap();
    // What object_store leaves when the process dies mid-upload: `<key>#<n>` beside it.
    let staging = dir.path().join("files/u1/f2/v1-crashed#3");
    std::fs::create_dir_all(staging.parent().unwrap()).unwrap();
    std::fs::write(&staging, b"half an upload").unwrap();

    let listed: Vec<String> = store
        .list("files/")
        .map(|e| e.unwrap().key.0)
        .collect()
        .await;
    assert_eq!(listed, vec!["files/u1/f1/v1-done".to_owned()]);

    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    assert_eq!(
        store.sweep_partial_uploads(an_hour_ago).await.unwrap(),
        0,
        "a staging file being written right now is left alone"
    );
    assert!(staging.exists());
    let soon = chrono::Utc::now() + chrono::Duration::seconds(5);
    assert_eq!(store.sweep_partial_uploads(soon).await.unwrap(), 1);
    assert!(!staging.exists());
    assert!(store.exists(&done).await.unwrap(), "complete blobs stay");
}
