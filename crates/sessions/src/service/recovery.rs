//! Password change and recovery, and email verification.
//!
//! Every token-bearing mail is sent after the transaction storing its token commits; see
//! `recovery_mail`. Bad reset and verification tokens (unknown, for another purpose, expired,
//! already used) all fail with [`AuthError::InvalidOneTimeToken`].

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RequestMeta};
use plinth_users::{Password, User, UserChanges};

use super::AuthService;
use crate::{
    AuthError, LockoutState, MailKind, OneTimePurpose, OneTimeToken, OneTimeTokenRecord, Principal,
};

impl AuthService {
    /// Changes the caller's password after checking the current one (counted towards the
    /// lockout; a wrong one is audited as `auth.login_failed` with `during: password_change`),
    /// ends every **other** session of the caller (the current one stays signed in) and spends
    /// every outstanding reset link; audited as `auth.password_changed` in the same
    /// transaction.
    ///
    /// # Errors
    /// [`AuthError::WrongCurrentPassword`], [`AuthError::Locked`],
    /// [`AuthError::WeakNewPassword`],
    /// [`AuthError::InvalidToken`] when the account no longer exists, or storage or hashing
    /// failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn change_password(
        &self,
        principal: &Principal,
        current_password: &str,
        new_password: String,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user = self
            .reauthenticate(
                principal,
                current_password,
                "password_change",
                AuthError::WrongCurrentPassword,
                meta,
            )
            .await?;
        let hash = self.hash_new_password(&user, new_password).await?;

        let now = self.clock.now();
        let others: Vec<_> = self
            .sessions
            // Idle sessions too: raising the inactivity timeout later must not revive a
            // session that a password change was meant to end.
            .live_sessions(user.id, now, None)
            .await?
            .into_iter()
            .filter(|s| s.id != principal.session_id)
            .collect();
        let mut tx = self.uow.begin().await?;
        self.users
            .change(tx.as_mut(), user.id, &UserChanges::password(hash), now)
            .await?;
        self.sessions
            .spend_all_one_time(tx.as_mut(), user.id, OneTimePurpose::PasswordReset, now)
            .await?;
        for session in &others {
            self.sessions
                .revoke_session(tx.as_mut(), session.id, now)
                .await?;
        }
        let event = AuditEvent::new(AuditAction::PasswordChanged, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({ "revoked_sessions": others.len() }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        self.notify(&user, MailKind::PasswordChanged, now, meta, |m| {
            m.value("how", "changed")
        })
        .await;
        Ok(())
    }

    /// Starts a password reset **in a background task** and returns at once: there, for an
    /// existing account under the mail cap, a reset token (30 minutes, single use, hashed) is
    /// stored and its link mailed. The caller gets the same answer, after the same work (none),
    /// for an unknown or malformed email, an account over the cap, a mail failure and a storage
    /// failure, so neither the answer nor its timing tells which accounts exist. A failure in
    /// the background is logged without the address or the token. A stopping server lets the
    /// task finish ([`AuthService::finish_background_work`]), so an answered request's mail is
    /// not lost to a restart.
    #[tracing::instrument(skip_all)]
    pub fn forgot_password(&self, email: &str) {
        let (auth, email) = (self.clone(), email.to_owned());
        self.background.spawn(async move {
            if let Err(error) = auth.send_reset_link(&email).await {
                tracing::warn!(%error, "a password-reset request failed");
            }
        });
    }

    /// The background half of [`AuthService::forgot_password`].
    async fn send_reset_link(&self, email: &str) -> Result<(), AuthError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        match self.users.by_email(&email).await? {
            Some(user) => {
                self.issue_and_mail(&user, OneTimePurpose::PasswordReset)
                    .await
            }
            None => Ok(()),
        }
    }

    /// Sets a new password with a token from a reset mail: the token and every other
    /// outstanding reset token of the account are spent, every session of the account ends, a
    /// login lockout is cleared; audited as `auth.password_reset` in the
    /// same transaction. A refused password leaves the token usable.
    ///
    /// # Errors
    /// [`AuthError::InvalidOneTimeToken`], [`AuthError::WeakNewPassword`], or storage or
    /// hashing failure.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: String,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let (record, user) = self
            .redeemable(token, OneTimePurpose::PasswordReset)
            .await?;
        let hash = self.hash_new_password(&user, new_password).await?;

        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        if !self
            .sessions
            .consume_one_time(tx.as_mut(), &record.hash, now)
            .await?
        {
            return Err(AuthError::InvalidOneTimeToken);
        }
        self.users
            .change(tx.as_mut(), user.id, &UserChanges::password(hash), now)
            .await?;
        // The other links mailed before this reset are worthless from now on.
        self.sessions
            .spend_all_one_time(tx.as_mut(), user.id, OneTimePurpose::PasswordReset, now)
            .await?;
        let revoked = self.sessions.revoke_all(tx.as_mut(), user.id, now).await?;
        self.sessions
            .save_lockout(tx.as_mut(), user.id, &LockoutState::default())
            .await?;
        let event = AuditEvent::new(AuditAction::PasswordReset, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({ "revoked_sessions": revoked }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        self.notify(&user, MailKind::PasswordChanged, now, meta, |m| {
            m.value("how", "reset")
        })
        .await;
        Ok(())
    }

    /// Confirms the account's email with a token from a verification mail (spent on use);
    /// audited as `auth.email_verified` in the same transaction.
    ///
    /// # Errors
    /// [`AuthError::InvalidOneTimeToken`], or storage failure.
    #[tracing::instrument(skip_all)]
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> Result<(), AuthError> {
        let (record, user) = self
            .redeemable(token, OneTimePurpose::EmailVerification)
            .await?;
        let now = self.clock.now();
        let verified = UserChanges {
            email_verified: Some(true),
            ..UserChanges::default()
        };
        let mut tx = self.uow.begin().await?;
        if !self
            .sessions
            .consume_one_time(tx.as_mut(), &record.hash, now)
            .await?
        {
            return Err(AuthError::InvalidOneTimeToken);
        }
        self.users
            .change(tx.as_mut(), user.id, &verified, now)
            .await?;
        let event = AuditEvent::new(AuditAction::EmailVerified, now, meta)
            .actor(user.id)
            .target("user", user.id);
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails the caller a new verification link, unless the email is already verified or the
    /// account is over the mail cap (both answered the same way).
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] when the account no longer exists; storage failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn resend_verification(&self, principal: &Principal) -> Result<(), AuthError> {
        let user = self
            .users
            .by_id(principal.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if user.email_verified {
            return Ok(());
        }
        self.issue_and_mail(&user, OneTimePurpose::EmailVerification)
            .await
    }

    /// Under the cap: stores a `purpose` token for `user`, then (after the commit) mails it.
    async fn issue_and_mail(&self, user: &User, purpose: OneTimePurpose) -> Result<(), AuthError> {
        let now = self.clock.now();
        if !self.under_mail_cap(user.id, purpose, now).await? {
            tracing::info!(%purpose, user_id = %user.id, "mail cap reached; nothing sent");
            return Ok(());
        }
        let (token, record) = Self::new_one_time(user.id, purpose, now)?;
        let mut tx = self.uow.begin().await?;
        self.sessions.insert_one_time(tx.as_mut(), &record).await?;
        tx.commit().await?;
        self.deliver(user, purpose, &token).await;
        Ok(())
    }

    /// The stored record of a presented token and its user, if the token may be spent now for
    /// `purpose`.
    pub(super) async fn redeemable(
        &self,
        token: &str,
        purpose: OneTimePurpose,
    ) -> Result<(OneTimeTokenRecord, User), AuthError> {
        let hash = OneTimeToken::from_client(token).hash();
        let record = self
            .sessions
            .one_time_by_hash(&hash)
            .await?
            .ok_or(AuthError::InvalidOneTimeToken)?;
        record
            .check(purpose, self.clock.now())
            .map_err(|_| AuthError::InvalidOneTimeToken)?;
        let user = self
            .users
            .by_id(record.user_id)
            .await?
            .ok_or(AuthError::InvalidOneTimeToken)?;
        Ok((record, user))
    }

    /// Checks `raw` against the policy (with the user's email and name as context) and hashes
    /// it, before any transaction opens.
    async fn hash_new_password(
        &self,
        user: &User,
        raw: String,
    ) -> Result<plinth_users::PasswordHash, AuthError> {
        let password = Password::new(
            raw,
            &self.policy,
            &[user.email.as_str(), user.name.as_str()],
        )
        .map_err(AuthError::WeakNewPassword)?;
        Ok(self.hasher.hash(&password).await?)
    }
}
