//! TOTP factors: stored whole, replaced, rolled back, deleted, and a recovery code redeemed
//! by exactly one of several concurrent sign-ins.

use std::sync::Arc;

use plinth_kernel::{RepoError, UnitOfWork, UserId};

use super::now;
use crate::{RecoveryCodeSet, SessionStorage, TotpFactor};

fn pending(user_id: UserId) -> TotpFactor {
    TotpFactor {
        user_id,
        sealed_secret: "sb1.contract-sealed-secret".into(),
        created_at: now(),
        activated_at: None,
        last_step: None,
        recovery: RecoveryCodeSet::default(),
    }
}

async fn put(repo: &dyn SessionStorage, uow: &dyn UnitOfWork, factor: &TotpFactor) {
    let mut tx = uow.begin().await.expect("begin");
    repo.put_totp_factor(tx.as_mut(), factor)
        .await
        .expect("put");
    tx.commit().await.expect("commit");
}

async fn delete(repo: &dyn SessionStorage, uow: &dyn UnitOfWork, user_id: UserId) -> bool {
    let mut tx = uow.begin().await.expect("begin");
    let existed = repo
        .delete_totp_factor(tx.as_mut(), user_id)
        .await
        .expect("delete");
    tx.commit().await.expect("commit");
    existed
}

pub(super) async fn totp_factor_is_stored_replaced_and_deleted(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    delete(repo, uow, user_id).await;
    assert_eq!(repo.totp_factor(user_id).await.expect("read"), None);

    let first = pending(user_id);
    put(repo, uow, &first).await;
    assert_eq!(
        repo.totp_factor(user_id).await.expect("read"),
        Some(first.clone()),
        "a pending factor reads back as written"
    );

    let (_, recovery) = RecoveryCodeSet::generate().expect("random");
    let active = TotpFactor {
        sealed_secret: "sb1.another-sealed-secret".into(),
        activated_at: Some(now()),
        last_step: Some(59_000_000),
        recovery,
        ..first.clone()
    };
    put(repo, uow, &active).await;
    assert_eq!(
        repo.totp_factor(user_id).await.expect("read"),
        Some(active.clone()),
        "a second put replaces the first, recovery hashes and last step included"
    );

    let mut tx = uow.begin().await.expect("begin");
    assert_eq!(
        repo.totp_factor_for_update(tx.as_mut(), user_id)
            .await
            .expect("for update"),
        Some(active.clone())
    );
    repo.delete_totp_factor(tx.as_mut(), user_id)
        .await
        .expect("delete");
    drop(tx);
    assert_eq!(
        repo.totp_factor(user_id).await.expect("read"),
        Some(active),
        "a dropped transaction changes nothing"
    );

    assert!(delete(repo, uow, user_id).await, "there was a factor");
    assert!(!delete(repo, uow, user_id).await, "and now there is none");
    assert_eq!(repo.totp_factor(user_id).await.expect("read"), None);
}

pub(super) async fn concurrent_redemptions_have_one_winner(
    repo: Arc<dyn SessionStorage>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
) {
    let (codes, recovery) = RecoveryCodeSet::generate().expect("random");
    let factor = TotpFactor {
        activated_at: Some(now()),
        recovery,
        ..pending(user_id)
    };
    put(&*repo, &*uow, &factor).await;
    let code = codes[3].expose().to_owned();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (repo, uow, code) = (Arc::clone(&repo), Arc::clone(&uow), code.clone());
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                let Some(mut factor) = repo.totp_factor_for_update(tx.as_mut(), user_id).await?
                else {
                    return Ok(false);
                };
                if factor.recovery.redeem(&code).is_none() {
                    return Ok(false);
                }
                repo.put_totp_factor(tx.as_mut(), &factor).await?;
                tx.commit().await?;
                Ok::<bool, RepoError>(true)
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.expect("task").expect("no storage error") {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "a recovery code is redeemed exactly once");
    let left = repo
        .totp_factor(user_id)
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(left.recovery.remaining(), codes.len() - 1);
    assert_eq!(left.recovery.find(&code), None, "the redeemed code is gone");
    delete(&*repo, &*uow, user_id).await;
}
