//! Content that disagrees with its extension is 415 and leaves nothing.

use crate::helpers::{TestApp, assert_problem, spawn_app};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn elf() -> Vec<u8> {
    let mut bytes = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    bytes.resize(64, 0);
    bytes
}

async fn assert_nothing_stored(app: &TestApp) {
    assert!(app.blobs.keys().is_empty(), "{:?}", app.blobs.keys());
    assert!(app.file_rows.all().is_empty());
    assert!(app.file_rows.all_versions().is_empty());
}

#[tokio::test]
async fn a_type_disagreeing_with_the_extension_is_415() {
    let app = spawn_app().await;
    let token = app.token("sniff@example.com").await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("report.pdf", PNG.to_vec(), "image/png"),
        ("notes.txt", elf(), "application/x-executable"),
        (
            "setup.txt",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec(),
            "portable-executable",
        ),
        (
            "photo.png",
            b"PK\x03\x04\x14\0\0\0\x08\0".to_vec(),
            "application/zip",
        ),
    ];
    for (name, bytes, detected) in cases {
        let res = app.upload(&token, name, bytes).await;
        let body = assert_problem(res, 415, "unsupported_media_type").await;
        assert!(
            body["detail"].as_str().unwrap().contains(detected),
            "{name}: {body}"
        );
    }
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn text_that_is_not_utf8_or_has_nul_bytes_is_415() {
    let app = spawn_app().await;
    let token = app.token("text@example.com").await;
    let res = app.upload(&token, "a.txt", b"nul\0inside".to_vec()).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    // The bad byte comes long after the sniffed head, in a body near the 64 KiB limit.
    let mut late = vec![b'a'; 60 * 1024];
    late.extend_from_slice(b"\xff\xfe");
    let res = app.upload(&token, "late.csv", late).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    assert_nothing_stored(&app).await;

    let res = app
        .upload(&token, "ok.txt", "grüße 🦀\n".as_bytes().to_vec())
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_large_mismatching_body_is_refused_and_removed() {
    let app = spawn_app().await;
    let token = app.token("bigfake@example.com").await;
    let mut fake = PNG.to_vec();
    fake.resize(60 * 1024, 7);
    let res = app.upload(&token, "big.pdf", fake).await;
    assert_problem(res, 415, "unsupported_media_type").await;
    assert_nothing_stored(&app).await;
}
