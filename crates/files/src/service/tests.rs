//! FileService behaviour with the in-memory adapters.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures::StreamExt;
use plinth_audit::testing::{FailingAuditLog, MemoryAuditLog};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{PageRequest, RequestMeta, UserId};
use sha2::{Digest, Sha256};

use super::*;
use crate::testing::{
    MemoryAvatarReferences, MemoryBlobStore, MemoryFileRepository, MemoryViewers,
};

mod avatars;
mod ports;
mod reconcile;
mod types;
mod versions;

const PNG_HEADER: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

struct Fixture {
    service: FileService,
    files: MemoryFileRepository,
    blobs: MemoryBlobStore,
    audit: MemoryAuditLog,
    clock: ManualClock,
    /// The active accounts (none until a test registers one).
    viewers: MemoryViewers,
    /// The avatar images accounts show (none until a test shows one).
    avatars: MemoryAvatarReferences,
}

/// The policy of the tests' services: `limits`, links under `https://files.example`, avatars
/// up to 1 MiB.
fn policy(limits: FileLimits) -> FilePolicy {
    FilePolicy {
        limits,
        public_url: "https://files.example/".to_owned(),
        max_avatar_bytes: DEFAULT_MAX_AVATAR_BYTES,
    }
}

/// A service over the given ports, fakes for the others, with `policy`.
fn service_over(
    files: &MemoryFileRepository,
    blobs: &MemoryBlobStore,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn plinth_kernel::UnitOfWork>,
    clock: Arc<dyn plinth_kernel::Clock>,
    policy: FilePolicy,
) -> FileService {
    FileService::new(
        FilePorts::with_fakes(
            Arc::new(files.clone()),
            Arc::new(blobs.clone()),
            audit,
            uow,
            clock,
        ),
        policy,
    )
}

fn fixture_with(limit: u64, audit: Arc<dyn AuditLog>) -> Fixture {
    let files = MemoryFileRepository::new();
    let blobs = MemoryBlobStore::new();
    let memory_audit = MemoryAuditLog::new();
    let clock = ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let limits = FileLimits {
        max_upload_bytes: limit,
        allowed_extensions: ["png", "txt", "csv", "pdf", "docx", "zip"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>(),
    };
    let viewers = MemoryViewers::new();
    let avatars = MemoryAvatarReferences::new();
    let service = FileService::new(
        FilePorts {
            viewers: Arc::new(viewers.clone()),
            avatar_references: Arc::new(avatars.clone()),
            ..FilePorts::with_fakes(
                Arc::new(files.clone()),
                Arc::new(blobs.clone()),
                audit,
                Arc::new(MemoryUnitOfWork::new()),
                Arc::new(clock.clone()),
            )
        },
        policy(limits),
    );
    Fixture {
        service,
        files,
        blobs,
        audit: memory_audit,
        clock,
        viewers,
        avatars,
    }
}

fn fixture(limit: u64) -> Fixture {
    let audit = MemoryAuditLog::new();
    let mut f = fixture_with(limit, Arc::new(audit.clone()));
    f.audit = audit;
    f
}

/// A body that, like the HTTP layer's, panics when polled again after it ended.
fn body(parts: &[&[u8]]) -> ByteStream {
    let items: std::collections::VecDeque<Result<Bytes, std::io::Error>> = parts
        .iter()
        .map(|p| Ok(Bytes::copy_from_slice(p)))
        .collect();
    Box::pin(futures::stream::unfold(items, |mut items| async move {
        items.pop_front().map(|item| (item, items))
    }))
}

fn input(name: &str, parts: &[&[u8]]) -> UploadInput {
    UploadInput {
        file_name: name.to_owned(),
        body: body(parts),
    }
}

/// `id` signed in, acting for themselves.
fn as_caller(id: UserId) -> plinth_kernel::Caller {
    plinth_kernel::Caller::new(id, Vec::new())
}

/// `id` as the file service sees a caller: the owner of their files, with a verified address
/// of their own.
fn as_viewer(id: UserId) -> crate::Viewer {
    let email =
        plinth_kernel::Email::parse(&format!("{}@example.com", id.as_uuid().simple())).unwrap();
    crate::Viewer::new(id, email, true)
}

/// Opens the current version of file `id` as `viewer` would download it (the current version
/// counts as a download).
async fn open_current(
    service: &FileService,
    viewer: UserId,
    id: FileId,
    range: Option<ByteRange>,
) -> Result<(FileObject, ByteStream), FileError> {
    let viewer = as_viewer(viewer);
    let file = service.downloadable_for(&viewer, id, None).await?;
    service
        .open_version_for(&viewer, id, file.version, range)
        .await
}

fn meta() -> RequestMeta {
    RequestMeta {
        ip: Some("203.0.113.9".into()),
        user_agent: Some("tests".into()),
        request_id: Some("req-1".into()),
    }
}

async fn read_all(mut s: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

#[tokio::test]
async fn upload_records_size_hash_sniffed_type_and_an_audit_entry() {
    let f = fixture(1024);
    let owner = UserId::new();
    let tail = b"rest of the image";
    let file = f
        .service
        .upload(
            &as_caller(owner),
            input("avatar.png", &[PNG_HEADER, tail]),
            &meta(),
        )
        .await
        .unwrap();

    let mut all = PNG_HEADER.to_vec();
    all.extend_from_slice(tail);
    assert_eq!(file.size, all.len() as u64);
    assert_eq!(file.sha256, hex::encode(Sha256::digest(&all)));
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.name, "avatar.png");
    assert_eq!(file.owner_id, owner);
    assert_eq!(file.version, 1);
    assert_eq!(file.created_at, f.clock.now());
    assert!(
        file.storage_key
            .as_str()
            .starts_with(&format!("files/{owner}/{}/v1-", file.id)),
        "{}",
        file.storage_key.as_str()
    );
    assert_eq!(f.blobs.bytes(&file.storage_key).unwrap(), all);
    assert_eq!(f.files.all(), vec![file.clone()]);

    let events = f
        .audit
        .list(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.action, AuditAction::FileUploaded);
    assert_eq!(e.actor_id, Some(owner.as_uuid()));
    assert_eq!(e.target_type.as_deref(), Some("file"));
    assert_eq!(e.target_id, Some(file.id.to_string()));
    assert_eq!(e.ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(e.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        e.details,
        serde_json::json!({
            "name": "avatar.png", "size": file.size, "sha256": file.sha256, "version": 1,
            "owner_id": owner,
        })
    );
}

#[tokio::test]
async fn text_is_sniffed_as_text_and_content_beats_the_extension() {
    let f = fixture(1024);
    let owner = UserId::new();
    let txt = f
        .service
        .upload(
            &as_caller(owner),
            input("notes.TXT", &[b"hello ", "wörld\n".as_bytes()]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(txt.content_type, "text/plain");
    let csv = f
        .service
        .upload(
            &as_caller(owner),
            input("data.csv", &[b"a,b\n1,2\n"]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(csv.content_type, "text/csv");
    let html = f
        .service
        .upload(
            &as_caller(owner),
            input("page.txt", &[b"<html><script>"]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(
        html.content_type, "text/plain",
        "text under a text name is served as text"
    );
}

#[tokio::test]
async fn an_upload_exactly_at_the_limit_is_accepted() {
    let f = fixture(10);
    let file = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("ten.txt", &[b"01234", b"56789"]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(file.size, 10);
}

#[tokio::test]
async fn one_byte_over_the_limit_is_refused_mid_stream_and_leaves_nothing() {
    let f = fixture(100);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    // Ten chunks of 10 bytes reach the limit exactly; the 11th chunk is the 101st byte; 89
    // more chunks follow that must never be pulled.
    let stream = futures::stream::iter(0..100).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        let len = if i == 10 { 1 } else { 10 };
        Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; len]))
    });
    let err = f
        .service
        .upload(
            &as_caller(UserId::new()),
            UploadInput {
                file_name: "big.txt".into(),
                body: Box::pin(stream),
            },
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FileError::TooLarge { limit: 100 }), "{err:?}");
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        11,
        "the body is not read past the chunk that passes the limit"
    );
    assert!(f.blobs.keys().is_empty(), "nothing in the blob store");
    assert!(f.files.all().is_empty(), "no row");
    assert!(
        f.audit
            .list(&AuditFilter::default(), PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn a_disallowed_extension_is_refused_before_reading() {
    let f = fixture(1024);
    let err = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("setup.EXE", &[b"MZ"]),
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FileError::TypeNotAllowed(ext) if ext == "exe"),
        "{err:?}"
    );
    let err = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("Makefile", &[b"all:"]),
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FileError::TypeNotAllowed(ext) if ext.is_empty()),
        "{err:?}"
    );
    assert!(f.blobs.keys().is_empty());
}

#[tokio::test]
async fn a_path_in_the_name_is_stripped_and_an_empty_name_refused() {
    let f = fixture(1024);
    let file = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("../../etc/passwd.txt", &[b"root:x:0:0"]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(file.name, "passwd.txt");
    assert!(!file.storage_key.as_str().contains(".."));
    let err = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("uploads/", &[b"x"]),
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FileError::InvalidUpload(m) if m == "file name is required"),
        "{err:?}"
    );
}

#[tokio::test]
async fn another_users_file_is_not_found_for_get_open_and_delete() {
    let f = fixture(1024);
    let (alice, mallory) = (UserId::new(), UserId::new());
    let file = f
        .service
        .upload(
            &as_caller(alice),
            input("secret.txt", &[b"top secret"]),
            &meta(),
        )
        .await
        .unwrap();

    assert!(matches!(
        f.service.get_for(&as_viewer(mallory), file.id).await,
        Err(FileError::NotFound)
    ));
    assert!(matches!(
        open_current(&f.service, mallory, file.id, None).await,
        Err(FileError::NotFound)
    ));
    assert!(matches!(
        f.service
            .delete_for(&as_viewer(mallory), file.id, &meta())
            .await,
        Err(FileError::NotFound)
    ));
    assert!(
        f.service
            .list_owned(mallory, PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        f.service.get_for(&as_viewer(alice), FileId::new()).await,
        Err(FileError::NotFound)
    ));

    assert_eq!(
        f.service.get_for(&as_viewer(alice), file.id).await.unwrap(),
        file
    );
    assert!(
        f.blobs.bytes(&file.storage_key).is_some(),
        "mallory's delete removed nothing"
    );
}

#[tokio::test]
async fn open_streams_the_content_or_an_inclusive_range() {
    let f = fixture(1024);
    let owner = UserId::new();
    let file = f
        .service
        .upload(
            &as_caller(owner),
            input("abc.txt", &[b"abcdef", b"ghij"]),
            &meta(),
        )
        .await
        .unwrap();
    let (meta_back, stream) = open_current(&f.service, owner, file.id, None)
        .await
        .unwrap();
    assert_eq!(meta_back, file);
    assert_eq!(read_all(stream).await, b"abcdefghij");
    let (_, stream) = open_current(
        &f.service,
        owner,
        file.id,
        Some(ByteRange { start: 2, end: 4 }),
    )
    .await
    .unwrap();
    assert_eq!(read_all(stream).await, b"cde");
    let (_, stream) = open_current(
        &f.service,
        owner,
        file.id,
        Some(ByteRange { start: 7, end: 500 }),
    )
    .await
    .unwrap();
    assert_eq!(
        read_all(stream).await,
        b"hij",
        "an end past the last byte is clamped"
    );
}

#[tokio::test]
async fn list_shows_own_files_newest_first() {
    let f = fixture(1024);
    let owner = UserId::new();
    let a = f
        .service
        .upload(&as_caller(owner), input("a.txt", &[b"a"]), &meta())
        .await
        .unwrap();
    let b = f
        .service
        .upload(&as_caller(owner), input("b.txt", &[b"b"]), &meta())
        .await
        .unwrap();
    f.service
        .upload(
            &as_caller(UserId::new()),
            input("other.txt", &[b"o"]),
            &meta(),
        )
        .await
        .unwrap();
    let page = f
        .service
        .list_owned(owner, PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(page.items, vec![b]);
    let next = PageRequest::new(Some(1), Some(&page.next_cursor.unwrap().encode())).unwrap();
    let page = f.service.list_owned(owner, next).await.unwrap();
    assert_eq!(page.items, vec![a]);
    assert!(page.next_cursor.is_none());
}

#[tokio::test]
async fn delete_removes_row_and_blob_and_is_audited() {
    let f = fixture(1024);
    let owner = UserId::new();
    let file = f
        .service
        .upload(&as_caller(owner), input("gone.txt", &[b"bye"]), &meta())
        .await
        .unwrap();
    f.service
        .delete_for(&as_viewer(owner), file.id, &meta())
        .await
        .unwrap();
    assert!(f.files.all().is_empty());
    assert!(f.blobs.keys().is_empty());
    assert!(matches!(
        f.service.get_for(&as_viewer(owner), file.id).await,
        Err(FileError::NotFound)
    ));
    let filter = AuditFilter {
        action: Some(AuditAction::FileDeleted),
        ..AuditFilter::default()
    };
    let events = f
        .audit
        .list(&filter, PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(owner.as_uuid()));
    assert_eq!(events[0].target_id, Some(file.id.to_string()));
    assert!(matches!(
        f.service
            .delete_for(&as_viewer(owner), file.id, &meta())
            .await,
        Err(FileError::NotFound)
    ));
}

#[tokio::test]
async fn when_the_audit_append_fails_the_upload_fails_and_leaves_nothing() {
    let f = fixture_with(1024, Arc::new(FailingAuditLog::new()));
    let err = f
        .service
        .upload(
            &as_caller(UserId::new()),
            input("a.txt", &[b"content"]),
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FileError::Repo(_)), "{err:?}");
    assert!(f.files.all().is_empty(), "the row was rolled back");
    assert!(f.blobs.keys().is_empty(), "the blob was removed");
}

#[tokio::test]
async fn when_the_audit_append_fails_the_delete_keeps_row_and_blob() {
    let shared_files = MemoryFileRepository::new();
    let blobs = MemoryBlobStore::new();
    let uow = Arc::new(MemoryUnitOfWork::new());
    let limits = FileLimits {
        max_upload_bytes: 1024,
        allowed_extensions: BTreeSet::from(["txt".to_owned()]),
    };
    let clock = Arc::new(ManualClock::default());
    let working = service_over(
        &shared_files,
        &blobs,
        Arc::new(MemoryAuditLog::new()),
        uow.clone(),
        clock.clone(),
        policy(limits.clone()),
    );
    let broken_audit = service_over(
        &shared_files,
        &blobs,
        Arc::new(FailingAuditLog::new()),
        uow,
        clock,
        policy(limits),
    );
    let owner = UserId::new();
    let file = working
        .upload(&as_caller(owner), input("keep.txt", &[b"keep me"]), &meta())
        .await
        .unwrap();
    assert!(
        broken_audit
            .delete(owner, file.clone(), &meta())
            .await
            .is_err()
    );
    assert_eq!(shared_files.all(), vec![file.clone()]);
    assert!(blobs.bytes(&file.storage_key).is_some());
}

#[tokio::test]
async fn a_client_stream_error_fails_the_upload_and_leaves_nothing() {
    let f = fixture(1024);
    let items: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"part")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "gone",
        )),
    ];
    let err = f
        .service
        .upload(
            &as_caller(UserId::new()),
            UploadInput {
                file_name: "a.txt".into(),
                body: Box::pin(futures::stream::iter(items)),
            },
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, FileError::Blob(BlobError::Aborted(_))),
        "{err:?}"
    );
    assert!(f.blobs.keys().is_empty());
    assert!(f.files.all().is_empty());
}

#[tokio::test]
async fn check_storage_answers_when_the_store_does() {
    let f = fixture(1);
    assert!(f.service.check_storage().await.is_ok());
    f.blobs.set_unavailable(true);
    let err = f.service.check_storage().await.unwrap_err();
    assert!(
        matches!(err, FileError::Blob(BlobError::Unavailable(_))),
        "{err:?}"
    );
    f.blobs.set_unavailable(false);
    assert!(f.service.check_storage().await.is_ok());
}
