use chrono::Duration;
use plinth_users::{RoleName, UserStatus};

use super::*;
use crate::{AuthError, Principal, RefreshToken, SessionRepository};

#[tokio::test]
async fn register_login_refresh_rotates_and_logout_ends_the_session() {
    let h = Harness::new();
    h.register("ada@example.com").await;
    let login = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let session_id = h.auth.authenticate(&login.access_token).unwrap().session_id;

    h.clock.advance(Duration::minutes(20));
    assert!(
        h.auth.authenticate(&login.access_token).is_err(),
        "the access token expired after 15 minutes"
    );
    let rotated = h.auth.refresh(&login.refresh_token, &meta()).await.unwrap();
    assert_ne!(
        rotated.refresh_token, login.refresh_token,
        "a new refresh token"
    );
    let principal = h.auth.authenticate(&rotated.access_token).unwrap();
    assert_eq!(principal.session_id, session_id, "same session");
    let stored = h.sessions.session(session_id).await.unwrap().unwrap();
    assert_eq!(
        stored.last_used_at,
        h.clock.now(),
        "the session was touched"
    );

    h.clock.advance(Duration::seconds(5));
    let replayed = h.auth.refresh(&login.refresh_token, &meta()).await.unwrap();
    assert_eq!(
        replayed.refresh_token, rotated.refresh_token,
        "within the reuse grace a spent token yields the same successor"
    );
    assert_eq!(
        h.auth
            .authenticate(&replayed.access_token)
            .unwrap()
            .session_id,
        session_id
    );

    let refreshed = h.audited(AuditAction::Refreshed).await;
    assert_eq!(refreshed.len(), 1);
    assert_eq!(refreshed[0].target_type.as_deref(), Some("session"));
    assert_eq!(refreshed[0].target_id, Some(session_id.to_string()));
    assert_meta(&refreshed[0]);

    h.auth.logout(&principal, &meta()).await.unwrap();
    let stored = h.sessions.session(session_id).await.unwrap().unwrap();
    assert_eq!(stored.revoked_at, Some(h.clock.now()));
    let after_logout = h
        .auth
        .refresh(&rotated.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(after_logout, AuthError::InvalidToken),
        "logout ends refreshing: {after_logout:?}"
    );
    let logouts = h.audited(AuditAction::Logout).await;
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0].actor_id, Some(principal.user_id.as_uuid()));
    assert_eq!(logouts[0].target_id, Some(session_id.to_string()));
}

#[tokio::test]
async fn logout_leaves_other_sessions_alone() {
    let h = Harness::new();
    let first = h.register("ada@example.com").await;
    let second = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let principal = h.auth.authenticate(&second.access_token).unwrap();
    h.auth.logout(&principal, &meta()).await.unwrap();
    h.auth
        .logout(&principal, &meta())
        .await
        .expect("logging out twice is fine");
    assert!(
        h.auth.refresh(&first.refresh_token, &meta()).await.is_ok(),
        "the other device stays signed in"
    );
    let ghost = Principal {
        session_id: crate::SessionId::new(),
        ..principal
    };
    assert!(matches!(
        h.auth.logout(&ghost, &meta()).await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn unknown_and_expired_refresh_tokens_are_invalid() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let stranger = RefreshToken::generate().unwrap();
    assert!(matches!(
        h.auth.refresh(&stranger, &meta()).await,
        Err(AuthError::InvalidToken)
    ));

    h.clock.advance(Duration::days(30));
    let expired = h
        .auth
        .refresh(&pair.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(expired, AuthError::InvalidToken),
        "30 days later the token is dead: {expired:?}"
    );
    assert!(h.audited(AuditAction::Refreshed).await.is_empty());
}

#[tokio::test]
async fn a_rotated_token_expires_with_its_session() {
    let h = Harness::new();
    let mut pair = h.register("ada@example.com").await;
    // Refreshed every 6 days, under the 7-day inactivity timeout: only the absolute end stops it.
    for _ in 0..4 {
        h.clock.advance(Duration::days(6));
        pair = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    }
    h.clock.advance(Duration::days(6) + Duration::seconds(1));
    let err = h
        .auth
        .refresh(&pair.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidToken),
        "the session has an absolute end: {err:?}"
    );
}

#[tokio::test]
async fn refresh_uses_the_current_role_and_refuses_suspended_or_deleted_users() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let mut user = pair.user.clone();
    user.role = RoleName::super_admin();
    h.save(&user).await;
    let promoted = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    let principal = h.auth.authenticate(&promoted.access_token).unwrap();
    assert_eq!(principal.role, "super_admin");
    assert!(
        principal.can("roles:write"),
        "the new role's permissions are in the new token"
    );

    user.status = UserStatus::Suspended;
    h.save(&user).await;
    let suspended = h
        .auth
        .refresh(&promoted.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(suspended, AuthError::InvalidToken),
        "got {suspended:?}"
    );

    let other = h.register("bob@example.com").await;
    let mut tx = plinth_kernel::UnitOfWork::begin(&*h.uow).await.unwrap();
    h.users.delete(tx.as_mut(), other.user.id).await.unwrap();
    tx.commit().await.unwrap();
    let deleted = h
        .auth
        .refresh(&other.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(deleted, AuthError::InvalidToken),
        "got {deleted:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_with_one_token_yield_one_successor() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let attempts: Vec<_> = (0..16)
        .map(|_| {
            let (auth, token) = (h.auth.clone(), pair.refresh_token.clone());
            tokio::spawn(async move { auth.refresh(&token, &meta()).await })
        })
        .collect();
    let mut successors = std::collections::BTreeSet::new();
    for attempt in attempts {
        let pair = attempt
            .await
            .unwrap()
            .expect("every parallel refresh succeeds");
        successors.insert(pair.refresh_token.expose().to_owned());
    }
    assert_eq!(successors.len(), 1, "one successor for all: {successors:?}");
    assert_eq!(
        h.audited(AuditAction::Refreshed).await.len(),
        1,
        "the token was spent once"
    );
}

#[tokio::test]
async fn a_replay_after_the_grace_revokes_the_whole_session() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let session_id = h.auth.authenticate(&pair.access_token).unwrap().session_id;
    let rotated = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();

    h.clock.advance(Duration::seconds(11));
    let err = h
        .auth
        .refresh(&pair.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::InvalidToken), "got {err:?}");
    let session = h.sessions.session(session_id).await.unwrap().unwrap();
    assert_eq!(
        session.revoked_at,
        Some(h.clock.now()),
        "the family is revoked"
    );
    let err = h
        .auth
        .refresh(&rotated.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidToken),
        "the thief's successor is dead too: {err:?}"
    );
    let detected = h.audited(AuditAction::RefreshReuseDetected).await;
    assert_eq!(detected.len(), 1);
    assert_eq!(detected[0].target_id, Some(session_id.to_string()));
    assert_eq!(detected[0].actor_id, Some(session.user_id.as_uuid()));
    assert_meta(&detected[0]);
}

#[tokio::test]
async fn a_replay_within_the_grace_never_hands_out_a_successor_that_was_spent() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let session_id = h.auth.authenticate(&pair.access_token).unwrap().session_id;
    let first = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    let second = h.auth.refresh(&first.refresh_token, &meta()).await.unwrap();
    let err = h
        .auth
        .refresh(&pair.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::InvalidToken), "got {err:?}");
    assert!(
        h.sessions
            .session(session_id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none(),
        "within the grace nothing is revoked"
    );
    assert!(h.auth.refresh(&second.refresh_token, &meta()).await.is_ok());
}

#[tokio::test]
async fn sessions_are_listed_revoked_one_by_one_or_all_at_once() {
    let h = Harness::new();
    let first = h.register("ada@example.com").await;
    h.clock.advance(Duration::seconds(1));
    let second = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let me = h.auth.authenticate(&second.access_token).unwrap();
    let listed = h.auth.sessions(&me).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, me.session_id, "newest first");

    let other = h.register("bob@example.com").await;
    let bob = h.auth.authenticate(&other.access_token).unwrap();
    let err = h
        .auth
        .revoke_own_session(&bob, me.session_id, &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::SessionNotFound), "got {err:?}");
    assert!(
        h.auth.refresh(&second.refresh_token, &meta()).await.is_ok(),
        "untouched"
    );

    let first_sid = h.auth.authenticate(&first.access_token).unwrap().session_id;
    h.auth
        .revoke_own_session(&me, first_sid, &meta())
        .await
        .unwrap();
    assert!(h.auth.refresh(&first.refresh_token, &meta()).await.is_err());
    assert_eq!(h.auth.sessions(&me).await.unwrap().len(), 1);

    let revoked = h.auth.logout_all(&me, &meta()).await.unwrap();
    assert_eq!(revoked, 1);
    assert!(h.auth.sessions(&me).await.unwrap().is_empty());
    assert_eq!(
        h.auth.sessions(&bob).await.unwrap().len(),
        1,
        "bob keeps his"
    );
    let logouts = h.audited(AuditAction::Logout).await;
    assert_eq!(logouts.len(), 2);
}
