//! AuthService wired to the real bcrypt and JWT adapters (and in-memory storage).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use plinth_audit::testing::MemoryAuditLog;
use plinth_kernel::testing::MemoryUnitOfWork;
use plinth_kernel::{RequestMeta, SystemClock};
use plinth_security::{BcryptHasher, JwtKeys, JwtSigner};
use plinth_sessions::testing::MemorySessionRepository;
use plinth_sessions::{AuthError, AuthService, RegisterInput, TokenLifetimes};
use plinth_users::PasswordPolicy;
use plinth_users::testing::{MemoryRoleRepository, MemoryUserRepository};
use secrecy::SecretString;

fn service() -> AuthService {
    let keys = JwtKeys {
        current: (
            "2026-01".into(),
            SecretString::from("an-hmac-key-of-at-least-thirty-two-bytes"),
        ),
        previous: vec![],
    };
    let roles = MemoryRoleRepository::new();
    AuthService::new(
        plinth_sessions::AuthPorts {
            users: Arc::new(MemoryUserRepository::with_roles(roles.clone())),
            roles: Arc::new(roles),
            sessions: Arc::new(MemorySessionRepository::new()),
            hasher: Arc::new(BcryptHasher::new(4)),
            signer: Arc::new(JwtSigner::new(
                keys,
                "http://127.0.0.1:8080".into(),
                "plinth".into(),
            )),
            audit: Arc::new(MemoryAuditLog::new()),
            uow: Arc::new(MemoryUnitOfWork::new()),
            clock: Arc::new(SystemClock),
            mail: plinth_sessions::RecoveryMail::new(
                Arc::new(plinth_sessions::testing::MemoryMailer::new()),
                "http://127.0.0.1:8080",
            ),
            sealer: Arc::new(plinth_sessions::testing::FakeSealer::new()),
        },
        PasswordPolicy::default(),
        TokenLifetimes::default(),
    )
}

#[tokio::test]
async fn a_long_passphrase_signs_in_with_bcrypt_and_jwt() {
    let auth = service();
    let password = format!(
        "{} and then the part bcrypt alone would drop",
        "my very long passphrase ".repeat(4)
    );
    assert!(password.len() > 72);
    let meta = RequestMeta::default();
    let input = RegisterInput {
        email: "ada@example.com".into(),
        password: password.clone(),
        name: "Ada".into(),
        locale: None,
    };
    let registered = auth.register(input, &meta).await.unwrap();
    assert!(registered.user.password_hash.0.starts_with("$2b$04$"));

    let pair = auth
        .login("ada@example.com", &password, &meta)
        .await
        .unwrap()
        .tokens()
        .expect("no second factor");
    let principal = auth.authenticate(&pair.access_token).unwrap();
    assert_eq!(principal.user_id, registered.user.id);
    assert!(
        auth.authenticate(&format!("{}x", pair.access_token))
            .is_err()
    );

    let truncated_twin = format!("{}X", &password[..password.len() - 1]);
    let err = auth
        .login("ada@example.com", &truncated_twin, &meta)
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidCredentials),
        "only the last character differs: {err:?}"
    );
    let err = auth
        .login("nobody@example.com", &password, &meta)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::InvalidCredentials), "{err:?}");

    let rotated = auth.refresh(&pair.refresh_token, &meta).await.unwrap();
    assert_eq!(
        auth.authenticate(&rotated.access_token).unwrap().session_id,
        principal.session_id
    );
}
