//! TOTP enrolment, activation, removal, and the second step of a sign-in.
//!
//! A factor is stored sealed ([`crate::SecretSealer`]) with the step last accepted, so a code
//! works once; recovery codes are stored hashed and each works once. Every check of a code runs
//! while the factor's row is locked, so two replicas given the same code cannot both accept it.
//! Wrong codes at sign-in and at removal count towards the same lockout as wrong passwords,
//! checked and counted while the factor's row and the streak are held. Enrolment, activation
//! and removal re-check the password (counted too, see `attempt`). A secret still
//! sealed under a previous key (after a rotation) is sealed again under the current one when a
//! code passes at activation or sign-in, in the transaction that records the code's use.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RequestMeta, Timestamp, Transaction};
use plinth_users::{User, UserStatus};

use super::sign_in::SignedIn;
use super::{AuthService, TokenPair};
use crate::{
    AuthError, MailKind, OneTimePurpose, OneTimeToken, OneTimeTokenRecord, Principal, RecoveryCode,
    RecoveryCodeSet, SecretSealer, TotpFactor, TotpSecret,
};

/// What enrolment hands out, once: the secret for an authenticator app.
#[derive(Debug, Clone)]
pub struct TotpEnrollment {
    /// The shared secret (base32 via [`TotpSecret::to_base32`]).
    pub secret: TotpSecret,
    /// `otpauth://totp/…` for a QR code.
    pub otpauth_url: String,
}

/// The first step of a sign-in to an account with MFA: a short-lived token to present with a
/// code at `POST /auth/mfa/challenge`.
#[derive(Debug, Clone)]
pub struct MfaChallenge {
    /// Single-use, stored hashed.
    pub mfa_token: OneTimeToken,
    /// Seconds until it stops working.
    pub expires_in: i64,
}

/// What a correct email and password yield.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Signed in.
    Tokens(Box<TokenPair>),
    /// The account has TOTP: present a code with the challenge token.
    MfaRequired(MfaChallenge),
}

impl LoginOutcome {
    /// The token pair, when no second step is needed.
    #[must_use]
    pub fn tokens(self) -> Option<TokenPair> {
        match self {
            Self::Tokens(pair) => Some(*pair),
            Self::MfaRequired(_) => None,
        }
    }
}

/// Which kind of code passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeKind {
    Totp,
    RecoveryCode,
}

impl CodeKind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// Checks `code` against `factor` (a fresh TOTP code, else an unused recovery code) and
/// records its use in `factor`. `None` when it is wrong or already used.
fn accept_code(
    factor: &mut TotpFactor,
    secret: &TotpSecret,
    code: &str,
    now: Timestamp,
) -> Option<CodeKind> {
    if let Some(step) = secret.verify_fresh(code, now, factor.last_step) {
        factor.last_step = Some(step);
        return Some(CodeKind::Totp);
    }
    factor.recovery.redeem(code).map(|_| CodeKind::RecoveryCode)
}

/// Seals `secret` again under the sealer's current key when `factor` still holds it under a
/// previous one (after a key rotation), so that the caller's write of `factor` moves it off the
/// key being retired.
fn reseal_if_stale(
    factor: &mut TotpFactor,
    secret: &TotpSecret,
    sealer: &dyn SecretSealer,
) -> Result<(), AuthError> {
    if sealer.needs_reseal(&factor.sealed_secret) {
        factor.sealed_secret = secret.seal(sealer, factor.user_id)?;
    }
    Ok(())
}

impl AuthService {
    fn sealer(&self) -> &dyn SecretSealer {
        self.sealer.as_ref()
    }

    /// Starts (or restarts) TOTP enrolment after re-checking the password (counted towards the
    /// lockout, see `attempt`): a new secret is stored sealed, pending, and returned once.
    /// Sign-in is unchanged until [`AuthService::activate_totp`].
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`], [`AuthError::Locked`],
    /// [`AuthError::MfaAlreadyEnabled`] when an active factor exists,
    /// [`AuthError::InvalidToken`] when the account no longer exists,
    /// Storage or hashing failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn enroll_totp(
        &self,
        principal: &Principal,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<TotpEnrollment, AuthError> {
        let sealer = self.sealer();
        let user = self
            .reauthenticate(
                principal,
                password,
                "mfa_enroll",
                AuthError::WrongPassword,
                meta,
            )
            .await?;
        let secret = TotpSecret::generate()?;
        let factor = TotpFactor {
            user_id: user.id,
            sealed_secret: secret.seal(sealer, user.id)?,
            created_at: self.clock.now(),
            activated_at: None,
            last_step: None,
            recovery: RecoveryCodeSet::default(),
        };
        let mut tx = self.uow.begin().await?;
        let existing = self
            .sessions
            .totp_factor_for_update(tx.as_mut(), user.id)
            .await?;
        if existing.as_ref().is_some_and(TotpFactor::is_active) {
            return Err(AuthError::MfaAlreadyEnabled);
        }
        self.sessions.put_totp_factor(tx.as_mut(), &factor).await?;
        tx.commit().await?;
        Ok(TotpEnrollment {
            otpauth_url: secret.otpauth_url(&user.email),
            secret,
        })
    }

    /// Activates the pending factor with the password (re-checked and counted like at
    /// enrolment) and a first code from the authenticator, and returns ten recovery codes,
    /// shown once (only their hashes are kept). Audited as `auth.mfa_enabled`.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`], [`AuthError::Locked`],
    /// [`AuthError::MfaNotEnrolled`] without a pending enrolment,
    /// [`AuthError::MfaAlreadyEnabled`] when already active, [`AuthError::InvalidMfaCode`]
    /// for a wrong code, or storage or sealing failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn activate_totp(
        &self,
        principal: &Principal,
        password: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        let sealer = self.sealer();
        let user = self
            .reauthenticate(
                principal,
                password,
                "mfa_activate",
                AuthError::WrongPassword,
                meta,
            )
            .await?;
        let user_id = user.id;
        let now = self.clock.now();
        let (codes, recovery) = RecoveryCodeSet::generate().map_err(|_| AuthError::Random)?;
        let mut tx = self.uow.begin().await?;
        let mut factor = self
            .sessions
            .totp_factor_for_update(tx.as_mut(), user_id)
            .await?
            .ok_or(AuthError::MfaNotEnrolled)?;
        if factor.is_active() {
            return Err(AuthError::MfaAlreadyEnabled);
        }
        let secret = TotpSecret::open(sealer, &factor.sealed_secret, user_id)?;
        let step = secret
            .verify_fresh(code, now, factor.last_step)
            .ok_or(AuthError::InvalidMfaCode)?;
        factor.activated_at = Some(now);
        factor.last_step = Some(step);
        factor.recovery = recovery;
        reseal_if_stale(&mut factor, &secret, sealer)?;
        self.sessions.put_totp_factor(tx.as_mut(), &factor).await?;
        let event = AuditEvent::new(AuditAction::MfaEnabled, now, meta)
            .actor(user_id)
            .target("user", user_id)
            .details(serde_json::json!({ "method": "totp" }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        self.notify(&user, MailKind::MfaEnabled, now, meta, |m| m)
            .await;
        Ok(codes)
    }

    /// Removes TOTP after checking the password and a code (TOTP or recovery). Audited as
    /// `auth.mfa_disabled`; a wrong password as `auth.login_failed`, a wrong code as
    /// `auth.mfa_failed`, and both count towards the lockout.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`], [`AuthError::Locked`], [`AuthError::MfaNotEnrolled`] when
    /// MFA is not on, [`AuthError::InvalidMfaCode`], or storage, hashing or sealing failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn disable_totp(
        &self,
        principal: &Principal,
        password: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let sealer = self.sealer();
        let user = self
            .reauthenticate(
                principal,
                password,
                "mfa_disable",
                AuthError::WrongPassword,
                meta,
            )
            .await?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let mut factor = self
            .sessions
            .totp_factor_for_update(tx.as_mut(), user.id)
            .await?
            .filter(TotpFactor::is_active)
            .ok_or(AuthError::MfaNotEnrolled)?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user.id)
            .await?;
        streak.check(&self.lockout, now)?;
        let secret = TotpSecret::open(sealer, &factor.sealed_secret, user.id)?;
        let Some(kind) = accept_code(&mut factor, &secret, code, now) else {
            let failed = mfa_failed(&user, now, meta, "disable");
            let locked = self.count_failure(tx, &user, streak, failed, meta).await?;
            return Err(locked.map_or(AuthError::InvalidMfaCode, AuthError::Locked));
        };
        self.sessions
            .delete_totp_factor(tx.as_mut(), user.id)
            .await?;
        let event = AuditEvent::new(AuditAction::MfaDisabled, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({ "confirmed_with": kind.as_str() }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        self.notify(&user, MailKind::MfaDisabled, now, meta, |m| m)
            .await;
        Ok(())
    }

    /// Whether `user` must pass a second step; if so, stores and returns the challenge.
    pub(super) async fn mfa_challenge_for(
        &self,
        user: &User,
    ) -> Result<Option<MfaChallenge>, AuthError> {
        if !self.has_active_totp(user).await? {
            return Ok(None);
        }
        let mut tx = self.uow.begin().await?;
        let challenge = self.store_mfa_challenge(tx.as_mut(), user).await?;
        tx.commit().await?;
        Ok(Some(challenge))
    }

    /// Whether `user` has active TOTP (so a first factor only earns an MFA challenge).
    pub(super) async fn has_active_totp(&self, user: &User) -> Result<bool, AuthError> {
        Ok(self
            .sessions
            .totp_factor(user.id)
            .await?
            .is_some_and(|factor| factor.is_active()))
    }

    /// Stores a new MFA challenge for `user` in `tx` and returns it.
    pub(super) async fn store_mfa_challenge(
        &self,
        tx: &mut dyn Transaction,
        user: &User,
    ) -> Result<MfaChallenge, AuthError> {
        let purpose = OneTimePurpose::MfaChallenge;
        let ttl = purpose.default_ttl();
        let (mfa_token, record) =
            OneTimeTokenRecord::issue(user.id, purpose, self.clock.now(), ttl)
                .map_err(|_| AuthError::Random)?;
        self.sessions.insert_one_time(tx, &record).await?;
        Ok(MfaChallenge {
            mfa_token,
            expires_in: ttl.num_seconds(),
        })
    }

    /// The second step of a sign-in: the challenge token from `login` and a TOTP code or an
    /// unused recovery code. On success the token is spent, a session starts and
    /// `auth.login_succeeded` is appended (with the kind of code); a wrong code appends
    /// `auth.mfa_failed` and counts towards the lockout like a wrong password. A secret sealed
    /// under a previous key is stored sealed under the current one with the code's use.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] for an unknown, expired or spent challenge token,
    /// [`AuthError::MfaCodeRejected`], [`AuthError::Locked`], [`AuthError::AccountSuspended`],
    /// or storage, sealing or signing failure.
    #[tracing::instrument(skip_all)]
    pub async fn complete_mfa(
        &self,
        mfa_token: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let sealer = self.sealer();
        let hash = OneTimeToken::from_client(mfa_token).hash();
        let now = self.clock.now();
        let record = self
            .sessions
            .one_time_by_hash(&hash)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        record
            .check(OneTimePurpose::MfaChallenge, now)
            .map_err(|_| AuthError::InvalidToken)?;
        let user = self
            .users
            .by_id(record.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let perms = self.permissions_of(&user.role).await?;

        // The lock is checked and a wrong code counted while the factor's and the streak's
        // rows are held: parallel codes queue, and none is checked once the lock holds.
        let mut tx = self.uow.begin().await?;
        let mut factor = self
            .sessions
            .totp_factor_for_update(tx.as_mut(), user.id)
            .await?
            .filter(TotpFactor::is_active)
            .ok_or(AuthError::InvalidToken)?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user.id)
            .await?;
        streak.check(&self.lockout, now)?;
        let secret = TotpSecret::open(sealer, &factor.sealed_secret, user.id)?;
        let Some(kind) = accept_code(&mut factor, &secret, code, now) else {
            let failed = mfa_failed(&user, now, meta, "login");
            let locked = self.count_failure(tx, &user, streak, failed, meta).await?;
            return Err(locked.map_or(AuthError::MfaCodeRejected, AuthError::Locked));
        };
        if !self
            .sessions
            .consume_one_time(tx.as_mut(), &hash, now)
            .await?
        {
            return Err(AuthError::InvalidToken);
        }
        if user.status == UserStatus::Suspended {
            return Err(AuthError::AccountSuspended);
        }
        reseal_if_stale(&mut factor, &secret, sealer)?;
        self.sessions.put_totp_factor(tx.as_mut(), &factor).await?;
        let mut details = serde_json::json!({ "mfa": kind.as_str() });
        if kind == CodeKind::RecoveryCode {
            details["recovery_codes_left"] = factor.recovery.remaining().into();
        }
        let signed_in = SignedIn {
            user,
            perms,
            details: Some(details),
        };
        self.open_session(tx, signed_in, &streak, now, meta).await
    }

    /// Appends `event` in a transaction of its own.
    pub(super) async fn append_alone(&self, event: AuditEvent) -> Result<(), AuthError> {
        let mut tx = self.uow.begin().await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// `auth.mfa_failed` for `user` during `during` (`login` or `disable`).
fn mfa_failed(user: &User, now: Timestamp, meta: &RequestMeta, during: &str) -> AuditEvent {
    AuditEvent::new(AuditAction::MfaFailed, now, meta)
        .actor(user.id)
        .target("user", user.id)
        .details(serde_json::json!({ "during": during }))
}
