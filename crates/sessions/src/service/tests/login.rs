use plinth_users::UserStatus;

use super::*;
use crate::{AuthError, SessionRepository};

#[tokio::test]
async fn login_with_the_right_password_opens_a_new_session() {
    let h = Harness::new();
    let registered = h.register("ada@example.com").await;
    let pair = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    assert_eq!(pair.user.id, registered.user.id);
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    assert_eq!(principal.user_id, registered.user.id);
    let first = h.auth.authenticate(&registered.access_token).unwrap();
    assert_ne!(
        principal.session_id, first.session_id,
        "each login is its own session"
    );
    assert_eq!(
        h.sessions
            .live_sessions(pair.user.id, h.clock.now(), None)
            .await
            .unwrap()
            .len(),
        2
    );

    let events = h.audited(AuditAction::LoginSucceeded).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(pair.user.id.as_uuid()));
    assert_eq!(events[0].target_id, Some(principal.session_id.to_string()));
    assert_meta(&events[0]);
}

#[tokio::test]
async fn login_email_is_case_and_space_insensitive() {
    let h = Harness::new();
    let registered = h.register("ada@example.com").await;
    let pair = h
        .auth
        .login("  ADA@Example.Com ", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    assert_eq!(pair.user.id, registered.user.id);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_fail_the_same_way_and_are_audited() {
    let h = Harness::new();
    let user = h.register("ada@example.com").await.user;
    let before = h.hasher.verifications();

    let wrong = h
        .auth
        .login("ada@example.com", "correct horse battery stapler", &meta())
        .await
        .unwrap_err();
    let after_wrong = h.hasher.verifications();
    let unknown = h
        .auth
        .login("bob@example.com", PASSWORD, &meta())
        .await
        .unwrap_err();
    let after_unknown = h.hasher.verifications();
    let garbage = h
        .auth
        .login("not an email", PASSWORD, &meta())
        .await
        .unwrap_err();

    for err in [&wrong, &unknown, &garbage] {
        assert!(matches!(err, AuthError::InvalidCredentials), "got {err:?}");
    }
    assert_eq!(
        wrong.to_string(),
        unknown.to_string(),
        "the message does not say which"
    );
    assert_eq!(
        after_wrong - before,
        1,
        "a wrong password costs one verification"
    );
    assert_eq!(
        after_unknown - after_wrong,
        1,
        "an unknown email costs one (dummy) verification too"
    );
    assert_eq!(
        h.hasher.verifications() - after_unknown,
        1,
        "and so does a malformed email"
    );

    let failed = h.audited(AuditAction::LoginFailed).await;
    assert_eq!(failed.len(), 3);
    // newest first: garbage, unknown, wrong
    let (garbage_e, unknown_e, wrong_e) = (&failed[0], &failed[1], &failed[2]);
    assert_eq!(wrong_e.actor_id, Some(user.id.as_uuid()));
    assert_eq!(wrong_e.target_id, Some(user.id.to_string()));
    assert_eq!(
        wrong_e.details,
        serde_json::json!({ "reason": "wrong_password" })
    );
    for e in [unknown_e, garbage_e] {
        assert_eq!(e.actor_id, None);
        assert_eq!(e.details, serde_json::json!({ "reason": "unknown_email" }));
    }
    for e in &failed {
        assert_meta(e);
        let text = serde_json::to_string(e).unwrap();
        assert!(
            !text.contains("horse"),
            "the password is never recorded: {text}"
        );
        assert!(
            !text.contains("bob@"),
            "the typed email is not recorded: {text}"
        );
    }
    assert!(h.audited(AuditAction::LoginSucceeded).await.is_empty());
    assert_eq!(
        h.sessions
            .live_sessions(user.id, h.clock.now(), None)
            .await
            .unwrap()
            .len(),
        1,
        "no session was opened"
    );
}

#[tokio::test]
async fn a_suspended_account_is_refused_only_after_the_right_password() {
    let h = Harness::new();
    let mut user = h.register("ada@example.com").await.user;
    user.status = UserStatus::Suspended;
    h.save(&user).await;

    let wrong = h
        .auth
        .login("ada@example.com", "not the password at all", &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, AuthError::InvalidCredentials),
        "suspension is not revealed to a wrong password: {wrong:?}"
    );
    let right = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(right, AuthError::AccountSuspended),
        "got {right:?}"
    );

    let failed = h.audited(AuditAction::LoginFailed).await;
    assert_eq!(
        failed[0].details,
        serde_json::json!({ "reason": "suspended" })
    );
    assert_eq!(failed[0].actor_id, Some(user.id.as_uuid()));
    assert_eq!(
        h.sessions
            .live_sessions(user.id, h.clock.now(), None)
            .await
            .unwrap()
            .len(),
        1,
        "only the registration session"
    );
}

#[tokio::test]
async fn an_admin_gets_its_permissions_in_the_access_token() {
    let h = Harness::new();
    let mut user = h.register("ada@example.com").await.user;
    user.role = plinth_users::RoleName::admin();
    h.save(&user).await;
    let pair = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    assert_eq!(principal.role, "admin");
    assert!(principal.can("users:read"));
    assert!(!principal.can("roles:write"));
}

mod lockout {
    use chrono::Duration;

    use super::*;
    use crate::LockoutPolicy;

    async fn wrong(h: &Harness, email: &str) -> AuthError {
        h.auth
            .login(email, "not the password at all", &meta())
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn five_failures_lock_for_a_minute_doubling_up_to_an_hour() {
        let h = Harness::new();
        h.register("ada@example.com").await;
        h.register("bob@example.com").await;
        for _ in 0..4 {
            assert!(matches!(
                wrong(&h, "ada@example.com").await,
                AuthError::InvalidCredentials
            ));
        }
        let AuthError::Locked(locked) = wrong(&h, "ada@example.com").await else {
            panic!("the fifth failure locks");
        };
        assert_eq!(locked.until, h.clock.now() + Duration::minutes(1));
        assert_eq!(locked.retry_after_secs(h.clock.now()), 60);
        let locks = h.audited(AuditAction::Locked).await;
        assert_eq!(locks.len(), 1);
        assert_eq!(locks[0].details["failed_attempts"], 5);
        assert_meta(&locks[0]);

        // While locked even the right password is refused, unchecked and uncounted.
        let verifications = h.hasher.verifications();
        let err = h
            .auth
            .login("ada@example.com", PASSWORD, &meta())
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Locked(_)), "{err:?}");
        assert_eq!(
            h.hasher.verifications(),
            verifications,
            "no hash while locked"
        );
        let failed = h.audited(AuditAction::LoginFailed).await;
        assert_eq!(
            failed[0].details["reason"], "locked",
            "refusals are audited"
        );
        assert!(
            h.auth
                .login("bob@example.com", PASSWORD, &meta())
                .await
                .is_ok(),
            "other accounts are unaffected"
        );

        // After the minute one more failure locks for two, and so on up to an hour.
        h.clock.advance(Duration::seconds(61));
        let AuthError::Locked(locked) = wrong(&h, "ada@example.com").await else {
            panic!("the sixth failure locks again");
        };
        assert_eq!(locked.until - h.clock.now(), Duration::minutes(2));
        for _ in 0..10 {
            h.clock.advance(Duration::hours(1) + Duration::seconds(1));
            wrong(&h, "ada@example.com").await;
        }
        let AuthError::Locked(locked) = wrong(&h, "ada@example.com").await else {
            panic!("still locked");
        };
        assert!(
            locked.until - h.clock.now() <= Duration::hours(1),
            "capped at an hour"
        );

        // It always ends, and a correct login clears the streak.
        h.clock.advance(Duration::hours(1) + Duration::seconds(1));
        h.auth
            .login("ada@example.com", PASSWORD, &meta())
            .await
            .expect("the lock ended")
            .tokens()
            .expect("no second factor");
        for _ in 0..4 {
            assert!(matches!(
                wrong(&h, "ada@example.com").await,
                AuthError::InvalidCredentials
            ));
        }
    }

    #[tokio::test]
    async fn unknown_emails_are_never_locked_and_a_zero_threshold_disables_lockout() {
        let h = Harness::new();
        for _ in 0..10 {
            assert!(matches!(
                wrong(&h, "ghost@example.com").await,
                AuthError::InvalidCredentials
            ));
        }
        let h = Harness::new();
        let auth = h.auth.clone().with_lockout(LockoutPolicy {
            threshold: 0,
            base: Duration::minutes(1),
        });
        h.register("ada@example.com").await;
        for _ in 0..10 {
            let err = auth
                .login("ada@example.com", "nope nope nope nope", &meta())
                .await
                .unwrap_err();
            assert!(matches!(err, AuthError::InvalidCredentials), "{err:?}");
        }
    }
}
