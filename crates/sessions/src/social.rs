//! Social and enterprise sign-in (OAuth 2.0 / OpenID Connect): the flow records, the linked
//! identities, and the two ports the use cases need: [`IdentityProviders`] (the providers'
//! HTTP side, implemented by the `plinth-oidc` adapter) and [`IdentityRepository`] (storage).
//!
//! A sign-in with a provider is one [`OAuthFlow`]: it starts with a random `state` and a
//! random `nonce`, both stored only as SHA-256 hashes; the PKCE verifier is derived from the
//! `state` with a server key ([`OAuthFlowKey`]), so it is never stored either. The callback
//! spends the flow (single use, within [`FLOW_TTL`]) and leaves on it the outcome and the hash
//! of a one-time **exchange code** that the frontend swaps for tokens within [`CODE_TTL`].

use std::fmt;

use hmac::Mac as _;
use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};
use sha2::{Digest as _, Sha256};

use crate::OneTimeTokenHash;

plinth_kernel::typed_id!(
    /// Identifies one sign-in (or link) flow with a provider.
    OAuthFlowId
);

plinth_kernel::typed_id!(
    /// Identifies one provider identity linked to an account.
    UserIdentityId
);

/// How long a started flow may take to come back from the provider.
pub const FLOW_TTL: chrono::Duration = chrono::Duration::minutes(10);

/// How long the one-time exchange code of a finished flow works.
pub const CODE_TTL: chrono::Duration = chrono::Duration::minutes(2);

/// A configured provider, as listed to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    /// Its name in URLs (`google`, `github`, `corp`).
    pub name: String,
    /// What a sign-in button shows ("Google", "Acme SSO").
    pub display_name: String,
}

/// What the provider asserted about the user, after every check passed (for OIDC: the ID
/// token's signature, issuer, audience, expiry and nonce).
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderIdentity {
    /// The provider's stable id of the user (`sub`; GitHub's numeric id).
    pub subject: String,
    /// The address the provider holds, if it shared one.
    pub email: Option<String>,
    /// Whether the provider asserts that it verified that address.
    pub email_verified: bool,
    /// A display name, if the provider shared one.
    pub name: Option<String>,
}

impl fmt::Debug for ProviderIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The subject and the address are personal data: kept out of logs.
        f.debug_struct("ProviderIdentity")
            .field("email_verified", &self.email_verified)
            .finish_non_exhaustive()
    }
}

/// The secrets of one authorization request. Redacted in `Debug`.
#[derive(Clone)]
pub struct AuthorizationRequest {
    /// The `state` parameter (random, 256 bits).
    pub state: String,
    /// The `nonce` parameter (random, 256 bits).
    pub nonce: String,
    /// The PKCE code verifier (its S256 challenge goes in the URL).
    pub pkce_verifier: String,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationRequest(<redacted>)")
    }
}

/// The hash of a flow's nonce, checked against the ID token's `nonce` claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceHash(pub String);

impl NonceHash {
    /// The hash of `nonce` (lower-case hex SHA-256).
    #[must_use]
    pub fn of(nonce: &str) -> Self {
        Self(hex::encode(Sha256::digest(nonce.as_bytes())))
    }

    /// Whether `presented` (the ID token's `nonce`) is the flow's nonce, in constant time.
    #[must_use]
    pub fn matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        Self::of(presented)
            .0
            .as_bytes()
            .ct_eq(self.0.as_bytes())
            .into()
    }
}

/// Why a provider exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No provider of that name is configured.
    #[error("unknown sign-in provider")]
    UnknownProvider,
    /// The provider could not be reached, or answered something unusable (discovery, token
    /// endpoint, user info). The message never carries a secret.
    #[error("the sign-in provider failed: {0}")]
    Unavailable(String),
    /// The provider refused the code (spent, expired, wrong PKCE verifier).
    #[error("the sign-in provider refused the authorization code: {0}")]
    CodeRefused(String),
    /// The ID token did not validate (signature, issuer, audience, expiry or nonce).
    #[error("the ID token is not valid: {0}")]
    InvalidIdToken(String),
}

/// The providers' side of the flow: building the authorization URL and redeeming the code.
#[async_trait::async_trait]
pub trait IdentityProviders: Send + Sync {
    /// The configured providers, in configuration order.
    fn providers(&self) -> Vec<ProviderInfo>;

    /// The URL to send the browser to, for `provider`, with `request`'s `state`, `nonce` and
    /// the S256 challenge of its PKCE verifier (may fetch the provider's discovery document).
    ///
    /// # Errors
    /// [`ProviderError::UnknownProvider`], or [`ProviderError::Unavailable`].
    async fn authorization_url(
        &self,
        provider: &str,
        request: &AuthorizationRequest,
    ) -> Result<String, ProviderError>;

    /// Redeems `code` at `provider`'s token endpoint with `pkce_verifier`, validates the ID
    /// token (signature with the provider's keys, issuer, audience, expiry, and a `nonce` that
    /// `nonce` must match), and returns who signed in. Providers without OpenID Connect
    /// (GitHub) read the user from their API instead, and have no nonce to check.
    ///
    /// # Errors
    /// Every [`ProviderError`].
    async fn redeem(
        &self,
        provider: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &NonceHash,
    ) -> Result<ProviderIdentity, ProviderError>;
}

/// The key PKCE verifiers are derived with (HMAC-SHA256 of the flow's `state`): every replica
/// must hold the same one (derived from `JWT_SECRET`). Redacted in `Debug`.
#[derive(Clone)]
pub struct OAuthFlowKey([u8; 32]);

impl OAuthFlowKey {
    /// A key from 32 bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The PKCE verifier of the flow whose `state` this is: 43 base64url characters.
    #[must_use]
    pub fn pkce_verifier(&self, state: &str) -> String {
        use base64::Engine as _;
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.0) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(b"plinth oauth pkce v1\0");
        mac.update(state.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for OAuthFlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OAuthFlowKey(<redacted>)")
    }
}

/// How a finished flow ended, kept until its exchange code is redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowOutcome {
    /// The provider identity signs in this account.
    SignIn(UserId),
    /// The flow failed; the exchange answers this problem code (`oauth_account_exists`,
    /// `oauth_email_unverified`, …).
    Refused(String),
}

/// One sign-in or link flow with a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthFlow {
    /// Id.
    pub id: OAuthFlowId,
    /// The provider's name.
    pub provider: String,
    /// SHA-256 of `state` (unique; the callback's lookup key).
    pub state_hash: OneTimeTokenHash,
    /// SHA-256 of `nonce`.
    pub nonce_hash: NonceHash,
    /// Where the browser goes back to (an allowed frontend origin).
    pub redirect_to: String,
    /// For a link flow: the signed-in account the identity is to join.
    pub link_user_id: Option<UserId>,
    /// SHA-256 of the secret of the browser that started it (a cookie), when it was started by
    /// a browser navigation: the callback must come from that browser.
    pub browser_hash: Option<OneTimeTokenHash>,
    /// When it started.
    pub created_at: Timestamp,
    /// Until when its callback is accepted; once finished, until when its exchange code works.
    pub expires_at: Timestamp,
    /// When its callback spent it.
    pub used_at: Option<Timestamp>,
    /// SHA-256 of the exchange code, once finished (a sign-in flow only).
    pub code_hash: Option<OneTimeTokenHash>,
    /// How it ended, once finished.
    pub outcome: Option<FlowOutcome>,
    /// When its exchange code was redeemed.
    pub exchanged_at: Option<Timestamp>,
}

/// A provider identity linked to an account.
#[derive(Clone, PartialEq, Eq)]
pub struct UserIdentity {
    /// Id.
    pub id: UserIdentityId,
    /// The account.
    pub user_id: UserId,
    /// The provider's name.
    pub provider: String,
    /// The provider's id of the user (unique per provider).
    pub subject: String,
    /// The address the provider gave when it was linked, if any.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: Timestamp,
    /// For an account this identity created: the hash of the unknown password it was given,
    /// so "the account still has no password of its own" reads as "its hash is still this".
    pub signup_password_hash: Option<String>,
}

impl fmt::Debug for UserIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserIdentity")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Storage of [`OAuthFlow`]s and [`UserIdentity`]s.
#[async_trait::async_trait]
pub trait IdentityRepository: Send + Sync {
    /// Stores a new flow.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] on a `state_hash` already stored.
    async fn insert_flow(
        &self,
        tx: &mut dyn Transaction,
        flow: &OAuthFlow,
    ) -> Result<(), RepoError>;

    /// Spends the flow whose state hashes to `state_hash`: sets `used_at = now` only if it was
    /// unused and not expired at `now`, and returns it then; otherwise `None` (unknown, spent
    /// or expired alike). Of two concurrent callers, at most one gets it.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn spend_flow(
        &self,
        tx: &mut dyn Transaction,
        state_hash: &OneTimeTokenHash,
        now: Timestamp,
    ) -> Result<Option<OAuthFlow>, RepoError>;

    /// Records how the flow `id` ended, the hash of its exchange code and the code's expiry.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when the flow does not exist.
    async fn finish_flow(
        &self,
        tx: &mut dyn Transaction,
        id: OAuthFlowId,
        code_hash: &OneTimeTokenHash,
        outcome: &FlowOutcome,
        expires_at: Timestamp,
    ) -> Result<(), RepoError>;

    /// Redeems an exchange code: sets `exchanged_at = now` only if the flow with that code
    /// was not exchanged yet and its code has not expired at `now`, and returns the flow then;
    /// otherwise `None`. Of two concurrent callers, at most one gets it.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn redeem_code(
        &self,
        tx: &mut dyn Transaction,
        code_hash: &OneTimeTokenHash,
        now: Timestamp,
    ) -> Result<Option<OAuthFlow>, RepoError>;

    /// Deletes the flows whose `expires_at` is before `before` (abandoned or long finished);
    /// returns how many.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn prune_flows(
        &self,
        tx: &mut dyn Transaction,
        before: Timestamp,
    ) -> Result<u64, RepoError>;

    /// The identity of `provider` with `subject`, if linked.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<UserIdentity>, RepoError>;

    /// Every identity linked to `user_id`, oldest first.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn identities_of(&self, user_id: UserId) -> Result<Vec<UserIdentity>, RepoError>;

    /// Links an identity.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] when `(provider, subject)` is already linked.
    async fn insert_identity(
        &self,
        tx: &mut dyn Transaction,
        identity: &UserIdentity,
    ) -> Result<(), RepoError>;

    /// Unlinks the identity `id` of `user_id`; `false` when it has no such identity.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn delete_identity(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: UserIdentityId,
    ) -> Result<bool, RepoError>;
}

/// Everything social sign-in needs beside [`crate::AuthService`]'s own ports.
#[derive(Clone)]
pub struct SocialSignIn {
    /// The configured providers.
    pub providers: std::sync::Arc<dyn IdentityProviders>,
    /// Flows and identities.
    pub identities: std::sync::Arc<dyn IdentityRepository>,
    /// The PKCE verifier key.
    pub key: OAuthFlowKey,
    /// The origins `redirect_to` may point at (`CORS_ORIGINS` and `PUBLIC_URL`'s origin).
    pub allowed_origins: Vec<String>,
}

impl fmt::Debug for SocialSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialSignIn")
            .field("providers", &self.providers.providers())
            .field("allowed_origins", &self.allowed_origins)
            .finish_non_exhaustive()
    }
}

/// The origin (`scheme://host[:port]`) of `url` when it is an absolute `http`/`https` URL
/// without credentials, else `None`.
#[must_use]
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return None;
    }
    Some(parsed.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_hashes_match_only_their_nonce() {
        let hash = NonceHash::of("abc");
        assert!(hash.matches("abc"));
        assert!(!hash.matches("abd"));
        assert!(!hash.matches(""));
    }

    #[test]
    fn pkce_verifiers_are_stable_per_state_and_key() {
        let key = OAuthFlowKey::new([7; 32]);
        let v = key.pkce_verifier("state-1");
        assert_eq!(v, key.pkce_verifier("state-1"));
        assert_eq!(v.len(), 43, "RFC 7636: 43 to 128 characters");
        assert_ne!(v, key.pkce_verifier("state-2"));
        assert_ne!(v, OAuthFlowKey::new([8; 32]).pkce_verifier("state-1"));
    }

    #[test]
    fn origins_are_read_from_absolute_web_urls_only() {
        assert_eq!(
            origin_of("https://app.example.com/after?x=1").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            origin_of("http://localhost:3000/").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("/relative"), None);
        assert_eq!(origin_of("https://user:pw@evil.example/"), None);
    }
}
