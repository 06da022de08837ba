//! Plinth's social sign-in adapter: the [`IdentityProviders`] port over real providers.
//!
//! - **OpenID Connect** providers (any issuer, and the Google, Microsoft and Apple presets) go
//!   through the `openidconnect` crate: discovery (`/.well-known/openid-configuration`, cached
//!   for an hour, fetched on first use, never at start-up), authorization code with PKCE
//!   (S256), and ID token validation: signature with the provider's JWKS, issuer, audience,
//!   expiry and the flow's nonce (compared through its hash, in constant time).
//! - **GitHub** speaks OAuth 2 without OpenID Connect: the `oauth2` crate redeems the code (with
//!   PKCE), then the user is read from GitHub's API (`/user` for the id, `/user/emails` for the
//!   primary address and its `verified` flag).
//!
//! The HTTP client follows no redirects (a token endpoint that redirects could leak the code)
//! and gives up after 10 seconds. Secrets (client secret, codes, tokens) are never logged.

mod config;
mod github;
mod oidc;

use std::time::Duration;

use plinth_sessions::{
    AuthorizationRequest, IdentityProviders, NonceHash, ProviderError, ProviderIdentity,
    ProviderInfo,
};

pub use config::{ProviderConfig, ProviderKind};

/// The configured providers (the [`IdentityProviders`] adapter).
pub struct OAuthProviders {
    http: reqwest::Client,
    providers: Vec<Provider>,
}

struct Provider {
    config: ProviderConfig,
    redirect_uri: String,
    oidc: oidc::Discovery,
}

impl OAuthProviders {
    /// The adapter for `providers`; each provider's callback is
    /// `{public_url}/api/v1/auth/oauth/{name}/callback`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (no TLS roots).
    pub fn new(public_url: &str, providers: Vec<ProviderConfig>) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("plinth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Unavailable(format!("HTTP client: {e}")))?;
        let base = public_url.trim_end_matches('/');
        let providers = providers
            .into_iter()
            .map(|config| Provider {
                redirect_uri: format!("{base}/api/v1/auth/oauth/{}/callback", config.name),
                config,
                oidc: oidc::Discovery::default(),
            })
            .collect();
        Ok(Self { http, providers })
    }

    fn provider(&self, name: &str) -> Result<&Provider, ProviderError> {
        self.providers
            .iter()
            .find(|p| p.config.name == name)
            .ok_or(ProviderError::UnknownProvider)
    }
}

#[async_trait::async_trait]
impl IdentityProviders for OAuthProviders {
    fn providers(&self) -> Vec<ProviderInfo> {
        self.providers
            .iter()
            .map(|p| ProviderInfo {
                name: p.config.name.clone(),
                display_name: p.config.display_name.clone(),
            })
            .collect()
    }

    async fn authorization_url(
        &self,
        provider: &str,
        request: &AuthorizationRequest,
    ) -> Result<String, ProviderError> {
        let provider = self.provider(provider)?;
        match &provider.config.kind {
            ProviderKind::Oidc { issuer } => {
                let client = provider
                    .oidc
                    .client(&self.http, issuer, &provider.config, &provider.redirect_uri)
                    .await?;
                Ok(oidc::authorization_url(&client, &provider.config, request))
            }
            ProviderKind::GitHub => {
                github::authorization_url(&provider.config, &provider.redirect_uri, request)
            }
        }
    }

    async fn redeem(
        &self,
        provider: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &NonceHash,
    ) -> Result<ProviderIdentity, ProviderError> {
        let provider = self.provider(provider)?;
        match &provider.config.kind {
            ProviderKind::Oidc { issuer } => {
                let client = provider
                    .oidc
                    .client(&self.http, issuer, &provider.config, &provider.redirect_uri)
                    .await?;
                oidc::redeem(&self.http, &client, code, pkce_verifier, nonce).await
            }
            ProviderKind::GitHub => {
                github::redeem(
                    &self.http,
                    &provider.config,
                    &provider.redirect_uri,
                    code,
                    pkce_verifier,
                )
                .await
            }
        }
    }
}
