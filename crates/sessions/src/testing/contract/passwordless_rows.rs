//! Passwordless requests: stored with both secrets hashed, listed open per address and held,
//! wrong codes counted without losing one to a concurrent writer, ended once (even
//! concurrently), rolled back.

use std::sync::Arc;

use chrono::Duration;
use plinth_kernel::{Email, RepoError, UnitOfWork, UserId};

use super::now;
use crate::passwordless::MAX_WRONG_CODES;
use crate::{PasswordlessCodeKey, PasswordlessRequest, SessionStorage};

fn address() -> Email {
    Email::parse(&format!("pl-{}@example.com", uuid::Uuid::now_v7().simple())).expect("email")
}

fn issue(email: &Email, user_id: Option<UserId>) -> PasswordlessRequest {
    PasswordlessRequest::issue(
        email.clone(),
        user_id,
        &PasswordlessCodeKey::new([7; 32]),
        now(),
        Duration::minutes(15),
    )
    .expect("random source")
    .2
}

async fn insert(repo: &dyn SessionStorage, uow: &dyn UnitOfWork, request: &PasswordlessRequest) {
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_passwordless(tx.as_mut(), request)
        .await
        .expect("insert_passwordless");
    tx.commit().await.expect("commit");
}

async fn open(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    email: &Email,
) -> Vec<PasswordlessRequest> {
    let mut tx = uow.begin().await.expect("begin");
    let open = repo
        .open_passwordless_for_update(tx.as_mut(), email, now())
        .await
        .expect("open_passwordless_for_update");
    tx.commit().await.expect("commit");
    open
}

pub(super) async fn passwordless_requests_store_list_count_and_end_once(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let email = address();
    let first = issue(&email, Some(user_id));
    let mut second = issue(&email, None);
    second.created_at = first.created_at + Duration::seconds(1);
    let mut expired = issue(&email, Some(user_id));
    expired.created_at = first.created_at - Duration::hours(2);
    expired.expires_at = first.created_at - Duration::hours(1);
    assert_eq!(
        repo.passwordless_by_link(&first.link_hash)
            .await
            .expect("find"),
        None,
        "nothing before insert"
    );
    for request in [&first, &second, &expired] {
        insert(repo, uow, request).await;
    }
    assert_eq!(
        repo.passwordless_by_link(&first.link_hash)
            .await
            .expect("find"),
        Some(first.clone()),
        "stored as given, found by its link hash"
    );
    assert_eq!(
        repo.passwordless_by_link(&second.link_hash)
            .await
            .expect("find"),
        Some(second.clone()),
        "a sign-up request has no account"
    );
    let mut tx = uow.begin().await.expect("begin");
    let mut twin = issue(&email, None);
    twin.link_hash = first.link_hash.clone();
    let dup = repo.insert_passwordless(tx.as_mut(), &twin).await;
    assert!(
        matches!(dup, Err(RepoError::Duplicate { .. })),
        "a second request with the same link hash is a Duplicate: {dup:?}"
    );
    drop(tx);
    assert_eq!(
        repo.passwordless_issued_since(&email, first.created_at)
            .await
            .expect("count"),
        2,
        "counted since the time, not the older one"
    );
    assert_eq!(
        repo.passwordless_issued_since(&address(), first.created_at)
            .await
            .expect("count"),
        0,
        "another address has none"
    );
    assert_eq!(
        open(repo, uow, &email).await,
        vec![first.clone(), second.clone()],
        "open ones, oldest first; not the expired one"
    );

    let mut tx = uow.begin().await.expect("begin");
    repo.count_wrong_code(tx.as_mut(), &[first.id, second.id])
        .await
        .expect("count_wrong_code");
    repo.count_wrong_code(tx.as_mut(), &[second.id])
        .await
        .expect("count_wrong_code");
    tx.commit().await.expect("commit");
    let counted: Vec<u32> = open(repo, uow, &email)
        .await
        .iter()
        .map(|r| r.wrong_codes)
        .collect();
    assert_eq!(
        counted,
        vec![1, 2],
        "each wrong code counted on the requests named"
    );

    let at = now();
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.end_passwordless(tx.as_mut(), &email, second.id, at)
            .await
            .expect("end"),
        "the first end wins"
    );
    assert!(
        !repo
            .end_passwordless(tx.as_mut(), &email, first.id, at)
            .await
            .expect("end"),
        "…and ended every request of the address: the other one loses"
    );
    tx.commit().await.expect("commit");
    assert!(open(repo, uow, &email).await.is_empty(), "none left open");
    let stored = repo
        .passwordless_by_link(&first.link_hash)
        .await
        .expect("find");
    assert_eq!(stored.and_then(|r| r.used_at), Some(at), "used_at stored");
    let stored = repo
        .passwordless_by_link(&expired.link_hash)
        .await
        .expect("find");
    assert_eq!(
        stored.and_then(|r| r.used_at),
        Some(at),
        "the expired one ended too"
    );
}

pub(super) async fn passwordless_writes_roll_back(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let email = address();
    let request = issue(&email, Some(user_id));
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_passwordless(tx.as_mut(), &request)
        .await
        .expect("insert");
    drop(tx);
    assert_eq!(
        repo.passwordless_by_link(&request.link_hash)
            .await
            .expect("find"),
        None,
        "a dropped insert leaves nothing"
    );
    insert(repo, uow, &request).await;
    let mut tx = uow.begin().await.expect("begin");
    repo.count_wrong_code(tx.as_mut(), &[request.id])
        .await
        .expect("count");
    assert!(
        repo.end_passwordless(tx.as_mut(), &email, request.id, now())
            .await
            .expect("end")
    );
    drop(tx);
    assert_eq!(
        repo.passwordless_by_link(&request.link_hash)
            .await
            .expect("find"),
        Some(request),
        "a dropped count and end leave the request as it was"
    );
}

pub(super) async fn concurrent_passwordless_writers_queue(
    repo: Arc<dyn SessionStorage>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
) {
    let email = address();
    let request = issue(&email, Some(user_id));
    insert(&*repo, &*uow, &request).await;
    // Each task does what a wrong code does: read the open requests held, and count a try
    // only while the request still takes codes. Exactly MAX_WRONG_CODES tries get through.
    let tasks: Vec<_> = (0..MAX_WRONG_CODES * 2)
        .map(|_| {
            let (repo, uow, email) = (Arc::clone(&repo), Arc::clone(&uow), email.clone());
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                let open = repo
                    .open_passwordless_for_update(tx.as_mut(), &email, now())
                    .await?;
                let takes: Vec<_> = open
                    .iter()
                    .filter(|r| r.wrong_codes < MAX_WRONG_CODES)
                    .map(|r| r.id)
                    .collect();
                if takes.is_empty() {
                    return Ok(false);
                }
                repo.count_wrong_code(tx.as_mut(), &takes).await?;
                tx.commit().await?;
                Ok::<bool, RepoError>(true)
            })
        })
        .collect();
    let mut tried = 0;
    for task in tasks {
        if task
            .await
            .expect("task ran")
            .expect("a concurrent wrong code must not fail")
        {
            tried += 1;
        }
    }
    assert_eq!(
        tried, MAX_WRONG_CODES,
        "no more tries than the limit get through"
    );
    let stored = repo
        .passwordless_by_link(&request.link_hash)
        .await
        .expect("find")
        .expect("stored");
    assert_eq!(stored.wrong_codes, MAX_WRONG_CODES, "no count lost");

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (repo, uow, email) = (Arc::clone(&repo), Arc::clone(&uow), email.clone());
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                let won = repo
                    .end_passwordless(tx.as_mut(), &email, request.id, now())
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
            .expect("a concurrent end must not fail")
        {
            winners += 1;
        }
    }
    assert_eq!(
        winners, 1,
        "exactly one concurrent redemption ends the request"
    );
}
