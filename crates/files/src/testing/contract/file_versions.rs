//! The version part of the [`crate::FileRepository`] contract.

use crate::Owner;
use chrono::SubsecRound;
use plinth_kernel::{RepoError, UnitOfWork, UserId};

use crate::{BlobKey, FileId, FileObject, FileStorage, FileVersion};

/// `insert_version`/`versions`/`version` round trips (newest first, every field), `Duplicate`
/// for a repeated number, `record_download` (atomic under concurrency), `update_current`
/// (optimistic on the previous version, keeps the count and the signed-URL generation;
/// `NotFound` when stale or missing), `revoke_signed_urls` (atomic under concurrency),
/// rollback of both, delete taking the versions along, and `stored_bytes` /
/// `lock_stored_bytes` summing every version of the owner's files.
pub(super) async fn versions(repo: &dyn FileStorage, uow: &dyn UnitOfWork, owner: UserId) {
    let created = chrono::Utc::now().trunc_subsecs(6) - chrono::Duration::hours(1);
    let stored_before = repo.stored_bytes(Owner::User(owner)).await.unwrap();
    let id = FileId::new();
    let v1 = version(id, owner, 1, "draft.txt", 12, created);
    let v1_key = v1.storage_key.clone();
    let file = v1.as_file(&FileObject {
        id,
        owner_id: owner,
        org_id: None,
        name: String::new(),
        content_type: String::new(),
        size: 0,
        sha256: String::new(),
        version: 0,
        storage_key: BlobKey(String::new()),
        created_at: created,
        updated_at: created,
        download_count: 0,
        signed_url_generation: 0,
    });
    let mut tx = uow.begin().await.unwrap();
    repo.insert(tx.as_mut(), &file).await.unwrap();
    repo.insert_version(tx.as_mut(), &v1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(repo.versions(id).await.unwrap(), vec![v1.clone()]);
    assert_eq!(repo.version(id, 1).await.unwrap().as_ref(), Some(&v1));
    assert_eq!(repo.version(id, 2).await.unwrap(), None);
    assert!(repo.versions(FileId::new()).await.unwrap().is_empty());

    let mut tx = uow.begin().await.unwrap();
    let dup = repo.insert_version(tx.as_mut(), &v1).await;
    assert!(
        matches!(dup, Err(RepoError::Duplicate { .. })),
        "the same version number twice: {dup:?}"
    );
    drop(tx);

    // Downloads are counted atomically, also when many land at once.
    let counted: Vec<_> = (0..20).map(|_| repo.record_download(id)).collect();
    for r in futures::future::join_all(counted).await {
        r.unwrap();
    }
    assert_eq!(repo.by_id(id).await.unwrap().unwrap().download_count, 20);
    let missing = repo.record_download(FileId::new()).await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");

    // Revoking signed URLs adds one to the generation in one statement: concurrent
    // revocations all count, a rolled-back one does not, and an unknown file is NotFound.
    let revocations: Vec<_> = (0..5)
        .map(|_| async {
            let mut tx = uow.begin().await.unwrap();
            repo.revoke_signed_urls(tx.as_mut(), id).await.unwrap();
            tx.commit().await.unwrap();
        })
        .collect();
    futures::future::join_all(revocations).await;
    assert_eq!(
        repo.by_id(id).await.unwrap().unwrap().signed_url_generation,
        5
    );
    let mut tx = uow.begin().await.unwrap();
    repo.revoke_signed_urls(tx.as_mut(), id).await.unwrap();
    drop(tx);
    assert_eq!(
        repo.by_id(id).await.unwrap().unwrap().signed_url_generation,
        5,
        "a rolled-back revocation is undone"
    );
    let mut tx = uow.begin().await.unwrap();
    let missing = repo.revoke_signed_urls(tx.as_mut(), FileId::new()).await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");
    drop(tx);
    let file = FileObject {
        download_count: 20,
        signed_url_generation: 5,
        ..file
    };

    // A second version becomes current (the download count stays); the first stays listed.
    let v2 = version(
        id,
        owner,
        2,
        "final.csv",
        6_000_000_000,
        created + chrono::Duration::minutes(7),
    );
    let current = v2.as_file(&file);
    // A revocation and a download land after `file` was read: writing the new version from
    // that copy must not undo them (no read-modify-write of the whole row).
    let mut tx = uow.begin().await.unwrap();
    repo.revoke_signed_urls(tx.as_mut(), id).await.unwrap();
    tx.commit().await.unwrap();
    repo.record_download(id).await.unwrap();
    let mut tx = uow.begin().await.unwrap();
    repo.insert_version(tx.as_mut(), &v2).await.unwrap();
    repo.update_current(tx.as_mut(), &current, 1).await.unwrap();
    tx.commit().await.unwrap();
    let stored = repo.by_id(id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        FileObject {
            signed_url_generation: 6,
            download_count: 21,
            ..current.clone()
        },
        "update_current replaces the content, and keeps the revocation and the count"
    );
    assert_eq!(stored.created_at, created, "created_at is kept");
    let current = stored;

    assert_eq!(
        repo.versions(id).await.unwrap(),
        vec![v2.clone(), v1.clone()],
        "newest first, every field"
    );
    assert_eq!(repo.version(id, 1).await.unwrap(), Some(v1.clone()));
    let stranger = BlobKey(format!("files/{owner}/{id}/v9-nobody"));
    let mut known = repo
        .known_storage_keys(&[
            stranger.clone(),
            v2.storage_key.clone(),
            v1.storage_key.clone(),
        ])
        .await
        .unwrap();
    known.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        known,
        vec![v1.storage_key.clone(), v2.storage_key.clone()],
        "every version's key is known, old ones too; a stranger is not"
    );
    assert!(repo.known_storage_keys(&[]).await.unwrap().is_empty());
    assert_eq!(
        repo.stored_bytes(Owner::User(owner)).await.unwrap(),
        stored_before + 12 + 6_000_000_000,
        "stored_bytes counts every version"
    );
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.lock_stored_bytes(tx.as_mut(), Owner::User(owner))
            .await
            .unwrap(),
        stored_before + 12 + 6_000_000_000
    );
    drop(tx);

    // Optimistic check: a stale previous version or an unknown file is NotFound.
    let mut tx = uow.begin().await.unwrap();
    let stale = repo.update_current(tx.as_mut(), &current, 1).await;
    assert!(
        matches!(stale, Err(RepoError::NotFound)),
        "stale: {stale:?}"
    );
    let mut ghost = current.clone();
    ghost.id = FileId::new();
    let missing = repo.update_current(tx.as_mut(), &ghost, 2).await;
    assert!(
        matches!(missing, Err(RepoError::NotFound)),
        "missing: {missing:?}"
    );
    drop(tx);

    // Rollback of a new version and of a delete.
    {
        let v3 = version(id, owner, 3, "third.txt", 3, created);
        let mut tx = uow.begin().await.unwrap();
        repo.insert_version(tx.as_mut(), &v3).await.unwrap();
        repo.update_current(tx.as_mut(), &v3.as_file(&file), 2)
            .await
            .unwrap();
    }
    assert_eq!(repo.by_id(id).await.unwrap().as_ref(), Some(&current));
    assert_eq!(repo.versions(id).await.unwrap().len(), 2, "v3 rolled back");
    {
        let mut tx = uow.begin().await.unwrap();
        repo.delete(tx.as_mut(), id).await.unwrap();
    }
    assert_eq!(
        repo.versions(id).await.unwrap(),
        vec![v2, v1],
        "a rolled-back delete keeps the versions"
    );

    // Delete takes every version along.
    let mut tx = uow.begin().await.unwrap();
    repo.delete(tx.as_mut(), id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(repo.versions(id).await.unwrap().is_empty());
    assert_eq!(repo.version(id, 1).await.unwrap(), None);
    assert!(
        repo.known_storage_keys(std::slice::from_ref(&v1_key))
            .await
            .unwrap()
            .is_empty(),
        "a deleted file's keys are no longer known"
    );
}

fn version(
    file_id: FileId,
    owner: UserId,
    n: i32,
    name: &str,
    size: u64,
    created_at: plinth_kernel::Timestamp,
) -> FileVersion {
    FileVersion {
        file_id,
        version: n,
        name: name.to_owned(),
        content_type: format!("text/x-v{n}"),
        size,
        sha256: format!("{n:064x}"),
        storage_key: BlobKey(format!("files/{owner}/{file_id}/v{n}")),
        created_at: created_at + chrono::Duration::microseconds(i64::from(n) * 1_001),
    }
}
