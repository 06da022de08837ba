//! Erasing an account, exporting it and its avatar, with faults injected between the steps:
//! either everything is gone (account, files, versions, shares, sessions) or nothing is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::Ordering;

use bytes::Bytes;
use plinth_audit::AuditAction;
use plinth_files::{ByteStream, FileError};
use plinth_kernel::{Clock as _, UserId};
use plinth_sessions::{AdminError, AuthError};
use plinth_users::{RoleName, UserRepository as _};

use crate::AppError;
use crate::test_world::{PASSWORD, World, meta};

#[tokio::test]
async fn erasing_ones_own_account_removes_it_with_every_file_share_and_blob() {
    let w = World::new();
    let owner = w
        .owner_with_everything("me@example.com", RoleName::user())
        .await;
    let erased = w
        .accounts
        .erase_own(&owner.principal, PASSWORD, &meta())
        .await
        .unwrap();
    assert_eq!((erased.files, erased.shares), (2, 1));
    assert!(erased.sessions >= 1, "{erased:?}");
    w.erased(&owner, true).await;
    let deleted: Vec<_> = w
        .audit_events()
        .await
        .into_iter()
        .filter(|e| {
            matches!(
                e.action,
                AuditAction::FileDeleted | AuditAction::UserDeleted
            )
        })
        .collect();
    assert_eq!(
        deleted.len(),
        3,
        "two file.deleted and one user.deleted: {deleted:?}"
    );
    assert!(
        deleted
            .iter()
            .all(|e| e.actor_id == Some(owner.principal.user_id.as_uuid())),
        "the user erased them"
    );
}

#[tokio::test]
async fn a_wrong_password_erases_nothing() {
    let w = World::new();
    let owner = w
        .owner_with_everything("me@example.com", RoleName::user())
        .await;
    let before = w.audit_count().await;
    let refused = w
        .accounts
        .erase_own(&owner.principal, "not the password at all", &meta())
        .await;
    assert!(
        matches!(refused, Err(AppError::Auth(AuthError::WrongPassword))),
        "{refused:?}"
    );
    // The failed check itself is audited (auth.login_failed); nothing else is.
    w.untouched(&owner, before + 1).await;
}

#[tokio::test]
async fn a_fault_between_the_files_and_the_account_leaves_both() {
    let w = World::new();
    let owner = w
        .owner_with_everything("me@example.com", RoleName::user())
        .await;
    let before = w.audit_count().await;
    // The files are already deleted in the transaction when the account's step fails.
    *w.refuse.lock().unwrap() = Some(AuditAction::UserDeleted);
    let failed = w
        .accounts
        .erase_own(&owner.principal, PASSWORD, &meta())
        .await;
    assert!(matches!(failed, Err(AppError::Repo(_))), "{failed:?}");
    w.untouched(&owner, before).await;

    // A failure while the files are audited leaves everything too.
    *w.refuse.lock().unwrap() = Some(AuditAction::FileDeleted);
    let failed = w
        .accounts
        .erase_own(&owner.principal, PASSWORD, &meta())
        .await;
    assert!(
        matches!(failed, Err(AppError::Files(FileError::Repo(_)))),
        "{failed:?}"
    );
    w.untouched(&owner, before).await;

    // Once the fault is gone, the erasure goes through whole.
    *w.refuse.lock().unwrap() = None;
    w.accounts
        .erase_own(&owner.principal, PASSWORD, &meta())
        .await
        .unwrap();
    w.erased(&owner, true).await;
}

#[tokio::test]
async fn a_failed_commit_keeps_the_account_and_its_files_with_their_bytes() {
    let w = World::new();
    let admin = w.sign_up("admin@example.com", RoleName::admin()).await;
    let owner = w
        .owner_with_everything("me@example.com", RoleName::user())
        .await;
    let before = w.audit_count().await;
    w.fail_commit.store(true, Ordering::SeqCst);
    let failed = w
        .accounts
        .erase_by_admin(&admin, owner.principal.user_id, &meta())
        .await;
    w.fail_commit.store(false, Ordering::SeqCst);
    assert!(matches!(failed, Err(AppError::Repo(_))), "{failed:?}");
    w.untouched(&owner, before).await;
}

#[tokio::test]
async fn blobs_that_cannot_be_removed_after_the_commit_are_left_to_the_reconciler() {
    let w = World::new();
    let owner = w
        .owner_with_everything("me@example.com", RoleName::user())
        .await;
    w.refuse_blob_deletes.store(true, Ordering::SeqCst);
    w.accounts
        .erase_own(&owner.principal, PASSWORD, &meta())
        .await
        .unwrap();
    w.refuse_blob_deletes.store(false, Ordering::SeqCst);
    let id = owner.principal.user_id;
    assert!(
        w.users.by_id(id).await.unwrap().is_none(),
        "the account is gone"
    );
    for key in &owner.blobs {
        assert!(w.blobs.bytes(key).is_some(), "{key:?} outlived the failure");
    }
    w.clock.advance(chrono::Duration::hours(2));
    let report = w.files.reconcile(chrono::Duration::hours(1)).await.unwrap();
    assert!(report.orphans_removed >= 3, "{report:?}");
    for key in &owner.blobs {
        assert!(
            w.blobs.bytes(key).is_none(),
            "{key:?} was removed by the reconciler"
        );
    }
}

#[tokio::test]
async fn an_administrator_erases_an_account_whole_or_not_at_all() {
    let w = World::new();
    let admin = w.sign_up("admin@example.com", RoleName::admin()).await;
    let owner = w
        .owner_with_everything("them@example.com", RoleName::user())
        .await;
    let before = w.audit_count().await;

    *w.refuse.lock().unwrap() = Some(AuditAction::UserDeleted);
    let failed = w
        .accounts
        .erase_by_admin(&admin, owner.principal.user_id, &meta())
        .await;
    assert!(matches!(failed, Err(AppError::Repo(_))), "{failed:?}");
    w.untouched(&owner, before).await;
    *w.refuse.lock().unwrap() = None;

    let erased = w
        .accounts
        .erase_by_admin(&admin, owner.principal.user_id, &meta())
        .await
        .unwrap();
    assert_eq!((erased.files, erased.shares), (2, 0));
    w.erased(&owner, false).await;
    let by_admin = w
        .audit_events()
        .await
        .into_iter()
        .filter(|e| {
            matches!(
                e.action,
                AuditAction::FileDeleted | AuditAction::UserDeleted
            )
        })
        .filter(|e| e.actor_id == Some(admin.user_id.as_uuid()))
        .count();
    assert_eq!(by_admin, 3, "the administrator is the actor of every entry");
}

#[tokio::test]
async fn erasing_another_account_needs_the_permission_and_a_higher_rank() {
    let w = World::new();
    let user = w.sign_up("user@example.com", RoleName::user()).await;
    let admin = w.sign_up("admin@example.com", RoleName::admin()).await;
    let owner = w
        .owner_with_everything("them@example.com", RoleName::user())
        .await;
    let peer = w.sign_up("peer@example.com", RoleName::admin()).await;
    let before = w.audit_count().await;
    let cases = [
        (&user, owner.principal.user_id, "no users:write"),
        (&admin, admin.user_id, "oneself"),
    ];
    for (caller, target, why) in cases {
        let refused = w.accounts.erase_by_admin(caller, target, &meta()).await;
        assert!(
            matches!(refused, Err(AppError::Admin(AdminError::Forbidden(_)))),
            "{why}: {refused:?}"
        );
    }
    let refused = w
        .accounts
        .erase_by_admin(&admin, peer.user_id, &meta())
        .await;
    assert!(
        matches!(refused, Err(AppError::Admin(AdminError::Forbidden(_)))),
        "an equal rank: {refused:?}"
    );
    let unknown = w
        .accounts
        .erase_by_admin(&admin, UserId::new(), &meta())
        .await;
    assert!(
        matches!(unknown, Err(AppError::Admin(AdminError::NotFound))),
        "{unknown:?}"
    );
    w.untouched(&owner, before).await;
}

#[tokio::test]
async fn an_export_holds_the_account_its_sessions_files_data_and_own_audit_entries() {
    let w = World::new();
    let owner = w
        .owner_with_everything("me@example.com", RoleName::user())
        .await;
    let export = w.accounts.export(&owner.principal).await.unwrap();
    assert_eq!(
        export.exported_at,
        w.clock.now(),
        "the time comes from the clock port"
    );
    assert_eq!(export.user.id, owner.principal.user_id);
    assert!(
        !export.sessions.is_empty(),
        "the caller's session is listed"
    );
    let mut files: Vec<_> = export.files.iter().map(|f| f.id).collect();
    files.sort();
    let mut expected: Vec<_> = owner.files.iter().map(|f| f.id).collect();
    expected.sort();
    assert_eq!(
        files, expected,
        "only the files it owns, not those shared with it"
    );
    assert_eq!(export.app_data, "{}");
    assert!(
        export
            .audit
            .iter()
            .all(|e| e.actor_id == Some(owner.principal.user_id.as_uuid())),
        "only the entries it is the actor of"
    );
    assert!(
        export
            .audit
            .iter()
            .any(|e| e.action == AuditAction::FileUploaded),
        "{:?}",
        export.audit
    );
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x04\0\x09\xfb\x03\xfd\xe3U\xf2\x9c\0\0\0\0IEND\xaeB`\x82";

fn png() -> ByteStream {
    Box::pin(futures::stream::once(async { Ok(Bytes::from_static(PNG)) }))
}

fn avatars(w: &World) -> Vec<String> {
    w.blobs
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("avatars/"))
        .collect()
}

#[tokio::test]
async fn an_avatar_replaces_the_previous_image_and_a_failed_row_write_keeps_it() {
    let w = World::new();
    let me = w.sign_up("me@example.com", RoleName::user()).await;
    let first = w.accounts.set_avatar(&me, png(), &meta()).await.unwrap();
    let first_key = first.avatar_key.clone().unwrap();
    assert_eq!(avatars(&w), vec![first_key.clone()]);

    let second = w.accounts.set_avatar(&me, png(), &meta()).await.unwrap();
    let second_key = second.avatar_key.clone().unwrap();
    assert_ne!(first_key, second_key);
    assert_eq!(
        avatars(&w),
        vec![second_key.clone()],
        "the replaced image is removed"
    );

    // The account cannot be changed: the new image goes again, the current one stays.
    *w.refuse.lock().unwrap() = Some(AuditAction::UserUpdated);
    let failed = w.accounts.set_avatar(&me, png(), &meta()).await;
    assert!(matches!(failed, Err(AppError::Users(_))), "{failed:?}");
    *w.refuse.lock().unwrap() = None;
    assert_eq!(avatars(&w), vec![second_key.clone()]);
    let stored = w.users.by_id(me.user_id).await.unwrap().unwrap();
    assert_eq!(stored.avatar_key, Some(second_key));

    // Not an image: nothing stored, nothing changed.
    let text: ByteStream = Box::pin(futures::stream::once(async {
        Ok(Bytes::from_static(b"hello, not a picture"))
    }));
    let refused = w.accounts.set_avatar(&me, text, &meta()).await;
    assert!(matches!(refused, Err(AppError::Files(_))), "{refused:?}");
    assert_eq!(avatars(&w).len(), 1);

    let removed = w.accounts.remove_avatar(&me, &meta()).await.unwrap();
    assert_eq!(removed.avatar_key, None);
    assert!(avatars(&w).is_empty(), "the image is removed with the link");
    let again = w.accounts.remove_avatar(&me, &meta()).await.unwrap();
    assert_eq!(
        again.avatar_key, None,
        "removing an absent avatar is no error"
    );
}
