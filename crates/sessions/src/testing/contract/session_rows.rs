//! Session rows: insert, read, touch, revoke, live listing.

use chrono::Duration;
use plinth_kernel::{OrgId, RepoError, Timestamp, UnitOfWork, UserId};

use super::{get, insert, now, revoke_everything, session};
use crate::{Session, SessionId, SessionStorage};

pub(super) async fn insert_and_get_session(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let mut s = session(user_id, now());
    insert(repo, uow, &[&s], &[]).await;
    assert_eq!(
        get(repo, s.id).await,
        Some(s.clone()),
        "a session reads back with every field"
    );
    assert_eq!(
        get(repo, SessionId::new()).await,
        None,
        "unknown session is None"
    );
    s.id = SessionId::new();
    s.ip = None;
    s.user_agent = None;
    insert(repo, uow, &[&s], &[]).await;
    assert_eq!(
        get(repo, s.id).await,
        Some(s),
        "absent ip and user agent stay absent"
    );

    // The devices the account signed in from, for the new-device notice.
    let mut tx = uow.begin().await.expect("begin");
    let known = "Contract/1.0 (\u{fc}nicode)";
    for (user, agent, expected, why) in [
        (
            user_id,
            Some(known),
            Some(true),
            "a user agent it signed in from",
        ),
        (user_id, None, Some(true), "no agent is a device too"),
        (
            user_id,
            Some("Contract/1.0"),
            Some(false),
            "compared exactly",
        ),
        (
            UserId::new(),
            Some(known),
            None,
            "an account that never signed in",
        ),
    ] {
        let seen = repo
            .device_seen(tx.as_mut(), user, agent)
            .await
            .expect("device_seen");
        assert_eq!(seen, expected, "{why}");
    }
    drop(tx);
}

pub(super) async fn touch_updates_last_used(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let s = session(user_id, now());
    insert(repo, uow, &[&s], &[]).await;
    let later = s.created_at + Duration::minutes(7);
    let mut tx = uow.begin().await.expect("begin");
    repo.touch_session(tx.as_mut(), s.id, later)
        .await
        .expect("touch");
    tx.commit().await.expect("commit");
    let expected = Session {
        last_used_at: later,
        ..s
    };
    assert_eq!(
        get(repo, expected.id).await,
        Some(expected),
        "touch sets last_used_at and nothing else"
    );
    let mut tx = uow.begin().await.expect("begin");
    let missing = repo
        .touch_session(tx.as_mut(), SessionId::new(), later)
        .await;
    assert!(
        matches!(missing, Err(RepoError::NotFound)),
        "touching an unknown session is NotFound, got {missing:?}"
    );
}

pub(super) async fn the_organization_a_session_acts_for_is_kept(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let s = session(user_id, now());
    insert(repo, uow, &[&s], &[]).await;
    let org = OrgId::new();
    let mut tx = uow.begin().await.expect("begin");
    repo.set_session_org(tx.as_mut(), s.id, Some(org))
        .await
        .expect("set");
    drop(tx);
    assert_eq!(
        get(repo, s.id).await.and_then(|s| s.org_id),
        None,
        "a rolled-back choice is not kept"
    );
    let mut tx = uow.begin().await.expect("begin");
    repo.set_session_org(tx.as_mut(), s.id, Some(org))
        .await
        .expect("set");
    tx.commit().await.expect("commit");
    let acting = Session {
        org_id: Some(org),
        ..s.clone()
    };
    assert_eq!(
        get(repo, s.id).await,
        Some(acting),
        "the organization reads back, nothing else changed"
    );
    let mut tx = uow.begin().await.expect("begin");
    repo.set_session_org(tx.as_mut(), s.id, None)
        .await
        .expect("clear");
    tx.commit().await.expect("commit");
    assert_eq!(get(repo, s.id).await, Some(s), "and clears again");
    let mut tx = uow.begin().await.expect("begin");
    let missing = repo
        .set_session_org(tx.as_mut(), SessionId::new(), Some(org))
        .await;
    assert!(
        matches!(missing, Err(RepoError::NotFound)),
        "an unknown session is NotFound, got {missing:?}"
    );
}

pub(super) async fn revoke_keeps_the_first_time(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let s = session(user_id, now());
    insert(repo, uow, &[&s], &[]).await;
    let first = s.created_at + Duration::minutes(1);
    for at in [first, first + Duration::minutes(1)] {
        let mut tx = uow.begin().await.expect("begin");
        repo.revoke_session(tx.as_mut(), s.id, at)
            .await
            .expect("revoking, even twice, is not an error");
        tx.commit().await.expect("commit");
    }
    let got = get(repo, s.id).await.expect("still there");
    assert_eq!(
        got.revoked_at,
        Some(first),
        "the first revocation time is kept"
    );
    assert!(!got.is_live(first), "a revoked session is not live");
    let mut tx = uow.begin().await.expect("begin");
    let missing = repo
        .revoke_session(tx.as_mut(), SessionId::new(), first)
        .await;
    assert!(
        matches!(missing, Err(RepoError::NotFound)),
        "revoking an unknown session is NotFound, got {missing:?}"
    );
}

pub(super) async fn live_sessions_and_revoke_all(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    // Start from a user with no live session, whatever earlier runs left behind.
    revoke_everything(repo, uow, user_id).await;
    let t = now();

    let older = session(user_id, t - Duration::minutes(2));
    let newer = session(user_id, t - Duration::minutes(1));
    let revoked = Session {
        revoked_at: Some(t - Duration::seconds(30)),
        ..session(user_id, t - Duration::minutes(3))
    };
    let expired = Session {
        expires_at: t - Duration::seconds(1),
        ..session(user_id, t - Duration::days(31))
    };
    // Signed in ten days ago, refreshed two days ago: idle for two days.
    let idle = Session {
        last_used_at: t - Duration::days(2),
        ..session(user_id, t - Duration::days(10))
    };
    insert(repo, uow, &[&older, &newer, &revoked, &expired, &idle], &[]).await;

    let live = repo
        .live_sessions(user_id, t, None)
        .await
        .expect("live_sessions");
    let ids: Vec<SessionId> = live.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        vec![newer.id, older.id, idle.id],
        "live sessions exclude revoked and expired ones, newest first"
    );
    assert_eq!(live[0], newer, "live sessions carry every field");
    let used = |after: Timestamp| async move {
        repo.live_sessions(user_id, t, Some(after))
            .await
            .expect("live_sessions")
            .into_iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        used(t - Duration::days(1)).await,
        vec![newer.id, older.id],
        "used_after leaves out a session last used before it"
    );
    assert_eq!(
        used(idle.last_used_at).await,
        vec![newer.id, older.id],
        "used_after is strict: last used exactly then is idle"
    );
    assert_eq!(
        used(idle.last_used_at - Duration::seconds(1)).await,
        vec![newer.id, older.id, idle.id],
        "last_used_at counts, not created_at"
    );
    assert_eq!(
        used(t - Duration::seconds(90)).await,
        vec![newer.id],
        "a never refreshed session counts from its sign-in"
    );
    assert!(
        repo.live_sessions(UserId::new(), t, None)
            .await
            .expect("live_sessions")
            .is_empty(),
        "another user has none"
    );

    let at = t + Duration::seconds(5);
    let mut tx = uow.begin().await.expect("begin");
    let count = repo
        .revoke_all(tx.as_mut(), user_id, at)
        .await
        .expect("revoke_all");
    tx.commit().await.expect("commit");
    assert_eq!(
        count, 3,
        "revoke_all counts the live sessions it revoked, idle ones included"
    );
    assert_eq!(
        get(repo, idle.id).await.expect("kept").revoked_at,
        Some(at),
        "revoke_all ends idle sessions too"
    );
    assert!(
        repo.live_sessions(user_id, at, None)
            .await
            .expect("live_sessions")
            .is_empty(),
        "none left"
    );
    assert_eq!(
        get(repo, newer.id).await.expect("kept").revoked_at,
        Some(at)
    );
    assert_eq!(
        get(repo, revoked.id).await.expect("kept").revoked_at,
        revoked.revoked_at,
        "earlier revocation kept"
    );
}

/// `count_live` moves by exactly the live sessions inserted (the store may hold others).
pub(super) async fn count_live_counts_only_live_sessions(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let t = now();
    let used_after = Some(t - Duration::days(1));
    let before = repo.count_live(t, None).await.expect("count_live");
    let before_used = repo.count_live(t, used_after).await.expect("count_live");
    let live = session(user_id, t - Duration::minutes(1));
    let idle = Session {
        last_used_at: t - Duration::days(2),
        ..session(user_id, t - Duration::days(3))
    };
    let revoked = Session {
        revoked_at: Some(t - Duration::seconds(30)),
        ..session(user_id, t - Duration::minutes(3))
    };
    let expired = Session {
        expires_at: t - Duration::seconds(1),
        ..session(user_id, t - Duration::days(31))
    };
    insert(repo, uow, &[&live, &revoked, &expired, &idle], &[]).await;
    let after = repo.count_live(t, None).await.expect("count_live");
    assert_eq!(
        after - before,
        2,
        "count_live skips revoked and expired sessions"
    );
    let after_used = repo.count_live(t, used_after).await.expect("count_live");
    assert_eq!(
        after_used - before_used,
        1,
        "with used_after, count_live also skips idle sessions"
    );
}
