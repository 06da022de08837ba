//! `DELETE /me`: a user erasing their own account.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta};
use plinth_users::User;

use super::AuthService;
use crate::{AuthError, Principal};

impl AuthService {
    /// Checks the caller's password before erasing their account and returns it. The check
    /// counts towards the sign-in lockout (a locked account is refused without a check) and a
    /// wrong password is audited as `auth.login_failed` with `during: account_delete`.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`], [`AuthError::Locked`], [`AuthError::InvalidToken`] when
    /// the account no longer exists, or storage or hashing failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn confirm_password(
        &self,
        principal: &Principal,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<User, AuthError> {
        self.reauthenticate(
            principal,
            password,
            "account_delete",
            AuthError::WrongPassword,
            meta,
        )
        .await
    }

    /// Deletes the caller's account after [`AuthService::confirm_password`]: every session
    /// ends (and its access tokens with the next revocation sync), the row goes with
    /// everything that hangs off it (sessions, tokens, TOTP, app data), and `user.deleted` is
    /// appended in the same transaction with the account's id as actor and target: the audit
    /// trail keeps only that pseudonym, never the email or name. Files are the caller's to
    /// erase first (`FileService::erase_account_files`).
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] when the account is already gone, or storage failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn delete_own_account(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let id = principal.user_id;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let revoked = self.sessions.revoke_all(tx.as_mut(), id, now).await?;
        self.users
            .delete(tx.as_mut(), id)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => AuthError::InvalidToken,
                other => AuthError::Repo(other),
            })?;
        let event = AuditEvent::new(AuditAction::UserDeleted, now, meta)
            .actor(id)
            .target("user", id)
            .details(serde_json::json!({ "by": "self", "revoked_sessions": revoked }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
