//! `AuthService::login`.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RequestMeta};
use plinth_users::{User, UserStatus};

use super::AuthService;
use super::attempt::login_failed;
use super::mfa::LoginOutcome;
use super::sign_in::SignedIn;
use crate::AuthError;

/// Why a login failed, as recorded in the audit entry's `details.reason`. Never the password,
/// never what was typed as the email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureReason {
    UnknownEmail,
    WrongPassword,
    Suspended,
    Locked,
}

impl FailureReason {
    const fn as_str(self) -> &'static str {
        match self {
            Self::UnknownEmail => "unknown_email",
            Self::WrongPassword => "wrong_password",
            Self::Suspended => "suspended",
            Self::Locked => "locked",
        }
    }
}

impl AuthService {
    /// Signs in with email and password. Unknown email and wrong password fail identically
    /// (same error, one password verification each, one audit entry each); both are audited as
    /// `auth.login_failed`, success as `auth.login_succeeded` in the same transaction as the new
    /// session. A suspended account is only reported after a correct password.
    ///
    /// Lockout: an attempt on a locked account is refused without a check; otherwise its
    /// outcome is settled after the check under the account's lockout row lock (in the
    /// database, so every replica agrees): when a lock started meanwhile it answers 423
    /// whatever the password, else a wrong password is counted; at `LOCKOUT_THRESHOLD` the
    /// account is locked for `LOCKOUT_BASE`, doubling per further failure up to an hour, and `auth.locked` is appended. While locked,
    /// attempts are refused without checking the password and without being counted, so a
    /// stranger cannot stretch the lock, and a parallel burst gets at most the threshold's
    /// worth of answers that depend on its passwords. A successful login clears the streak.
    ///
    /// For an account with active TOTP, a correct password yields
    /// [`LoginOutcome::MfaRequired`] (no session yet, the streak is not cleared); the sign-in
    /// completes at [`AuthService::complete_mfa`].
    ///
    /// # Errors
    /// [`AuthError::InvalidCredentials`], [`AuthError::Locked`],
    /// [`AuthError::AccountSuspended`], or storage, hashing or signing failure.
    #[tracing::instrument(skip(self, email, password, meta))]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, AuthError> {
        let user = match Email::parse(email) {
            Ok(email) => self.users.by_email(&email).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            // Spend the same hashing time as a real check so timing does not reveal accounts.
            self.hasher.verify_dummy(password).await?;
            self.record_failure(None, FailureReason::UnknownEmail, meta)
                .await?;
            return Err(AuthError::InvalidCredentials);
        };
        // Refused at once while locked; after the check, the outcome is settled under the
        // lockout row lock, so a burst cannot outrun the lock (see `attempt.rs`).
        match self.refuse_if_locked(user.id).await {
            Err(AuthError::Locked(locked)) => {
                self.record_failure(Some(&user), FailureReason::Locked, meta)
                    .await?;
                return Err(AuthError::Locked(locked));
            }
            other => other?,
        }
        let refused = |now| login_failed(&user, FailureReason::Locked.as_str(), None, now, meta);
        if !self.hasher.verify(password, &user.password_hash).await? {
            let now = self.clock.now();
            let failed = login_failed(
                &user,
                FailureReason::WrongPassword.as_str(),
                None,
                now,
                meta,
            );
            return Err(
                match self
                    .settle_failure(&user, failed, refused(now), meta)
                    .await?
                {
                    Some(locked) => AuthError::Locked(locked),
                    None => AuthError::InvalidCredentials,
                },
            );
        }
        if user.status == UserStatus::Suspended {
            self.confirm_unlocked(user.id, refused(self.clock.now()))
                .await?;
            self.record_failure(Some(&user), FailureReason::Suspended, meta)
                .await?;
            return Err(AuthError::AccountSuspended);
        }
        if let Some(challenge) = self.mfa_challenge_for(&user).await? {
            // The second step decides; its wrong codes count towards the same streak.
            self.confirm_unlocked(user.id, refused(self.clock.now()))
                .await?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }

        let perms = self.permissions_of(&user.role).await?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        // A lock that started while the password was checked wins over the right password.
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user.id)
            .await?;
        if let Err(locked) = streak.check(&self.lockout, now) {
            self.audit.append(tx.as_mut(), &refused(now)).await?;
            tx.commit().await?;
            return Err(AuthError::Locked(locked));
        }
        let pair = self
            .open_session(
                tx,
                SignedIn {
                    user,
                    perms,
                    details: None,
                },
                &streak,
                now,
                meta,
            )
            .await?;
        Ok(LoginOutcome::Tokens(Box::new(pair)))
    }

    /// Appends `auth.login_failed` in a transaction of its own.
    async fn record_failure(
        &self,
        user: Option<&User>,
        reason: FailureReason,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        let event = match user {
            Some(user) => login_failed(user, reason.as_str(), None, now, meta),
            None => AuditEvent::new(AuditAction::LoginFailed, now, meta)
                .details(serde_json::json!({ "reason": reason.as_str() })),
        };
        self.append_alone(event).await?;
        Ok(())
    }
}
