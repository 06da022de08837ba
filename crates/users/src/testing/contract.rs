//! The contract every [`UserStorage`] adapter must satisfy (its [`UserRepository`],
//! [`crate::AvatarKeyRepository`] and [`crate::AppDataRepository`] seams).
//!
//! Run [`user_repository`] from an adapter's tests; it panics with a message on the first
//! broken promise. It tolerates a store that already holds users (fresh random emails and name
//! tags each run, no global counts). Timestamps are truncated to microseconds, the precision
//! PostgreSQL keeps.

// A test suite: panicking with a message is how it reports a failure.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod avatar_keys;
mod counting;
mod documents;
mod listing;
mod roles;
mod writes;

pub use roles::role_repository;

use std::sync::Arc;

use chrono::SubsecRound;
use plinth_kernel::{Email, RepoError, UnitOfWork, UserId};

use crate::{DisplayName, PasswordHash, RoleName, User, UserRepository, UserStatus, UserStorage};

/// Runs every check of the contract against `repo`, whose writes join transactions from `uow`.
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn user_repository(repo: Arc<dyn UserStorage>, uow: Arc<dyn UnitOfWork>) {
    insert_then_find_by_id_and_email(&*repo, &*uow).await;
    duplicate_email_is_reported(&*repo, &*uow).await;
    writes::change_writes_only_the_named_columns(&*repo, &*uow).await;
    writes::locale_is_stored_changed_and_cleared(&*repo, &*uow).await;
    writes::by_id_for_update_reads_in_the_transaction(&*repo, &*uow).await;
    writes::by_id_for_update_holds_off_other_writers(
        Arc::clone(&repo) as Arc<dyn UserRepository>,
        Arc::clone(&uow),
    )
    .await;
    writes::change_and_delete_of_unknown_id_is_not_found(&*repo, &*uow).await;
    writes::delete_removes(&*repo, &*uow).await;
    avatar_keys::avatar_key_changes_only_through_set_avatar_key(&*repo, &*uow).await;
    listing::list_filters_and_paginates_oldest_first(&*repo, &*uow).await;
    writes::dropped_transaction_rolls_back(&*repo, &*uow).await;
    counting::count_tallies_total_active_and_recent(&*repo, &*uow).await;
    documents::app_data_is_written_only_over_the_expected_version(&*repo, &*uow).await;
}

fn unique() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn sample(tag: &str) -> User {
    let now = chrono::Utc::now().trunc_subsecs(6);
    User {
        id: UserId::new(),
        email: Email::parse(&format!("contract-{}@example.com", unique())).expect("valid email"),
        name: DisplayName::parse(&format!("Contract {tag}")).expect("valid name"),
        role: RoleName::user(),
        status: UserStatus::Active,
        email_verified: false,
        avatar_key: None,
        locale: None,
        password_hash: PasswordHash(format!("$2b$04$contract{}", unique())),
        created_at: now,
        updated_at: now,
    }
}

async fn insert(repo: &dyn UserRepository, uow: &dyn UnitOfWork, users: &[&User]) {
    let mut tx = uow.begin().await.expect("begin");
    for u in users {
        repo.insert(tx.as_mut(), u).await.expect("insert");
    }
    tx.commit().await.expect("commit");
}

async fn insert_then_find_by_id_and_email(repo: &dyn UserRepository, uow: &dyn UnitOfWork) {
    let user = sample("insert");
    insert(repo, uow, &[&user]).await;
    assert_eq!(
        repo.by_id(user.id).await.expect("by_id"),
        Some(user.clone()),
        "by_id returns every field"
    );
    assert_eq!(
        repo.by_email(&user.email).await.expect("by_email"),
        Some(user.clone()),
        "by_email finds it"
    );
    let shouted =
        Email::parse(&format!("  {}  ", user.email.as_str().to_uppercase())).expect("valid email");
    assert_eq!(
        repo.by_email(&shouted)
            .await
            .expect("by_email")
            .map(|u| u.id),
        Some(user.id),
        "lookups are normalised"
    );
    assert_eq!(
        repo.by_id(UserId::new()).await.expect("by_id"),
        None,
        "unknown id is None"
    );
    let unknown = Email::parse(&format!("nobody-{}@example.com", unique())).expect("valid email");
    assert_eq!(
        repo.by_email(&unknown).await.expect("by_email"),
        None,
        "unknown email is None"
    );
}

async fn duplicate_email_is_reported(repo: &dyn UserRepository, uow: &dyn UnitOfWork) {
    let first = sample("dup-a");
    insert(repo, uow, &[&first]).await;
    let mut second = sample("dup-b");
    second.email = Email::parse(&first.email.as_str().to_uppercase()).expect("valid email");
    let mut tx = uow.begin().await.expect("begin");
    match repo.insert(tx.as_mut(), &second).await {
        Err(RepoError::Duplicate { constraint }) => assert_eq!(constraint, "users.email"),
        other => panic!("a taken email must be Duplicate {{ users.email }}, got {other:?}"),
    }
    drop(tx);
    assert_eq!(
        repo.by_id(second.id).await.expect("by_id"),
        None,
        "the duplicate was not stored"
    );
}
