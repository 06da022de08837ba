//! One-time tokens: stored by hash, used once (even concurrently), rolled back, counted.

use std::sync::Arc;

use chrono::Duration;
use plinth_kernel::{UnitOfWork, UserId};

use super::now;
use crate::{OneTimePurpose, OneTimeTokenRecord, SessionStorage};

fn issue(user_id: UserId, purpose: OneTimePurpose) -> OneTimeTokenRecord {
    OneTimeTokenRecord::issue(user_id, purpose, now(), Duration::minutes(30))
        .expect("random source")
        .1
}

pub(super) async fn one_time_tokens_store_and_consume_once(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let record = issue(user_id, OneTimePurpose::PasswordReset);
    assert_eq!(
        repo.one_time_by_hash(&record.hash).await.expect("find"),
        None,
        "nothing before insert"
    );
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_one_time(tx.as_mut(), &record)
        .await
        .expect("insert_one_time");
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.one_time_by_hash(&record.hash).await.expect("find"),
        Some(record.clone()),
        "stored as given"
    );

    let mut tx = uow.begin().await.expect("begin");
    let dup = repo.insert_one_time(tx.as_mut(), &record).await;
    assert!(
        matches!(dup, Err(plinth_kernel::RepoError::Duplicate { .. })),
        "a second insert of the same hash is a Duplicate: {dup:?}"
    );
    drop(tx);

    let at = now();
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.consume_one_time(tx.as_mut(), &record.hash, at)
            .await
            .expect("consume"),
        "the first consume wins"
    );
    assert!(
        !repo
            .consume_one_time(tx.as_mut(), &record.hash, at)
            .await
            .expect("consume"),
        "a second consume loses"
    );
    tx.commit().await.expect("commit");
    let stored = repo.one_time_by_hash(&record.hash).await.expect("find");
    assert_eq!(stored.and_then(|r| r.used_at), Some(at), "used_at stored");

    let unknown = issue(user_id, OneTimePurpose::PasswordReset);
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        !repo
            .consume_one_time(tx.as_mut(), &unknown.hash, at)
            .await
            .expect("consume"),
        "an unknown hash is not consumed"
    );
    tx.commit().await.expect("commit");
}

pub(super) async fn one_time_writes_roll_back(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let record = issue(user_id, OneTimePurpose::EmailVerification);
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_one_time(tx.as_mut(), &record)
        .await
        .expect("insert");
    drop(tx);
    assert_eq!(
        repo.one_time_by_hash(&record.hash).await.expect("find"),
        None,
        "a dropped insert leaves nothing"
    );

    let mut tx = uow.begin().await.expect("begin");
    repo.insert_one_time(tx.as_mut(), &record)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.consume_one_time(tx.as_mut(), &record.hash, now())
            .await
            .expect("consume")
    );
    drop(tx);
    assert_eq!(
        repo.one_time_by_hash(&record.hash)
            .await
            .expect("find")
            .and_then(|r| r.used_at),
        None,
        "a dropped consume leaves the token unused"
    );
}

pub(super) async fn concurrent_consumes_have_one_winner(
    repo: Arc<dyn SessionStorage>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
) {
    let record = issue(user_id, OneTimePurpose::PasswordReset);
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_one_time(tx.as_mut(), &record)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (repo, uow, hash) = (Arc::clone(&repo), Arc::clone(&uow), record.hash.clone());
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                let won = repo.consume_one_time(tx.as_mut(), &hash, now()).await?;
                tx.commit().await?;
                Ok::<bool, plinth_kernel::RepoError>(won)
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task
            .await
            .expect("task ran")
            .expect("a concurrent consume must not fail")
        {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one concurrent consume wins");
}

pub(super) async fn issued_since_counts_per_purpose(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let since = now();
    let count = |purpose| async move {
        repo.one_time_issued_since(user_id, purpose, since)
            .await
            .expect("count")
    };
    let (resets, verifications) = (
        count(OneTimePurpose::PasswordReset).await,
        count(OneTimePurpose::EmailVerification).await,
    );
    let mut tx = uow.begin().await.expect("begin");
    for purpose in [
        OneTimePurpose::PasswordReset,
        OneTimePurpose::PasswordReset,
        OneTimePurpose::EmailVerification,
    ] {
        repo.insert_one_time(tx.as_mut(), &issue(user_id, purpose))
            .await
            .expect("insert");
    }
    let mut old = issue(user_id, OneTimePurpose::PasswordReset);
    old.created_at = since - Duration::hours(2);
    repo.insert_one_time(tx.as_mut(), &old)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(
        count(OneTimePurpose::PasswordReset).await,
        resets + 2,
        "counts this purpose since the time, not older ones"
    );
    assert_eq!(
        count(OneTimePurpose::EmailVerification).await,
        verifications + 1,
        "purposes are counted apart"
    );
    assert_eq!(
        repo.one_time_issued_since(UserId::new(), OneTimePurpose::PasswordReset, since)
            .await
            .expect("count"),
        0,
        "another user has none"
    );
}

pub(super) async fn spend_all_spends_every_unused_token_of_the_purpose(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let resets = [
        issue(user_id, OneTimePurpose::PasswordReset),
        issue(user_id, OneTimePurpose::PasswordReset),
    ];
    let verification = issue(user_id, OneTimePurpose::EmailVerification);
    let mut tx = uow.begin().await.expect("begin");
    for record in resets.iter().chain([&verification]) {
        repo.insert_one_time(tx.as_mut(), record)
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
    let used_at = |hash| async move {
        repo.one_time_by_hash(hash)
            .await
            .expect("find")
            .expect("stored")
            .used_at
    };

    let mut tx = uow.begin().await.expect("begin");
    let spent = repo
        .spend_all_one_time(tx.as_mut(), user_id, OneTimePurpose::PasswordReset, now())
        .await
        .expect("spend_all");
    assert!(spent >= 2, "both reset tokens spent ({spent})");
    drop(tx);
    assert_eq!(
        used_at(&resets[0].hash).await,
        None,
        "a dropped spend leaves the tokens unused"
    );

    let at = now();
    let mut tx = uow.begin().await.expect("begin");
    repo.spend_all_one_time(tx.as_mut(), user_id, OneTimePurpose::PasswordReset, at)
        .await
        .expect("spend_all");
    tx.commit().await.expect("commit");
    for record in &resets {
        assert_eq!(
            used_at(&record.hash).await,
            Some(at),
            "every reset token spent"
        );
    }
    assert_eq!(
        used_at(&verification.hash).await,
        None,
        "a token for another purpose stays usable"
    );
    let mut tx = uow.begin().await.expect("begin");
    assert_eq!(
        repo.spend_all_one_time(tx.as_mut(), user_id, OneTimePurpose::PasswordReset, now())
            .await
            .expect("spend_all"),
        0,
        "nothing is left to spend, and a spent token keeps its time"
    );
    tx.commit().await.expect("commit");
    assert_eq!(used_at(&resets[0].hash).await, Some(at));
}
