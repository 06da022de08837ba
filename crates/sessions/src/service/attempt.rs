//! Counting password attempts towards the lockout: decided under the row lock, after the check.
//!
//! Every check of an account's password — at sign-in and before a password-gated action
//! (`DELETE /me`, password change, TOTP enrolment, activation and removal) — is refused at once
//! while a lock is in force ([`AuthService::refuse_if_locked`]); otherwise bcrypt runs, and its
//! outcome is then *settled* in a transaction holding the account's lockout row: if a lock
//! started meanwhile (other attempts of a parallel burst, on any replica, counted first), the
//! attempt answers 423 whatever the password was, and is not counted; otherwise a wrong password
//! is counted (and may start the lock) and a right one goes on. So check and count are one step:
//! once `LOCKOUT_THRESHOLD` failures are counted no answer of a burst says whether its password
//! was right, and a right password never signs in while the account is locked. Parallel right
//! passwords are never counted, so they never lock their own account.
//!
//! (An earlier version counted each attempt *before* bcrypt, which bounded the hashing work of
//! a burst but locked an account that signed in from more than `LOCKOUT_THRESHOLD` places at
//! once, with its right password.)

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RequestMeta, Timestamp, Transaction, UserId};
use plinth_users::User;

use super::AuthService;
use crate::{AccountLocked, AuthError, LockoutState, Principal};

/// `auth.login_failed` for `user`, with `details.reason` and, for a password-gated action,
/// `details.during` (which action asked for the password).
pub(super) fn login_failed(
    user: &User,
    reason: &str,
    during: Option<&str>,
    now: Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    let mut details = serde_json::json!({ "reason": reason });
    if let Some(during) = during {
        details["during"] = during.into();
    }
    AuditEvent::new(AuditAction::LoginFailed, now, meta)
        .details(details)
        .actor(user.id)
        .target("user", user.id)
}

impl AuthService {
    /// Refuses an attempt on `user_id` at once while a lock is in force (nothing is checked
    /// or counted). A plain read: the decision that counts is [`AuthService::settle_failure`]
    /// or [`AuthService::confirm_unlocked`], under the row lock, after the check.
    ///
    /// # Errors
    /// [`AuthError::Locked`] while a lock is in force; storage failure.
    pub(super) async fn refuse_if_locked(&self, user_id: UserId) -> Result<(), AuthError> {
        let now = self.clock.now();
        self.sessions
            .lockout(user_id)
            .await?
            .check(&self.lockout, now)?;
        Ok(())
    }

    /// Confirms, under the account's lockout row lock, that no lock started while a right
    /// password was being checked. When one did, `refused` is appended and the attempt answers
    /// 423 like every other attempt of the burst.
    ///
    /// # Errors
    /// [`AuthError::Locked`] when a lock is now in force; storage failure.
    pub(super) async fn confirm_unlocked(
        &self,
        user_id: UserId,
        refused: AuditEvent,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user_id)
            .await?;
        if let Err(locked) = streak.check(&self.lockout, now) {
            self.audit.append(tx.as_mut(), &refused).await?;
            tx.commit().await?;
            return Err(AuthError::Locked(locked));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Settles a wrong password under the account's lockout row lock: when a lock started
    /// meanwhile, the attempt is not counted and `refused` is appended (423); otherwise it is
    /// counted, `failed` is appended, and `auth.locked` too when counting it started a lock.
    /// Returns the lock the attempt ends in, if any.
    ///
    /// # Errors
    /// Storage failure.
    pub(super) async fn settle_failure(
        &self,
        user: &User,
        failed: AuditEvent,
        refused: AuditEvent,
        meta: &RequestMeta,
    ) -> Result<Option<AccountLocked>, AuthError> {
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user.id)
            .await?;
        if let Err(locked) = streak.check(&self.lockout, now) {
            self.audit.append(tx.as_mut(), &refused).await?;
            tx.commit().await?;
            return Ok(Some(locked));
        }
        self.count_failure(tx, user, streak, failed, meta).await
    }

    /// Counts a failure (wrong password or code) in `tx`, which holds `streak` read for
    /// update, appends `failed`, and `auth.locked` when this failure starts a lock; commits.
    /// Returns that lock.
    ///
    /// # Errors
    /// Storage failure.
    pub(super) async fn count_failure(
        &self,
        mut tx: Box<dyn Transaction>,
        user: &User,
        mut streak: LockoutState,
        failed: AuditEvent,
        meta: &RequestMeta,
    ) -> Result<Option<AccountLocked>, AuthError> {
        let now = self.clock.now();
        let locks = streak.record_failure(&self.lockout, now);
        self.sessions
            .save_lockout(tx.as_mut(), user.id, &streak)
            .await?;
        self.audit.append(tx.as_mut(), &failed).await?;
        if let Some(locked) = locks {
            let event = locked_event(user, streak.failed_attempts, locked, now, meta);
            self.audit.append(tx.as_mut(), &event).await?;
        }
        tx.commit().await?;
        Ok(locks)
    }

    /// Checks the caller's password before a sensitive action (`during` names it in the audit
    /// entry: `account_delete`, `password_change`, `mfa_enroll`, `mfa_activate`,
    /// `mfa_disable`). The check counts towards the sign-in lockout like a login: a locked
    /// account is refused without a check, a wrong password is audited as `auth.login_failed`
    /// with `details.during`. Returns the account.
    ///
    /// # Errors
    /// `wrong` for a wrong password (or [`AuthError::Locked`] when it starts a lock),
    /// [`AuthError::Locked`] while locked, [`AuthError::InvalidToken`] when the account no
    /// longer exists, or storage or hashing failure.
    pub(super) async fn reauthenticate(
        &self,
        principal: &Principal,
        password: &str,
        during: &str,
        wrong: AuthError,
        meta: &RequestMeta,
    ) -> Result<User, AuthError> {
        let user = self
            .users
            .by_id(principal.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let refused = |now| login_failed(&user, "locked", Some(during), now, meta);
        match self.refuse_if_locked(user.id).await {
            Err(AuthError::Locked(locked)) => {
                self.append_alone(refused(self.clock.now())).await?;
                return Err(AuthError::Locked(locked));
            }
            other => other?,
        }
        if self.hasher.verify(password, &user.password_hash).await? {
            self.confirm_unlocked(user.id, refused(self.clock.now()))
                .await?;
            return Ok(user);
        }
        let now = self.clock.now();
        let failed = login_failed(&user, "wrong_password", Some(during), now, meta);
        match self
            .settle_failure(&user, failed, refused(now), meta)
            .await?
        {
            Some(locked) => Err(AuthError::Locked(locked)),
            None => Err(wrong),
        }
    }
}

impl AuthService {
    /// The caller, once they proved it is them before adding a way into their account: their
    /// `password`, checked like [`AuthService::reauthenticate`] (`during` names the action), or
    /// — without one — a session that signed in within [`crate::FRESH_SIGN_IN`] (its sign-in,
    /// not its last refresh). An account without a password of its own signs in again.
    ///
    /// # Errors
    /// [`AuthError::ReauthenticationRequired`] without a password from an older session,
    /// [`AuthError::WrongPassword`], [`AuthError::Locked`], [`AuthError::InvalidToken`] when
    /// the account or session no longer exists, or storage or hashing failure.
    pub(super) async fn confirm_presence(
        &self,
        principal: &Principal,
        password: Option<&str>,
        during: &str,
        meta: &RequestMeta,
    ) -> Result<User, AuthError> {
        if let Some(password) = password {
            return self
                .reauthenticate(principal, password, during, AuthError::WrongPassword, meta)
                .await;
        }
        let session = self
            .sessions
            .session(principal.session_id)
            .await?
            .filter(|s| s.user_id == principal.user_id)
            .ok_or(AuthError::InvalidToken)?;
        if session.created_at < self.clock.now() - crate::FRESH_SIGN_IN {
            return Err(AuthError::ReauthenticationRequired);
        }
        self.users
            .by_id(principal.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)
    }
}

/// `auth.locked` for `user`, locked after `failed_attempts` failures until `locked.until`.
pub(super) fn locked_event(
    user: &User,
    failed_attempts: u32,
    locked: AccountLocked,
    now: Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    AuditEvent::new(AuditAction::Locked, now, meta)
        .actor(user.id)
        .target("user", user.id)
        .details(serde_json::json!({
            "failed_attempts": failed_attempts,
            "locked_until": locked.until,
        }))
}
