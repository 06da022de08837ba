//! `AuthService::login`.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RequestMeta, Timestamp};
use plinth_users::{User, UserStatus};

use super::{AuthService, TokenPair};
use crate::AuthError;

/// Why a login failed, as recorded in the audit entry's `details.reason`. Never the password,
/// never what was typed as the email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureReason {
    UnknownEmail,
    WrongPassword,
    Suspended,
}

impl FailureReason {
    const fn as_str(self) -> &'static str {
        match self {
            Self::UnknownEmail => "unknown_email",
            Self::WrongPassword => "wrong_password",
            Self::Suspended => "suspended",
        }
    }
}

impl AuthService {
    /// Signs in with email and password. Unknown email and wrong password fail identically
    /// (same error, one password verification each, one audit entry each); both are audited as
    /// `auth.login_failed`, success as `auth.login_succeeded` in the same transaction as the new
    /// session. A suspended account is only reported after a correct password.
    ///
    /// # Errors
    /// [`AuthError::InvalidCredentials`], [`AuthError::AccountSuspended`], or storage, hashing
    /// or signing failure.
    #[tracing::instrument(skip(self, email, password, meta))]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
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
        if !self.hasher.verify(password, &user.password_hash).await? {
            self.record_failure(Some(&user), FailureReason::WrongPassword, meta)
                .await?;
            return Err(AuthError::InvalidCredentials);
        }
        if user.status == UserStatus::Suspended {
            self.record_failure(Some(&user), FailureReason::Suspended, meta)
                .await?;
            return Err(AuthError::AccountSuspended);
        }

        let now = self.clock.now();
        let (session, refresh_token, record) = self.new_session(user.id, now, meta)?;
        let event = AuditEvent::new(AuditAction::LoginSucceeded, now, meta)
            .actor(user.id)
            .target("session", session.id);
        let mut tx = self.uow.begin().await?;
        self.sessions.insert_session(tx.as_mut(), &session).await?;
        self.sessions.insert_refresh(tx.as_mut(), &record).await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;

        self.issue(user, session.id, refresh_token, now)
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
