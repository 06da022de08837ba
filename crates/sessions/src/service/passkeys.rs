//! Passkeys: register, list, rename and remove them; sign in with a discoverable one (a first
//! factor: no address is asked, so nothing tells whether an account exists); answer the MFA
//! challenge of a password sign-in with one. See [`crate::passkeys`] for the records and ports.
//!
//! Every ceremony is spent (in a transaction of its own, committed) before its answer is
//! checked, so a challenge works once whatever the outcome. A sign-in or second factor that does
//! not verify with a known credential counts towards the account's lockout like a wrong
//! password, settled under the lockout row ([`AuthService::settle_failure`]); a locked account
//! cannot sign in with a passkey either. Every change and every attempt is audited.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta, Timestamp, UserId};
use plinth_users::{User, UserStatus};

use super::sign_in::SignedIn;
use super::{AuthService, TokenPair};
use crate::passkeys::CEREMONY_TTL;
use crate::{
    AuthError, CeremonyPurpose, CeremonyStart, MailKind, OneTimePurpose, OneTimeToken, Passkey,
    PasskeyCeremony, PasskeyCeremonyId, PasskeyError, PasskeyId, PasskeyName, PasskeySignIn,
    PasskeyUser, PresentedCredential, Principal, UserIdentityId,
};

/// `details.method` of the audit entries of a passkey sign-in.
const METHOD: &str = "passkey";

/// The name a passkey gets when its user gives none.
const DEFAULT_NAME: &str = "Passkey";

/// A started ceremony, as the client receives it.
#[derive(Debug, Clone)]
pub struct PasskeyOptions {
    /// Single use, stored hashed; presented again at the finish.
    pub ceremony_token: OneTimeToken,
    /// The options for `navigator.credentials.create()` or `.get()`.
    pub options: serde_json::Value,
    /// Seconds until the ceremony expires.
    pub expires_in: i64,
}

/// A way into an account that is about to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leaving {
    /// A linked provider identity.
    Identity(UserIdentityId),
    /// A passkey.
    Passkey(PasskeyId),
}

/// An audit entry of a failed passkey attempt: `auth.login_failed` at sign-in,
/// `auth.mfa_failed` at the second step, with the account when it is known.
fn passkey_failed(
    user: Option<UserId>,
    purpose: CeremonyPurpose,
    reason: &str,
    now: Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    let (action, details) = match purpose {
        CeremonyPurpose::SecondFactor => (
            AuditAction::MfaFailed,
            serde_json::json!({ "during": "login", "method": METHOD, "reason": reason }),
        ),
        _ => (
            AuditAction::LoginFailed,
            serde_json::json!({ "method": METHOD, "reason": reason }),
        ),
    };
    let event = AuditEvent::new(action, now, meta).details(details);
    match user {
        Some(id) => event.actor(id).target("user", id),
        None => event,
    }
}

/// A failure of the adapter itself (not of the client's answer).
fn adapter_failure(error: &PasskeyError) -> AuthError {
    AuthError::Repo(RepoError::Internal(error.to_string().into()))
}

impl AuthService {
    fn passkey_setup(&self) -> Result<&PasskeySignIn, AuthError> {
        self.passkeys.as_ref().ok_or(AuthError::PasskeysOff)
    }

    /// Whether passkeys are configured.
    #[must_use]
    pub fn passkeys_enabled(&self) -> bool {
        self.passkeys.is_some()
    }

    /// Stores a new ceremony of `purpose` (bound to `user_id` when given) with `start`'s state,
    /// and clears the ceremonies that expired a day ago.
    async fn store_ceremony(
        &self,
        setup: &PasskeySignIn,
        purpose: CeremonyPurpose,
        user_id: Option<UserId>,
        start: CeremonyStart,
    ) -> Result<PasskeyOptions, AuthError> {
        let token = OneTimeToken::generate().map_err(|_| AuthError::Random)?;
        let now = self.clock.now();
        let ceremony = PasskeyCeremony {
            id: PasskeyCeremonyId::new(),
            token_hash: token.hash(),
            purpose,
            user_id,
            state: start.state,
            created_at: now,
            expires_at: now + CEREMONY_TTL,
            used_at: None,
        };
        let mut tx = self.uow.begin().await?;
        setup
            .passkeys
            .insert_ceremony(tx.as_mut(), &ceremony)
            .await?;
        setup
            .passkeys
            .prune_ceremonies(tx.as_mut(), now - chrono::Duration::days(1))
            .await?;
        tx.commit().await?;
        Ok(PasskeyOptions {
            ceremony_token: token,
            options: start.options,
            expires_in: CEREMONY_TTL.num_seconds(),
        })
    }

    /// Spends the ceremony of `purpose` whose token is `token` (committed at once: it never
    /// works again, whatever comes next). `None` when it is unknown, spent or expired.
    async fn spend_ceremony(
        &self,
        setup: &PasskeySignIn,
        token: &str,
        purpose: CeremonyPurpose,
    ) -> Result<Option<PasskeyCeremony>, AuthError> {
        let hash = OneTimeToken::from_client(token).hash();
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let ceremony = setup
            .passkeys
            .spend_ceremony(tx.as_mut(), &hash, purpose, now)
            .await?;
        tx.commit().await?;
        Ok(ceremony)
    }

    /// Whether `user` keeps a way to sign in once `leaving` is gone: a password of its own
    /// (its hash is not the unknown one a provider identity gave it at sign-up), or another
    /// linked identity, or, when a passkey is leaving, another passkey. An identity's leaving
    /// does not count the passkeys: the mark that the account has no password of its own lives
    /// on its identities, so the last one stays until a password is set.
    pub(super) async fn keeps_a_way_in(
        &self,
        user: &User,
        leaving: Leaving,
    ) -> Result<bool, AuthError> {
        let identities = match &self.social {
            Some(social) => social.identities.identities_of(user.id).await?,
            None => Vec::new(),
        };
        let has_password = !identities
            .iter()
            .any(|i| i.signup_password_hash.as_deref() == Some(user.password_hash.0.as_str()));
        if has_password {
            return Ok(true);
        }
        let passkeys = match (&self.passkeys, leaving) {
            (Some(setup), Leaving::Passkey(_)) => setup.passkeys.passkeys_of(user.id).await?,
            _ => Vec::new(),
        };
        let identities_left = identities
            .iter()
            .filter(|i| leaving != Leaving::Identity(i.id))
            .count();
        let passkeys_left = match leaving {
            Leaving::Identity(_) => 0,
            Leaving::Passkey(id) => passkeys.iter().filter(|p| p.id != id).count(),
        };
        Ok(identities_left + passkeys_left > 0)
    }

    /// The passkeys of `user_id`, oldest first.
    ///
    /// # Errors
    /// [`AuthError::PasskeysOff`], or storage failure.
    pub async fn passkeys(&self, user_id: UserId) -> Result<Vec<Passkey>, AuthError> {
        Ok(self.passkey_setup()?.passkeys.passkeys_of(user_id).await?)
    }

    /// Starts registering a passkey for the signed-in caller: the options for
    /// `navigator.credentials.create()` (a discoverable credential with user verification,
    /// excluding the caller's existing ones) and the ceremony token to finish with.
    ///
    /// A passkey is a new way into the account, so the access token alone is not enough: the
    /// caller confirms their `password` (checked like a sign-in, under the lockout, audited
    /// with `during: passkey_register` when wrong) or their session signed in within the last
    /// [`crate::FRESH_SIGN_IN`] (an account without a password of its own — passwordless,
    /// social or passkey sign-up — signs in again).
    ///
    /// # Errors
    /// [`AuthError::PasskeysOff`], [`AuthError::ReauthenticationRequired`] without a password
    /// from an older session, [`AuthError::WrongPassword`], [`AuthError::Locked`],
    /// [`AuthError::InvalidToken`] when the account or session no longer exists, or storage
    /// or hashing failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn start_passkey_registration(
        &self,
        principal: &Principal,
        password: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<PasskeyOptions, AuthError> {
        let setup = self.passkey_setup()?;
        let user = self
            .confirm_presence(principal, password, "passkey_register", meta)
            .await?;
        let existing = setup.passkeys.passkeys_of(user.id).await?;
        let who = PasskeyUser {
            handle: user.id.as_uuid(),
            name: user.email.as_str().to_owned(),
            display_name: user.name.as_str().to_owned(),
        };
        let start = setup
            .ceremonies
            .start_registration(&who, &existing)
            .map_err(|e| adapter_failure(&e))?;
        self.store_ceremony(setup, CeremonyPurpose::Register, Some(user.id), start)
            .await
    }

    /// Finishes a registration: spends the caller's ceremony, verifies the authenticator's
    /// answer and stores the passkey as `name` ("Passkey" when none). Audited as
    /// `auth.passkey_added`.
    ///
    /// # Errors
    /// [`AuthError::PasskeysOff`], [`AuthError::InvalidPasskeyName`],
    /// [`AuthError::PasskeyRegistrationRejected`] (unknown, spent, expired or another
    /// account's ceremony, or an answer that does not verify), [`AuthError::PasskeyTaken`],
    /// or storage failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn finish_passkey_registration(
        &self,
        principal: &Principal,
        ceremony_token: &str,
        name: Option<&str>,
        response: &serde_json::Value,
        meta: &RequestMeta,
    ) -> Result<Passkey, AuthError> {
        let setup = self.passkey_setup()?;
        let name = PasskeyName::parse(name.unwrap_or(DEFAULT_NAME))
            .map_err(AuthError::InvalidPasskeyName)?;
        let ceremony = self
            .spend_ceremony(setup, ceremony_token, CeremonyPurpose::Register)
            .await?
            .filter(|c| c.user_id == Some(principal.user_id))
            .ok_or(AuthError::PasskeyRegistrationRejected)?;
        let registered = setup
            .ceremonies
            .finish_registration(&ceremony.state, response)
            .map_err(|e| match e {
                PasskeyError::Rejected(reason) => {
                    tracing::info!(%reason, "a passkey registration was refused");
                    AuthError::PasskeyRegistrationRejected
                }
                other => adapter_failure(&other),
            })?;
        let now = self.clock.now();
        let passkey = Passkey {
            id: PasskeyId::new(),
            user_id: principal.user_id,
            credential_id: registered.credential_id,
            credential: registered.credential,
            name: name.as_str().to_owned(),
            created_at: now,
            last_used_at: None,
        };
        let mut tx = self.uow.begin().await?;
        let user = self
            .users
            .by_id_for_update(tx.as_mut(), principal.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        setup
            .passkeys
            .insert_passkey(tx.as_mut(), &passkey)
            .await
            .map_err(|e| match e {
                RepoError::Duplicate { .. } => AuthError::PasskeyTaken,
                other => AuthError::Repo(other),
            })?;
        let event = AuditEvent::new(AuditAction::PasskeyAdded, now, meta)
            .actor(passkey.user_id)
            .target("user", passkey.user_id)
            .details(serde_json::json!({ "passkey_id": passkey.id, "name": passkey.name }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        self.notify(&user, MailKind::PasskeyAdded, now, meta, |m| {
            m.value("passkey", passkey.name.as_str())
        })
        .await;
        Ok(passkey)
    }

    /// Renames passkey `id` of `user_id`. Audited as `auth.passkey_renamed`.
    ///
    /// # Errors
    /// [`AuthError::PasskeysOff`], [`AuthError::InvalidPasskeyName`],
    /// [`AuthError::PasskeyNotFound`] (also for another user's passkey), or storage failure.
    #[tracing::instrument(skip(self, name, meta))]
    pub async fn rename_passkey(
        &self,
        user_id: UserId,
        id: PasskeyId,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<Passkey, AuthError> {
        let setup = self.passkey_setup()?;
        let name = PasskeyName::parse(name).map_err(AuthError::InvalidPasskeyName)?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        if !setup
            .passkeys
            .rename_passkey(tx.as_mut(), user_id, id, &name)
            .await?
        {
            return Err(AuthError::PasskeyNotFound);
        }
        let event = AuditEvent::new(AuditAction::PasskeyRenamed, now, meta)
            .actor(user_id)
            .target("user", user_id)
            .details(serde_json::json!({ "passkey_id": id, "name": name.as_str() }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        setup
            .passkeys
            .passkeys_of(user_id)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AuthError::PasskeyNotFound)
    }

    /// Removes passkey `id` of `user_id`, unless it is the account's last way in (no password
    /// of its own, no linked identity, no other passkey). Audited as `auth.passkey_removed`.
    ///
    /// # Errors
    /// [`AuthError::PasskeysOff`], [`AuthError::PasskeyNotFound`] (also for another user's
    /// passkey), [`AuthError::LastWayIn`], or storage failure.
    #[tracing::instrument(skip(self, meta))]
    pub async fn remove_passkey(
        &self,
        user_id: UserId,
        id: PasskeyId,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let setup = self.passkey_setup()?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        // The account's row lock queues concurrent removals (and unlinks) of one account, so
        // two of them cannot each see the other way in and leave none.
        let user = self
            .users
            .by_id_for_update(tx.as_mut(), user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let passkeys = setup.passkeys.passkeys_of(user_id).await?;
        let Some(passkey) = passkeys.iter().find(|p| p.id == id) else {
            return Err(AuthError::PasskeyNotFound);
        };
        if !self.keeps_a_way_in(&user, Leaving::Passkey(id)).await? {
            return Err(AuthError::LastWayIn);
        }
        if !setup
            .passkeys
            .delete_passkey(tx.as_mut(), user_id, id)
            .await?
        {
            return Err(AuthError::PasskeyNotFound);
        }
        let event = AuditEvent::new(AuditAction::PasskeyRemoved, now, meta)
            .actor(user_id)
            .target("user", user_id)
            .details(serde_json::json!({ "passkey_id": id, "name": passkey.name }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        self.notify(&user, MailKind::PasskeyRemoved, now, meta, |m| {
            m.value("passkey", passkey.name.as_str())
        })
        .await;
        Ok(())
    }

    /// Starts a sign-in with a discoverable passkey: options for `navigator.credentials.get()`
    /// that name no account (the authenticator offers the passkeys it holds for this site).
    ///
    /// # Errors
    /// [`AuthError::PasskeysOff`], or storage failure.
    #[tracing::instrument(skip_all)]
    pub async fn start_passkey_sign_in(&self) -> Result<PasskeyOptions, AuthError> {
        let setup = self.passkey_setup()?;
        let start = setup
            .ceremonies
            .start_sign_in()
            .map_err(|e| adapter_failure(&e))?;
        self.store_ceremony(setup, CeremonyPurpose::SignIn, None, start)
            .await
    }

    /// Finishes a sign-in with a discoverable passkey: spends the ceremony, finds the passkey
    /// by its credential id (and checks the user handle the authenticator returned), verifies
    /// the assertion and opens a session. A passkey verifies its user (PIN or biometrics), so
    /// no second step follows even with TOTP on. Audited as `auth.login_succeeded` with
    /// `details.method = "passkey"`; every failure as `auth.login_failed`.
    ///
    /// # Errors
    /// [`AuthError::PasskeyRejected`] for anything that does not verify (one answer for all),
    /// [`AuthError::Locked`], [`AuthError::AccountSuspended`], or storage or signing failure.
    #[tracing::instrument(skip_all)]
    pub async fn finish_passkey_sign_in(
        &self,
        ceremony_token: &str,
        response: &serde_json::Value,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let setup = self.passkey_setup()?;
        let purpose = CeremonyPurpose::SignIn;
        let now = self.clock.now();
        let refuse =
            |user: Option<UserId>, reason: &str| passkey_failed(user, purpose, reason, now, meta);
        let Some(ceremony) = self.spend_ceremony(setup, ceremony_token, purpose).await? else {
            self.append_alone(refuse(None, "ceremony_invalid")).await?;
            return Err(AuthError::PasskeyRejected);
        };
        let (presented, passkey) = match self.presented_passkey(setup, response).await? {
            Ok(found) => found,
            Err(reason) => {
                self.append_alone(refuse(None, reason)).await?;
                return Err(AuthError::PasskeyRejected);
            }
        };
        if presented.user_handle != Some(passkey.user_id.as_uuid()) {
            self.append_alone(refuse(Some(passkey.user_id), "user_handle_mismatch"))
                .await?;
            return Err(AuthError::PasskeyRejected);
        }
        let Some(user) = self.users.by_id(passkey.user_id).await? else {
            self.append_alone(refuse(None, "unknown_passkey")).await?;
            return Err(AuthError::PasskeyRejected);
        };
        let updated = self
            .verify_assertion(setup, &ceremony, response, &passkey, &user, meta)
            .await?;
        if user.status == UserStatus::Suspended {
            self.append_alone(refuse(Some(user.id), "suspended"))
                .await?;
            return Err(AuthError::AccountSuspended);
        }
        let details = serde_json::json!({ "method": METHOD, "passkey_id": passkey.id });
        self.open_passkey_session(setup, user, &passkey, updated, details, None, meta)
            .await
    }

    /// Starts answering the MFA challenge `mfa_token` (from a password sign-in of an account
    /// with TOTP) with one of the account's passkeys; the challenge stays open.
    ///
    /// # Errors
    /// [`AuthError::PasskeysOff`], [`AuthError::InvalidToken`] for an unknown, expired or
    /// spent challenge, [`AuthError::NoPasskeys`], or storage failure.
    #[tracing::instrument(skip_all)]
    pub async fn start_passkey_mfa(&self, mfa_token: &str) -> Result<PasskeyOptions, AuthError> {
        let setup = self.passkey_setup()?;
        let user_id = self.open_mfa_challenge(mfa_token).await?;
        let passkeys = setup.passkeys.passkeys_of(user_id).await?;
        if passkeys.is_empty() {
            return Err(AuthError::NoPasskeys);
        }
        let start = setup
            .ceremonies
            .start_second_factor(&passkeys)
            .map_err(|e| adapter_failure(&e))?;
        self.store_ceremony(setup, CeremonyPurpose::SecondFactor, Some(user_id), start)
            .await
    }

    /// The second step of a sign-in with a passkey instead of a TOTP code: spends the
    /// ceremony started for `mfa_token`, verifies the assertion with one of the account's own
    /// passkeys, spends the challenge and opens a session. Audited as `auth.login_succeeded`
    /// with `details.mfa = "passkey"`; a failure as `auth.mfa_failed`, counted towards the
    /// lockout like a wrong code.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] for an unknown, expired or spent challenge,
    /// [`AuthError::PasskeyRejected`], [`AuthError::Locked`], [`AuthError::AccountSuspended`],
    /// or storage or signing failure.
    #[tracing::instrument(skip_all)]
    pub async fn complete_mfa_with_passkey(
        &self,
        mfa_token: &str,
        ceremony_token: &str,
        response: &serde_json::Value,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let setup = self.passkey_setup()?;
        let purpose = CeremonyPurpose::SecondFactor;
        let user_id = self.open_mfa_challenge(mfa_token).await?;
        let user = self
            .users
            .by_id(user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let now = self.clock.now();
        let refuse = |reason: &str| passkey_failed(Some(user_id), purpose, reason, now, meta);
        let Some(ceremony) = self
            .spend_ceremony(setup, ceremony_token, purpose)
            .await?
            .filter(|c| c.user_id == Some(user_id))
        else {
            self.append_alone(refuse("ceremony_invalid")).await?;
            return Err(AuthError::PasskeyRejected);
        };
        let passkey = match self.presented_passkey(setup, response).await? {
            Ok((_, passkey)) if passkey.user_id == user_id => passkey,
            outcome => {
                // Another account's credential, or none: counted like a wrong code.
                let reason = outcome.err().unwrap_or("foreign_passkey");
                self.refuse_counted(&user, refuse(reason), meta).await?;
                return Err(AuthError::PasskeyRejected);
            }
        };
        let updated = self
            .verify_assertion(setup, &ceremony, response, &passkey, &user, meta)
            .await?;
        let details = serde_json::json!({ "mfa": METHOD, "passkey_id": passkey.id });
        let challenge = OneTimeToken::from_client(mfa_token).hash();
        self.open_passkey_session(
            setup,
            user,
            &passkey,
            updated,
            details,
            Some(&challenge),
            meta,
        )
        .await
    }

    /// The account of the MFA challenge `mfa_token` while it is open.
    async fn open_mfa_challenge(&self, mfa_token: &str) -> Result<UserId, AuthError> {
        let hash = OneTimeToken::from_client(mfa_token).hash();
        let record = self
            .sessions
            .one_time_by_hash(&hash)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        record
            .check(OneTimePurpose::MfaChallenge, self.clock.now())
            .map_err(|_| AuthError::InvalidToken)?;
        Ok(record.user_id)
    }

    /// The stored passkey an assertion names, or why there is none (`Err` carries the audit
    /// reason).
    async fn presented_passkey(
        &self,
        setup: &PasskeySignIn,
        response: &serde_json::Value,
    ) -> Result<Result<(PresentedCredential, Passkey), &'static str>, AuthError> {
        let Ok(presented) = setup.ceremonies.presented(response) else {
            return Ok(Err("malformed"));
        };
        let passkey = setup
            .passkeys
            .passkey_by_credential(&presented.credential_id)
            .await?;
        Ok(passkey.map(|p| (presented, p)).ok_or("unknown_passkey"))
    }

    /// Counts a failed passkey attempt on `user` towards the lockout, appending `failed`
    /// (or, when a lock started meanwhile, the same event marked `locked`).
    async fn refuse_counted(
        &self,
        user: &User,
        failed: AuditEvent,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let refused = failed.clone().details(serde_json::json!({
            "method": METHOD,
            "reason": "locked",
        }));
        match self.settle_failure(user, failed, refused, meta).await? {
            Some(locked) => Err(AuthError::Locked(locked)),
            None => Ok(()),
        }
    }

    /// Verifies an assertion of `ceremony` made with `passkey` (refused at once while the
    /// account is locked); a failure is counted towards the lockout. Returns the credential to
    /// store when its counter moved.
    async fn verify_assertion(
        &self,
        setup: &PasskeySignIn,
        ceremony: &PasskeyCeremony,
        response: &serde_json::Value,
        passkey: &Passkey,
        user: &User,
        meta: &RequestMeta,
    ) -> Result<Option<String>, AuthError> {
        let purpose = ceremony.purpose;
        if let Err(e) = self.refuse_if_locked(user.id).await {
            if matches!(e, AuthError::Locked(_)) {
                let now = self.clock.now();
                self.append_alone(passkey_failed(Some(user.id), purpose, "locked", now, meta))
                    .await?;
            }
            return Err(e);
        }
        match setup
            .ceremonies
            .finish_assertion(purpose, &ceremony.state, response, passkey)
        {
            Ok(updated) => Ok(updated),
            Err(PasskeyError::Rejected(reason)) => {
                tracing::info!(%reason, "a passkey assertion was refused");
                let now = self.clock.now();
                let failed = passkey_failed(Some(user.id), purpose, "bad_assertion", now, meta);
                self.refuse_counted(user, failed, meta).await?;
                Err(AuthError::PasskeyRejected)
            }
            Err(other) => Err(adapter_failure(&other)),
        }
    }

    /// Opens the session of a verified passkey: under the lockout row (a lock that started
    /// meanwhile wins), spends `challenge` when this is a second step, records the passkey's
    /// use (and its moved counter) and appends `auth.login_succeeded` with `details`.
    #[allow(clippy::too_many_arguments)]
    async fn open_passkey_session(
        &self,
        setup: &PasskeySignIn,
        user: User,
        passkey: &Passkey,
        updated: Option<String>,
        details: serde_json::Value,
        challenge: Option<&crate::OneTimeTokenHash>,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let perms = self.permissions_of(&user.role).await?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user.id)
            .await?;
        if let Err(locked) = streak.check(&self.lockout, now) {
            let purpose = if challenge.is_some() {
                CeremonyPurpose::SecondFactor
            } else {
                CeremonyPurpose::SignIn
            };
            self.audit
                .append(
                    tx.as_mut(),
                    &passkey_failed(Some(user.id), purpose, "locked", now, meta),
                )
                .await?;
            tx.commit().await?;
            return Err(AuthError::Locked(locked));
        }
        if let Some(hash) = challenge {
            if !self
                .sessions
                .consume_one_time(tx.as_mut(), hash, now)
                .await?
            {
                return Err(AuthError::InvalidToken);
            }
            if user.status == UserStatus::Suspended {
                return Err(AuthError::AccountSuspended);
            }
        }
        setup
            .passkeys
            .record_passkey_use(tx.as_mut(), passkey.id, updated.as_deref(), now)
            .await?;
        let signed_in = SignedIn {
            user,
            perms,
            details: Some(details),
        };
        self.open_session(tx, signed_in, &streak, now, meta).await
    }
}
