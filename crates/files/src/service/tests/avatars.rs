//! Avatar images: sniffed, capped, stored under random keys, served by name.

use super::*;

#[tokio::test]
async fn an_image_is_stored_under_a_random_key_with_its_sniffed_type() {
    let f = fixture(64);
    let tail = vec![0u8; 200];
    let stored = f
        .service
        .store_avatar(body(&[&PNG_HEADER[..5], &PNG_HEADER[5..], &tail]))
        .await
        .unwrap();
    assert_eq!(stored.content_type, "image/png");
    assert_eq!(stored.size, (PNG_HEADER.len() + tail.len()) as u64);
    let name = stored
        .key
        .as_str()
        .strip_prefix(AVATAR_PREFIX)
        .expect("under avatars/");
    assert_eq!(avatar_content_type(name), Some("image/png"));
    assert_eq!(
        f.blobs.bytes(&stored.key).unwrap(),
        [PNG_HEADER, &tail].concat(),
        "the avatar limit, not MAX_UPLOAD_BYTES (64 here), applies"
    );

    let (content_type, stream) = f.service.open_avatar(name).await.unwrap();
    assert_eq!(content_type, "image/png");
    assert_eq!(read_all(stream).await, [PNG_HEADER, &tail].concat());

    let again = f.service.store_avatar(body(&[PNG_HEADER])).await.unwrap();
    assert_ne!(again.key, stored.key, "every image gets a new key");
}

#[tokio::test]
async fn anything_but_an_image_is_refused_before_it_is_stored() {
    let f = fixture(1024);
    for (content, detected) in [
        (&b"just some text, named avatar.png"[..], "text/plain"),
        (&b"%PDF-1.7\n%\xe2\xe3"[..], "application/pdf"),
        (&b""[..], "empty"),
    ] {
        match f.service.store_avatar(body(&[content])).await {
            Err(FileError::NotAnImage { detected: d }) => assert_eq!(d, detected),
            other => panic!("{content:?}: {other:?}"),
        }
    }
    assert!(f.blobs.keys().is_empty(), "{:?}", f.blobs.keys());
}

#[tokio::test]
async fn an_image_over_the_limit_is_refused_mid_stream_and_not_kept() {
    let f = fixture(1024);
    let service = service_over(
        &f.files,
        &f.blobs,
        Arc::new(f.audit.clone()),
        Arc::new(MemoryUnitOfWork::new()),
        Arc::new(f.clock.clone()),
        FilePolicy {
            max_avatar_bytes: 10_000,
            ..policy(f.service.limits().clone())
        },
    );
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let chunks = std::iter::once(Bytes::from_static(PNG_HEADER))
        .chain(std::iter::repeat_with(|| Bytes::from(vec![1u8; 4096])).take(100))
        .map(move |chunk| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(chunk)
        });
    let result = service
        .store_avatar(Box::pin(futures::stream::iter(chunks)))
        .await;
    assert!(
        matches!(result, Err(FileError::TooLarge { limit: 10_000 })),
        "{result:?}"
    );
    assert!(
        pulled.load(Ordering::SeqCst) < 10,
        "stopped reading soon after the limit, pulled {}",
        pulled.load(Ordering::SeqCst)
    );
    assert!(f.blobs.keys().is_empty(), "{:?}", f.blobs.keys());
}

#[tokio::test]
async fn unknown_and_malformed_names_are_not_found_and_only_avatars_are_removed() {
    let f = fixture(1024);
    let file = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("a.txt", &[b"hello"]),
            &meta(),
        )
        .await
        .unwrap();
    for name in [
        "0123456789abcdef0123456789abcdef.png".to_owned(),
        "../files/x".to_owned(),
        file.storage_key.as_str().to_owned(),
    ] {
        assert!(
            matches!(f.service.open_avatar(&name).await, Err(FileError::NotFound)),
            "{name}"
        );
    }
    f.service.remove_avatar(file.storage_key.as_str()).await;
    assert!(
        f.blobs.bytes(&file.storage_key).is_some(),
        "a file's blob is never removed as an avatar"
    );
    let stored = f.service.store_avatar(body(&[PNG_HEADER])).await.unwrap();
    f.service.remove_avatar(stored.key.as_str()).await;
    assert!(f.blobs.bytes(&stored.key).is_none());
}
