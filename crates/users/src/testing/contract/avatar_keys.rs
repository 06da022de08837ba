//! The avatar key: written only through `set_avatar_key`, kept by profile writes, looked up
//! by `known_avatar_keys`.

use chrono::Duration;
use plinth_kernel::{RepoError, UnitOfWork, UserId};

use super::{insert, sample, unique};
use crate::{DisplayName, UserChanges, UserStorage};

pub(super) async fn avatar_key_changes_only_through_set_avatar_key(
    repo: &dyn UserStorage,
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

    // A profile write made after the avatar changed keeps the new avatar.
    let renamed = UserChanges {
        name: Some(DisplayName::parse("Renamed").expect("valid name")),
        ..UserChanges::default()
    };
    let mut tx = uow.begin().await.expect("begin");
    repo.change(tx.as_mut(), user.id, &renamed, later)
        .await
        .expect("change");
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.by_id(user.id)
            .await
            .expect("by_id")
            .and_then(|u| u.avatar_key),
        Some(first.clone()),
        "change leaves avatar_key alone"
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
