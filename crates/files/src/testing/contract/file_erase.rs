//! The erasure part of the [`crate::FileRepository`] contract: `delete_owned`.

use crate::Owner;
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
        org_id: None,
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
    let deleted = repo
        .delete_owned(tx.as_mut(), Owner::User(alice))
        .await
        .unwrap();
    assert!(deleted.len() >= 2, "{deleted:?}");
    drop(tx);
    assert_eq!(repo.by_id(old.id).await.unwrap().as_ref(), Some(&old));
    assert_eq!(repo.versions(old.id).await.unwrap().len(), 3);
    assert!(repo.share_of(old.id, &grantee).await.unwrap().is_some());

    let mut tx = uow.begin().await.unwrap();
    let deleted = repo
        .delete_owned(tx.as_mut(), Owner::User(alice))
        .await
        .unwrap();
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
        repo.list_for_owner(Owner::User(alice), PageRequest::first(10))
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
        repo.delete_owned(tx.as_mut(), Owner::User(alice))
            .await
            .unwrap()
            .is_empty(),
        "nothing left to delete"
    );
    repo.delete(tx.as_mut(), kept.id).await.unwrap();
    tx.commit().await.unwrap();
}

/// Organization files: each read names its owner, so a user's own files never include the
/// organization files they uploaded, an organization's files are only its own, whoever
/// uploaded them, `list_visible` adds the files of the organization a viewer's token acts for
/// only with `org_files:read` there, `stored_bytes` counts per owner, `hand_over` moves only
/// one uploader's files of one organization, and `delete_owned` of an organization takes its
/// files alone.
pub(super) async fn org_files(repo: &dyn FileStorage, uow: &dyn UnitOfWork, owners: [UserId; 2]) {
    use plinth_kernel::{ActingFor, OrgId};
    let [alice, bob] = owners;
    let (org_a, org_b) = (OrgId::new(), OrgId::new());
    let in_org = |(mut file, versions): (FileObject, Vec<FileVersion>), org: OrgId| {
        file.org_id = Some(org);
        (file, versions)
    };
    let (own, own_versions) = file_with_versions(alice, "alices-own.txt", 1);
    let (a1, a1_versions) = in_org(file_with_versions(alice, "a-by-alice.txt", 2), org_a);
    let (a2, a2_versions) = in_org(file_with_versions(bob, "a-by-bob.txt", 1), org_a);
    let (b1, b1_versions) = in_org(file_with_versions(bob, "b-by-bob.txt", 1), org_b);
    let mut tx = uow.begin().await.unwrap();
    for (file, versions) in [
        (&own, &own_versions),
        (&a1, &a1_versions),
        (&a2, &a2_versions),
        (&b1, &b1_versions),
    ] {
        repo.insert(tx.as_mut(), file).await.unwrap();
        for v in versions {
            repo.insert_version(tx.as_mut(), v).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    assert_eq!(
        repo.by_id(a1.id).await.unwrap().as_ref(),
        Some(&a1),
        "org_id round-trips"
    );

    let ids = |page: plinth_kernel::Page<FileObject>| -> Vec<FileId> {
        page.items.into_iter().map(|f| f.id).collect()
    };
    let mine = ids(repo
        .list_for_owner(Owner::User(alice), PageRequest::first(100))
        .await
        .unwrap());
    assert!(mine.contains(&own.id), "{mine:?}");
    assert!(
        !mine.contains(&a1.id),
        "an organization file is not its uploader's own"
    );
    assert_eq!(
        ids(repo
            .list_for_owner(Owner::Org(org_a), PageRequest::first(100))
            .await
            .unwrap()),
        vec![a2.id, a1.id],
        "an organization's files, whoever uploaded them, newest first, and no other's"
    );

    let sum = |versions: &[FileVersion]| versions.iter().map(|v| v.size).sum::<u64>();
    assert_eq!(
        repo.stored_bytes(Owner::Org(org_a)).await.unwrap(),
        sum(&a1_versions) + sum(&a2_versions)
    );
    // `lock_stored_bytes` of an organization needs its row: tested in the store's quota tests.
    assert_eq!(
        repo.bytes_used(Owner::Org(org_b)).await.unwrap(),
        b1.size,
        "current versions of one organization"
    );

    let email = Email::parse(&format!(
        "org-{}@example.com",
        uuid::Uuid::now_v7().simple()
    ))
    .unwrap();
    let viewer = |acting: Option<(OrgId, &[&str])>| {
        crate::Viewer::new(alice, email.clone(), true).acting_for(acting.map(|(org, perms)| {
            ActingFor {
                org_id: org,
                permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
            }
        }))
    };
    let visible = |viewer: crate::Viewer| async move {
        ids(repo
            .list_visible(&viewer, PageRequest::first(100))
            .await
            .unwrap())
    };
    let reading_a = visible(viewer(Some((org_a, &[crate::ORG_FILES_READ])))).await;
    assert!(
        reading_a.contains(&own.id) && reading_a.contains(&a1.id) && reading_a.contains(&a2.id)
    );
    assert!(
        !reading_a.contains(&b1.id),
        "never another organization's files"
    );
    let without_permission = visible(viewer(Some((org_a, &["members:read"])))).await;
    assert!(without_permission.contains(&own.id));
    assert!(
        !without_permission.contains(&a1.id) && !without_permission.contains(&a2.id),
        "acting for the organization without org_files:read lists none of its files"
    );
    let for_themselves = visible(viewer(None)).await;
    assert!(
        for_themselves.contains(&own.id) && !for_themselves.contains(&a1.id),
        "a token acting for nobody lists no organization file, even one its user uploaded"
    );

    // A new version keeps whose the file is, whatever the new row says.
    let next = FileObject {
        org_id: None,
        owner_id: bob,
        version: 3,
        name: "a-renamed.txt".to_owned(),
        ..a1.clone()
    };
    let mut tx = uow.begin().await.unwrap();
    repo.update_current(tx.as_mut(), &next, 2).await.unwrap();
    tx.commit().await.unwrap();
    let updated = repo.by_id(a1.id).await.unwrap().unwrap();
    assert_eq!(
        (updated.org_id, updated.owner_id, updated.version),
        (Some(org_a), alice, 3),
        "update_current keeps the organization and the uploader"
    );
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.hand_over(tx.as_mut(), org_a, alice, bob)
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    assert_eq!(repo.by_id(a1.id).await.unwrap().unwrap().owner_id, bob);
    assert_eq!(
        repo.by_id(own.id).await.unwrap().unwrap().owner_id,
        alice,
        "own files stay"
    );
    let mut tx = uow.begin().await.unwrap();
    assert_eq!(
        repo.hand_over(tx.as_mut(), org_a, bob, alice)
            .await
            .unwrap(),
        2
    );
    drop(tx);
    assert_eq!(
        repo.by_id(a2.id).await.unwrap().unwrap().owner_id,
        bob,
        "a rolled-back hand-over changes nothing"
    );

    let mut tx = uow.begin().await.unwrap();
    let deleted = repo
        .delete_owned(tx.as_mut(), Owner::Org(org_a))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut gone: Vec<FileId> = deleted.iter().map(|d| d.file.id).collect();
    gone.sort();
    let mut expected = vec![a1.id, a2.id];
    expected.sort();
    assert_eq!(gone, expected, "an organization's files and no other's");
    assert_eq!(
        deleted
            .iter()
            .find(|d| d.file.id == a1.id)
            .map(|d| d.storage_keys.len()),
        Some(2),
        "with every version's blob"
    );
    assert!(repo.by_id(b1.id).await.unwrap().is_some());
    assert!(repo.by_id(own.id).await.unwrap().is_some());

    let mut tx = uow.begin().await.unwrap();
    for id in [own.id, b1.id] {
        repo.delete(tx.as_mut(), id).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Shares with organizations: upserted (keeping the first `created_at`), read back one by one
/// and per file, listed by `list_visible` only for a viewer acting for that organization with
/// `org_files:read`, removed one by one (`NotFound` for none; undone with its transaction),
/// all at once for a deleted organization, and with their file.
pub(super) async fn org_shares(repo: &dyn FileStorage, uow: &dyn UnitOfWork, owner: UserId) {
    use crate::{OrgShare, SharePermission as P};
    use plinth_kernel::{ActingFor, OrgId};
    let (clients, others) = (OrgId::new(), OrgId::new());
    let (file, versions) = file_with_versions(owner, "for-the-client.txt", 1);
    let mut tx = uow.begin().await.unwrap();
    repo.insert(tx.as_mut(), &file).await.unwrap();
    repo.insert_version(tx.as_mut(), &versions[0])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let share = |org: OrgId, permission: P| OrgShare {
        file_id: file.id,
        org_id: org,
        permission,
        created_at: file.created_at,
    };
    let mut tx = uow.begin().await.unwrap();
    repo.upsert_org_share(tx.as_mut(), &share(clients, P::View))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let later = OrgShare {
        created_at: file.created_at + chrono::Duration::minutes(1),
        ..share(clients, P::Edit)
    };
    let mut tx = uow.begin().await.unwrap();
    repo.upsert_org_share(tx.as_mut(), &later).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        repo.org_share_of(file.id, clients).await.unwrap(),
        Some(share(clients, P::Edit)),
        "a new permission keeps the first created_at"
    );
    assert_eq!(repo.org_share_of(file.id, others).await.unwrap(), None);
    assert_eq!(repo.org_shares(file.id).await.unwrap().len(), 1);

    let email = Email::parse(&format!(
        "client-{}@example.com",
        uuid::Uuid::now_v7().simple()
    ))
    .unwrap();
    let lists = |org: OrgId, perms: &[&str]| {
        let viewer =
            crate::Viewer::new(UserId::new(), email.clone(), true).acting_for(Some(ActingFor {
                org_id: org,
                permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
            }));
        async move {
            repo.list_visible(&viewer, PageRequest::first(100))
                .await
                .unwrap()
                .items
                .iter()
                .any(|f| f.id == file.id)
        }
    };
    assert!(lists(clients, &[crate::ORG_FILES_READ]).await);
    assert!(
        !lists(clients, &["members:read"]).await,
        "not without org_files:read"
    );
    assert!(
        !lists(others, &[crate::ORG_FILES_READ]).await,
        "nor for another organization"
    );

    let mut tx = uow.begin().await.unwrap();
    assert!(matches!(
        repo.delete_org_share(tx.as_mut(), file.id, others).await,
        Err(plinth_kernel::RepoError::NotFound)
    ));
    repo.delete_org_share(tx.as_mut(), file.id, clients)
        .await
        .unwrap();
    drop(tx);
    assert!(
        repo.org_share_of(file.id, clients).await.unwrap().is_some(),
        "a rolled-back removal keeps the share"
    );
    let mut tx = uow.begin().await.unwrap();
    repo.upsert_org_share(tx.as_mut(), &share(others, P::View))
        .await
        .unwrap();
    assert_eq!(
        repo.delete_org_shares_to(tx.as_mut(), clients)
            .await
            .unwrap(),
        1
    );
    tx.commit().await.unwrap();
    assert_eq!(repo.org_share_of(file.id, clients).await.unwrap(), None);
    let mut tx = uow.begin().await.unwrap();
    repo.delete(tx.as_mut(), file.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        repo.org_shares(file.id).await.unwrap(),
        Vec::new(),
        "a file's shares go with it"
    );
}
