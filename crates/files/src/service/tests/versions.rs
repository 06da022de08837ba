//! New versions, the version list, old versions' content, and delete of every version.

use super::*;

async fn versions_of(f: &Fixture, owner: UserId, id: FileId) -> Vec<i32> {
    f.service
        .versions_for(&as_viewer(owner), id)
        .await
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect()
}

#[tokio::test]
async fn a_new_version_becomes_current_and_the_old_one_stays_readable() {
    let f = fixture(1024);
    let owner = UserId::new();
    let v1 = f
        .service
        .upload(
            &as_caller(owner),
            input("draft.txt", &[b"first draft"]),
            &meta(),
        )
        .await
        .unwrap();
    f.clock.advance(chrono::Duration::minutes(5));
    let v2 = f
        .service
        .upload_version_for(
            &as_viewer(owner),
            v1.id,
            input("final.csv", &[b"a,b\n1,2\n"]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(v2.id, v1.id);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.name, "final.csv");
    assert_eq!(v2.content_type, "text/csv");
    assert_eq!(v2.size, 8);
    assert_eq!(v2.sha256, hex::encode(Sha256::digest(b"a,b\n1,2\n")));
    assert!(
        v2.storage_key
            .as_str()
            .starts_with(&format!("files/{owner}/{}/v2-", v1.id)),
        "{}",
        v2.storage_key.as_str()
    );
    assert_ne!(v2.storage_key, v1.storage_key);
    assert_eq!(v2.created_at, v1.created_at);
    assert_eq!(v2.updated_at, f.clock.now());
    assert_eq!(
        f.service.get_for(&as_viewer(owner), v1.id).await.unwrap(),
        v2
    );

    let listed = f
        .service
        .versions_for(&as_viewer(owner), v1.id)
        .await
        .unwrap();
    assert_eq!(listed, vec![v2.clone(), v1.clone()], "newest first");

    let (old, stream) = f
        .service
        .open_version_for(&as_viewer(owner), v1.id, 1, None)
        .await
        .unwrap();
    assert_eq!(old, v1);
    assert_eq!(read_all(stream).await, b"first draft");
    let (_, stream) = f
        .service
        .open_version_for(
            &as_viewer(owner),
            v1.id,
            1,
            Some(ByteRange { start: 6, end: 10 }),
        )
        .await
        .unwrap();
    assert_eq!(read_all(stream).await, b"draft");
    let (cur, stream) = open_current(&f.service, owner, v1.id, None).await.unwrap();
    assert_eq!(cur, v2);
    assert_eq!(read_all(stream).await, b"a,b\n1,2\n");
    assert!(matches!(
        f.service
            .downloadable_for(&as_viewer(owner), v1.id, Some(3))
            .await,
        Err(FileError::NotFound)
    ));

    let events = f
        .audit
        .list(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(events.len(), 2);
    let newest = &events[0];
    assert_eq!(newest.action, AuditAction::FileUploaded);
    assert_eq!(newest.actor_id, Some(owner.as_uuid()));
    assert_eq!(newest.target_id, Some(v1.id.to_string()));
    assert_eq!(newest.details["version"], 2);
}

#[tokio::test]
async fn only_the_owner_sees_or_adds_versions() {
    let f = fixture(1024);
    let (owner, mallory) = (UserId::new(), UserId::new());
    let file = f
        .service
        .upload(&as_caller(owner), input("mine.txt", &[b"mine"]), &meta())
        .await
        .unwrap();
    let err = f
        .service
        .upload_version_for(
            &as_viewer(mallory),
            file.id,
            input("evil.txt", &[b"evil"]),
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FileError::NotFound), "{err:?}");
    assert!(matches!(
        f.service.versions_for(&as_viewer(mallory), file.id).await,
        Err(FileError::NotFound)
    ));
    assert!(matches!(
        f.service
            .open_version_for(&as_viewer(mallory), file.id, 1, None)
            .await,
        Err(FileError::NotFound)
    ));
    assert!(matches!(
        f.service
            .upload_version_for(
                &as_viewer(owner),
                FileId::new(),
                input("x.txt", &[b"x"]),
                &meta()
            )
            .await,
        Err(FileError::NotFound)
    ));
    assert_eq!(f.blobs.keys().len(), 1, "nothing was stored");
    assert_eq!(
        f.service.get_for(&as_viewer(owner), file.id).await.unwrap(),
        file
    );
}

#[tokio::test]
async fn a_refused_version_leaves_the_file_as_it_was() {
    let f = fixture(64);
    let owner = UserId::new();
    let file = f
        .service
        .upload(&as_caller(owner), input("a.txt", &[b"small"]), &meta())
        .await
        .unwrap();
    let too_big = f
        .service
        .upload_version_for(
            &as_viewer(owner),
            file.id,
            input("a.txt", &[&[b'x'; 65]]),
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(too_big, FileError::TooLarge { limit: 64 }),
        "{too_big:?}"
    );
    let mismatch = f
        .service
        .upload_version_for(
            &as_viewer(owner),
            file.id,
            input("a.pdf", &[PNG_HEADER]),
            &meta(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(mismatch, FileError::TypeMismatch { .. }),
        "{mismatch:?}"
    );
    assert_eq!(
        f.service.get_for(&as_viewer(owner), file.id).await.unwrap(),
        file
    );
    assert_eq!(versions_of(&f, owner, file.id).await, vec![1]);
    assert_eq!(f.blobs.keys(), vec![file.storage_key.0.clone()]);
}

#[tokio::test]
async fn a_failed_audit_undoes_the_version_and_removes_its_blob() {
    let files = MemoryFileRepository::new();
    let blobs = MemoryBlobStore::new();
    let uow: Arc<dyn plinth_kernel::UnitOfWork> = Arc::new(MemoryUnitOfWork::new());
    let f = fixture(1024);
    let make = |audit: Arc<dyn AuditLog>| {
        service_over(
            &files,
            &blobs,
            audit,
            uow.clone(),
            Arc::new(f.clock.clone()),
            policy(f.service.limits().clone()),
        )
    };
    let working = make(Arc::new(MemoryAuditLog::new()));
    let broken = make(Arc::new(FailingAuditLog::new()));
    let owner = UserId::new();
    let file = working
        .upload(&as_caller(owner), input("a.txt", &[b"one"]), &meta())
        .await
        .unwrap();
    assert!(
        broken
            .upload_version_for(
                &as_viewer(owner),
                file.id,
                input("a.txt", &[b"two"]),
                &meta()
            )
            .await
            .is_err()
    );
    assert_eq!(files.all(), vec![file.clone()]);
    assert_eq!(files.all_versions().len(), 1);
    assert_eq!(blobs.keys(), vec![file.storage_key.0.clone()]);
}

#[tokio::test]
async fn concurrent_versions_get_distinct_numbers_and_keep_their_content() {
    let f = fixture(1024);
    let owner = UserId::new();
    let file = f
        .service
        .upload(&as_caller(owner), input("a.txt", &[b"v1"]), &meta())
        .await
        .unwrap();
    let m = meta();
    let me = as_viewer(owner);
    let (a, b) = tokio::join!(
        f.service
            .upload_version_for(&me, file.id, input("a.txt", &[b"from a"]), &m),
        f.service
            .upload_version_for(&me, file.id, input("a.txt", &[b"from b"]), &m),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut numbers = [a.version, b.version];
    numbers.sort_unstable();
    assert_eq!(numbers, [2, 3]);
    for v in [&a, &b] {
        let (_, stream) = f
            .service
            .open_version_for(&as_viewer(owner), file.id, v.version, None)
            .await
            .unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(read_all(stream).await)),
            v.sha256
        );
    }
    assert_eq!(versions_of(&f, owner, file.id).await, vec![3, 2, 1]);
}

#[tokio::test]
async fn delete_removes_every_version_row_and_blob() {
    let f = fixture(1024);
    let owner = UserId::new();
    let file = f
        .service
        .upload(&as_caller(owner), input("a.txt", &[b"v1"]), &meta())
        .await
        .unwrap();
    for body in [b"v2", b"v3"] {
        f.service
            .upload_version_for(&as_viewer(owner), file.id, input("a.txt", &[body]), &meta())
            .await
            .unwrap();
    }
    assert_eq!(f.blobs.keys().len(), 3);
    f.service
        .delete_for(&as_viewer(owner), file.id, &meta())
        .await
        .unwrap();
    assert!(f.blobs.keys().is_empty(), "{:?}", f.blobs.keys());
    assert!(f.files.all().is_empty());
    assert!(f.files.all_versions().is_empty());
}

#[tokio::test]
async fn downloads_of_the_current_version_are_counted() {
    let f = fixture(1024);
    let (owner, mallory) = (UserId::new(), UserId::new());
    let file = f
        .service
        .upload(&as_caller(owner), input("a.txt", &[b"one"]), &meta())
        .await
        .unwrap();
    assert_eq!(file.download_count, 0);
    let (_, s) = open_current(&f.service, owner, file.id, None)
        .await
        .unwrap();
    assert_eq!(read_all(s).await, b"one");
    let (_, s) = open_current(
        &f.service,
        owner,
        file.id,
        Some(ByteRange { start: 0, end: 0 }),
    )
    .await
    .unwrap();
    assert_eq!(read_all(s).await, b"o");
    assert!(
        open_current(&f.service, mallory, file.id, None)
            .await
            .is_err()
    );
    assert_eq!(
        f.service
            .get_for(&as_viewer(owner), file.id)
            .await
            .unwrap()
            .download_count,
        2
    );

    f.service
        .upload_version_for(
            &as_viewer(owner),
            file.id,
            input("a.txt", &[b"two"]),
            &meta(),
        )
        .await
        .unwrap();
    let (_, s) = f
        .service
        .open_version_for(&as_viewer(owner), file.id, 1, None)
        .await
        .unwrap();
    assert_eq!(read_all(s).await, b"one");
    let after_old = f.service.get_for(&as_viewer(owner), file.id).await.unwrap();
    assert_eq!(after_old.download_count, 2, "an old version is not counted");
    let (_, s) = f
        .service
        .open_version_for(&as_viewer(owner), file.id, 2, None)
        .await
        .unwrap();
    assert_eq!(read_all(s).await, b"two");
    assert_eq!(
        f.service
            .get_for(&as_viewer(owner), file.id)
            .await
            .unwrap()
            .download_count,
        3
    );
}
