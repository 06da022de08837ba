//! Issuing one-time tokens and mailing their links, for the recovery use cases.
//!
//! Mail is always sent **after** the transaction that stored the token commits, and a mail
//! failure never fails the request: it is logged at `warn` with the purpose and the error only
//! (never the token, the link or the body).

use std::sync::Arc;

use plinth_kernel::{Timestamp, UserId};
use plinth_users::User;

use super::AuthService;
use crate::{
    AuthError, MailKind, Mailer, OneTimePurpose, OneTimeToken, OneTimeTokenRecord, OutgoingMail,
};

/// How recovery and verification mail is sent.
#[derive(Clone)]
pub struct RecoveryMail {
    /// Where messages go (SMTP, the development outbox, or a test mailbox).
    pub mailer: Arc<dyn Mailer>,
    /// `PUBLIC_URL`: the base of the links in the messages.
    pub public_url: String,
    /// At most this many tokens (so mails) per account and purpose in any rolling hour; further
    /// requests still answer as usual but send nothing.
    pub hourly_cap: u64,
}

impl RecoveryMail {
    /// Mail through `mailer` with links under `public_url`, at most 3 per account, purpose and
    /// hour.
    #[must_use]
    pub fn new(mailer: Arc<dyn Mailer>, public_url: impl Into<String>) -> Self {
        Self {
            mailer,
            public_url: public_url.into(),
            hourly_cap: 3,
        }
    }
}

impl AuthService {
    /// The per-account cap of recovery and verification mail per hour.
    fn hourly_cap(&self) -> u64 {
        self.mail.hourly_cap
    }

    /// Whether `user_id` may receive another `purpose` token now (counted from stored tokens
    /// issued in the last hour).
    pub(super) async fn under_mail_cap(
        &self,
        user_id: UserId,
        purpose: OneTimePurpose,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let issued = self
            .sessions
            .one_time_issued_since(user_id, purpose, now - chrono::Duration::hours(1))
            .await?;
        Ok(issued < self.hourly_cap())
    }

    /// A fresh token for `user_id` and `purpose` with the purpose's default lifetime.
    pub(super) fn new_one_time(
        user_id: UserId,
        purpose: OneTimePurpose,
        now: Timestamp,
    ) -> Result<(OneTimeToken, OneTimeTokenRecord), AuthError> {
        OneTimeTokenRecord::issue(user_id, purpose, now, purpose.default_ttl())
            .map_err(|_| AuthError::Random)
    }

    /// Mails `token`'s link to `user`. Never fails: a delivery failure is logged without the
    /// token.
    pub(super) async fn deliver(&self, user: &User, purpose: OneTimePurpose, token: &OneTimeToken) {
        let link = purpose.link(&self.mail.public_url, token);
        let ttl = purpose.default_ttl();
        let message = match purpose {
            OneTimePurpose::MfaChallenge | OneTimePurpose::EmailChange => {
                // An MFA challenge is never mailed; an email change goes to the new address,
                // with the address in its token (`AuthService::request_email_change`).
                tracing::error!(user_id = %user.id, %purpose, "not mailed through this path");
                return;
            }
            OneTimePurpose::PasswordReset => {
                letter(user, MailKind::PasswordReset).value("minutes", ttl.num_minutes())
            }
            OneTimePurpose::EmailVerification => {
                letter(user, MailKind::EmailVerification).value("hours", ttl.num_hours())
            }
        };
        self.send_mail(&message.value("link", link.clone()).link(link), user.id)
            .await;
    }

    /// Hands `message` (about `user_id`'s account) to the mailer. Never fails: a delivery
    /// failure is logged with the kind and the error only (never the link or the values).
    pub(super) async fn send_mail(&self, message: &OutgoingMail, user_id: UserId) {
        let kind = message.kind;
        match self.mail.mailer.send(message).await {
            Ok(()) => tracing::info!(%kind, %user_id, "mail handed over"),
            Err(error) => {
                tracing::warn!(%kind, %user_id, %error, "mail could not be sent");
            }
        }
    }
}

/// A message of `kind` to `user`, in their language, greeting them by `name`.
pub(super) fn letter(user: &User, kind: MailKind) -> OutgoingMail {
    OutgoingMail::new(user.email.clone(), kind)
        .locale(user.locale.as_ref().map(|l| l.as_str().to_owned()))
        .value("name", user.name.as_str())
}
