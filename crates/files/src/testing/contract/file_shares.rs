//! The share part of the [`crate::FileRepository`] contract.

use chrono::SubsecRound;
use plinth_kernel::{Email, PageRequest, RepoError, UnitOfWork, UserId};

use crate::{BlobKey, FileId, FileObject, FileShare, FileStorage, SharePermission, Viewer};

fn file(owner: UserId, name: &str) -> FileObject {
    let id = FileId::new();
    let at = chrono::Utc::now().trunc_subsecs(6) - chrono::Duration::minutes(1);
    FileObject {
        id,
        owner_id: owner,
        org_id: None,
        name: name.to_owned(),
        content_type: "text/plain".to_owned(),
        size: 3,
        sha256: "00".repeat(32),
        version: 1,
        storage_key: BlobKey(format!("files/{owner}/{id}/v1")),
        created_at: at,
        updated_at: at,
        download_count: 0,
        signed_url_generation: 0,
    }
}

fn fresh_email() -> Email {
    Email::parse(&format!(
        "sharee-{}@example.com",
        uuid::Uuid::now_v7().simple()
    ))
    .unwrap()
}

async fn upsert(repo: &dyn FileStorage, uow: &dyn UnitOfWork, share: &FileShare) {
    let mut tx = uow.begin().await.unwrap();
    repo.upsert_share(tx.as_mut(), share).await.unwrap();
    tx.commit().await.unwrap();
}

/// `upsert_share` inserts then replaces the permission (keeping `created_at`), `share_of` /
/// `shares` round trips, `list_visible` covers own and shared files (newest first, paginated),
/// shared ones only for a verified address, and nobody else's, `delete_share` (`NotFound` when missing), rollback of both writes, and
/// deleting the file takes its shares along.
pub(super) async fn shares(repo: &dyn FileStorage, uow: &dyn UnitOfWork, owners: [UserId; 2]) {
    let [alice, bob] = owners;
    let carol = fresh_email();
    let dave = fresh_email();
    let mut tx = uow.begin().await.unwrap();
    let shared = file(alice, "shared.txt");
    let private = file(alice, "private.txt");
    let bobs = file(bob, "bobs.txt");
    for f in [&shared, &private, &bobs] {
        repo.insert(tx.as_mut(), f).await.unwrap();
    }
    tx.commit().await.unwrap();

    let created = chrono::Utc::now().trunc_subsecs(6) - chrono::Duration::seconds(30);
    let first = FileShare {
        file_id: shared.id,
        grantee_email: carol.clone(),
        permission: SharePermission::View,
        created_at: created,
    };
    upsert(repo, uow, &first).await;
    assert_eq!(
        repo.share_of(shared.id, &carol).await.unwrap().as_ref(),
        Some(&first)
    );
    assert_eq!(repo.share_of(private.id, &carol).await.unwrap(), None);
    assert_eq!(repo.share_of(shared.id, &dave).await.unwrap(), None);

    let again = FileShare {
        permission: SharePermission::Edit,
        created_at: created + chrono::Duration::seconds(10),
        ..first.clone()
    };
    upsert(repo, uow, &again).await;
    let stored = repo.share_of(shared.id, &carol).await.unwrap().unwrap();
    assert_eq!(
        stored.permission,
        SharePermission::Edit,
        "posting again replaces"
    );
    assert_eq!(stored.created_at, created, "and keeps the first share time");
    assert_eq!(repo.shares(shared.id).await.unwrap(), vec![stored.clone()]);

    let to_bob_too = FileShare {
        file_id: bobs.id,
        grantee_email: carol.clone(),
        permission: SharePermission::Download,
        created_at: created,
    };
    upsert(repo, uow, &to_bob_too).await;
    let carol_id = UserId::new();
    let page = repo
        .list_visible(
            &viewer(carol_id, &carol, true),
            PageRequest::new(Some(10), None).unwrap(),
        )
        .await
        .unwrap();
    let mut expected = vec![shared.id, bobs.id];
    expected.sort_by_key(|id| std::cmp::Reverse(*id));
    assert_eq!(
        page.items.iter().map(|f| f.id).collect::<Vec<_>>(),
        expected,
        "a sharee sees exactly the files shared with them, newest first"
    );
    let unverified = repo
        .list_visible(
            &viewer(carol_id, &carol, false),
            PageRequest::new(Some(10), None).unwrap(),
        )
        .await
        .unwrap();
    assert!(
        unverified.items.is_empty(),
        "shares do not count for an unverified address: {:?}",
        unverified.items
    );
    let unverified_owner = repo
        .list_visible(
            &viewer(alice, &carol, false),
            PageRequest::new(Some(100), None).unwrap(),
        )
        .await
        .unwrap();
    let ids: Vec<FileId> = unverified_owner.items.iter().map(|f| f.id).collect();
    assert!(
        ids.contains(&shared.id) && ids.contains(&private.id),
        "an unverified account still sees its own files"
    );
    assert!(
        !ids.contains(&bobs.id),
        "but not what is shared with its unverified address"
    );
    let first_page = repo
        .list_visible(
            &viewer(carol_id, &carol, true),
            PageRequest::new(Some(1), None).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(first_page.items.len(), 1);
    let cursor = first_page.next_cursor.expect("a second page");
    let second = repo
        .list_visible(
            &viewer(carol_id, &carol, true),
            PageRequest::new(Some(1), Some(&cursor.encode())).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(second.items[0].id, expected[1]);
    let alices = repo
        .list_visible(
            &viewer(alice, &fresh_email(), true),
            PageRequest::new(Some(100), None).unwrap(),
        )
        .await
        .unwrap();
    let ids: Vec<FileId> = alices.items.iter().map(|f| f.id).collect();
    assert!(ids.contains(&shared.id) && ids.contains(&private.id));
    assert!(!ids.contains(&bobs.id), "not someone else's unshared file");

    // Rollback of an upsert and of a delete.
    let mut tx = uow.begin().await.unwrap();
    repo.upsert_share(
        tx.as_mut(),
        &FileShare {
            permission: SharePermission::View,
            ..stored.clone()
        },
    )
    .await
    .unwrap();
    repo.upsert_share(
        tx.as_mut(),
        &FileShare {
            grantee_email: dave.clone(),
            ..stored.clone()
        },
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(
        repo.share_of(shared.id, &carol).await.unwrap().as_ref(),
        Some(&stored),
        "a rolled-back permission change is undone"
    );
    assert_eq!(repo.share_of(shared.id, &dave).await.unwrap(), None);
    let mut tx = uow.begin().await.unwrap();
    repo.delete_share(tx.as_mut(), shared.id, &carol)
        .await
        .unwrap();
    drop(tx);
    assert!(repo.share_of(shared.id, &carol).await.unwrap().is_some());

    let mut tx = uow.begin().await.unwrap();
    repo.delete_share(tx.as_mut(), shared.id, &carol)
        .await
        .unwrap();
    assert!(matches!(
        repo.delete_share(tx.as_mut(), shared.id, &dave).await,
        Err(RepoError::NotFound)
    ));
    tx.commit().await.unwrap();
    assert_eq!(repo.share_of(shared.id, &carol).await.unwrap(), None);
    assert!(repo.shares(shared.id).await.unwrap().is_empty());

    // Erasing a grantee ends every share with them, and only theirs; rolled back, nothing.
    for (f, who) in [(&shared, &dave), (&private, &dave), (&bobs, &carol)] {
        upsert(
            repo,
            uow,
            &FileShare {
                file_id: f.id,
                grantee_email: who.clone(),
                permission: SharePermission::View,
                created_at: created,
            },
        )
        .await;
    }
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(repo.delete_shares_to(tx.as_mut(), &dave).await.unwrap(), 2);
    drop(tx);
    assert!(repo.share_of(private.id, &dave).await.unwrap().is_some());
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(repo.delete_shares_to(tx.as_mut(), &dave).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert_eq!(repo.share_of(shared.id, &dave).await.unwrap(), None);
    assert_eq!(repo.share_of(private.id, &dave).await.unwrap(), None);
    assert!(
        repo.share_of(bobs.id, &carol).await.unwrap().is_some(),
        "another grantee's share stays"
    );

    // Deleting a file deletes its shares.
    let mut tx = uow.begin().await.unwrap();
    for id in [shared.id, private.id, bobs.id] {
        repo.delete(tx.as_mut(), id).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(repo.share_of(bobs.id, &carol).await.unwrap(), None);
    let left = repo
        .list_visible(
            &viewer(carol_id, &carol, true),
            PageRequest::new(Some(10), None).unwrap(),
        )
        .await
        .unwrap();
    assert!(left.items.is_empty());
}

fn viewer(id: UserId, email: &Email, email_verified: bool) -> Viewer {
    Viewer::new(id, email.clone(), email_verified)
}
