//! The BlobStore contract against a real S3-compatible server on loopback: moto's server mode
//! started by the tests (or `TEST_S3_ENDPOINT`), one fresh bucket per test. Without either,
//! the server tests print one line saying so and pass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "s3/server.rs"]
mod server;

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use plinth_blobs::{BlobConfigError, S3Options, s3_store};
use plinth_files::testing::contract;
use plinth_files::{BlobError, BlobKey, ByteStream};
use server::s3_server;

const PREFIX: &str = "some/prefix";

/// Six MiB of data (more than one 5 MiB multipart part) in 64 KiB chunks, then `tail`.
fn six_mib_then(tail: Vec<Result<Bytes, std::io::Error>>) -> ByteStream {
    let head = (0..96).map(|i| Ok(Bytes::from(vec![i as u8; 64 * 1024])));
    Box::pin(futures::stream::iter(head.chain(tail)))
}

fn body(bytes: &'static [u8]) -> ByteStream {
    Box::pin(futures::stream::iter([Ok(Bytes::from_static(bytes))]))
}

#[tokio::test]
async fn s3_store_passes_the_blob_contract_and_leaves_nothing_behind() {
    let Some(server) = s3_server().await else {
        return;
    };
    let bucket = server.create_bucket().await;
    contract::blob_store(server.store(&bucket, PREFIX)).await;
    // The suite deletes what it stored and its failed uploads must leave nothing: neither
    // an object nor an unfinished multipart upload.
    assert_eq!(server.keys(&bucket, "").await, Vec::<String>::new());
    assert_eq!(server.pending_uploads(&bucket).await, Vec::<String>::new());
}

#[tokio::test]
async fn keys_are_stored_under_the_configured_prefix() {
    let Some(server) = s3_server().await else {
        return;
    };
    let bucket = server.create_bucket().await;
    let store = server.store(&bucket, "/tenant-a/uploads/");
    let key = BlobKey("files/owner/file/v1".into());
    assert_eq!(store.put(&key, body(b"in the bucket")).await.unwrap(), 13);
    assert_eq!(
        server.keys(&bucket, "").await,
        vec!["tenant-a/uploads/files/owner/file/v1".to_owned()]
    );
    // The same bucket seen without the prefix does not find the key.
    assert!(!server.store(&bucket, "").exists(&key).await.unwrap());
    let mut back = Vec::new();
    let mut stream = store.get(&key, None).await.unwrap();
    while let Some(chunk) = stream.next().await {
        back.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(back, b"in the bucket");
}

#[tokio::test]
async fn an_aborted_multipart_upload_leaves_nothing_under_the_key() {
    let Some(server) = s3_server().await else {
        return;
    };
    let bucket = server.create_bucket().await;
    let store = server.store(&bucket, PREFIX);
    let key = BlobKey("files/u/f/v1".into());
    // One full part reaches the server before the body fails.
    let failing = six_mib_then(vec![Err(std::io::Error::other("limit hit"))]);
    let err = store.put(&key, failing).await.unwrap_err();
    assert!(matches!(err, BlobError::Aborted(_)), "{err:?}");
    assert!(!store.exists(&key).await.unwrap());
    assert!(matches!(
        store.get(&key, None).await,
        Err(BlobError::NotFound)
    ));
    assert_eq!(
        server
            .keys(&bucket, &format!("{PREFIX}/files/u/f/v1"))
            .await,
        Vec::<String>::new()
    );
    assert_eq!(server.pending_uploads(&bucket).await, Vec::<String>::new());
}

#[tokio::test]
async fn an_upload_cancelled_midway_is_aborted_on_the_server() {
    let Some(server) = s3_server().await else {
        return;
    };
    let bucket = server.create_bucket().await;
    let store = server.store(&bucket, PREFIX);
    let key = BlobKey("files/u/f/v2".into());
    // The client sends 6 MiB and goes silent; the request is dropped (as actix does when
    // the connection closes).
    let stalled: ByteStream = Box::pin(six_mib_then(Vec::new()).chain(futures::stream::pending()));
    let put = store.put(&key, stalled);
    assert!(
        tokio::time::timeout(Duration::from_secs(3), put)
            .await
            .is_err()
    );
    let started = Instant::now();
    let mut pending = server.pending_uploads(&bucket).await;
    while !pending.is_empty() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        pending = server.pending_uploads(&bucket).await;
    }
    assert_eq!(pending, Vec::<String>::new(), "the upload was left open");
    assert_eq!(server.keys(&bucket, "").await, Vec::<String>::new());
}

#[tokio::test]
async fn check_is_healthy_against_the_server() {
    let Some(server) = s3_server().await else {
        return;
    };
    let bucket = server.create_bucket().await;
    server.store(&bucket, PREFIX).check().await.unwrap();
    server.store(&bucket, "").check().await.unwrap();
}

#[tokio::test]
async fn check_reports_a_missing_bucket_as_unavailable() {
    let Some(server) = s3_server().await else {
        return;
    };
    let store = server.store("plinth-test-no-such-bucket", "");
    assert!(matches!(
        store.check().await,
        Err(BlobError::Unavailable(_))
    ));
}

#[tokio::test]
async fn check_reports_a_closed_port_as_unavailable_within_seconds() {
    let options = S3Options {
        endpoint: Some(format!("http://127.0.0.1:{}", server::free_port())),
        region: Some("us-east-1".into()),
        access_key_id: Some("plinth-test".into()),
        secret_access_key: Some("plinth-test-secret".into()),
        allow_http: true,
        max_retries: 1,
        retry_timeout: Duration::from_secs(2),
        connect_timeout: Some(Duration::from_secs(1)),
        request_timeout: Some(Duration::from_secs(2)),
        ..S3Options::new("plinth-unreachable")
    };
    let store = s3_store(options).unwrap();
    let started = Instant::now();
    let result = store.check().await;
    assert!(
        matches!(result, Err(BlobError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn unusable_names_are_refused_and_the_secret_never_shows() {
    let options = S3Options {
        secret_access_key: Some("hunter2-very-secret".into()),
        access_key_id: Some("AKIAEXAMPLE".into()),
        ..S3Options::new("bucket")
    };
    assert!(!format!("{options:?}").contains("hunter2"));
    for bucket in ["", "a/b", "spaces are bad", &"x".repeat(64)] {
        let err = s3_store(S3Options {
            bucket: bucket.to_owned(),
            ..options.clone()
        })
        .err()
        .unwrap();
        assert!(
            matches!(err, BlobConfigError::BadBucket),
            "{bucket:?}: {err:?}"
        );
        assert!(!err.to_string().contains("hunter2"));
    }
    let err = s3_store(S3Options {
        prefix: "a//b".into(),
        ..options.clone()
    })
    .err()
    .unwrap();
    assert!(matches!(err, BlobConfigError::BadPrefix), "{err:?}");
    s3_store(S3Options {
        prefix: "/ok/prefix/".into(),
        ..options
    })
    .unwrap();
}
