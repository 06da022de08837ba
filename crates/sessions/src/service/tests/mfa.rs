//! TOTP: enrolment, activation, the two-step sign-in, recovery codes, replay, lockout, removal.

use std::sync::Arc;

use plinth_audit::AuditAction;
use plinth_kernel::Clock as _;

use super::{Harness, PASSWORD, meta};
use crate::testing::FakeSealer;
use crate::{
    AuthError, LoginOutcome, Principal, RecoveryCode, SealError, TokenPair, TotpError, TotpSecret,
    totp_step,
};

pub(super) const EMAIL: &str = "ada@example.com";

/// Registers, enrols and activates TOTP; returns the principal, the secret and the codes.
pub(super) async fn with_totp(h: &Harness) -> (Principal, TotpSecret, Vec<RecoveryCode>) {
    let pair = h.register(EMAIL).await;
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    let enrolment = h
        .auth
        .enroll_totp(&principal, PASSWORD, &meta())
        .await
        .unwrap();
    assert!(
        enrolment
            .otpauth_url
            .starts_with("otpauth://totp/Plinth:ada%40example.com?secret="),
        "{}",
        enrolment.otpauth_url
    );
    let secret = TotpSecret::from_base32(&enrolment.secret.to_base32()).unwrap();
    let codes = h
        .auth
        .activate_totp(&principal, PASSWORD, &current_code(h, &secret), &meta())
        .await
        .unwrap();
    (principal, secret, codes)
}

pub(super) fn current_code(h: &Harness, secret: &TotpSecret) -> String {
    secret.code_at_step(totp_step(h.clock.now()).unwrap())
}

/// Moves to the next 30-second step, so a fresh code exists.
fn next_step(h: &Harness) {
    h.clock.advance(chrono::Duration::seconds(30));
}

async fn first_step(h: &Harness) -> String {
    match h.auth.login(EMAIL, PASSWORD, &meta()).await.unwrap() {
        LoginOutcome::MfaRequired(challenge) => {
            assert_eq!(challenge.expires_in, 300);
            challenge.mfa_token.expose().to_owned()
        }
        LoginOutcome::Tokens(_) => panic!("a password alone must not sign in"),
    }
}

async fn complete(h: &Harness, token: &str, code: &str) -> Result<TokenPair, AuthError> {
    h.auth.complete_mfa(token, code, &meta()).await
}

#[tokio::test]
async fn pending_enrolment_changes_nothing_at_sign_in() {
    let h = Harness::new();
    let pair = h.register(EMAIL).await;
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    h.auth
        .enroll_totp(&principal, PASSWORD, &meta())
        .await
        .unwrap();
    let outcome = h.auth.login(EMAIL, PASSWORD, &meta()).await.unwrap();
    assert!(
        outcome.tokens().is_some(),
        "not active until a code confirms it"
    );
}

#[tokio::test]
async fn activation_needs_a_right_code_and_happens_once() {
    let h = Harness::new();
    let pair = h.register(EMAIL).await;
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    assert!(matches!(
        h.auth
            .activate_totp(&principal, PASSWORD, "123456", &meta())
            .await,
        Err(AuthError::MfaNotEnrolled)
    ));
    let enrolment = h
        .auth
        .enroll_totp(&principal, PASSWORD, &meta())
        .await
        .unwrap();
    let wrong = if current_code(&h, &enrolment.secret) == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(matches!(
        h.auth
            .activate_totp(&principal, PASSWORD, wrong, &meta())
            .await,
        Err(AuthError::InvalidMfaCode)
    ));
    assert!(h.audited(AuditAction::MfaEnabled).await.is_empty());
    let codes = h
        .auth
        .activate_totp(
            &principal,
            PASSWORD,
            &current_code(&h, &enrolment.secret),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let stored = h.sessions_factor(principal.user_id).await;
    for code in &codes {
        assert!(
            !stored.contains(code.expose()),
            "recovery codes are stored hashed"
        );
    }
    assert!(
        !stored.contains(&enrolment.secret.to_base32()),
        "the secret is stored sealed"
    );
    assert_eq!(h.audited(AuditAction::MfaEnabled).await.len(), 1);
    assert!(matches!(
        h.auth.enroll_totp(&principal, PASSWORD, &meta()).await,
        Err(AuthError::MfaAlreadyEnabled)
    ));
}

#[tokio::test]
async fn sign_in_takes_a_password_then_a_code_and_a_code_works_once() {
    let h = Harness::new();
    let (_, secret, _) = with_totp(&h).await;
    next_step(&h);

    let token = first_step(&h).await;
    assert!(
        h.audited(AuditAction::LoginSucceeded).await.is_empty(),
        "no session before the second step"
    );
    let code = current_code(&h, &secret);
    let pair = complete(&h, &token, &code).await.unwrap();
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    assert_eq!(pair.user.id, principal.user_id);
    let events = h.audited(AuditAction::LoginSucceeded).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["mfa"], "totp");

    assert!(
        matches!(
            complete(&h, &token, &code).await,
            Err(AuthError::InvalidToken)
        ),
        "the challenge token is spent"
    );
    let again = first_step(&h).await;
    assert!(
        matches!(
            complete(&h, &again, &code).await,
            Err(AuthError::MfaCodeRejected)
        ),
        "the same code cannot be replayed in the same step"
    );
    next_step(&h);
    complete(&h, &again, &current_code(&h, &secret))
        .await
        .expect("the next step's code works with the same challenge");
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let h = Harness::new();
    let (_, _, codes) = with_totp(&h).await;
    let token = first_step(&h).await;
    complete(&h, &token, codes[0].expose()).await.unwrap();
    let events = h.audited(AuditAction::LoginSucceeded).await;
    assert_eq!(events[0].details["mfa"], "recovery_code");
    assert_eq!(events[0].details["recovery_codes_left"], 9);

    let token = first_step(&h).await;
    assert!(matches!(
        complete(&h, &token, codes[0].expose()).await,
        Err(AuthError::MfaCodeRejected)
    ));
    complete(&h, &token, codes[1].expose())
        .await
        .expect("another code works");
}

#[tokio::test]
async fn the_challenge_expires_after_five_minutes() {
    let h = Harness::new();
    let (_, secret, _) = with_totp(&h).await;
    let token = first_step(&h).await;
    h.clock.advance(chrono::Duration::seconds(301));
    assert!(matches!(
        complete(&h, &token, &current_code(&h, &secret)).await,
        Err(AuthError::InvalidToken)
    ));
    assert!(matches!(
        complete(&h, "not-a-token", "123456").await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn wrong_codes_are_audited_and_lock_the_account() {
    let h = Harness::new();
    let (_, secret, _) = with_totp(&h).await;
    next_step(&h);
    let token = first_step(&h).await;
    let right = current_code(&h, &secret);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..4 {
        assert!(matches!(
            complete(&h, &token, wrong).await,
            Err(AuthError::MfaCodeRejected)
        ));
    }
    assert!(matches!(
        complete(&h, &token, wrong).await,
        Err(AuthError::Locked(_))
    ));
    assert_eq!(h.audited(AuditAction::MfaFailed).await.len(), 5);
    assert_eq!(h.audited(AuditAction::Locked).await.len(), 1);
    assert!(
        matches!(
            complete(&h, &token, &right).await,
            Err(AuthError::Locked(_))
        ),
        "while locked even the right code is refused"
    );
    h.clock.advance(chrono::Duration::minutes(2));
    complete(&h, &token, &current_code(&h, &secret))
        .await
        .expect("after the lock, the right code signs in");
}

#[tokio::test]
async fn removal_needs_the_password_and_a_code() {
    let h = Harness::new();
    let (principal, secret, _) = with_totp(&h).await;
    next_step(&h);
    let code = current_code(&h, &secret);
    assert!(matches!(
        h.auth
            .disable_totp(&principal, "wrong password", &code, &meta())
            .await,
        Err(AuthError::WrongPassword)
    ));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        h.auth
            .disable_totp(&principal, PASSWORD, wrong, &meta())
            .await,
        Err(AuthError::InvalidMfaCode)
    ));
    assert_eq!(h.audited(AuditAction::MfaFailed).await.len(), 1);
    h.auth
        .disable_totp(&principal, PASSWORD, &code, &meta())
        .await
        .unwrap();
    assert_eq!(h.audited(AuditAction::MfaDisabled).await.len(), 1);
    let outcome = h.auth.login(EMAIL, PASSWORD, &meta()).await.unwrap();
    assert!(
        outcome.tokens().is_some(),
        "a password alone signs in again"
    );
    assert!(matches!(
        h.auth
            .disable_totp(&principal, PASSWORD, &code, &meta())
            .await,
        Err(AuthError::MfaNotEnrolled)
    ));
}

/// The sealed secret stored for `user_id`.
async fn stored_sealed(h: &Harness, user_id: plinth_kernel::UserId) -> String {
    crate::TotpRepository::totp_factor(&*h.sessions, user_id)
        .await
        .unwrap()
        .expect("a stored factor")
        .sealed_secret
}

#[tokio::test]
async fn a_sign_in_after_a_key_rotation_reseals_the_secret_under_the_current_key() {
    let mut h = Harness::new();
    let (principal, secret, _) = with_totp(&h).await;
    let user_id = principal.user_id;
    let only_new = FakeSealer::keyed("k2");
    let before = stored_sealed(&h, user_id).await;
    assert_eq!(
        TotpSecret::open(&only_new, &before, user_id),
        Err(TotpError::Seal(SealError::UnknownKey)),
        "enrolled under the key being retired"
    );

    // Rotation: the service seals under k2 and still opens k1.
    h.auth.sealer = Arc::new(FakeSealer::rotated("k2", "k1"));
    next_step(&h);
    let token = first_step(&h).await;
    complete(&h, &token, &current_code(&h, &secret))
        .await
        .expect("a secret under the previous key still works");
    let after = stored_sealed(&h, user_id).await;
    assert_ne!(after, before, "stored again with the code's use");
    assert_eq!(
        TotpSecret::open(&only_new, &after, user_id),
        Ok(secret.clone()),
        "now under the current key alone"
    );

    // The previous key is dropped: sign-in still works, and nothing needs re-sealing.
    h.auth.sealer = Arc::new(only_new);
    next_step(&h);
    let token = first_step(&h).await;
    complete(&h, &token, &current_code(&h, &secret))
        .await
        .expect("signs in without the previous key");
    assert_eq!(stored_sealed(&h, user_id).await, after);
}
