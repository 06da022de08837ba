//! Per-account temporary lockout after repeated failed logins (`LOCKOUT_THRESHOLD`,
//! `LOCKOUT_BASE`).
//!
//! After `threshold` consecutive failures the account is locked for `base` from the last
//! failure; each further failure doubles that, up to [`MAX_LOCK`] (1 h). A lock always ends: it
//! is a time, never a flag. A successful login or a password reset clears the count, and a streak
//! with no failure for [`FORGET_AFTER`] starts again from zero. Attempts made *while* locked are
//! refused (423 with `Retry-After`) without checking the password and without being counted, so
//! a stranger cannot stretch a lock past one period at a time. The state lives in the database, so
//! every replica sees the same lock.
//!
//! Checking and counting are one step: the outcome of a check is settled under the account's
//! lockout row lock, where a lock that started meanwhile wins (423 whatever the secret, not
//! counted). So a burst of parallel attempts, on any number of replicas, gets at most
//! `threshold` answers that depend on its secrets (`plinth_sessions` service, `attempt.rs`).

use plinth_kernel::Timestamp;

/// The longest a single lock lasts.
pub const MAX_LOCK: chrono::Duration = chrono::Duration::hours(1);

/// A failure streak with no new failure for this long is forgotten.
pub const FORGET_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// How long an account with `failed_attempts` consecutive failures is locked: `None` below
/// `threshold` (or when `threshold` is 0, which disables lockout), else
/// `base × 2^(failed_attempts − threshold)` capped at [`MAX_LOCK`].
#[must_use]
pub fn lock_duration(
    failed_attempts: u32,
    threshold: u32,
    base: chrono::Duration,
) -> Option<chrono::Duration> {
    if threshold == 0 || failed_attempts < threshold || base <= chrono::Duration::zero() {
        return None;
    }
    let doublings = (failed_attempts - threshold).min(30);
    let length = base.checked_mul(1_i32 << doublings).unwrap_or(MAX_LOCK);
    Some(length.min(MAX_LOCK))
}

/// Until when an account is locked, from its consecutive failure count and the time of the last
/// failure; `None` when the count is below the threshold or there was no failure. Compare with
/// the current time: a `locked_until` in the past means the lock is over.
#[must_use]
pub fn locked_until(
    failed_attempts: u32,
    last_failure_at: Option<Timestamp>,
    threshold: u32,
    base: chrono::Duration,
) -> Option<Timestamp> {
    let last = last_failure_at?;
    lock_duration(failed_attempts, threshold, base).map(|d| last + d)
}

/// The configured policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures before the first lock (0 disables lockout).
    pub threshold: u32,
    /// Length of the first lock.
    pub base: chrono::Duration,
}

impl Default for LockoutPolicy {
    /// The contract's defaults: 5 failures, 1 minute.
    fn default() -> Self {
        Self {
            threshold: 5,
            base: chrono::Duration::minutes(1),
        }
    }
}

/// Returned when an account is locked: answer 423 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("account is temporarily locked")]
pub struct AccountLocked {
    /// When the lock ends.
    pub until: Timestamp,
    /// When it was found in force (the service clock's "now"): `Retry-After` counts from it.
    pub at: Timestamp,
}

impl AccountLocked {
    /// Whole seconds until the lock ends, rounded up (at least 1): the `Retry-After` value.
    #[must_use]
    pub fn retry_after_secs(&self, now: Timestamp) -> u64 {
        let ms = u64::try_from((self.until - now).num_milliseconds()).unwrap_or(0);
        ms.div_ceil(1000).max(1)
    }
}

/// An account's failed-login streak, as stored with the user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockoutState {
    /// Consecutive failed logins.
    pub failed_attempts: u32,
    /// When the last one happened.
    pub last_failure_at: Option<Timestamp>,
}

impl LockoutState {
    /// Until when the account is locked under `policy` (possibly in the past).
    #[must_use]
    pub fn locked_until(&self, policy: &LockoutPolicy) -> Option<Timestamp> {
        locked_until(
            self.failed_attempts,
            self.last_failure_at,
            policy.threshold,
            policy.base,
        )
    }

    /// Whether a login may be attempted at `now`.
    ///
    /// # Errors
    /// [`AccountLocked`] while a lock is in force.
    pub fn check(&self, policy: &LockoutPolicy, now: Timestamp) -> Result<(), AccountLocked> {
        match self.locked_until(policy) {
            Some(until) if until > now => Err(AccountLocked { until, at: now }),
            _ => Ok(()),
        }
    }

    /// Counts a failed login at `now` (a streak quiet for [`FORGET_AFTER`] restarts at one).
    /// Returns the lock it starts, if any, so the caller can audit `auth.locked`.
    pub fn record_failure(
        &mut self,
        policy: &LockoutPolicy,
        now: Timestamp,
    ) -> Option<AccountLocked> {
        let stale = self
            .last_failure_at
            .is_some_and(|last| now - last >= FORGET_AFTER);
        self.failed_attempts = if stale {
            1
        } else {
            self.failed_attempts.saturating_add(1)
        };
        self.last_failure_at = Some(now);
        self.locked_until(policy)
            .filter(|until| *until > now)
            .map(|until| AccountLocked { until, at: now })
    }

    /// Forgets the streak (after a successful login or a password reset).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests;
