//! The [`BlobStore`] contract.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::{BlobError, BlobKey, BlobStore, ByteRange, ByteStream};

/// A body bigger than one 5 MiB multipart part, in irregular chunks.
const BIG_CHUNK: usize = 65_537;
const BIG_CHUNKS: usize = 90;

/// Runs every [`BlobStore`] promise against `store`: streamed put/get round trips (including
/// an empty blob and a body of more than 5 MiB in many chunks, compared by SHA-256), inclusive
/// ranges, `NotFound` for a missing key, a failed upload stream leaving nothing behind,
/// delete (also of a missing key), overwrite, and `check`.
///
/// # Panics
/// On the first broken promise.
pub async fn blob_store(store: Arc<dyn BlobStore>) {
    let base = format!("contract/{}", uuid::Uuid::now_v7());
    let key = |name: &str| BlobKey(format!("{base}/{name}"));

    // Multi-chunk round trip.
    let k = key("three-chunks");
    let size = store
        .put(&k, chunks(&[b"hello ", b"blob ", b"world"]))
        .await
        .unwrap();
    assert_eq!(size, 16, "put returns the number of bytes stored");
    assert!(store.exists(&k).await.unwrap());
    assert_eq!(read(&*store, &k, None).await, b"hello blob world");

    // Inclusive ranges, at the start, in the middle, at the end, one byte.
    assert_eq!(
        read(&*store, &k, Some(ByteRange { start: 0, end: 4 })).await,
        b"hello"
    );
    assert_eq!(
        read(&*store, &k, Some(ByteRange { start: 6, end: 9 })).await,
        b"blob"
    );
    assert_eq!(
        read(&*store, &k, Some(ByteRange { start: 11, end: 15 })).await,
        b"world"
    );
    assert_eq!(
        read(&*store, &k, Some(ByteRange { start: 15, end: 15 })).await,
        b"d"
    );

    // Missing key.
    let missing = key("missing");
    assert!(
        matches!(store.get(&missing, None).await, Err(BlobError::NotFound)),
        "get of a missing key"
    );
    assert!(!store.exists(&missing).await.unwrap());

    // Empty blob.
    let empty = key("empty");
    assert_eq!(store.put(&empty, chunks(&[])).await.unwrap(), 0);
    assert!(store.exists(&empty).await.unwrap());
    assert!(read(&*store, &empty, None).await.is_empty());

    // A stream that fails midway leaves nothing, early or after a multipart part was sent.
    for (name, before) in [("fails-early", 2usize), ("fails-late", BIG_CHUNKS)] {
        let k = key(name);
        let body = failing_after(before);
        let err = store
            .put(&k, body)
            .await
            .expect_err("a failing stream must fail the put");
        assert!(
            matches!(err, BlobError::Aborted(_)),
            "{name}: expected Aborted, got {err:?}"
        );
        assert!(
            !store.exists(&k).await.unwrap(),
            "{name}: nothing may stay under the key"
        );
        assert!(
            matches!(store.get(&k, None).await, Err(BlobError::NotFound)),
            "{name}: get must be NotFound"
        );
    }

    // Overwrite replaces the whole content (a shorter body leaves no tail).
    let k2 = key("overwrite");
    store
        .put(&k2, chunks(&[b"first version, long"]))
        .await
        .unwrap();
    store.put(&k2, chunks(&[b"second"])).await.unwrap();
    assert_eq!(read(&*store, &k2, None).await, b"second");

    // Delete, then delete again.
    store.delete(&k2).await.unwrap();
    assert!(!store.exists(&k2).await.unwrap());
    assert!(matches!(
        store.get(&k2, None).await,
        Err(BlobError::NotFound)
    ));
    store
        .delete(&k2)
        .await
        .expect("deleting a missing blob succeeds");
    store
        .delete(&missing)
        .await
        .expect("deleting a never-written key succeeds");

    // A body over 5 MiB in many chunks.
    let big = key("big");
    let data = pseudo_random(BIG_CHUNK * BIG_CHUNKS);
    let body: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(BIG_CHUNK)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let size = store
        .put(&big, Box::pin(futures::stream::iter(body)))
        .await
        .unwrap();
    assert_eq!(size, data.len() as u64);
    let back = read(&*store, &big, None).await;
    assert_eq!(back.len(), data.len());
    assert_eq!(
        Sha256::digest(&back),
        Sha256::digest(&data),
        "big body must round-trip unchanged"
    );
    let part = 5 * 1024 * 1024_u64;
    let across = read(
        &*store,
        &big,
        Some(ByteRange {
            start: part - 10,
            end: part + 10,
        }),
    )
    .await;
    assert_eq!(
        across,
        &data[(part - 10) as usize..=(part + 10) as usize],
        "range across a part boundary"
    );
    // A range from the middle spanning several of an adapter's read chunks (a local file is
    // streamed 256 KiB at a time).
    let long = read(
        &*store,
        &big,
        Some(ByteRange {
            start: 300_001,
            end: 1_900_000,
        }),
    )
    .await;
    assert_eq!(
        long,
        &data[300_001..=1_900_000],
        "long range from the middle"
    );

    store
        .check()
        .await
        .expect("check succeeds on a healthy store");

    // Listing under a prefix: every complete blob with its size and a recent write time,
    // nothing from a failed upload, nothing outside the prefix.
    let started = chrono::Utc::now() - chrono::Duration::minutes(5);
    let mut listed: Vec<crate::BlobEntry> = store
        .list(&format!("{base}/"))
        .map(|entry| entry.expect("listing"))
        .collect()
        .await;
    listed.sort_by(|a, b| a.key.0.cmp(&b.key.0));
    let names: Vec<(&str, u64)> = listed
        .iter()
        .map(|e| {
            (
                e.key.as_str().trim_start_matches(&format!("{base}/")),
                e.size,
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("big", data.len() as u64),
            ("empty", 0),
            ("three-chunks", 16)
        ],
        "list shows the complete blobs under the prefix"
    );
    assert!(listed.iter().all(|e| e.last_modified > started));
    let elsewhere = store.list("contract-none/").count().await;
    assert_eq!(elsewhere, 0, "nothing under an unused prefix");
    store
        .sweep_partial_uploads(chrono::Utc::now() + chrono::Duration::minutes(1))
        .await
        .expect("sweeping succeeds");
    assert_eq!(
        read(&*store, &k, None).await,
        b"hello blob world",
        "sweeping never touches complete blobs"
    );

    for k in [k, empty, big] {
        store.delete(&k).await.unwrap();
    }
}

fn chunks(parts: &[&[u8]]) -> ByteStream {
    let items: Vec<Result<Bytes, std::io::Error>> = parts
        .iter()
        .map(|p| Ok(Bytes::copy_from_slice(p)))
        .collect();
    Box::pin(futures::stream::iter(items))
}

/// `n` chunks of [`BIG_CHUNK`] bytes, then an I/O error, then more data that must not be kept.
fn failing_after(n: usize) -> ByteStream {
    let mut items: Vec<Result<Bytes, std::io::Error>> = (0..n)
        .map(|i| Ok(Bytes::from(pseudo_random_seeded(BIG_CHUNK, i as u64 + 1))))
        .collect();
    items.push(Err(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "client went away",
    )));
    items.push(Ok(Bytes::from_static(b"after the error")));
    Box::pin(futures::stream::iter(items))
}

async fn read(store: &dyn BlobStore, key: &BlobKey, range: Option<ByteRange>) -> Vec<u8> {
    let mut stream = match store.get(key, range).await {
        Ok(s) => s,
        Err(e) => panic!("get {} {range:?} failed: {e:?}", key.as_str()),
    };
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

fn pseudo_random(len: usize) -> Vec<u8> {
    pseudo_random_seeded(len, 0x9E37_79B9_7F4A_7C15)
}

/// Deterministic bytes that do not repeat with any short period (xorshift64).
fn pseudo_random_seeded(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}
