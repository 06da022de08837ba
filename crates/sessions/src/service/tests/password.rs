//! Password change, forgot and reset.

use chrono::Duration;

use super::*;
use crate::{AuthError, LockoutRepository, LockoutState, SessionRepository};

const NEW_PASSWORD: &str = "a brand new passphrase 42";
const RESET: &str = "/reset-password";

#[tokio::test]
async fn forgot_mails_a_reset_link_to_a_real_account_only() {
    let h = Harness::new();
    h.register("ada@example.com").await;
    h.forgot("nobody@example.com").await;
    h.forgot("not an email").await;
    assert_eq!(h.mails_to("nobody@example.com", RESET), 0);

    h.forgot(" ADA@example.com ").await;
    assert_eq!(h.mails_to("ada@example.com", RESET), 1);
    let mail = h.mailer.last().unwrap();
    assert_eq!(mail.kind, crate::MailKind::PasswordReset);
    assert_eq!(mail.text("name"), Some("Ada Lovelace"), "{mail:?}");
    let token = h.mailed_token("ada@example.com", RESET);
    assert!(token.len() >= 43, "256 bits in base64url: {token}");
}

#[tokio::test]
async fn reset_sets_the_password_once_and_is_audited() {
    let h = Harness::new();
    let user = h.register("ada@example.com").await.user;
    h.forgot("ada@example.com").await;
    let token = h.mailed_token("ada@example.com", RESET);

    h.auth
        .reset_password(&token, NEW_PASSWORD.into(), &meta())
        .await
        .unwrap();
    h.auth
        .login("ada@example.com", NEW_PASSWORD, &meta())
        .await
        .expect("the new password works")
        .tokens()
        .expect("no second factor");
    assert!(matches!(
        h.auth.login("ada@example.com", PASSWORD, &meta()).await,
        Err(AuthError::InvalidCredentials)
    ));
    let again = h
        .auth
        .reset_password(&token, "yet another passphrase 7".into(), &meta())
        .await;
    assert!(
        matches!(again, Err(AuthError::InvalidOneTimeToken)),
        "{again:?}"
    );

    let events = h.audited(AuditAction::PasswordReset).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(user.id.as_uuid()));
    assert_meta(&events[0]);
}

#[tokio::test]
async fn an_expired_unknown_or_verification_token_cannot_reset() {
    let h = Harness::new();
    h.register("ada@example.com").await;
    let verification = h.mailed_token("ada@example.com", "/verify-email");
    h.forgot("ada@example.com").await;
    let token = h.mailed_token("ada@example.com", RESET);

    for bad in [verification.as_str(), "made-up-token", ""] {
        let err = h
            .auth
            .reset_password(bad, NEW_PASSWORD.into(), &meta())
            .await;
        assert!(
            matches!(err, Err(AuthError::InvalidOneTimeToken)),
            "{err:?}"
        );
    }
    h.clock.advance(Duration::minutes(30));
    let err = h
        .auth
        .reset_password(&token, NEW_PASSWORD.into(), &meta())
        .await;
    assert!(
        matches!(err, Err(AuthError::InvalidOneTimeToken)),
        "expired after 30 minutes: {err:?}"
    );
    assert!(h.audited(AuditAction::PasswordReset).await.is_empty());
}

#[tokio::test]
async fn reset_ends_every_session_and_clears_the_lockout() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let id = pair.user.id;
    h.auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let mut tx = plinth_kernel::UnitOfWork::begin(&*h.uow).await.unwrap();
    let locked = LockoutState {
        failed_attempts: 9,
        last_failure_at: Some(h.clock.now()),
    };
    h.sessions
        .save_lockout(tx.as_mut(), id, &locked)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    h.forgot("ada@example.com").await;
    let token = h.mailed_token("ada@example.com", RESET);
    h.auth
        .reset_password(&token, NEW_PASSWORD.into(), &meta())
        .await
        .unwrap();
    let now = h.clock.now();
    assert!(
        h.sessions
            .live_sessions(id, now, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        h.sessions.lockout(id).await.unwrap(),
        LockoutState::default()
    );
    let refreshed = h.auth.refresh(&pair.refresh_token, &meta()).await;
    assert!(
        matches!(refreshed, Err(AuthError::InvalidToken)),
        "{refreshed:?}"
    );
    h.auth
        .login("ada@example.com", NEW_PASSWORD, &meta())
        .await
        .expect("not locked any more")
        .tokens()
        .expect("no second factor");
}

#[tokio::test]
async fn a_refused_new_password_keeps_the_token_usable() {
    let h = Harness::new();
    h.register("ada@example.com").await;
    h.forgot("ada@example.com").await;
    let token = h.mailed_token("ada@example.com", RESET);
    let weak = h.auth.reset_password(&token, "short".into(), &meta()).await;
    assert!(
        matches!(weak, Err(AuthError::WeakNewPassword(_))),
        "{weak:?}"
    );
    h.auth
        .reset_password(&token, NEW_PASSWORD.into(), &meta())
        .await
        .expect("the token survived the refused attempt");
}

#[tokio::test]
async fn reset_mails_are_capped_per_account_and_hour() {
    let h = Harness::new();
    h.register("ada@example.com").await;
    for _ in 0..5 {
        h.forgot("ada@example.com").await;
    }
    assert_eq!(h.mails_to("ada@example.com", RESET), 3, "at most 3 an hour");
    h.clock.advance(Duration::minutes(61));
    h.forgot("ada@example.com").await;
    assert_eq!(h.mails_to("ada@example.com", RESET), 4, "the hour rolls on");
}

#[tokio::test]
async fn change_checks_the_current_password_and_ends_other_sessions_only() {
    let h = Harness::new();
    let first = h.register("ada@example.com").await;
    let current = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let principal = h.auth.authenticate(&current.access_token).unwrap();

    let wrong = h
        .auth
        .change_password(&principal, "not my password", NEW_PASSWORD.into(), &meta())
        .await;
    assert!(
        matches!(wrong, Err(AuthError::WrongCurrentPassword)),
        "{wrong:?}"
    );
    let weak = h
        .auth
        .change_password(&principal, PASSWORD, "short".into(), &meta())
        .await;
    assert!(
        matches!(weak, Err(AuthError::WeakNewPassword(_))),
        "{weak:?}"
    );
    assert!(h.audited(AuditAction::PasswordChanged).await.is_empty());

    h.auth
        .change_password(&principal, PASSWORD, NEW_PASSWORD.into(), &meta())
        .await
        .unwrap();
    let live = h
        .sessions
        .live_sessions(first.user.id, h.clock.now(), None)
        .await
        .unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].id, principal.session_id,
        "the current session stays"
    );
    assert!(h.auth.refresh(&first.refresh_token, &meta()).await.is_err());
    h.auth
        .refresh(&current.refresh_token, &meta())
        .await
        .expect("the current session still refreshes");
    h.auth
        .login("ada@example.com", NEW_PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let events = h.audited(AuditAction::PasswordChanged).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["revoked_sessions"], 1);
}
