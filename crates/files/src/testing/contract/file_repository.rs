//! The [`FileStorage`] contract (the files, versions, shares and usage ports).

use crate::Owner;
use std::sync::Arc;

use chrono::SubsecRound;
use plinth_kernel::{PageRequest, RepoError, UnitOfWork, UserId};
use sha2::{Digest, Sha256};

use crate::{BlobKey, FileId, FileObject, FileStorage};

/// Runs every [`FileStorage`] promise against `repo`: insert/`by_id` round trip of every
/// field, `list_for_owner` newest first with pagination and only that owner's files,
/// `bytes_used`, `totals`, delete (and `NotFound` for a missing file), rollback of a dropped
/// transaction, and versions (`insert_version`, `versions` newest first, `version`,
/// `update_current` with its optimistic check, versions removed with their file),
/// `delete_owned` (an owner's files with their versions and shares, undone on rollback). `owners`
/// are two distinct existing users.
///
/// # Panics
/// On the first broken promise.
pub async fn file_repository(
    repo: Arc<dyn FileStorage>,
    uow: Arc<dyn UnitOfWork>,
    owners: [UserId; 2],
) {
    let [alice, bob] = owners;
    assert_ne!(alice, bob, "the suite needs two distinct owners");
    let alice_before = repo.bytes_used(Owner::User(alice)).await.unwrap();
    let bob_before = repo.bytes_used(Owner::User(bob)).await.unwrap();
    let totals_before = repo.totals().await.unwrap();

    // Round trip of every field.
    let first = sample(alice, "first.pdf", 1_234);
    insert(&*repo, &*uow, &first).await;
    assert_eq!(
        repo.by_id(first.id).await.unwrap().as_ref(),
        Some(&first),
        "by_id returns every field"
    );
    assert_eq!(
        repo.by_id(FileId::new()).await.unwrap(),
        None,
        "by_id of an unknown id"
    );

    // Large sizes survive storage.
    let second = sample(alice, "second.zip", 5_000_000_000);
    let third = sample(alice, "third.txt", 0);
    let bobs = sample(bob, "bob.png", 77);
    for f in [&second, &third, &bobs] {
        insert(&*repo, &*uow, f).await;
    }
    assert_eq!(
        repo.by_id(second.id).await.unwrap().unwrap().size,
        5_000_000_000
    );
    let totals = repo.totals().await.unwrap();
    assert_eq!(
        (
            totals.count - totals_before.count,
            totals.bytes - totals_before.bytes
        ),
        (4, 1_234 + 5_000_000_000 + 77),
        "totals count every owner's files and sum their sizes"
    );

    // Newest first, paginated, one owner only.
    let page1 = repo
        .list_for_owner(Owner::User(alice), PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(ids(&page1.items), vec![third.id, second.id], "newest first");
    let cursor = page1.next_cursor.expect("a further page exists");
    let page2 = repo
        .list_for_owner(
            Owner::User(alice),
            PageRequest::new(Some(2), Some(&cursor.encode())).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        page2.items.first().map(|f| f.id),
        Some(first.id),
        "the next page continues after the cursor"
    );
    assert!(
        page2
            .items
            .iter()
            .all(|f| f.owner_id == alice && f.id < second.id)
    );
    let bob_page = repo
        .list_for_owner(Owner::User(bob), PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        bob_page.items.iter().all(|f| f.owner_id == bob),
        "only that owner's files"
    );
    assert!(ids(&bob_page.items).contains(&bobs.id));
    let all_alice = repo
        .list_for_owner(Owner::User(alice), PageRequest::first(100))
        .await
        .unwrap();
    assert!(!ids(&all_alice.items).contains(&bobs.id));
    assert_eq!(
        all_alice.items.first(),
        Some(&third),
        "listed rows carry every field"
    );

    // bytes_used sums one owner's sizes.
    assert_eq!(
        repo.bytes_used(Owner::User(alice)).await.unwrap(),
        alice_before + 1_234 + 5_000_000_000
    );
    assert_eq!(
        repo.bytes_used(Owner::User(bob)).await.unwrap(),
        bob_before + 77
    );

    // Delete.
    let mut tx = uow.begin().await.unwrap();
    repo.delete(tx.as_mut(), second.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(repo.by_id(second.id).await.unwrap(), None);
    let listed = repo
        .list_for_owner(Owner::User(alice), PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        !ids(&listed.items).contains(&second.id),
        "a deleted file is not listed"
    );
    assert_eq!(
        repo.bytes_used(Owner::User(alice)).await.unwrap(),
        alice_before + 1_234
    );
    let mut tx = uow.begin().await.unwrap();
    let missing = repo.delete(tx.as_mut(), second.id).await;
    assert!(
        matches!(missing, Err(RepoError::NotFound)),
        "delete of a missing file: {missing:?}"
    );
    drop(tx);

    // Rollback: a dropped transaction leaves no trace, of an insert or of a delete.
    let ghost = sample(alice, "ghost.txt", 9);
    {
        let mut tx = uow.begin().await.unwrap();
        repo.insert(tx.as_mut(), &ghost).await.unwrap();
        repo.delete(tx.as_mut(), first.id).await.unwrap();
    }
    assert_eq!(
        repo.by_id(ghost.id).await.unwrap(),
        None,
        "a rolled-back insert is not visible"
    );
    assert_eq!(
        repo.by_id(first.id).await.unwrap(),
        Some(first.clone()),
        "a rolled-back delete is undone"
    );
    assert_eq!(
        repo.bytes_used(Owner::User(alice)).await.unwrap(),
        alice_before + 1_234
    );

    super::file_versions::versions(&*repo, &*uow, bob).await;
    super::file_shares::shares(&*repo, &*uow, [alice, bob]).await;

    // Leave nothing behind.
    let mut tx = uow.begin().await.unwrap();
    for id in [first.id, third.id, bobs.id] {
        repo.delete(tx.as_mut(), id).await.unwrap();
    }
    tx.commit().await.unwrap();

    super::file_erase::delete_owned(&*repo, &*uow, [alice, bob]).await;
    super::file_erase::org_files(&*repo, &*uow, [alice, bob]).await;
    super::file_erase::org_shares(&*repo, &*uow, alice).await;
}

/// A file with every field set to a distinct, storable value (timestamps at microsecond
/// precision, as SQL keeps them).
fn sample(owner: UserId, name: &str, size: u64) -> FileObject {
    let id = FileId::new();
    let created_at = chrono::Utc::now().trunc_subsecs(6) - chrono::Duration::minutes(5);
    FileObject {
        id,
        owner_id: owner,
        org_id: None,
        name: name.to_owned(),
        content_type: format!("application/x-{}", name.replace('.', "-")),
        size,
        sha256: hex::encode(Sha256::digest(name.as_bytes())),
        version: 3,
        storage_key: BlobKey(format!("files/{owner}/{id}/v3")),
        created_at,
        updated_at: created_at
            + chrono::Duration::seconds(42)
            + chrono::Duration::microseconds(123_456),
        download_count: size % 7,
        signed_url_generation: 0,
    }
}

async fn insert(repo: &dyn FileStorage, uow: &dyn UnitOfWork, file: &FileObject) {
    let mut tx = uow.begin().await.unwrap();
    repo.insert(tx.as_mut(), file).await.unwrap();
    tx.commit().await.unwrap();
}

fn ids(files: &[FileObject]) -> Vec<FileId> {
    files.iter().map(|f| f.id).collect()
}
