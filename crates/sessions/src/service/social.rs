//! Social and enterprise sign-in: start a flow with a provider, finish it at the callback,
//! swap the one-time code for tokens, and list, link and unlink identities. See
//! [`crate::social`] for the records and the ports.
//!
//! Linking rules: a provider identity joins an existing account only through a **link flow**
//! started by that account's signed-in user, and only when the provider asserts a verified
//! address; an unauthenticated sign-in whose verified address belongs to an account without
//! that identity is refused (`oauth_account_exists`), never merged by address alone.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RepoError, RequestMeta, Timestamp, Transaction, UserId};
use plinth_users::{DisplayName, PasswordHash, RoleName, User, UserStatus};

use super::sign_in::SignedIn;
use super::{AuthService, LoginOutcome};
use crate::social::{CODE_TTL, FLOW_TTL, origin_of};
use crate::{
    AuthError, AuthorizationRequest, FlowOutcome, MailKind, NonceHash, OAuthFlow, OAuthFlowId,
    OneTimeToken, ProviderError, ProviderIdentity, ProviderInfo, SocialSignIn, UserIdentity,
    UserIdentityId,
};

/// `details.method` of the audit entries of a provider sign-in.
const METHOD: &str = "oauth";

/// The problem code an [`AuthError`] of a finished flow is stored as (and read back from).
fn refusal_code(error: &AuthError) -> &'static str {
    match error {
        AuthError::OAuthAccountExists => "oauth_account_exists",
        AuthError::OAuthEmailUnverified => "oauth_email_unverified",
        AuthError::OAuthIdentityTaken => "oauth_identity_taken",
        AuthError::AccountSuspended => "account_suspended",
        _ => "oauth_provider_error",
    }
}

fn refusal_error(code: &str) -> AuthError {
    match code {
        "oauth_account_exists" => AuthError::OAuthAccountExists,
        "oauth_email_unverified" => AuthError::OAuthEmailUnverified,
        "oauth_identity_taken" => AuthError::OAuthIdentityTaken,
        "account_suspended" => AuthError::AccountSuspended,
        _ => AuthError::OAuthProviderFailed,
    }
}

/// `url` with `name=value` appended to its query.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> Result<String, AuthError> {
    let mut parsed = url::Url::parse(url).map_err(|_| AuthError::OAuthRedirectNotAllowed)?;
    {
        let mut query = parsed.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    Ok(parsed.into())
}

/// `auth.login_failed` of a provider sign-in, with the account when known.
fn oauth_failed(
    user: Option<UserId>,
    provider: &str,
    reason: &str,
    now: Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    let event = AuditEvent::new(AuditAction::LoginFailed, now, meta)
        .details(serde_json::json!({ "reason": reason, "method": METHOD, "provider": provider }));
    match user {
        Some(id) => event.actor(id).target("user", id),
        None => event,
    }
}

impl AuthService {
    fn social(&self) -> Result<&SocialSignIn, AuthError> {
        self.social.as_ref().ok_or(AuthError::OAuthUnknownProvider)
    }

    /// The configured sign-in providers (none when social sign-in is off).
    #[must_use]
    pub fn oauth_providers(&self) -> Vec<ProviderInfo> {
        self.social
            .as_ref()
            .map(|s| s.providers.providers())
            .unwrap_or_default()
    }

    /// Starts a sign-in (or, with `link_for`, a link of a new identity to that signed-in
    /// account) with `provider`: stores the flow (its `state` and `nonce` hashed, open for
    /// 10 minutes) and returns the provider's authorization URL to redirect the browser to.
    /// `redirect_to` is where the browser comes back to at the end; it must be on an allowed
    /// frontend origin. `browser`, when given, is a secret the caller keeps in the browser
    /// (a cookie): the callback is then accepted only from a browser presenting it, so an
    /// attacker cannot make a victim's browser finish a flow the attacker started (login CSRF).
    ///
    /// # Errors
    /// [`AuthError::OAuthUnknownProvider`], [`AuthError::OAuthRedirectNotAllowed`],
    /// [`AuthError::OAuthProviderFailed`] when the provider's discovery document cannot be
    /// read, or storage failure.
    #[tracing::instrument(skip(self, redirect_to))]
    pub async fn start_oauth(
        &self,
        provider: &str,
        redirect_to: &str,
        link_for: Option<UserId>,
        browser: Option<&OneTimeToken>,
    ) -> Result<String, AuthError> {
        let social = self.social()?;
        if !social
            .providers
            .providers()
            .iter()
            .any(|p| p.name == provider)
        {
            return Err(AuthError::OAuthUnknownProvider);
        }
        let allowed =
            origin_of(redirect_to).is_some_and(|origin| social.allowed_origins.contains(&origin));
        if !allowed {
            return Err(AuthError::OAuthRedirectNotAllowed);
        }
        let state = OneTimeToken::generate().map_err(|_| AuthError::Random)?;
        let nonce = OneTimeToken::generate().map_err(|_| AuthError::Random)?;
        let request = AuthorizationRequest {
            state: state.expose().to_owned(),
            nonce: nonce.expose().to_owned(),
            pkce_verifier: social.key.pkce_verifier(state.expose()),
        };
        let url = social
            .providers
            .authorization_url(provider, &request)
            .await
            .map_err(|e| provider_failure(provider, &e))?;
        let now = self.clock.now();
        let flow = OAuthFlow {
            id: OAuthFlowId::new(),
            provider: provider.to_owned(),
            state_hash: state.hash(),
            nonce_hash: NonceHash::of(nonce.expose()),
            redirect_to: redirect_to.to_owned(),
            link_user_id: link_for,
            browser_hash: browser.map(OneTimeToken::hash),
            created_at: now,
            expires_at: now + FLOW_TTL,
            used_at: None,
            code_hash: None,
            outcome: None,
            exchanged_at: None,
        };
        let mut tx = self.uow.begin().await?;
        social.identities.insert_flow(tx.as_mut(), &flow).await?;
        // Flows that ended (or were abandoned) a day ago are of no use to anyone: each start
        // clears them, so the table holds about a day of sign-ins.
        social
            .identities
            .prune_flows(tx.as_mut(), now - chrono::Duration::days(1))
            .await?;
        tx.commit().await?;
        Ok(url)
    }

    /// The provider's callback: spends the flow of `state` (once, within its 10 minutes),
    /// redeems `code` at the provider (an `error` from the provider ends the flow), and
    /// returns where to redirect the browser: for a sign-in, `redirect_to?code=<one-time
    /// code>` (swapped at [`AuthService::exchange_oauth`] for tokens or the reason it was
    /// refused); for a link, `redirect_to?linked=<provider>` or `?error=<problem code>`.
    ///
    /// # Errors
    /// [`AuthError::OAuthStateInvalid`] for an unknown, spent or expired `state` (a forged or
    /// replayed callback: there is no trusted place to send the browser back to), or a flow
    /// bound to a browser whose secret `browser` is not; or storage failure.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip(self, state, code, error, browser, meta))]
    pub async fn finish_oauth(
        &self,
        provider: &str,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
        browser: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<String, AuthError> {
        // Without social sign-in no flow exists: every state is unknown.
        let social = self.social().map_err(|_| AuthError::OAuthStateInvalid)?;
        let now = self.clock.now();
        let state = OneTimeToken::from_client(state);
        let mut tx = self.uow.begin().await?;
        let flow = social
            .identities
            .spend_flow(tx.as_mut(), &state.hash(), now)
            .await?;
        tx.commit().await?;
        let Some(flow) = flow.filter(|f| f.provider == provider) else {
            self.append_alone(oauth_failed(None, provider, "invalid_state", now, meta))
                .await?;
            return Err(AuthError::OAuthStateInvalid);
        };
        if let Some(expected) = &flow.browser_hash {
            use subtle::ConstantTimeEq as _;
            let same = browser.is_some_and(|b| {
                let presented = OneTimeToken::from_client(b).hash();
                bool::from(presented.0.as_bytes().ct_eq(expected.0.as_bytes()))
            });
            if !same {
                self.append_alone(oauth_failed(None, provider, "other_browser", now, meta))
                    .await?;
                return Err(AuthError::OAuthStateInvalid);
            }
        }
        let asserted = match (code, error) {
            (Some(code), None) if !code.is_empty() => social
                .providers
                .redeem(
                    provider,
                    code,
                    &social.key.pkce_verifier(state.expose()),
                    &flow.nonce_hash,
                )
                .await
                .map_err(|e| provider_failure(provider, &e)),
            _ => {
                tracing::info!(provider, "the provider sent the user back without a code");
                Err(AuthError::OAuthProviderFailed)
            }
        };
        match flow.link_user_id {
            Some(user_id) => {
                self.finish_link(social, &flow, user_id, asserted, meta)
                    .await
            }
            None => self.finish_sign_in(social, &flow, asserted, meta).await,
        }
    }

    /// The end of a link flow: the identity joins `user_id` when the provider asserts a
    /// verified address and the identity is not another account's.
    async fn finish_link(
        &self,
        social: &SocialSignIn,
        flow: &OAuthFlow,
        user_id: UserId,
        asserted: Result<ProviderIdentity, AuthError>,
        meta: &RequestMeta,
    ) -> Result<String, AuthError> {
        let now = self.clock.now();
        let linked = match asserted {
            Ok(identity) => self.link(social, flow, user_id, identity, now, meta).await,
            Err(e) => Err(e),
        };
        match linked {
            Ok(()) => with_query(&flow.redirect_to, &[("linked", flow.provider.as_str())]),
            Err(e @ (AuthError::Repo(_) | AuthError::Random)) => Err(e),
            Err(e) => {
                let code = refusal_code(&e);
                self.append_alone(oauth_failed(Some(user_id), &flow.provider, code, now, meta))
                    .await?;
                with_query(&flow.redirect_to, &[("error", code)])
            }
        }
    }

    async fn link(
        &self,
        social: &SocialSignIn,
        flow: &OAuthFlow,
        user_id: UserId,
        asserted: ProviderIdentity,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        if let Some(existing) = social
            .identities
            .identity(&flow.provider, &asserted.subject)
            .await?
        {
            return if existing.user_id == user_id {
                Ok(())
            } else {
                Err(AuthError::OAuthIdentityTaken)
            };
        }
        if !asserted.email_verified || asserted.email.is_none() {
            return Err(AuthError::OAuthEmailUnverified);
        }
        let identity = UserIdentity {
            id: UserIdentityId::new(),
            user_id,
            provider: flow.provider.clone(),
            subject: asserted.subject,
            email: asserted.email,
            created_at: now,
            signup_password_hash: None,
        };
        let mut tx = self.uow.begin().await?;
        insert_identity(social, tx.as_mut(), &identity).await?;
        self.audit
            .append(tx.as_mut(), &linked_event(&identity, false, now, meta))
            .await?;
        tx.commit().await?;
        if let Some(user) = self.users.by_id(user_id).await? {
            let provider = social
                .providers
                .providers()
                .into_iter()
                .find(|p| p.name == flow.provider)
                .map_or_else(|| flow.provider.clone(), |p| p.display_name);
            self.notify(&user, MailKind::IdentityLinked, now, meta, |m| {
                m.value("provider", provider)
            })
            .await;
        }
        Ok(())
    }

    /// The end of a sign-in flow: decides who signs in (or why nobody does), stores that
    /// with a one-time code on the flow, and sends the browser back with the code.
    async fn finish_sign_in(
        &self,
        social: &SocialSignIn,
        flow: &OAuthFlow,
        asserted: Result<ProviderIdentity, AuthError>,
        meta: &RequestMeta,
    ) -> Result<String, AuthError> {
        let unknown_password = self.unknown_password_hash().await?;
        let now = self.clock.now();
        let code = OneTimeToken::generate().map_err(|_| AuthError::Random)?;
        let mut tx = self.uow.begin().await?;
        let decided = match asserted {
            Ok(identity) => {
                self.sign_in_account(social, tx.as_mut(), flow, identity, unknown_password, meta)
                    .await
            }
            Err(e) => Err(e),
        };
        let outcome = match decided {
            Ok(user_id) => FlowOutcome::SignIn(user_id),
            Err(e @ (AuthError::Repo(_) | AuthError::Random)) => return Err(e),
            Err(e) => {
                // Whatever the sign-up wrote is dropped with this transaction.
                drop(tx);
                tx = self.uow.begin().await?;
                let reason = refusal_code(&e);
                self.audit
                    .append(
                        tx.as_mut(),
                        &oauth_failed(None, &flow.provider, reason, now, meta),
                    )
                    .await?;
                FlowOutcome::Refused(reason.to_owned())
            }
        };
        social
            .identities
            .finish_flow(tx.as_mut(), flow.id, &code.hash(), &outcome, now + CODE_TTL)
            .await?;
        tx.commit().await?;
        with_query(&flow.redirect_to, &[("code", code.expose())])
    }

    /// Who the asserted identity signs in, in `tx`: its linked account, or a new account for
    /// a verified address nobody holds. An address that has an account is refused.
    async fn sign_in_account(
        &self,
        social: &SocialSignIn,
        tx: &mut dyn Transaction,
        flow: &OAuthFlow,
        asserted: ProviderIdentity,
        unknown_password: PasswordHash,
        meta: &RequestMeta,
    ) -> Result<UserId, AuthError> {
        if let Some(existing) = social
            .identities
            .identity(&flow.provider, &asserted.subject)
            .await?
        {
            return Ok(existing.user_id);
        }
        let email = match (&asserted.email, asserted.email_verified) {
            (Some(email), true) => {
                Email::parse(email).map_err(|_| AuthError::OAuthEmailUnverified)?
            }
            _ => return Err(AuthError::OAuthEmailUnverified),
        };
        if self.users.by_email(&email).await?.is_some() {
            return Err(AuthError::OAuthAccountExists);
        }
        let now = self.clock.now();
        let name = asserted
            .name
            .as_deref()
            .and_then(|n| DisplayName::parse(n).ok())
            .or_else(|| {
                email
                    .as_str()
                    .split_once('@')
                    .and_then(|(local, _)| DisplayName::parse(local).ok())
            })
            .map_or_else(|| DisplayName::parse("New user"), Ok)
            .map_err(AuthError::InvalidName)?;
        let user = User::new_registered(
            email,
            name,
            unknown_password.clone(),
            RoleName::user(),
            true,
            now,
        );
        self.users.insert(tx, &user).await.map_err(|e| match e {
            RepoError::Duplicate { .. } => AuthError::OAuthAccountExists,
            other => AuthError::Repo(other),
        })?;
        let registered = AuditEvent::new(AuditAction::Registered, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({ "method": METHOD, "provider": flow.provider }));
        self.audit.append(tx, &registered).await?;
        let identity = UserIdentity {
            id: UserIdentityId::new(),
            user_id: user.id,
            provider: flow.provider.clone(),
            subject: asserted.subject,
            email: asserted.email,
            created_at: now,
            signup_password_hash: Some(unknown_password.0),
        };
        insert_identity(social, tx, &identity).await?;
        self.audit
            .append(tx, &linked_event(&identity, true, now, meta))
            .await?;
        Ok(user.id)
    }

    /// Swaps the one-time code of a finished sign-in flow (once, within 2 minutes) for what a
    /// login answers: tokens, or the MFA challenge for an account with TOTP. A flow that was
    /// refused answers its reason now.
    ///
    /// # Errors
    /// [`AuthError::OAuthCodeInvalid`], the refusal ([`AuthError::OAuthAccountExists`],
    /// [`AuthError::OAuthEmailUnverified`], [`AuthError::OAuthProviderFailed`]…),
    /// [`AuthError::AccountSuspended`], [`AuthError::Locked`], or storage or signing failure.
    #[tracing::instrument(skip_all)]
    pub async fn exchange_oauth(
        &self,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, AuthError> {
        // Without social sign-in no code was ever handed out.
        let social = self.social().map_err(|_| AuthError::OAuthCodeInvalid)?;
        let now = self.clock.now();
        let hash = OneTimeToken::from_client(code).hash();
        let mut tx = self.uow.begin().await?;
        let flow = social
            .identities
            .redeem_code(tx.as_mut(), &hash, now)
            .await?;
        tx.commit().await?;
        let Some(flow) = flow else {
            return Err(AuthError::OAuthCodeInvalid);
        };
        let user_id = match flow.outcome {
            Some(FlowOutcome::SignIn(user_id)) => user_id,
            Some(FlowOutcome::Refused(code)) => return Err(refusal_error(&code)),
            None => return Err(AuthError::OAuthCodeInvalid),
        };
        let Some(user) = self.users.by_id(user_id).await? else {
            return Err(AuthError::OAuthCodeInvalid);
        };
        let provider = flow.provider;
        if user.status == UserStatus::Suspended {
            self.append_alone(oauth_failed(
                Some(user.id),
                &provider,
                "suspended",
                now,
                meta,
            ))
            .await?;
            return Err(AuthError::AccountSuspended);
        }
        if let Err(e) = self.refuse_if_locked(user.id).await {
            if matches!(e, AuthError::Locked(_)) {
                self.append_alone(oauth_failed(Some(user.id), &provider, "locked", now, meta))
                    .await?;
            }
            return Err(e);
        }
        if let Some(challenge) = self.mfa_challenge_for(&user).await? {
            return Ok(LoginOutcome::MfaRequired(challenge));
        }
        let perms = self.permissions_of(&user.role).await?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let streak = self
            .sessions
            .lockout_for_update(tx.as_mut(), user.id)
            .await?;
        if let Err(locked) = streak.check(&self.lockout, now) {
            self.audit
                .append(
                    tx.as_mut(),
                    &oauth_failed(Some(user.id), &provider, "locked", now, meta),
                )
                .await?;
            tx.commit().await?;
            return Err(AuthError::Locked(locked));
        }
        let signed_in = SignedIn {
            user,
            perms,
            details: Some(serde_json::json!({ "method": METHOD, "provider": provider })),
        };
        let pair = self.open_session(tx, signed_in, &streak, now, meta).await?;
        Ok(LoginOutcome::Tokens(Box::new(pair)))
    }

    /// The identities linked to `user_id`, oldest first.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn identities(&self, user_id: UserId) -> Result<Vec<UserIdentity>, AuthError> {
        match &self.social {
            Some(social) => Ok(social.identities.identities_of(user_id).await?),
            None => Ok(Vec::new()),
        }
    }

    /// Unlinks the identity `id` of `user_id`, unless it is the account's last way in: an
    /// account created through a provider that never set a password of its own keeps at least
    /// one identity. Audited as `auth.identity_unlinked`.
    ///
    /// # Errors
    /// [`AuthError::IdentityNotFound`] (also for another user's identity),
    /// [`AuthError::LastWayIn`], or storage failure.
    #[tracing::instrument(skip(self, meta))]
    pub async fn unlink_identity(
        &self,
        user_id: UserId,
        id: UserIdentityId,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let social = self.social().map_err(|_| AuthError::IdentityNotFound)?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        // The account's row lock queues concurrent unlinks of one account, so two of them
        // cannot each see the other identity and leave none.
        let user = self
            .users
            .by_id_for_update(tx.as_mut(), user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let identities = social.identities.identities_of(user_id).await?;
        let Some(identity) = identities.iter().find(|i| i.id == id) else {
            return Err(AuthError::IdentityNotFound);
        };
        if !self
            .keeps_a_way_in(&user, super::passkeys::Leaving::Identity(id))
            .await?
        {
            return Err(AuthError::LastWayIn);
        }
        if !social
            .identities
            .delete_identity(tx.as_mut(), user_id, id)
            .await?
        {
            return Err(AuthError::IdentityNotFound);
        }
        let event = AuditEvent::new(AuditAction::IdentityUnlinked, now, meta)
            .actor(user_id)
            .target("user", user_id)
            .details(serde_json::json!({ "provider": identity.provider, "identity_id": id }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Links `identity` in `tx`; an identity linked meanwhile is another account's.
async fn insert_identity(
    social: &SocialSignIn,
    tx: &mut dyn Transaction,
    identity: &UserIdentity,
) -> Result<(), AuthError> {
    social
        .identities
        .insert_identity(tx, identity)
        .await
        .map_err(|e| match e {
            RepoError::Duplicate { .. } => AuthError::OAuthIdentityTaken,
            other => AuthError::Repo(other),
        })
}

/// `auth.identity_linked` for `identity` (at sign-up when `signup`).
fn linked_event(
    identity: &UserIdentity,
    signup: bool,
    now: Timestamp,
    meta: &RequestMeta,
) -> AuditEvent {
    AuditEvent::new(AuditAction::IdentityLinked, now, meta)
        .actor(identity.user_id)
        .target("user", identity.user_id)
        .details(serde_json::json!({
            "provider": identity.provider,
            "identity_id": identity.id,
            "signup": signup,
        }))
}

/// Logs a provider failure (never a secret: the adapter's messages carry none) and answers
/// the one error a client sees for all of them.
fn provider_failure(provider: &str, error: &ProviderError) -> AuthError {
    match error {
        ProviderError::UnknownProvider => AuthError::OAuthUnknownProvider,
        other => {
            tracing::warn!(provider, error = %other, "a sign-in provider step failed");
            AuthError::OAuthProviderFailed
        }
    }
}
