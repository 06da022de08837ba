//! Counting password attempts towards the lockout: reserved before the password is checked.
//!
//! Every check of an account's password — at sign-in and before a password-gated action
//! (`DELETE /me`, password change, TOTP enrolment, activation and removal) — first counts the
//! attempt as a failure under the row lock ([`AuthService::reserve_attempt`]); only then is
//! bcrypt run. A right password gives the attempt back, a wrong one keeps it and is audited.
//! So check and count are one step on every replica: while a lock holds, nothing is checked.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RequestMeta, Timestamp, UserId};
use plinth_users::User;

use super::AuthService;
use crate::{AccountLocked, AuthError, Principal, Reservation};

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
    /// Counts an attempt on `user_id` before its secret is checked, in a transaction of its
    /// own that holds the row lock: concurrent attempts (on any replica) queue here, and once
    /// `LOCKOUT_THRESHOLD` are counted the rest are refused without being counted.
    ///
    /// # Errors
    /// [`AuthError::Locked`] while a lock is in force; storage failure.
    pub(super) async fn reserve_attempt(&self, user_id: UserId) -> Result<Reservation, AuthError> {
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user_id)
            .await?;
        let reservation = streak.reserve(&self.lockout, now)?;
        self.sessions
            .save_lockout(tx.as_mut(), user_id, &reservation.after)
            .await?;
        tx.commit().await?;
        Ok(reservation)
    }

    /// Gives back a reserved attempt whose secret was right, when no sign-in follows to clear
    /// the streak (a second step is due, the account is suspended, or a password-gated action
    /// goes on).
    ///
    /// # Errors
    /// Storage failure.
    pub(super) async fn release_attempt(
        &self,
        user_id: UserId,
        reservation: &Reservation,
    ) -> Result<(), AuthError> {
        let mut tx = self.uow.begin().await?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user_id)
            .await?;
        self.sessions
            .save_lockout(tx.as_mut(), user_id, &streak.release(reservation))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps a reserved attempt whose secret was wrong: appends `failed`, and `auth.locked`
    /// when counting the attempt started a lock. Returns that lock.
    ///
    /// # Errors
    /// Storage failure.
    pub(super) async fn settle_failure(
        &self,
        user: &User,
        reservation: &Reservation,
        failed: AuditEvent,
        meta: &RequestMeta,
    ) -> Result<Option<AccountLocked>, AuthError> {
        let mut tx = self.uow.begin().await?;
        self.audit.append(tx.as_mut(), &failed).await?;
        if let Some(locked) = reservation.locks {
            let attempts = reservation.after.failed_attempts;
            let event = locked_event(user, attempts, locked, self.clock.now(), meta);
            self.audit.append(tx.as_mut(), &event).await?;
        }
        tx.commit().await?;
        Ok(reservation.locks)
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
        let reservation = match self.reserve_attempt(user.id).await {
            Ok(reservation) => reservation,
            Err(AuthError::Locked(locked)) => {
                let refused = login_failed(&user, "locked", Some(during), self.clock.now(), meta);
                self.append_alone(refused).await?;
                return Err(AuthError::Locked(locked));
            }
            Err(other) => return Err(other),
        };
        if self.hasher.verify(password, &user.password_hash).await? {
            self.release_attempt(user.id, &reservation).await?;
            return Ok(user);
        }
        let failed = login_failed(
            &user,
            "wrong_password",
            Some(during),
            self.clock.now(),
            meta,
        );
        match self
            .settle_failure(&user, &reservation, failed, meta)
            .await?
        {
            Some(locked) => Err(AuthError::Locked(locked)),
            None => Err(wrong),
        }
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
