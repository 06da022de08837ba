//! AuthService: register, login, refresh, logout, authenticate.
//!
//! Every use case follows one shape: parse and check everything, do the slow work (bcrypt)
//! **before** a transaction opens, then *begin → writes → audit → commit*, so a change and its
//! audit entry are stored together or not at all. Tokens are signed after the commit.

use std::sync::Arc;

use plinth_audit::AuditLog;
use plinth_kernel::{ActingFor, Clock, OrgId, RequestMeta, Timestamp, UnitOfWork, UserId};
use plinth_users::{
    PasswordHash, PasswordHasher, PasswordPolicy, RoleName, RoleRepository, User, UserRepository,
};

use crate::{
    AccessClaims, AuthError, LockoutPolicy, NoOrganizations, OrgAccess, PasswordlessCodeKey,
    PasswordlessPolicy, Principal, RefreshToken, RefreshTokenRecord, RevocationList, SecretSealer,
    Session, SessionId, SessionStorage, SuccessorKey, TokenSigner,
};

mod acting;
mod attempt;
mod confirm;
mod email_change;
mod login;
mod mfa;
mod notices;
mod passkeys;
mod passwordless;
mod recovery;
mod recovery_mail;
mod refresh;
mod register;
mod sessions;
mod sign_in;
mod social;
#[cfg(test)]
mod tests;

pub use acting::AccessGrant;
pub use mfa::{LoginOutcome, MfaChallenge, TotpEnrollment};
pub use passkeys::PasskeyOptions;
pub use recovery_mail::RecoveryMail;

/// Token lifetimes (from `ACCESS_TOKEN_TTL`, `REFRESH_TOKEN_TTL`, `SESSION_IDLE_TIMEOUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// Access-token lifetime.
    pub access: chrono::Duration,
    /// Refresh-token and absolute session lifetime.
    pub refresh: chrono::Duration,
    /// Inactivity timeout: a session not refreshed (or, never refreshed, not signed in to) for
    /// this long can no longer refresh and is no longer listed. Meant to be longer than
    /// `access` and at most `refresh` (the settings enforce both).
    pub idle: chrono::Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access: chrono::Duration::minutes(15),
            refresh: chrono::Duration::days(30),
            idle: chrono::Duration::days(7),
        }
    }
}

/// How a spent refresh token presented again is treated (`REFRESH_REUSE_GRACE`).
#[derive(Debug, Clone)]
pub struct RefreshReuse {
    /// Within this time after the spend, the same successor is returned again (parallel tabs);
    /// after it, the presentation is treated as theft and the whole session is revoked.
    pub grace: chrono::Duration,
    /// Key successors are derived from; every replica must hold the same one. `None` only if
    /// the OS random source failed at start-up: successors are then random and a replay is
    /// simply refused.
    pub key: Option<SuccessorKey>,
}

impl Default for RefreshReuse {
    fn default() -> Self {
        Self {
            grace: chrono::Duration::seconds(10),
            key: SuccessorKey::random().ok(),
        }
    }
}

/// Sign-up input as received (parsed here, once).
#[derive(Debug, Clone)]
pub struct RegisterInput {
    /// Raw email.
    pub email: String,
    /// Raw password (checked against the policy).
    pub password: String,
    /// Raw display name.
    pub name: String,
    /// The language the user reads (parsed at the edge, from the body or `Accept-Language`);
    /// `None`: the deployment's default.
    pub locale: Option<plinth_users::Locale>,
}

/// What a successful sign-in returns.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// Signed JWT.
    pub access_token: String,
    /// Refresh secret (single use).
    pub refresh_token: RefreshToken,
    /// Access-token lifetime in seconds.
    pub expires_in: i64,
    /// The session both tokens belong to (the browser cookies' CSRF token is bound to it).
    pub session_id: SessionId,
    /// The organization the access token acts for (`None`: the user themselves).
    pub org_id: Option<OrgId>,
    /// The signed-in user.
    pub user: User,
}

/// Authentication use cases.
#[derive(Clone)]
pub struct AuthService {
    pub(crate) users: Arc<dyn UserRepository>,
    pub(crate) roles: Arc<dyn RoleRepository>,
    pub(crate) sessions: Arc<dyn SessionStorage>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) signer: Arc<dyn TokenSigner>,
    pub(crate) audit: Arc<dyn AuditLog>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: PasswordPolicy,
    pub(crate) lifetimes: TokenLifetimes,
    pub(crate) reuse: RefreshReuse,
    pub(crate) lockout: LockoutPolicy,
    pub(crate) mail: RecoveryMail,
    pub(crate) sealer: Arc<dyn SecretSealer>,
    pub(crate) revocations: Arc<RevocationList>,
    /// Memberships, for tokens acting for an organization.
    pub(crate) orgs: Arc<dyn OrgAccess>,
    /// Passwordless sign-in; `None` only when no code key could be drawn (it is then off).
    pub(crate) passwordless: Option<PasswordlessPolicy>,
    /// Social sign-in (OAuth 2.0 / OpenID Connect providers); `None`: off.
    pub(crate) social: Option<crate::SocialSignIn>,
    /// Passkeys (WebAuthn); `None`: off.
    pub(crate) passkeys: Option<crate::PasskeySignIn>,
    /// The hash of a password nobody knows, for accounts made by passwordless sign-up
    /// (computed on first use).
    pub(crate) unknown_password: Arc<tokio::sync::OnceCell<PasswordHash>>,
    /// Work started for a request that answered before it ended (the reset mail of
    /// [`AuthService::forgot_password`]); a stopping server waits for it
    /// ([`AuthService::finish_background_work`]).
    pub(crate) background: tokio_util::task::TaskTracker,
}

/// Every port [`AuthService`] is built from; none is optional.
pub struct AuthPorts {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Roles and their permissions (minted into access tokens).
    pub roles: Arc<dyn RoleRepository>,
    /// Sessions, refresh tokens, lockout, one-time tokens, TOTP, revocations.
    pub sessions: Arc<dyn SessionStorage>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access tokens.
    pub signer: Arc<dyn TokenSigner>,
    /// The audit trail.
    pub audit: Arc<dyn AuditLog>,
    /// Transactions over the repositories above.
    pub uow: Arc<dyn UnitOfWork>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Recovery and verification mail.
    pub mail: RecoveryMail,
    /// TOTP secrets at rest.
    pub sealer: Arc<dyn SecretSealer>,
}

impl AuthService {
    /// Wires the service to `ports`, with the password `policy` and token `lifetimes`.
    #[must_use]
    pub fn new(ports: AuthPorts, policy: PasswordPolicy, lifetimes: TokenLifetimes) -> Self {
        let AuthPorts {
            users,
            roles,
            sessions,
            hasher,
            signer,
            audit,
            uow,
            clock,
            mail,
            sealer,
        } = ports;
        Self {
            users,
            roles,
            sessions,
            hasher,
            signer,
            audit,
            uow,
            clock,
            policy,
            lifetimes,
            reuse: RefreshReuse::default(),
            lockout: LockoutPolicy::default(),
            mail,
            sealer,
            revocations: Arc::new(RevocationList::new()),
            orgs: Arc::new(NoOrganizations),
            passwordless: PasswordlessCodeKey::random()
                .ok()
                .map(PasswordlessPolicy::new),
            social: None,
            passkeys: None,
            unknown_password: Arc::new(tokio::sync::OnceCell::new()),
            background: tokio_util::task::TaskTracker::new(),
        }
    }

    /// Waits, at most `within`, for the work requests started in the background (reset mails
    /// already answered with 202), and takes no more: call it once the server has stopped
    /// taking requests. Returns whether everything finished in time.
    pub async fn finish_background_work(&self, within: std::time::Duration) -> bool {
        self.background.close();
        tokio::time::timeout(within, self.background.wait())
            .await
            .is_ok()
    }

    /// The same service sending its mail through `mail` instead (a test's failing mailer).
    #[cfg(test)]
    pub(crate) fn with_mail(mut self, mail: RecoveryMail) -> Self {
        self.mail = mail;
        self
    }

    /// The same service with another lockout policy (`LOCKOUT_THRESHOLD`, `LOCKOUT_BASE`).
    #[must_use]
    pub fn with_lockout(mut self, policy: LockoutPolicy) -> Self {
        self.lockout = policy;
        self
    }

    /// The same service with another passwordless policy (`PASSWORDLESS_TTL`,
    /// `PASSWORDLESS_SIGNUP`, the code key derived from `JWT_SECRET`). Without this, codes are
    /// hashed with a random key of this process: fine for one replica, not for several.
    #[must_use]
    pub fn with_passwordless(mut self, policy: PasswordlessPolicy) -> Self {
        self.passwordless = Some(policy);
        self
    }

    /// The same service with social sign-in through `social`'s providers. Without this,
    /// no provider is listed and every provider route answers `not_found`.
    #[must_use]
    pub fn with_social(mut self, social: crate::SocialSignIn) -> Self {
        self.social = Some(social);
        self
    }

    /// The same service with passkeys (WebAuthn) through `passkeys`. Without this, every
    /// passkey route answers `not_found`.
    #[must_use]
    pub fn with_passkeys(mut self, passkeys: crate::PasskeySignIn) -> Self {
        self.passkeys = Some(passkeys);
        self
    }

    /// The same service minting tokens that act for organizations through `orgs` (the
    /// organizations domain). Without this, nobody is a member of any organization.
    #[must_use]
    pub fn with_org_access(mut self, orgs: Arc<dyn OrgAccess>) -> Self {
        self.orgs = orgs;
        self
    }

    /// The same service with another refresh-reuse policy (grace window and successor key).
    #[must_use]
    pub fn with_refresh_reuse(mut self, reuse: RefreshReuse) -> Self {
        self.reuse = reuse;
        self
    }

    /// Verifies an access token without touching the database: signature, `kid`, issuer,
    /// audience, expiry, and the in-memory revocation list (see
    /// [`AuthService::sync_revocations`]).
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`].
    pub fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        let claims = self
            .signer
            .verify(access_token)
            .map_err(|_| AuthError::InvalidToken)?;
        if self.revocations.is_revoked(&claims) {
            return Err(AuthError::InvalidToken);
        }
        Ok(Principal::from(claims))
    }

    /// The public keys access tokens verify with (`GET /.well-known/jwks.json`): the current
    /// key first, then the previous one of a rotation; none with an HMAC signer.
    #[must_use]
    pub fn verification_keys(&self) -> Vec<crate::VerificationKey> {
        self.signer.verification_keys()
    }

    /// Reloads the revocations of the last access-token lifetime (one query) into the list
    /// [`AuthService::authenticate`] checks, and forgets older ones in storage. Run it every
    /// `REVOCATION_SYNC_INTERVAL` on every replica: a revoked access token stops working
    /// everywhere within that interval. Returns how many revocations are held.
    ///
    /// # Errors
    /// [`AuthError::Repo`] on storage failure (the previous list stays in force).
    pub async fn sync_revocations(&self) -> Result<usize, AuthError> {
        // A token lives at most `access` (plus the verifier's few seconds of leeway).
        let horizon = self.clock.now() - self.lifetimes.access - chrono::Duration::seconds(30);
        let revocations = self.sessions.revocations_since(horizon).await?;
        self.revocations.replace(&revocations);
        self.sessions.prune_revocations(horizon).await?;
        Ok(revocations.len())
    }

    /// The inactivity cut-off at `now`: a live session must have been used strictly after it.
    pub(crate) fn idle_cutoff(&self, now: Timestamp) -> Timestamp {
        now - self.lifetimes.idle
    }

    /// A new session for `user_id` starting at `now` (absolute end: now + refresh lifetime),
    /// with its first refresh token. Nothing is stored yet.
    pub(crate) fn new_session(
        &self,
        user_id: UserId,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<(Session, RefreshToken, RefreshTokenRecord), AuthError> {
        let session = Session {
            id: SessionId::new(),
            user_id,
            created_at: now,
            last_used_at: now,
            expires_at: now + self.lifetimes.refresh,
            revoked_at: None,
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            org_id: None,
        };
        let token = RefreshToken::generate().map_err(|_| AuthError::Random)?;
        let record = Self::refresh_record(&token, &session, now);
        Ok((session, token, record))
    }

    /// The stored form of `token`, issued in `session` at `now` and expiring with the session:
    /// only its hash is kept.
    fn refresh_record(
        token: &RefreshToken,
        session: &Session,
        now: Timestamp,
    ) -> RefreshTokenRecord {
        RefreshTokenRecord {
            hash: token.hash(),
            session_id: session.id,
            issued_at: now,
            expires_at: session.expires_at,
            spent_at: None,
            replaced_by: None,
        }
    }

    /// The successor of `token` in `session`: derived with the reuse key (so a replay within
    /// the grace window finds the same one), or random when there is no key.
    pub(crate) fn successor(
        &self,
        token: &RefreshToken,
        session: &Session,
        now: Timestamp,
    ) -> Result<(RefreshToken, RefreshTokenRecord), AuthError> {
        let successor = match &self.reuse.key {
            Some(key) => token.successor(key),
            None => RefreshToken::generate().map_err(|_| AuthError::Random)?,
        };
        let record = Self::refresh_record(&successor, session, now);
        Ok((successor, record))
    }

    /// The permissions of `role` as stored now, for the access token about to be minted (read
    /// before the transaction that issues the session). A role that is not stored grants
    /// nothing (a user's role always is: storage refuses anything else).
    ///
    /// # Errors
    /// [`AuthError::Repo`] on storage failure.
    pub(crate) async fn permissions_of(&self, role: &RoleName) -> Result<Vec<String>, AuthError> {
        match self.roles.by_name(role).await? {
            Some(role) => Ok(role.permission_list()),
            None => {
                tracing::warn!(
                    role = role.as_str(),
                    "a user holds a role that is not stored"
                );
                Ok(Vec::new())
            }
        }
    }

    /// Signs an access token for `user` in `session` with the user's current role and `perms`
    /// (its permissions, from [`AuthService::permissions_of`]), acting for `org` when given,
    /// and assembles the pair.
    pub(crate) fn issue(
        &self,
        user: User,
        perms: Vec<String>,
        session: SessionId,
        org: Option<ActingFor>,
        refresh_token: RefreshToken,
        now: Timestamp,
    ) -> Result<TokenPair, AuthError> {
        let org_id = org.as_ref().map(|o| o.org_id);
        let access_token = self.sign_access(&user, perms, session, org, now)?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.lifetimes.access.num_seconds(),
            session_id: session,
            org_id,
            user,
        })
    }

    /// An access token for `user` in `session`, issued `now`, carrying `perms` and, when given,
    /// the organization it acts for with the user's permissions there.
    pub(crate) fn sign_access(
        &self,
        user: &User,
        perms: Vec<String>,
        session: SessionId,
        org: Option<ActingFor>,
        now: Timestamp,
    ) -> Result<String, AuthError> {
        let iat = now.timestamp();
        let (org, org_perms) = match org {
            Some(acting) => (Some(acting.org_id), acting.permissions),
            None => (None, Vec::new()),
        };
        let claims = AccessClaims {
            sub: user.id,
            sid: session,
            role: user.role.as_str().to_owned(),
            perms,
            org,
            org_perms,
            iat,
            exp: iat + self.lifetimes.access.num_seconds(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        Ok(self.signer.sign(&claims)?)
    }
}

/// A session that vanished under a write (`RepoError::NotFound`) ends the caller's standing
/// like an expired token; any other storage failure stays one.
pub(crate) fn session_gone(e: plinth_kernel::RepoError) -> AuthError {
    match e {
        plinth_kernel::RepoError::NotFound => AuthError::InvalidToken,
        other => AuthError::Repo(other),
    }
}
