use std::sync::Arc;

use plinth_audit::testing::{FailingAuditLog, MemoryAuditLog};
use plinth_users::{PasswordHasher, RoleName, UserStatus};

use super::*;
use crate::{AuthError, SessionRepository};

#[tokio::test]
async fn register_creates_a_user_a_session_and_a_signed_in_pair() {
    let h = Harness::new();
    let pair = h.register("  Ada@Example.COM ").await;

    let user = h.user("ada@example.com").await.expect("stored");
    assert_eq!(pair.user, user);
    assert_eq!(
        user.email.as_str(),
        "ada@example.com",
        "email stored normalised"
    );
    assert_eq!(user.role, RoleName::user());
    assert_eq!(user.status, UserStatus::Active);
    assert!(!user.email_verified);
    assert!(
        !user.password_hash.0.contains(PASSWORD),
        "never the plain password"
    );
    assert!(
        h.hasher
            .verify(PASSWORD, &user.password_hash)
            .await
            .unwrap()
    );

    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    assert_eq!(principal.user_id, user.id);
    assert_eq!(principal.role, "user");
    assert!(
        principal.perms.is_empty(),
        "a plain user has no admin permission"
    );
    assert_eq!(pair.expires_in, 900);

    let session = h
        .sessions
        .session(principal.session_id)
        .await
        .unwrap()
        .expect("session stored");
    assert_eq!(session.user_id, user.id);
    assert_eq!(session.ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(session.user_agent.as_deref(), Some("Mozilla/5.0 (tests)"));
    assert_eq!(
        session.expires_at,
        h.clock.now() + chrono::Duration::days(30)
    );
    let record = h
        .sessions
        .refresh_by_hash(&pair.refresh_token.hash())
        .await
        .unwrap()
        .expect("refresh stored");
    assert_eq!(record.session_id, session.id);
    assert_ne!(
        record.hash.0,
        pair.refresh_token.expose(),
        "only the hash is stored"
    );

    let events = h.audited(AuditAction::Registered).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(user.id.as_uuid()));
    assert_eq!(events[0].target_type.as_deref(), Some("user"));
    assert_eq!(events[0].target_id, Some(user.id.to_string()));
    assert_meta(&events[0]);
}

#[tokio::test]
async fn register_with_a_taken_email_in_any_case_is_email_taken() {
    let h = Harness::new();
    let first = h.register("ada@example.com").await;
    let err = h
        .auth
        .register(input("ADA@example.com"), &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::EmailTaken), "got {err:?}");
    assert_eq!(
        h.user("ada@example.com").await.unwrap().id,
        first.user.id,
        "the first account is untouched"
    );
    assert_eq!(
        h.audited(AuditAction::Registered).await.len(),
        1,
        "no entry for the refused attempt"
    );
}

#[tokio::test]
async fn register_refuses_bad_input_before_storing_anything() {
    let h = Harness::new();
    let bad_email = RegisterInput {
        email: "not-an-email".into(),
        ..input("x@example.com")
    };
    assert!(matches!(
        h.auth.register(bad_email, &meta()).await,
        Err(AuthError::InvalidEmail(_))
    ));
    let bad_name = RegisterInput {
        name: " ".into(),
        ..input("ada@example.com")
    };
    assert!(matches!(
        h.auth.register(bad_name, &meta()).await,
        Err(AuthError::InvalidName(_))
    ));
    let weak = RegisterInput {
        password: "password1234".into(),
        ..input("ada@example.com")
    };
    assert!(matches!(
        h.auth.register(weak, &meta()).await,
        Err(AuthError::WeakPassword(_))
    ));
    let own_email = RegisterInput {
        password: "ada.lovelace@example.com".into(),
        ..input("ada.lovelace@example.com")
    };
    assert!(matches!(
        h.auth.register(own_email, &meta()).await,
        Err(AuthError::WeakPassword(_))
    ));
    assert_eq!(h.user("ada@example.com").await, None);
    assert!(h.audited(AuditAction::Registered).await.is_empty());
}

/// The UnitOfWork proof: when the audit entry cannot be written, the account is not created.
#[tokio::test]
async fn register_leaves_nothing_behind_when_the_audit_append_fails() {
    let h = Harness::with_audit(
        Arc::new(FailingAuditLog::new()),
        Arc::new(MemoryAuditLog::new()),
    );
    let err = h
        .auth
        .register(input("ada@example.com"), &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Repo(plinth_kernel::RepoError::Unavailable(_))
        ),
        "got {err:?}"
    );
    assert_eq!(
        h.user("ada@example.com").await,
        None,
        "the user insert was rolled back with the failed audit append"
    );

    // And the same email can register once the audit log works again: nothing half-written.
    let auth = AuthService {
        users: h.users.clone(),
        ..Harness::new().auth
    };
    let pair = auth
        .register(input("ada@example.com"), &meta())
        .await
        .unwrap();
    assert_eq!(
        h.user("ada@example.com").await.map(|u| u.id),
        Some(pair.user.id)
    );
}
