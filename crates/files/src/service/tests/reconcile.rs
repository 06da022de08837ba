//! The reconciler removes blobs no file names and avatar images no account shows, and
//! nothing else.

use super::*;

#[tokio::test]
async fn blobs_of_no_file_go_and_files_and_recent_blobs_stay() {
    let f = fixture(1024);
    let owner = UserId::new();
    let kept = f
        .service
        .upload(&as_caller(owner), input("kept.txt", &[b"keep me"]), &meta())
        .await
        .unwrap();
    let deleted = f
        .service
        .upload(
            &as_caller(owner),
            input("deleted.txt", &[b"delete me"]),
            &meta(),
        )
        .await
        .unwrap();
    // An upload whose row never got written, and a deletion whose blob removal never ran.
    let orphan = BlobKey(format!("files/{owner}/{}/v1-crashed", FileId::new()));
    f.blobs.put(&orphan, body(&[b"half done"])).await.unwrap();
    let deleted_key = deleted.storage_key.clone();
    let mut tx = plinth_kernel::UnitOfWork::begin(&MemoryUnitOfWork::new())
        .await
        .unwrap();
    crate::FileRepository::delete(&f.files, tx.as_mut(), deleted.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Outside `files/` and `avatars/`: not the reconciler's business.
    let other = BlobKey("exports/someone.zip".into());
    f.blobs.put(&other, body(&[b"png"])).await.unwrap();

    // Everything was written "just now": all of it is too recent to judge.
    f.clock.set(chrono::Utc::now());
    let report = f
        .service
        .reconcile(chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(report.scanned, 3);
    assert_eq!(report.too_recent, 3);
    assert_eq!(report.orphans_removed, 0);
    assert!(f.blobs.bytes(&orphan).is_some());

    f.clock.set(chrono::Utc::now() + chrono::Duration::hours(2));
    let report = f
        .service
        .reconcile(chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(report.orphans_removed, 2, "{report:?}");
    assert!(
        f.blobs.bytes(&orphan).is_none(),
        "the crashed upload's blob"
    );
    assert!(
        f.blobs.bytes(&deleted_key).is_none(),
        "the deleted file's blob"
    );
    assert!(
        f.blobs.bytes(&other).is_some(),
        "outside files/ and avatars/"
    );
    let (_, body) = open_current(&f.service, owner, kept.id, None)
        .await
        .unwrap();
    assert_eq!(read_all(body).await, b"keep me", "a live file is untouched");

    let again = f
        .service
        .reconcile(chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again.orphans_removed, 0, "a second run has nothing to do");
}

#[tokio::test]
async fn the_avatar_an_account_shows_stays_and_one_nobody_shows_goes() {
    let f = fixture(1024);
    let shown = f
        .service
        .store_avatar(body(&[PNG_HEADER]))
        .await
        .unwrap()
        .key;
    // Stored for an account whose row was never updated, or replaced without being removed.
    let orphan = f
        .service
        .store_avatar(body(&[PNG_HEADER]))
        .await
        .unwrap()
        .key;
    f.avatars.show(shown.clone());

    // Just stored: perhaps the account's row is about to name it, so it is left alone.
    f.clock.set(chrono::Utc::now());
    let report = f
        .service
        .reconcile(chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        (report.scanned, report.too_recent, report.orphans_removed),
        (2, 2, 0),
        "{report:?}"
    );
    assert!(f.blobs.bytes(&orphan).is_some());

    f.clock.set(chrono::Utc::now() + chrono::Duration::hours(2));
    let report = f
        .service
        .reconcile(chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        (report.scanned, report.orphans_removed),
        (2, 1),
        "{report:?}"
    );
    assert!(f.blobs.bytes(&orphan).is_none(), "the avatar nobody shows");
    let name = shown.as_str().strip_prefix(AVATAR_PREFIX).unwrap();
    let (content_type, image) = f.service.open_avatar(name).await.unwrap();
    assert_eq!(content_type, "image/png");
    assert_eq!(
        read_all(image).await,
        PNG_HEADER,
        "the avatar an account shows is still served"
    );
}
