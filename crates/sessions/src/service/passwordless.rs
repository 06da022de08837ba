//! Passwordless sign-in (and, when enabled, sign-up): a mail carrying a magic link and a code;
//! see [`crate::passwordless`] for the secrets.
//!
//! Redemption, by link or by code, runs in one transaction that holds the account's lockout
//! row (when the address has an account) and the address's open requests, in that order, so
//! concurrent attempts for one address queue on every replica: a burst of wrong codes gets
//! no more checks than the limits allow, and of two redemptions only one signs in.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RepoError, RequestMeta, Timestamp, Transaction};
use plinth_users::{DisplayName, Password, PasswordHash, RoleName, User, UserChanges, UserStatus};

use super::recovery_mail::letter;
use super::sign_in::SignedIn;
use super::{AuthService, LoginOutcome};
use crate::passwordless::passwordless_link;
use crate::{
    AuthError, LockoutState, MailKind, OneTimeToken, OutgoingMail, PasswordlessCode,
    PasswordlessPolicy, PasswordlessRequest,
};

/// How a request was redeemed, as recorded in `details.method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Link,
    Code,
}

impl Method {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Link => "passwordless_link",
            Self::Code => "passwordless_code",
        }
    }
}

/// What became of a request to start passwordless sign-in, as recorded in
/// `auth.passwordless_requested`'s `details.outcome` (the answer is the same for all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requested {
    /// A mail went out to an account's address.
    Mailed,
    /// A sign-up mail went out to an address without an account.
    SignupMailed,
    /// No account and sign-up is off: nothing was sent.
    NoAccount,
    /// The address already received the most mails allowed in an hour.
    Capped,
}

impl Requested {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Mailed => "mailed",
            Self::SignupMailed => "signup_mailed",
            Self::NoAccount => "no_account",
            Self::Capped => "capped",
        }
    }
}

/// `auth.login_failed` for a passwordless attempt, with the account when there is one (never
/// the address or what was typed).
fn failed(
    user: Option<&User>,
    reason: &str,
    method: Method,
    now: Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    let event = AuditEvent::new(AuditAction::LoginFailed, now, meta)
        .details(serde_json::json!({ "reason": reason, "method": method.as_str() }));
    match user {
        Some(user) => event.actor(user.id).target("user", user.id),
        None => event,
    }
}

impl AuthService {
    fn passwordless_policy(&self) -> Result<&PasswordlessPolicy, AuthError> {
        self.passwordless
            .as_ref()
            .ok_or(AuthError::PasswordlessRejected)
    }

    /// Starts a passwordless sign-in **in a background task** and returns at once, like
    /// [`AuthService::forgot_password`]: there, for an address with an account (or, with
    /// `PASSWORDLESS_SIGNUP`, without one) under the per-address cap (the recovery mails'
    /// hourly cap, counted per address), a request is stored with its link token and code
    /// hashed, `auth.passwordless_requested` is appended in the same transaction, and one mail
    /// carrying both is sent after the commit. Without an account and with sign-up off,
    /// nothing is sent (the request is audited as `no_account`). The caller's answer and its
    /// timing are the same in every case; a failure in the background is logged without the
    /// address or the secrets.
    #[tracing::instrument(skip_all)]
    pub fn start_passwordless(&self, email: &str, meta: &RequestMeta) {
        let (auth, email, meta) = (self.clone(), email.to_owned(), meta.clone());
        self.background.spawn(async move {
            if let Err(error) = auth.send_passwordless(&email, &meta).await {
                tracing::warn!(%error, "a passwordless request failed");
            }
        });
    }

    /// The background half of [`AuthService::start_passwordless`].
    pub(super) async fn send_passwordless(
        &self,
        email: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let Ok(policy) = self.passwordless_policy() else {
            tracing::warn!("passwordless sign-in has no code key; nothing sent");
            return Ok(());
        };
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let user = self.users.by_email(&email).await?;
        let now = self.clock.now();
        let requested = |outcome: Requested| {
            let mut event = AuditEvent::new(AuditAction::PasswordlessRequested, now, meta)
                .details(serde_json::json!({ "outcome": outcome.as_str() }));
            if let Some(user) = &user {
                event = event.actor(user.id).target("user", user.id);
            }
            event
        };
        if user.is_none() && !policy.signup {
            return self.append_alone(requested(Requested::NoAccount)).await;
        }
        let issued = self
            .sessions
            .passwordless_issued_since(&email, now - chrono::Duration::hours(1))
            .await?;
        if issued >= self.mail.hourly_cap {
            tracing::info!("passwordless mail cap reached; nothing sent");
            return self.append_alone(requested(Requested::Capped)).await;
        }
        let (link, code, request) = PasswordlessRequest::issue(
            email,
            user.as_ref().map(|u| u.id),
            &policy.key,
            now,
            policy.ttl,
        )
        .map_err(|_| AuthError::Random)?;
        let outcome = if user.is_some() {
            Requested::Mailed
        } else {
            Requested::SignupMailed
        };
        let mut tx = self.uow.begin().await?;
        self.sessions
            .insert_passwordless(tx.as_mut(), &request)
            .await?;
        self.audit.append(tx.as_mut(), &requested(outcome)).await?;
        tx.commit().await?;
        self.deliver_passwordless(&request, user.as_ref(), &link, &code, policy)
            .await;
        Ok(())
    }

    /// Mails the link and the code of `request`. Never fails: a delivery failure is logged
    /// without the secrets. The code is in the body only, never in the subject (mail adapters
    /// log subjects, and lock screens show them).
    async fn deliver_passwordless(
        &self,
        request: &PasswordlessRequest,
        user: Option<&User>,
        link: &OneTimeToken,
        code: &PasswordlessCode,
        policy: &PasswordlessPolicy,
    ) {
        let link = passwordless_link(&self.mail.public_url, link);
        let message = match user {
            Some(user) => letter(user, MailKind::PasswordlessSignIn),
            None => OutgoingMail::new(request.email.clone(), MailKind::PasswordlessSignUp),
        }
        .value("code", code.expose())
        .value("minutes", policy.ttl.num_minutes())
        .value("link", link.clone())
        .link(link);
        match self.mail.mailer.send(&message).await {
            Ok(()) => tracing::info!(request_id = %request.id, "passwordless mail handed over"),
            Err(error) => {
                tracing::warn!(request_id = %request.id, %error, "passwordless mail could not be sent");
            }
        }
    }

    /// Signs in with the token of a passwordless link. The request ends (with every other
    /// open request of its address, so its code stops working too); the answer is that of a
    /// login: tokens, or an MFA challenge for an account with TOTP. A link is a 256-bit
    /// secret, so it is not subject to the sign-in lockout (like a reset link) and clears the
    /// failure streak on success; a sign-up link creates a verified account.
    ///
    /// # Errors
    /// [`AuthError::PasswordlessRejected`] for an unknown, expired or ended link (or a sign-up
    /// link while sign-up is off), [`AuthError::AccountSuspended`], or storage, hashing or
    /// signing failure.
    #[tracing::instrument(skip_all)]
    pub async fn passwordless_with_link(
        &self,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, AuthError> {
        self.passwordless_policy()?;
        let hash = OneTimeToken::from_client(token).hash();
        let now = self.clock.now();
        let Some(request) = self.sessions.passwordless_by_link(&hash).await? else {
            self.append_alone(failed(None, "invalid_link", Method::Link, now, meta))
                .await?;
            return Err(AuthError::PasswordlessRejected);
        };
        let user = self.users.by_email(&request.email).await?;
        if !request.is_open(now) || !self.belongs(&request, user.as_ref())? {
            let reason = if request.used_at.is_some() {
                "used_link"
            } else {
                "expired_link"
            };
            self.append_alone(failed(user.as_ref(), reason, Method::Link, now, meta))
                .await?;
            return Err(AuthError::PasswordlessRejected);
        }
        let email = request.email.clone();
        self.redeem(user, email, Method::Link, meta, |open, _| {
            Ok(open.iter().find(|r| r.id == request.id).cloned())
        })
        .await
    }

    /// Signs in with the code of a passwordless mail sent to `email`. Like the link, it ends
    /// the request (the link stops working) and answers like a login. A wrong code counts
    /// against every open request of the address (each takes at most
    /// [`crate::passwordless::MAX_WRONG_CODES`], then its code is dead) and, for an account,
    /// towards the sign-in lockout like a wrong password (`auth.login_failed`, `auth.locked`);
    /// while the account is locked, codes are refused unchecked.
    ///
    /// # Errors
    /// [`AuthError::PasswordlessRejected`] for a wrong, expired or used code or an address
    /// with no open request (all alike), [`AuthError::Locked`],
    /// [`AuthError::AccountSuspended`], or storage, hashing or signing failure.
    #[tracing::instrument(skip_all)]
    pub async fn passwordless_with_code(
        &self,
        email: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, AuthError> {
        let policy = self.passwordless_policy()?;
        let Ok(email) = Email::parse(email) else {
            let now = self.clock.now();
            self.append_alone(failed(None, "wrong_code", Method::Code, now, meta))
                .await?;
            return Err(AuthError::PasswordlessRejected);
        };
        let code = PasswordlessCode::from_client(code);
        let user = self.users.by_email(&email).await?;
        if let Some(user) = &user {
            match self.refuse_if_locked(user.id).await {
                Err(AuthError::Locked(locked)) => {
                    let now = self.clock.now();
                    self.append_alone(failed(Some(user), "locked", Method::Code, now, meta))
                        .await?;
                    return Err(AuthError::Locked(locked));
                }
                other => other?,
            }
        }
        let key = policy.key.clone();
        let owner = user.as_ref().map(|u| u.id);
        self.redeem(user, email, Method::Code, meta, move |open, now| {
            Ok(code.and_then(|code| {
                open.iter()
                    .filter(|r| r.code_is_open(now) && r.user_id == owner)
                    .find(|r| key.matches(r, &code))
                    .cloned()
            }))
        })
        .await
    }

    /// Whether `request` may sign in `user` (the account of its address now): the account it
    /// was made for, or, for a sign-up request, no account and sign-up still on.
    fn belongs(
        &self,
        request: &PasswordlessRequest,
        user: Option<&User>,
    ) -> Result<bool, AuthError> {
        let signup = self.passwordless_policy()?.signup;
        Ok(match (request.user_id, user) {
            (Some(id), Some(user)) => id == user.id,
            (None, None) => signup,
            _ => false,
        })
    }

    /// The redemption both ways share: in one transaction, holds the account's lockout row
    /// (refusing while locked, for a code) and the address's open requests, lets `pick` choose
    /// the request being redeemed among them, and then either ends it and signs in, or counts
    /// a wrong code.
    async fn redeem(
        &self,
        user: Option<User>,
        email: Email,
        method: Method,
        meta: &RequestMeta,
        pick: impl FnOnce(
            &[PasswordlessRequest],
            Timestamp,
        ) -> Result<Option<PasswordlessRequest>, AuthError>,
    ) -> Result<LoginOutcome, AuthError> {
        let role = user
            .as_ref()
            .map_or_else(RoleName::user, |u| u.role.clone());
        let perms = self.permissions_of(&role).await?;
        let mfa = match &user {
            Some(user) => self.has_active_totp(user).await?,
            None => false,
        };
        // A sign-up's account, and an account whose address was never proven, get a password
        // nobody knows (hashed before the transaction; see `confirm_address`).
        let unknown_hash = match &user {
            None if self.passwordless_policy()?.signup => Some(self.unknown_password_hash().await?),
            Some(user) if !user.email_verified => Some(self.unknown_password_hash().await?),
            _ => None,
        };
        let now = self.clock.now();
        // Idle sessions too, like a password change (read before the transaction opens).
        let unproven_sessions = match &user {
            Some(user) if !user.email_verified => {
                self.sessions.live_sessions(user.id, now, None).await?
            }
            _ => Vec::new(),
        };
        let mut tx = self.uow.begin().await?;
        let streak = match &user {
            Some(user) => {
                self.sessions
                    .lockout_for_update(tx.as_mut(), user.id)
                    .await?
            }
            None => LockoutState::default(),
        };
        if method == Method::Code
            && let (Some(user), Err(locked)) = (&user, streak.check(&self.lockout, now))
        {
            self.audit
                .append(
                    tx.as_mut(),
                    &failed(Some(user), "locked", method, now, meta),
                )
                .await?;
            tx.commit().await?;
            return Err(AuthError::Locked(locked));
        }
        let open = self
            .sessions
            .open_passwordless_for_update(tx.as_mut(), &email, now)
            .await?;
        let Some(request) = pick(&open, now)? else {
            return self
                .refuse(tx, user.as_ref(), streak, &open, method, now, meta)
                .await;
        };
        if !self.belongs(&request, user.as_ref())?
            || !self
                .sessions
                .end_passwordless(tx.as_mut(), &email, request.id, now)
                .await?
        {
            // Made for another account, or a sign-up while sign-up is off.
            drop(tx);
            self.append_alone(failed(user.as_ref(), "not_redeemable", method, now, meta))
                .await?;
            return Err(AuthError::PasswordlessRejected);
        }
        let (user, unproven_password) = match (user, unknown_hash) {
            (Some(user), hash) => (user, hash),
            (None, Some(hash)) => {
                let user = self
                    .create_passwordless_account(tx.as_mut(), email, hash, now, meta)
                    .await?;
                (user, None)
            }
            (None, None) => return Err(AuthError::PasswordlessRejected),
        };
        if user.status == UserStatus::Suspended {
            drop(tx);
            self.append_alone(failed(Some(&user), "suspended", method, now, meta))
                .await?;
            return Err(AuthError::AccountSuspended);
        }
        let user = self
            .confirm_address(
                tx.as_mut(),
                user,
                unproven_password.map(|hash| (hash, unproven_sessions)),
                now,
                meta,
            )
            .await?;
        if mfa {
            // Passwordless is a first factor only: the second step decides, as after a password.
            let challenge = self.store_mfa_challenge(tx.as_mut(), &user).await?;
            tx.commit().await?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }
        let signed_in = SignedIn {
            user,
            perms,
            details: Some(serde_json::json!({ "method": method.as_str() })),
        };
        let pair = self.open_session(tx, signed_in, &streak, now, meta).await?;
        Ok(LoginOutcome::Tokens(Box::new(pair)))
    }

    /// A wrong code (or an ended link found ended under the lock): counted against the open
    /// requests and, for an account, towards the lockout.
    #[allow(clippy::too_many_arguments)]
    async fn refuse(
        &self,
        mut tx: Box<dyn Transaction>,
        user: Option<&User>,
        streak: LockoutState,
        open: &[PasswordlessRequest],
        method: Method,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, AuthError> {
        if method == Method::Link {
            drop(tx);
            self.append_alone(failed(user, "used_link", method, now, meta))
                .await?;
            return Err(AuthError::PasswordlessRejected);
        }
        let taking: Vec<_> = open
            .iter()
            .filter(|r| r.code_is_open(now))
            .map(|r| r.id)
            .collect();
        self.sessions.count_wrong_code(tx.as_mut(), &taking).await?;
        let event = failed(user, "wrong_code", method, now, meta);
        let Some(user) = user else {
            self.audit.append(tx.as_mut(), &event).await?;
            tx.commit().await?;
            return Err(AuthError::PasswordlessRejected);
        };
        let locked = self.count_failure(tx, user, streak, event, meta).await?;
        Err(locked.map_or(AuthError::PasswordlessRejected, AuthError::Locked))
    }

    /// Creates the verified account of a redeemed sign-up request, in `tx`; audited as
    /// `auth.registered` with `method: passwordless`.
    async fn create_passwordless_account(
        &self,
        tx: &mut dyn Transaction,
        email: Email,
        password_hash: PasswordHash,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<User, AuthError> {
        let name = email
            .as_str()
            .split_once('@')
            .and_then(|(local, _)| DisplayName::parse(local).ok())
            .map_or_else(|| DisplayName::parse("New user"), Ok)
            .map_err(AuthError::InvalidName)?;
        let user = User::new_registered(email, name, password_hash, RoleName::user(), true, now);
        self.users.insert(tx, &user).await.map_err(|e| match e {
            // An account was registered for the address meanwhile: this request was not for it.
            RepoError::Duplicate { .. } => AuthError::PasswordlessRejected,
            other => AuthError::Repo(other),
        })?;
        let event = AuditEvent::new(AuditAction::Registered, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({ "method": "passwordless" }));
        self.audit.append(tx, &event).await?;
        Ok(user)
    }

    /// Redeeming a mailed secret proves the address: an unverified one becomes verified
    /// (`auth.email_verified`, in `tx`). Whoever registered it did not prove the address, so the
    /// password they chose is replaced by `unknown_password` and their sessions end: an attacker
    /// who registered a victim's address first (account pre-hijacking) keeps no way in once the
    /// victim signs in by mail. The owner sets a password again through a reset link.
    /// `unproven` is that password's replacement and the account's live sessions.
    async fn confirm_address(
        &self,
        tx: &mut dyn Transaction,
        mut user: User,
        unproven: Option<(PasswordHash, Vec<crate::Session>)>,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<User, AuthError> {
        if user.email_verified {
            return Ok(user);
        }
        let Some((unknown_password, sessions)) = unproven else {
            return Err(AuthError::PasswordlessRejected);
        };
        let verified = UserChanges {
            email_verified: Some(true),
            password_hash: Some(unknown_password),
            ..UserChanges::default()
        };
        for session in &sessions {
            self.sessions.revoke_session(tx, session.id, now).await?;
        }
        self.users.change(tx, user.id, &verified, now).await?;
        let event = AuditEvent::new(AuditAction::EmailVerified, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({
                "method": "passwordless",
                "password_cleared": true,
                "revoked_sessions": sessions.len(),
            }));
        self.audit.append(tx, &event).await?;
        user.email_verified = true;
        Ok(user)
    }

    /// The hash of a random password that was never shown to anyone, computed once per
    /// process (bcrypt is slow): the password of accounts created by passwordless sign-up,
    /// which set a real one through a reset link if they want one.
    pub(super) async fn unknown_password_hash(&self) -> Result<PasswordHash, AuthError> {
        let hash = self
            .unknown_password
            .get_or_try_init(|| async {
                let secret = OneTimeToken::generate().map_err(|_| AuthError::Random)?;
                let password = Password::new(secret.expose().to_owned(), &self.policy, &[])
                    .map_err(AuthError::WeakPassword)?;
                Ok::<_, AuthError>(self.hasher.hash(&password).await?)
            })
            .await?;
        Ok(hash.clone())
    }
}
