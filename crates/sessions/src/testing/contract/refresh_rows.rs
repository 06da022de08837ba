//! Refresh-token rows, single use under concurrency, and rollback.

use std::sync::Arc;

use chrono::Duration;
use plinth_kernel::{RepoError, UnitOfWork, UserId};

use super::{get, insert, now, record, revoke_everything, session};
use crate::{RefreshToken, RefreshTokenRecord, SessionStorage};

pub(super) async fn refresh_tokens_store_and_spend_once(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let s = session(user_id, now());
    let (token, r) = record(&s);
    insert(repo, uow, &[&s], &[&r]).await;
    assert_eq!(
        repo.refresh_by_hash(&token.hash()).await.expect("lookup"),
        Some(r.clone()),
        "lookup by hash"
    );
    let stranger = RefreshToken::generate().expect("random source");
    assert_eq!(
        repo.refresh_by_hash(&stranger.hash())
            .await
            .expect("lookup"),
        None,
        "unknown hash is None"
    );

    let mut tx = uow.begin().await.expect("begin");
    let dup = repo.insert_refresh(tx.as_mut(), &r).await;
    assert!(
        matches!(dup, Err(RepoError::Duplicate { .. })),
        "an existing hash is Duplicate, got {dup:?}"
    );
    drop(tx);

    let at = s.created_at + Duration::minutes(3);
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.spend_refresh(tx.as_mut(), &r.hash, at, &successor_hash())
            .await
            .expect("spend"),
        "the first spend wins"
    );
    assert!(
        !repo
            .spend_refresh(tx.as_mut(), &r.hash, at, &successor_hash())
            .await
            .expect("spend"),
        "a second spend loses"
    );
    assert!(
        !repo
            .spend_refresh(tx.as_mut(), &stranger.hash(), at, &successor_hash())
            .await
            .expect("spend"),
        "an unknown hash is not spent"
    );
    tx.commit().await.expect("commit");
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        !repo
            .spend_refresh(tx.as_mut(), &r.hash, at, &successor_hash())
            .await
            .expect("spend"),
        "still spent after commit"
    );
    drop(tx);
    let stored = repo
        .refresh_by_hash(&r.hash)
        .await
        .expect("lookup")
        .expect("kept");
    assert_eq!(
        stored,
        RefreshTokenRecord {
            spent_at: Some(at),
            replaced_by: Some(successor_hash()),
            ..r
        },
        "spent_at and the successor are recorded"
    );
}

pub(super) async fn concurrent_spends_have_one_winner(
    repo: Arc<dyn SessionStorage>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
) {
    let s = session(user_id, now());
    let (_token, r) = record(&s);
    insert(&*repo, &*uow, &[&s], &[&r]).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (repo, uow, hash) = (Arc::clone(&repo), Arc::clone(&uow), r.hash.clone());
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                let won = repo
                    .spend_refresh(tx.as_mut(), &hash, now(), &successor_hash())
                    .await?;
                tx.commit().await?;
                Ok::<bool, RepoError>(won)
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task
            .await
            .expect("task ran")
            .expect("a concurrent spend must not fail")
        {
            winners += 1;
        }
    }
    assert_eq!(
        winners, 1,
        "exactly one of 8 concurrent spends of the same token wins"
    );
}

pub(super) async fn dropped_transaction_rolls_back(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    revoke_everything(repo, uow, user_id).await;
    let kept = session(user_id, now());
    let (_t, kept_record) = record(&kept);
    insert(repo, uow, &[&kept], &[&kept_record]).await;
    let fresh = session(user_id, now());
    let (_t2, fresh_record) = record(&fresh);
    let later = kept.created_at + Duration::minutes(1);
    {
        let mut tx = uow.begin().await.expect("begin");
        repo.insert_session(tx.as_mut(), &fresh)
            .await
            .expect("insert_session");
        repo.insert_refresh(tx.as_mut(), &fresh_record)
            .await
            .expect("insert_refresh");
        assert!(
            repo.spend_refresh(tx.as_mut(), &kept_record.hash, later, &successor_hash())
                .await
                .expect("spend")
        );
        repo.touch_session(tx.as_mut(), kept.id, later)
            .await
            .expect("touch");
        repo.revoke_session(tx.as_mut(), kept.id, later)
            .await
            .expect("revoke");
        // dropped without commit
    }
    assert_eq!(
        get(repo, fresh.id).await,
        None,
        "a session inserted in a dropped transaction is gone"
    );
    assert_eq!(
        repo.refresh_by_hash(&fresh_record.hash)
            .await
            .expect("lookup"),
        None,
        "and so is its token"
    );
    assert_eq!(
        get(repo, kept.id).await,
        Some(kept.clone()),
        "touch and revoke in a dropped transaction are undone"
    );
    let stored = repo
        .refresh_by_hash(&kept_record.hash)
        .await
        .expect("lookup");
    assert_eq!(
        stored,
        Some(kept_record.clone()),
        "a spend in a dropped transaction is undone"
    );
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.spend_refresh(tx.as_mut(), &kept_record.hash, later, &successor_hash())
            .await
            .expect("spend"),
        "so it can be spent again"
    );
    drop(tx);
    {
        let mut tx = uow.begin().await.expect("begin");
        assert_eq!(
            repo.revoke_all(tx.as_mut(), user_id, later)
                .await
                .expect("revoke_all"),
            1,
            "only `kept` is live"
        );
    }
    assert_eq!(
        get(repo, kept.id).await.expect("kept").revoked_at,
        None,
        "revoke_all in a dropped transaction is undone"
    );
}

/// The successor hash the contract's spends record.
fn successor_hash() -> crate::RefreshTokenHash {
    crate::RefreshTokenHash("5".repeat(64))
}
