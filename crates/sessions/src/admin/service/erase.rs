//! The account's steps of erasing an account (`DELETE /me`, `DELETE /admin/users/{id}`): lock
//! the row, delete it. The application layer runs them in one transaction with the erasure of
//! the account's files, after `AuthService::confirm_password` for the user's own erasure.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta, Transaction, UserId};
use plinth_users::{Permission, User};

use super::AccountAdminService;
use crate::admin::may_act_on;
use crate::{AdminError, AuthError, Principal};

impl AccountAdminService {
    /// Locks the caller's own account row in `tx` for erasure (the first step of erasing it,
    /// after [`crate::AuthService::confirm_password`]) and returns it as it is now.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] when the account is already gone, or storage failure.
    pub async fn lock_own_account(
        &self,
        tx: &mut dyn Transaction,
        principal: &Principal,
    ) -> Result<User, AuthError> {
        self.users
            .by_id_for_update(tx, principal.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)
    }

    /// Locks another account's row in `tx` for an administrator to erase it, and returns it.
    /// The caller needs the `users:write` permission, cannot erase themselves here, and the
    /// account's role must rank strictly below theirs, as the locked row says (not only as it
    /// was read before).
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] without the permission, for one's own account or a role that
    /// does not rank below the caller's; [`AdminError::NotFound`]; storage failure.
    pub async fn lock_account_for_admin(
        &self,
        tx: &mut dyn Transaction,
        principal: &Principal,
        id: UserId,
    ) -> Result<User, AdminError> {
        principal.require(Permission::USERS_WRITE)?;
        let caller = self.caller_role(principal).await?;
        let account = self
            .users
            .by_id_for_update(tx, id)
            .await?
            .ok_or(AdminError::NotFound)?;
        if id == principal.user_id {
            return Err(AdminError::Forbidden(
                "You cannot delete your own account here; use `DELETE /api/v1/me`.".to_owned(),
            ));
        }
        may_act_on(&caller, &self.role_or_unranked(&account.role).await?)?;
        Ok(account)
    }

    /// Deletes `account` (locked in `tx` by [`AccountAdminService::lock_own_account`] or
    /// [`AccountAdminService::lock_account_for_admin`]): every session ends (and its access tokens
    /// with the next revocation sync), the row goes with everything that hangs off it
    /// (sessions, tokens, TOTP, app data), and `user.deleted` is appended with the account's id
    /// as target and `details.by` (`self` or `admin`): the audit trail keeps only that
    /// pseudonym, never the email or name. The account's files are the application's to erase
    /// in the same transaction, before this. Returns how many sessions ended.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when the row is gone, or storage failure.
    pub async fn delete_account(
        &self,
        tx: &mut dyn Transaction,
        account: &User,
        by: Eraser,
        meta: &RequestMeta,
    ) -> Result<u64, RepoError> {
        let now = self.clock.now();
        let revoked = self.sessions.revoke_all(tx, account.id, now).await?;
        self.users.delete(tx, account.id).await?;
        let (actor, by) = match by {
            Eraser::Owner => (account.id, "self"),
            Eraser::Admin(admin) => (admin, "admin"),
        };
        let event = AuditEvent::new(AuditAction::UserDeleted, now, meta)
            .actor(actor)
            .target("user", account.id)
            .details(serde_json::json!({ "by": by, "revoked_sessions": revoked }));
        self.audit.append(tx, &event).await?;
        Ok(revoked)
    }
}

/// Who erases an account (the actor of its `user.deleted` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eraser {
    /// The account's own user (`DELETE /me`).
    Owner,
    /// An administrator, by id.
    Admin(UserId),
}
