//! The erasure part of the [`crate::FileRepository`] contract: `delete_owned`.

use chrono::SubsecRound;
use plinth_kernel::{Email, PageRequest, UnitOfWork, UserId};

use crate::{BlobKey, FileId, FileObject, FileShare, FileStorage, FileVersion, SharePermission};

fn file_with_versions(owner: UserId, name: &str, versions: i32) -> (FileObject, Vec<FileVersion>) {
    let id = FileId::new();
    let at = chrono::Utc::now().trunc_subsecs(6) - chrono::Duration::minutes(10);
    let rows: Vec<FileVersion> = (1..=versions)
        .map(|n| FileVersion {
            file_id: id,
            version: n,
            name: name.to_owned(),
            content_type: "text/plain".to_owned(),
            size: 10 + u64::try_from(n).unwrap_or(0),
            sha256: format!("{n:02}").repeat(32),
            storage_key: BlobKey(format!("files/{owner}/{id}/v{n}")),
            created_at: at,
        })
        .collect();
    let current = rows
        .last()
        .cloned()
        .unwrap_or_else(|| unreachable!("versions ≥ 1"));
    let file = FileObject {
        id,
        owner_id: owner,
        name: name.to_owned(),
        content_type: current.content_type.clone(),
        size: current.size,
        sha256: current.sha256.clone(),
        version: current.version,
        storage_key: current.storage_key.clone(),
        created_at: at,
        updated_at: at,
        download_count: 0,
        signed_url_generation: 0,
    };
    (file, rows)
}

/// `delete_owned` removes every file of one owner with its versions and shares, returns each
/// with the storage keys of all its versions, leaves other owners' files alone, and is undone
/// with its transaction.
pub(super) async fn delete_owned(
    repo: &dyn FileStorage,
    uow: &dyn UnitOfWork,
    owners: [UserId; 2],
) {
    let [alice, bob] = owners;
    let (kept, kept_versions) = file_with_versions(bob, "bobs.txt", 1);
    let (old, old_versions) = file_with_versions(alice, "three-versions.txt", 3);
    let (new, new_versions) = file_with_versions(alice, "one-version.txt", 1);
    let grantee = Email::parse(&format!(
        "erase-{}@example.com",
        uuid::Uuid::now_v7().simple()
    ))
    .unwrap();
    let mut tx = uow.begin().await.unwrap();
    for (file, versions) in [
        (&kept, &kept_versions),
        (&old, &old_versions),
        (&new, &new_versions),
    ] {
        repo.insert(tx.as_mut(), file).await.unwrap();
        for v in versions {
            repo.insert_version(tx.as_mut(), v).await.unwrap();
        }
    }
    for id in [old.id, kept.id] {
        let share = FileShare {
            file_id: id,
            grantee_email: grantee.clone(),
            permission: SharePermission::View,
            created_at: old.created_at,
        };
        repo.upsert_share(tx.as_mut(), &share).await.unwrap();
    }
    tx.commit().await.unwrap();

    // Rolled back: everything is still there.
    let mut tx = uow.begin().await.unwrap();
    let deleted = repo.delete_owned(tx.as_mut(), alice).await.unwrap();
    assert!(deleted.len() >= 2, "{deleted:?}");
    drop(tx);
    assert_eq!(repo.by_id(old.id).await.unwrap().as_ref(), Some(&old));
    assert_eq!(repo.versions(old.id).await.unwrap().len(), 3);
    assert!(repo.share_of(old.id, &grantee).await.unwrap().is_some());

    let mut tx = uow.begin().await.unwrap();
    let deleted = repo.delete_owned(tx.as_mut(), alice).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        deleted.iter().all(|d| d.file.owner_id == alice),
        "only the owner's files: {deleted:?}"
    );
    let of = |id: FileId| {
        deleted
            .iter()
            .find(|d| d.file.id == id)
            .unwrap_or_else(|| panic!("{id} is not among the deleted files: {deleted:?}"))
    };
    assert_eq!(of(old.id).file, old, "the row as it was");
    let mut keys = of(old.id).storage_keys.clone();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected: Vec<BlobKey> = old_versions.iter().map(|v| v.storage_key.clone()).collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(keys, expected, "every version's blob, each once");
    assert_eq!(of(new.id).storage_keys, vec![new.storage_key.clone()]);
    assert!(
        deleted
            .iter()
            .position(|d| d.file.id == old.id)
            .lt(&deleted.iter().position(|d| d.file.id == new.id)),
        "oldest first"
    );

    assert_eq!(repo.by_id(old.id).await.unwrap(), None);
    assert_eq!(repo.by_id(new.id).await.unwrap(), None);
    assert!(
        repo.versions(old.id).await.unwrap().is_empty(),
        "versions go too"
    );
    assert_eq!(
        repo.share_of(old.id, &grantee).await.unwrap(),
        None,
        "shares go too"
    );
    assert!(
        repo.list_for_owner(alice, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty(),
        "the owner has no file left"
    );
    assert_eq!(
        repo.by_id(kept.id).await.unwrap().as_ref(),
        Some(&kept),
        "others' stay"
    );
    assert_eq!(repo.versions(kept.id).await.unwrap(), kept_versions);
    assert!(repo.share_of(kept.id, &grantee).await.unwrap().is_some());

    let mut tx = uow.begin().await.unwrap();
    assert!(
        repo.delete_owned(tx.as_mut(), alice)
            .await
            .unwrap()
            .is_empty(),
        "nothing left to delete"
    );
    repo.delete(tx.as_mut(), kept.id).await.unwrap();
    tx.commit().await.unwrap();
}
