//! The failed-login streak: stored, rolled back, and never losing a concurrent failure.

use std::sync::Arc;

use plinth_kernel::{RepoError, UnitOfWork, UserId};

use super::now;
use crate::{LockoutPolicy, LockoutState, SessionStorage};

pub(super) async fn lockout_is_stored_and_rolled_back(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    assert_eq!(
        repo.lockout(user_id).await.expect("read"),
        LockoutState::default(),
        "a user starts with no failures"
    );
    let state = LockoutState {
        failed_attempts: 3,
        last_failure_at: Some(now()),
    };
    let mut tx = uow.begin().await.expect("begin");
    assert_eq!(
        repo.lockout_for_update(tx.as_mut(), user_id)
            .await
            .expect("for update"),
        LockoutState::default()
    );
    repo.save_lockout(tx.as_mut(), user_id, &state)
        .await
        .expect("save");
    tx.commit().await.expect("commit");
    assert_eq!(repo.lockout(user_id).await.expect("read"), state, "stored");

    let mut tx = uow.begin().await.expect("begin");
    repo.save_lockout(tx.as_mut(), user_id, &LockoutState::default())
        .await
        .expect("save");
    drop(tx);
    assert_eq!(
        repo.lockout(user_id).await.expect("read"),
        state,
        "a dropped transaction changes nothing"
    );

    let mut tx = uow.begin().await.expect("begin");
    repo.save_lockout(tx.as_mut(), user_id, &LockoutState::default())
        .await
        .expect("clear");
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.lockout(user_id).await.expect("read"),
        LockoutState::default()
    );
}

pub(super) async fn concurrent_failures_are_all_counted(
    repo: Arc<dyn SessionStorage>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
) {
    let before = repo.lockout(user_id).await.expect("read").failed_attempts;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (repo, uow) = (Arc::clone(&repo), Arc::clone(&uow));
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                let mut state = repo.lockout_for_update(tx.as_mut(), user_id).await?;
                state.failed_attempts += 1;
                state.last_failure_at = Some(now());
                repo.save_lockout(tx.as_mut(), user_id, &state).await?;
                tx.commit().await?;
                Ok::<(), RepoError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("task")
            .expect("a counted failure commits");
    }
    assert_eq!(
        repo.lockout(user_id).await.expect("read").failed_attempts,
        before + 8,
        "no failure counted concurrently is lost"
    );
}

/// How the services settle a wrong password: under `lockout_for_update`, a lock that started
/// meanwhile refuses the attempt uncounted, so a burst of parallel failures gets exactly
/// `threshold` counted and the rest refused.
pub(super) async fn concurrent_failures_stop_counting_at_the_lock(
    repo: Arc<dyn SessionStorage>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
) {
    let policy = LockoutPolicy::default();
    let mut tx = uow.begin().await.expect("begin");
    repo.save_lockout(tx.as_mut(), user_id, &LockoutState::default())
        .await
        .expect("clear");
    tx.commit().await.expect("commit");
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (repo, uow) = (Arc::clone(&repo), Arc::clone(&uow));
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                let mut streak = repo.lockout_for_update(tx.as_mut(), user_id).await?;
                if streak.check(&policy, now()).is_err() {
                    return Ok::<bool, RepoError>(false);
                }
                streak.record_failure(&policy, now());
                repo.save_lockout(tx.as_mut(), user_id, &streak).await?;
                tx.commit().await?;
                Ok(true)
            })
        })
        .collect();
    let mut reserved = 0;
    for task in tasks {
        if task.await.expect("task").expect("a reservation commits") {
            reserved += 1;
        }
    }
    assert_eq!(
        reserved, policy.threshold,
        "at most the threshold is counted"
    );
    assert_eq!(
        repo.lockout(user_id).await.expect("read").failed_attempts,
        policy.threshold,
        "refused attempts are not counted"
    );
}
