//! `AuthService::login`.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RequestMeta, Timestamp};
use plinth_users::{User, UserStatus};

use super::AuthService;
use super::attempt::login_failed;
use super::mfa::LoginOutcome;
use crate::{AuthError, LockoutState};

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
    /// Lockout: each attempt on an existing account is counted (in the database, under the row
    /// lock, so every replica agrees) **before** the password is checked, and given back when
    /// the password is right; at `LOCKOUT_THRESHOLD` the account is locked for `LOCKOUT_BASE`,
    /// doubling per further failure up to an hour, and `auth.locked` is appended. While locked,
    /// attempts are refused without checking the password and without being counted, so a
    /// stranger cannot stretch the lock, and a parallel burst gets at most the threshold's
    /// worth of passwords checked. A successful login clears the streak.
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
        // Counted before the password is checked, so a burst cannot outrun the lock.
        let reservation = match self.reserve_attempt(user.id).await {
            Ok(reservation) => reservation,
            Err(AuthError::Locked(locked)) => {
                self.record_failure(Some(&user), FailureReason::Locked, meta)
                    .await?;
                return Err(AuthError::Locked(locked));
            }
            Err(other) => return Err(other),
        };
        if !self.hasher.verify(password, &user.password_hash).await? {
            let reason = FailureReason::WrongPassword.as_str();
            let failed = login_failed(&user, reason, None, self.clock.now(), meta);
            return Err(
                match self
                    .settle_failure(&user, &reservation, failed, meta)
                    .await?
                {
                    Some(locked) => AuthError::Locked(locked),
                    None => AuthError::InvalidCredentials,
                },
            );
        }
        if user.status == UserStatus::Suspended {
            self.release_attempt(user.id, &reservation).await?;
            self.record_failure(Some(&user), FailureReason::Suspended, meta)
                .await?;
            return Err(AuthError::AccountSuspended);
        }
        if let Some(challenge) = self.mfa_challenge_for(&user).await? {
            // The second step decides; its wrong codes count towards the same streak.
            self.release_attempt(user.id, &reservation).await?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }

        let perms = self.permissions_of(&user.role).await?;
        let now = self.clock.now();
        let (session, refresh_token, record) = self.new_session(user.id, now, meta)?;
        let event = AuditEvent::new(AuditAction::LoginSucceeded, now, meta)
            .actor(user.id)
            .target("session", session.id);
        let mut tx = self.uow.begin().await?;
        self.sessions
            .save_lockout(tx.as_mut(), user.id, &LockoutState::default())
            .await?;
        self.sessions.insert_session(tx.as_mut(), &session).await?;
        self.sessions.insert_refresh(tx.as_mut(), &record).await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;

        let pair = self.issue(user, perms, session.id, refresh_token, now)?;
        Ok(LoginOutcome::Tokens(Box::new(pair)))
    }

    /// Appends `auth.login_failed` in a transaction of its own.
    async fn record_failure(
        &self,
        user: Option<&User>,
        reason: FailureReason,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let now: Timestamp = self.clock.now();
        let mut event = AuditEvent::new(AuditAction::LoginFailed, now, meta)
            .details(serde_json::json!({ "reason": reason.as_str() }));
        if let Some(user) = user {
            event = event.actor(user.id).target("user", user.id);
        }
        let mut tx = self.uow.begin().await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
