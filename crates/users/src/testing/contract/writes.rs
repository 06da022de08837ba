//! Column-scoped changes, locked reads, deletes and rollback.

use std::sync::Arc;

use chrono::Duration;
use plinth_kernel::{RepoError, UnitOfWork, UserId};

use super::{insert, sample, unique};
use crate::{
    DisplayName, Locale, PasswordHash, RoleName, User, UserChanges, UserRepository, UserStatus,
    UserStorage,
};

pub(super) async fn change_writes_only_the_named_columns(
    repo: &dyn UserStorage,
    uow: &dyn UnitOfWork,
) {
    let user = sample("change");
    let other = sample("change-other");
    insert(repo, uow, &[&user, &other]).await;
    let avatar = format!("avatars/{}.png", unique());
    let mut tx = uow.begin().await.expect("begin");
    repo.set_avatar_key(tx.as_mut(), user.id, Some(&avatar), user.updated_at)
        .await
        .expect("set_avatar_key");
    tx.commit().await.expect("commit");

    // Each writer names one column, as the use cases do; each must leave the columns the
    // writers before it stored (the lost update of a whole-row write from a stale copy).
    let steps = [
        UserChanges {
            status: Some(UserStatus::Suspended),
            ..UserChanges::default()
        },
        UserChanges::password(PasswordHash(format!("$2b$04$changed{}", unique()))),
        UserChanges {
            role: Some(RoleName::admin()),
            ..UserChanges::default()
        },
        UserChanges {
            email_verified: Some(true),
            ..UserChanges::default()
        },
        UserChanges {
            locale: Some(Some(Locale::parse("pt-BR").expect("valid locale"))),
            ..UserChanges::default()
        },
        UserChanges {
            name: Some(DisplayName::parse("Changed Name \u{e9}\u{4e2d}").expect("valid name")),
            ..UserChanges::default()
        },
        UserChanges {
            email: Some(
                plinth_kernel::Email::parse(&format!("moved-{}@example.com", unique()))
                    .expect("valid email"),
            ),
            ..UserChanges::default()
        },
    ];
    let mut expected = User {
        avatar_key: Some(avatar),
        ..user.clone()
    };
    for (n, changes) in (1_i64..).zip(&steps) {
        let at = user.updated_at + Duration::seconds(n);
        expected = changes.apply(expected, at);
        let mut tx = uow.begin().await.expect("begin");
        let returned = repo
            .change(tx.as_mut(), user.id, changes, at)
            .await
            .expect("change");
        tx.commit().await.expect("commit");
        assert_eq!(
            returned, expected,
            "change returns the row as stored: {changes:?}"
        );
        assert_eq!(
            repo.by_id(user.id).await.expect("by_id"),
            Some(expected.clone()),
            "change writes only {changes:?} and updated_at; every other column keeps what \
             the earlier writers stored"
        );
    }
    assert_eq!(
        (
            expected.status,
            &expected.role,
            expected.email_verified,
            expected.locale.as_ref().map(Locale::as_str)
        ),
        (
            UserStatus::Suspended,
            &RoleName::admin(),
            true,
            Some("pt-BR")
        ),
        "every step is kept"
    );

    // Another account's address is a duplicate, and changes nothing.
    let mut tx = uow.begin().await.expect("begin");
    let taken = UserChanges {
        email: Some(other.email.clone()),
        ..UserChanges::default()
    };
    let err = repo
        .change(
            tx.as_mut(),
            user.id,
            &taken,
            user.updated_at + Duration::seconds(60),
        )
        .await
        .expect_err("another account's address");
    assert!(matches!(err, RepoError::Duplicate { .. }), "{err:?}");
    drop(tx);
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        Some(expected.clone()),
        "a refused change writes nothing"
    );

    // An empty change moves only updated_at.
    let at = user.updated_at + Duration::seconds(90);
    let mut tx = uow.begin().await.expect("begin");
    repo.change(tx.as_mut(), user.id, &UserChanges::default(), at)
        .await
        .expect("change");
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        Some(User {
            updated_at: at,
            ..expected
        })
    );
    assert_eq!(
        repo.by_id(other.id).await.expect("by_id"),
        Some(other),
        "another account is untouched"
    );
}

pub(super) async fn locale_is_stored_changed_and_cleared(
    repo: &dyn UserStorage,
    uow: &dyn UnitOfWork,
) {
    let user = User {
        locale: Some(Locale::parse("es-419").expect("valid locale")),
        ..sample("locale")
    };
    let without = sample("locale-none");
    insert(repo, uow, &[&user, &without]).await;
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        Some(user.clone()),
        "insert stores the locale"
    );
    assert_eq!(
        repo.by_email(&without.email)
            .await
            .expect("by_email")
            .map(|u| u.locale),
        Some(None),
        "no locale reads back as none"
    );
    let mut expected = user.clone();
    for (n, locale) in (1_i64..).zip([Some("de"), None]) {
        let locale = locale.map(|l| Locale::parse(l).expect("valid locale"));
        let changes = UserChanges {
            locale: Some(locale.clone()),
            ..UserChanges::default()
        };
        let at = user.updated_at + Duration::seconds(n);
        let mut tx = uow.begin().await.expect("begin");
        let returned = repo
            .change(tx.as_mut(), user.id, &changes, at)
            .await
            .expect("change");
        tx.commit().await.expect("commit");
        expected = changes.apply(expected, at);
        assert_eq!(expected.locale, locale);
        assert_eq!(returned, expected, "change returns the new locale");
        assert_eq!(
            repo.by_id(user.id).await.expect("by_id"),
            Some(expected.clone()),
            "the locale is stored as changed: {locale:?}"
        );
    }
    assert_eq!(
        repo.by_id(without.id).await.expect("by_id"),
        Some(without),
        "another account is untouched"
    );
}

pub(super) async fn by_id_for_update_reads_in_the_transaction(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let user = sample("for-update");
    insert(repo, uow, &[&user]).await;
    let suspended = UserChanges {
        status: Some(UserStatus::Suspended),
        ..UserChanges::default()
    };
    let mut tx = uow.begin().await.expect("begin");
    repo.change(tx.as_mut(), user.id, &suspended, user.updated_at)
        .await
        .expect("change");
    assert_eq!(
        repo.by_id_for_update(tx.as_mut(), user.id)
            .await
            .expect("by_id_for_update")
            .map(|u| u.status),
        Some(UserStatus::Suspended),
        "it sees the transaction's own writes"
    );
    assert_eq!(
        repo.by_id_for_update(tx.as_mut(), UserId::new())
            .await
            .expect("by_id_for_update"),
        None,
        "unknown id is None"
    );
    drop(tx);
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        Some(user),
        "a change in a dropped transaction is undone"
    );
}

/// A transaction that read a row with `by_id_for_update` keeps it to itself until it ends: a
/// concurrent writer waits, and then writes over what the first one committed.
pub(super) async fn by_id_for_update_holds_off_other_writers(
    repo: Arc<dyn UserRepository>,
    uow: Arc<dyn UnitOfWork>,
) {
    let user = sample("locked");
    insert(&*repo, &*uow, &[&user]).await;
    let mut tx = uow.begin().await.expect("begin");
    let seen = repo
        .by_id_for_update(tx.as_mut(), user.id)
        .await
        .expect("by_id_for_update")
        .expect("exists");
    let demoting = {
        let (repo, uow) = (Arc::clone(&repo), Arc::clone(&uow));
        tokio::spawn(async move {
            let demoted = UserChanges {
                role: Some(RoleName::user()),
                status: Some(UserStatus::Suspended),
                ..UserChanges::default()
            };
            let mut tx = uow.begin().await.expect("begin");
            repo.change(tx.as_mut(), user.id, &demoted, user.updated_at)
                .await
                .expect("change");
            tx.commit().await.expect("commit");
        })
    };
    // Room for the other writer to run, were it not held off.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let again = repo
        .by_id_for_update(tx.as_mut(), user.id)
        .await
        .expect("by_id_for_update")
        .expect("exists");
    assert_eq!(again, seen, "no other writer got in while the row is held");
    let promoted = UserChanges {
        role: Some(RoleName::admin()),
        ..UserChanges::default()
    };
    repo.change(tx.as_mut(), user.id, &promoted, user.updated_at)
        .await
        .expect("change");
    tx.commit().await.expect("commit");
    demoting.await.expect("the other writer finishes");
    let stored = repo.by_id(user.id).await.expect("by_id").expect("exists");
    assert_eq!(
        (stored.role, stored.status),
        (RoleName::user(), UserStatus::Suspended),
        "the writer that waited wrote last"
    );
}

pub(super) async fn change_and_delete_of_unknown_id_is_not_found(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let ghost = sample("ghost");
    let mut tx = uow.begin().await.expect("begin");
    let named = UserChanges {
        name: Some(DisplayName::parse("Ghost").expect("valid name")),
        ..UserChanges::default()
    };
    let changed = repo
        .change(tx.as_mut(), ghost.id, &named, ghost.updated_at)
        .await;
    assert!(
        matches!(changed, Err(RepoError::NotFound)),
        "change of an unknown id must be NotFound, got {changed:?}"
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
        "change never inserts"
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
        let changed = UserChanges {
            name: Some(DisplayName::parse("Never Saved").expect("valid name")),
            status: Some(UserStatus::Suspended),
            ..UserChanges::default()
        };
        repo.change(tx.as_mut(), kept.id, &changed, kept.updated_at)
            .await
            .expect("change");
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
        "a change in a dropped transaction is undone"
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
