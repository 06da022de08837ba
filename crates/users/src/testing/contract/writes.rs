//! Updates, deletes and rollback.

use chrono::Duration;
use plinth_kernel::{Email, RepoError, UnitOfWork, UserId};

use super::{insert, sample, unique};
use crate::{DisplayName, PasswordHash, RoleName, User, UserRepository, UserStatus};

pub(super) async fn update_round_trips_every_field(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let user = sample("update");
    let other = sample("update-other");
    insert(repo, uow, &[&user, &other]).await;
    let old_email = user.email.clone();
    let changed = User {
        email: Email::parse(&format!("changed-{}@example.com", unique())).expect("valid email"),
        name: DisplayName::parse("Changed Name \u{e9}\u{4e2d}").expect("valid name"),
        role: RoleName::admin(),
        status: UserStatus::Suspended,
        email_verified: true,
        avatar_key: Some(format!("avatars/{}", unique())),
        password_hash: PasswordHash(format!("$2b$04$changed{}", unique())),
        updated_at: user.updated_at + Duration::seconds(90),
        ..user.clone()
    };
    let mut tx = uow.begin().await.expect("begin");
    repo.update(tx.as_mut(), &changed).await.expect("update");
    tx.commit().await.expect("commit");
    // `avatar_key` is the one field `update` leaves alone.
    let changed = User {
        avatar_key: None,
        ..changed
    };
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        Some(changed.clone()),
        "update stores every field but avatar_key"
    );
    assert_eq!(
        repo.by_email(&old_email).await.expect("by_email"),
        None,
        "the old email is free"
    );
    assert_eq!(
        repo.by_email(&changed.email)
            .await
            .expect("by_email")
            .map(|u| u.id),
        Some(user.id)
    );

    let stealing = User {
        email: other.email.clone(),
        ..changed.clone()
    };
    let mut tx = uow.begin().await.expect("begin");
    match repo.update(tx.as_mut(), &stealing).await {
        Err(RepoError::Duplicate { constraint }) => assert_eq!(constraint, "users.email"),
        other => {
            panic!("updating to a taken email must be Duplicate {{ users.email }}, got {other:?}")
        }
    }
    drop(tx);
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        Some(changed),
        "a refused update changes nothing"
    );
}

pub(super) async fn update_and_delete_of_unknown_id_is_not_found(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let ghost = sample("ghost");
    let mut tx = uow.begin().await.expect("begin");
    let updated = repo.update(tx.as_mut(), &ghost).await;
    assert!(
        matches!(updated, Err(RepoError::NotFound)),
        "update of an unknown id must be NotFound, got {updated:?}"
    );
    drop(tx);
    let mut tx = uow.begin().await.expect("begin");
    let deleted = repo.delete(tx.as_mut(), ghost.id).await;
    assert!(
        matches!(deleted, Err(RepoError::NotFound)),
        "delete of an unknown id must be NotFound, got {deleted:?}"
    );
    drop(tx);
    assert_eq!(
        repo.by_id(ghost.id).await.expect("by_id"),
        None,
        "update never inserts"
    );
}

pub(super) async fn delete_removes(repo: &dyn UserRepository, uow: &dyn UnitOfWork) {
    let user = sample("delete");
    insert(repo, uow, &[&user]).await;
    let mut tx = uow.begin().await.expect("begin");
    repo.delete(tx.as_mut(), user.id).await.expect("delete");
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        None,
        "deleted user is gone"
    );
    assert_eq!(
        repo.by_email(&user.email).await.expect("by_email"),
        None,
        "and so is its email"
    );
    let mut again = sample("delete-again");
    again.email = user.email.clone();
    insert(repo, uow, &[&again]).await;
}

pub(super) async fn dropped_transaction_rolls_back(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let kept = sample("rollback-kept");
    insert(repo, uow, &[&kept]).await;
    let fresh = sample("rollback-new");
    {
        let mut tx = uow.begin().await.expect("begin");
        repo.insert(tx.as_mut(), &fresh).await.expect("insert");
        let changed = User {
            name: DisplayName::parse("Never Saved").expect("valid name"),
            ..kept.clone()
        };
        repo.update(tx.as_mut(), &changed).await.expect("update");
        // dropped without commit
    }
    assert_eq!(
        repo.by_id(fresh.id).await.expect("by_id"),
        None,
        "an insert in a dropped transaction is undone"
    );
    assert_eq!(
        repo.by_email(&fresh.email).await.expect("by_email"),
        None,
        "its email is free again"
    );
    assert_eq!(
        repo.by_id(kept.id).await.expect("by_id"),
        Some(kept.clone()),
        "an update in a dropped transaction is undone"
    );
    {
        let mut tx = uow.begin().await.expect("begin");
        repo.delete(tx.as_mut(), kept.id).await.expect("delete");
    }
    assert_eq!(
        repo.by_id(kept.id).await.expect("by_id"),
        Some(kept),
        "a delete in a dropped transaction is undone"
    );
}

pub(super) async fn avatar_key_changes_only_through_set_avatar_key(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let user = sample("avatar");
    let other = sample("avatar-other");
    insert(repo, uow, &[&user, &other]).await;
    let first = format!("avatars/{}.png", unique());
    let later = user.updated_at + Duration::seconds(5);
    let mut tx = uow.begin().await.expect("begin");
    let previous = repo
        .set_avatar_key(tx.as_mut(), user.id, Some(&first), later)
        .await
        .expect("set_avatar_key");
    tx.commit().await.expect("commit");
    assert_eq!(previous, None, "there was no avatar before");
    let stored = repo.by_id(user.id).await.expect("by_id").expect("exists");
    assert_eq!(stored.avatar_key.as_deref(), Some(first.as_str()));
    assert_eq!(stored.updated_at, later, "updated_at moves with the avatar");

    // A profile write made from a copy read before the avatar changed keeps the new avatar.
    let stale = User {
        name: DisplayName::parse("Stale Copy").expect("valid name"),
        ..user.clone()
    };
    let mut tx = uow.begin().await.expect("begin");
    repo.update(tx.as_mut(), &stale).await.expect("update");
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.by_id(user.id)
            .await
            .expect("by_id")
            .and_then(|u| u.avatar_key),
        Some(first.clone()),
        "update does not bring back an old avatar_key"
    );

    let second = format!("avatars/{}.webp", unique());
    let mut tx = uow.begin().await.expect("begin");
    let previous = repo
        .set_avatar_key(tx.as_mut(), user.id, Some(&second), later)
        .await
        .expect("set_avatar_key");
    drop(tx);
    assert_eq!(
        previous.as_deref(),
        Some(first.as_str()),
        "the key it replaced"
    );
    assert_eq!(
        repo.by_id(user.id)
            .await
            .expect("by_id")
            .and_then(|u| u.avatar_key),
        Some(first.clone()),
        "a dropped transaction keeps the old avatar"
    );

    let unknown = format!("avatars/{}.gif", unique());
    let known = repo
        .known_avatar_keys(&[first.clone(), unknown.clone(), second.clone()])
        .await
        .expect("known_avatar_keys");
    assert_eq!(
        known,
        vec![first.clone()],
        "only keys a user names are known"
    );
    assert!(
        repo.known_avatar_keys(&[])
            .await
            .expect("known_avatar_keys")
            .is_empty()
    );

    let mut tx = uow.begin().await.expect("begin");
    let previous = repo
        .set_avatar_key(tx.as_mut(), user.id, None, later)
        .await
        .expect("set_avatar_key");
    tx.commit().await.expect("commit");
    assert_eq!(previous.as_deref(), Some(first.as_str()));
    assert_eq!(
        repo.by_id(user.id)
            .await
            .expect("by_id")
            .and_then(|u| u.avatar_key),
        None,
        "the avatar is cleared"
    );
    assert!(
        repo.known_avatar_keys(std::slice::from_ref(&first))
            .await
            .expect("known_avatar_keys")
            .is_empty(),
        "a cleared key is no longer known"
    );

    let mut tx = uow.begin().await.expect("begin");
    let ghost = repo
        .set_avatar_key(tx.as_mut(), UserId::new(), Some(&second), later)
        .await;
    assert!(
        matches!(ghost, Err(RepoError::NotFound)),
        "set_avatar_key of an unknown id must be NotFound, got {ghost:?}"
    );
}
