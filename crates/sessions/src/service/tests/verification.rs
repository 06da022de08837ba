//! Email verification: the mail sent on sign-up, verify, resend.

use std::sync::Arc;

use super::*;
use crate::AuthError;
use crate::testing::FailingMailer;

const VERIFY: &str = "/verify-email";

#[tokio::test]
async fn sign_up_mails_a_link_that_verifies_the_email_once() {
    let h = Harness::new();
    let user = h.register("ada@example.com").await.user;
    assert!(!user.email_verified);
    assert_eq!(
        h.mailer.last().unwrap().kind,
        crate::MailKind::EmailVerification
    );
    let token = h.mailed_token("ada@example.com", VERIFY);

    h.auth.verify_email(&token, &meta()).await.unwrap();
    assert!(h.user("ada@example.com").await.unwrap().email_verified);
    let again = h.auth.verify_email(&token, &meta()).await;
    assert!(
        matches!(again, Err(AuthError::InvalidOneTimeToken)),
        "{again:?}"
    );
    let events = h.audited(AuditAction::EmailVerified).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, Some(user.id.as_uuid()));
}

#[tokio::test]
async fn a_reset_token_or_an_expired_one_does_not_verify() {
    let h = Harness::new();
    h.register("ada@example.com").await;
    let token = h.mailed_token("ada@example.com", VERIFY);
    h.forgot("ada@example.com").await;
    let reset = h.mailed_token("ada@example.com", "/reset-password");
    let wrong = h.auth.verify_email(&reset, &meta()).await;
    assert!(
        matches!(wrong, Err(AuthError::InvalidOneTimeToken)),
        "{wrong:?}"
    );
    h.clock.advance(chrono::Duration::hours(48));
    let expired = h.auth.verify_email(&token, &meta()).await;
    assert!(
        matches!(expired, Err(AuthError::InvalidOneTimeToken)),
        "{expired:?}"
    );
    assert!(!h.user("ada@example.com").await.unwrap().email_verified);
}

#[tokio::test]
async fn resend_mails_a_new_link_until_verified_and_is_capped() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    let first = h.mailed_token("ada@example.com", VERIFY);
    h.auth.resend_verification(&principal).await.unwrap();
    let second = h.mailed_token("ada@example.com", VERIFY);
    assert_ne!(first, second, "a fresh token each time");
    for _ in 0..3 {
        h.auth.resend_verification(&principal).await.unwrap();
    }
    assert_eq!(
        h.mails_to("ada@example.com", VERIFY),
        3,
        "the sign-up mail counts towards the cap of 3 an hour"
    );
    h.auth.verify_email(&first, &meta()).await.unwrap();
    h.clock.advance(chrono::Duration::hours(2));
    h.auth.resend_verification(&principal).await.unwrap();
    assert_eq!(
        h.mails_to("ada@example.com", VERIFY),
        3,
        "verified: nothing more"
    );
}

#[tokio::test]
async fn a_mail_outage_fails_neither_sign_up_nor_forgot() {
    let h = Harness::new();
    let auth = h.auth.clone().with_mail(RecoveryMail::new(
        Arc::new(FailingMailer),
        "https://app.example",
    ));
    let pair = auth
        .register(input("ada@example.com"), &meta())
        .await
        .expect("registered although the mail failed");
    assert!(!pair.user.email_verified);
    auth.forgot_password("ada@example.com");
    h.settle().await;
    assert_eq!(h.mailer.count(), 0);
}

/// A mail server that takes a while: the message is delivered (to `inner`) after `delay`.
struct SlowMailer {
    inner: Arc<crate::testing::MemoryMailer>,
    delay: std::time::Duration,
}

#[async_trait::async_trait]
impl crate::Mailer for SlowMailer {
    async fn send(&self, message: &crate::OutgoingMail) -> Result<(), crate::MailError> {
        tokio::time::sleep(self.delay).await;
        self.inner.send(message).await
    }
}

#[tokio::test]
async fn a_reset_mail_already_answered_is_sent_before_a_stop_ends() {
    let h = Harness::new();
    h.auth
        .register(input("ada@example.com"), &meta())
        .await
        .unwrap();
    let delivered = Arc::new(crate::testing::MemoryMailer::new());
    let auth = h.auth.clone().with_mail(RecoveryMail::new(
        Arc::new(SlowMailer {
            inner: Arc::clone(&delivered),
            delay: std::time::Duration::from_millis(200),
        }),
        "https://app.example",
    ));
    auth.forgot_password("ada@example.com");
    // The server stops right after answering 202.
    let finished = auth
        .finish_background_work(std::time::Duration::from_secs(10))
        .await;
    assert!(finished, "the mail finished within the grace");
    assert_eq!(
        delivered.count(),
        1,
        "the reset mail went out before the stop ended"
    );
}
