//! Uploads whose content disagrees with their extension are refused mid-stream (415).

use super::*;

const ELF_HEADER: &[u8] = &[
    0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0x38, 0,
];
const PE_HEADER: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0";
const ZIP_HEADER: &[u8] = b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0";

async fn assert_refused(f: &Fixture, name: &str, parts: &[&[u8]], ext: &str, detected: &str) {
    let err = f
        .service
        .upload(&as_caller(UserId::new()), input(name, parts), &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FileError::TypeMismatch { extension, detected: d }
            if extension == ext && d == detected),
        "{name}: {err:?}"
    );
    assert!(f.blobs.keys().is_empty(), "{name}: no blob");
    assert!(f.files.all().is_empty(), "{name}: no row");
    assert!(f.files.all_versions().is_empty(), "{name}: no version row");
}

#[tokio::test]
async fn content_of_another_type_than_the_extension_is_refused() {
    let f = fixture(1 << 20);
    assert_refused(&f, "report.pdf", &[PNG_HEADER], "pdf", "image/png").await;
    assert_refused(
        &f,
        "notes.txt",
        &[ELF_HEADER],
        "txt",
        "application/x-executable",
    )
    .await;
    assert_refused(
        &f,
        "notes.txt",
        &[PE_HEADER],
        "txt",
        "application/vnd.microsoft.portable-executable",
    )
    .await;
    assert_refused(
        &f,
        "photo.PNG",
        &[ZIP_HEADER, b"rest"],
        "png",
        "application/zip",
    )
    .await;
    assert_refused(
        &f,
        "photo.png",
        &[b"not an image at all"],
        "png",
        "text/plain",
    )
    .await;
    assert!(
        f.audit
            .list(&AuditFilter::default(), PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing audited"
    );
}

#[tokio::test]
async fn office_files_are_zips_and_pass() {
    let f = fixture(1 << 20);
    for name in ["letter.docx", "bundle.zip"] {
        let file = f
            .service
            .upload(
                &as_caller(UserId::new()),
                input(name, &[ZIP_HEADER, b"entries"]),
                &meta(),
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(file.content_type, "application/zip");
    }
}

#[tokio::test]
async fn text_must_be_utf8_without_nul_bytes_over_the_whole_body() {
    let f = fixture(1 << 20);
    assert_refused(
        &f,
        "a.txt",
        &[b"hello\0world"],
        "txt",
        "application/octet-stream",
    )
    .await;
    assert_refused(
        &f,
        "a.csv",
        &[b"a,b\n\xff\xfe,1\n"],
        "csv",
        "application/octet-stream",
    )
    .await;
    // Past the sniffed head: still caught.
    let text = vec![b'a'; 3 * SNIFF];
    assert_refused(
        &f,
        "late.txt",
        &[&text, b"\xc3\x28"],
        "txt",
        "application/octet-stream",
    )
    .await;
    // A body ending in the middle of a character.
    assert_refused(
        &f,
        "cut.txt",
        &[b"caf\xc3"],
        "txt",
        "application/octet-stream",
    )
    .await;
    // A character split between chunks is fine.
    let file = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("split.txt", &[b"caf\xc3", b"\xa9 ok"]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(file.content_type, "text/plain");
    assert_eq!(
        f.blobs.bytes(&file.storage_key).unwrap(),
        "café ok".as_bytes()
    );
}

const SNIFF: usize = 8 * 1024;

#[tokio::test]
async fn a_mismatch_stops_reading_the_body_early() {
    let f = fixture(1 << 30);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    // A PNG named .pdf, in 1 KiB chunks: decided once the 8 KiB head is in.
    let stream = futures::stream::iter(0..1000).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        let mut chunk = vec![0u8; 1024];
        if i == 0 {
            chunk[..PNG_HEADER.len()].copy_from_slice(PNG_HEADER);
        }
        Ok::<_, std::io::Error>(Bytes::from(chunk))
    });
    let err = f
        .service
        .upload(
            &as_caller(UserId::new()),
            UploadInput {
                file_name: "fake.pdf".into(),
                body: Box::pin(stream),
            },
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FileError::TypeMismatch { .. }), "{err:?}");
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        SNIFF / 1024,
        "nothing is read past the sniffed head"
    );
    assert!(f.blobs.keys().is_empty());
    assert!(f.files.all().is_empty());
}
