//! The inactivity timeout (`TokenLifetimes::idle`, 7 days by default): a session not refreshed
//! for that long stops refreshing and is no longer listed; the reuse grace is unaffected.

use chrono::Duration;

use super::*;
use crate::{AuthError, SessionRepository};

/// Signs `email` in a second time: a second session of the same account.
async fn login(h: &Harness, email: &str) -> TokenPair {
    h.auth
        .login(email, PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap()
}

#[tokio::test]
async fn a_session_idle_for_the_timeout_cannot_refresh_and_is_not_listed() {
    let h = Harness::new();
    let idle = h.register("ada@example.com").await;
    let idle_id = h.auth.authenticate(&idle.access_token).unwrap().session_id;
    let used = login(&h, "ada@example.com").await;

    h.clock.advance(Duration::days(7) - Duration::seconds(1));
    let used = h.auth.refresh(&used.refresh_token, &meta()).await.unwrap();
    let me = h.auth.authenticate(&used.access_token).unwrap();
    assert_eq!(
        h.auth.sessions(&me).await.unwrap().len(),
        2,
        "one second before the timeout both sessions are listed"
    );
    assert_eq!(h.auth.live_session_count().await.unwrap(), 2);

    h.clock.advance(Duration::seconds(1));
    let err = h
        .auth
        .refresh(&idle.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidToken),
        "never refreshed for 7 days since sign-in: refused like an expired token, got {err:?}"
    );
    let listed: Vec<_> = h
        .auth
        .sessions(&me)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        listed,
        vec![me.session_id],
        "the idle session is not listed"
    );
    assert_eq!(h.auth.live_session_count().await.unwrap(), 1);
    assert_eq!(
        h.audited(AuditAction::Refreshed).await.len(),
        1,
        "only the used session's refresh was recorded"
    );
    assert!(
        h.audited(AuditAction::RefreshReuseDetected)
            .await
            .is_empty(),
        "an idle token is not a theft"
    );
    let stored = h.sessions.refresh_by_hash(&idle.refresh_token.hash()).await;
    assert!(
        stored.unwrap().unwrap().spent_at.is_none(),
        "the refused token was not spent"
    );
    assert_eq!(
        h.sessions
            .session(idle_id)
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        h.clock.now() - Duration::days(7),
        "a refused refresh does not count as use"
    );

    h.clock.advance(Duration::days(7));
    let err = h
        .auth
        .refresh(&used.refresh_token, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidToken),
        "7 days after its last refresh the other session is idle too: {err:?}"
    );
}

#[tokio::test]
async fn a_shorter_timeout_applies_from_the_last_refresh() {
    let h = Harness::new();
    let lifetimes = TokenLifetimes {
        idle: Duration::hours(1),
        ..TokenLifetimes::default()
    };
    let auth = AuthService::new(
        crate::AuthPorts {
            users: h.users.clone(),
            roles: Arc::new(h.roles.clone()),
            sessions: h.sessions.clone(),
            hasher: Arc::new(h.hasher.clone()),
            signer: Arc::new(FakeTokenSigner::with_clock(Arc::new(h.clock.clone()))),
            audit: h.audit.clone(),
            uow: h.uow.clone(),
            clock: Arc::new(h.clock.clone()),
            mail: RecoveryMail::new(h.mailer.clone(), "https://app.example/"),
            sealer: Arc::new(FakeSealer::new()),
        },
        PasswordPolicy::default(),
        lifetimes,
    );
    let mut pair = auth
        .register(input("ada@example.com"), &meta())
        .await
        .unwrap();
    for _ in 0..5 {
        h.clock.advance(Duration::minutes(59));
        pair = auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    }
    h.clock.advance(Duration::minutes(60));
    assert!(matches!(
        auth.refresh(&pair.refresh_token, &meta()).await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn the_reuse_grace_still_applies_just_before_the_timeout() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    h.clock.advance(Duration::days(7) - Duration::seconds(1));
    let rotated = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();

    h.clock.advance(Duration::seconds(5));
    let replayed = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    assert_eq!(
        replayed.refresh_token, rotated.refresh_token,
        "the refresh counted as use: a replay within the grace gets the same successor"
    );
}

#[tokio::test]
async fn a_spent_token_replayed_after_the_timeout_still_revokes_its_session() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let session_id = h.auth.authenticate(&pair.access_token).unwrap().session_id;
    let rotated = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();

    h.clock.advance(Duration::days(8));
    assert!(matches!(
        h.auth.refresh(&pair.refresh_token, &meta()).await,
        Err(AuthError::InvalidToken)
    ));
    assert_eq!(
        h.sessions
            .session(session_id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(h.clock.now()),
        "theft detection does not depend on the session being active"
    );
    assert_eq!(h.audited(AuditAction::RefreshReuseDetected).await.len(), 1);
    assert!(matches!(
        h.auth.refresh(&rotated.refresh_token, &meta()).await,
        Err(AuthError::InvalidToken)
    ));
}
