//! AuthService: register, login, refresh, logout, authenticate.

use std::sync::Arc;

use plinth_audit::AuditLog;
use plinth_kernel::{Clock, RequestMeta, UnitOfWork};
use plinth_users::{PasswordHasher, PasswordPolicy, User, UserRepository};

use crate::{AuthError, Principal, RefreshToken, SessionRepository, TokenSigner};

/// Token lifetimes (from `ACCESS_TOKEN_TTL`, `REFRESH_TOKEN_TTL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// Access-token lifetime.
    pub access: chrono::Duration,
    /// Refresh-token and absolute session lifetime.
    pub refresh: chrono::Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self { access: chrono::Duration::minutes(15), refresh: chrono::Duration::days(30) }
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
    /// The signed-in user.
    pub user: User,
}

/// Authentication use cases.
#[derive(Clone)]
pub struct AuthService {
    pub(crate) users: Arc<dyn UserRepository>,
    pub(crate) sessions: Arc<dyn SessionRepository>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) signer: Arc<dyn TokenSigner>,
    pub(crate) audit: Arc<dyn AuditLog>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: PasswordPolicy,
    pub(crate) lifetimes: TokenLifetimes,
}

impl AuthService {
    /// Wires the service to its ports.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        signer: Arc<dyn TokenSigner>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        policy: PasswordPolicy,
        lifetimes: TokenLifetimes,
    ) -> Self {
        Self { users, sessions, hasher, signer, audit, uow, clock, policy, lifetimes }
    }

    /// Creates an account (role `user`) and signs it in; audited as `auth.registered` in the
    /// same transaction.
    ///
    /// # Errors
    /// [`AuthError::EmailTaken`], invalid email/name/password, or storage failure.
    pub async fn register(&self, input: RegisterInput, meta: &RequestMeta) -> Result<TokenPair, AuthError> {
        let _ = (input, meta);
        unimplemented!("sessions work in progress")
    }

    /// Signs in with email and password. Unknown email and wrong password fail identically
    /// (same error, one hash each); both are audited as `auth.login_failed`, success as
    /// `auth.login_succeeded`.
    ///
    /// # Errors
    /// [`AuthError::InvalidCredentials`], [`AuthError::AccountSuspended`], storage failure.
    pub async fn login(&self, email: &str, password: &str, meta: &RequestMeta) -> Result<TokenPair, AuthError> {
        let _ = (email, password, meta);
        unimplemented!("sessions work in progress")
    }

    /// Exchanges a refresh token for a new pair; the presented token is spent.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] for unknown, spent, expired or revoked tokens.
    pub async fn refresh(&self, token: &RefreshToken, meta: &RequestMeta) -> Result<TokenPair, AuthError> {
        let _ = (token, meta);
        unimplemented!("sessions work in progress")
    }

    /// Revokes the caller's current session.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn logout(&self, principal: &Principal, meta: &RequestMeta) -> Result<(), AuthError> {
        let _ = (principal, meta);
        unimplemented!("sessions work in progress")
    }

    /// Verifies an access token without touching the database.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`].
    pub fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        self.signer.verify(access_token).map(Principal::from).map_err(|_| AuthError::InvalidToken)
    }
}
