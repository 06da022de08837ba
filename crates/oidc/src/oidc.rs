//! OpenID Connect providers through the `openidconnect` crate.

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse as _,
};
use plinth_sessions::{AuthorizationRequest, NonceHash, ProviderError, ProviderIdentity};
use secrecy::ExposeSecret as _;
use tokio::sync::Mutex;

use crate::ProviderConfig;

/// A client built from discovered metadata.
pub(crate) type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long discovered metadata (and the JWKS read with it) is used before it is read again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// A provider's discovered metadata, read on first use and again after [`DISCOVERY_TTL`].
#[derive(Default)]
pub(crate) struct Discovery {
    cached: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl Discovery {
    /// The client for `config`, discovering (or re-discovering) the provider's metadata.
    pub(crate) async fn client(
        &self,
        http: &reqwest::Client,
        issuer: &str,
        config: &ProviderConfig,
        redirect_uri: &str,
    ) -> Result<Client, ProviderError> {
        let metadata = {
            let mut cached = self.cached.lock().await;
            match cached.as_ref() {
                Some((at, metadata)) if at.elapsed() < DISCOVERY_TTL => metadata.clone(),
                _ => {
                    let issuer = IssuerUrl::new(issuer.to_owned())
                        .map_err(|e| ProviderError::Unavailable(format!("issuer URL: {e}")))?;
                    let metadata = CoreProviderMetadata::discover_async(issuer, http)
                        .await
                        .map_err(|e| ProviderError::Unavailable(format!("discovery: {e}")))?;
                    *cached = Some((Instant::now(), metadata.clone()));
                    metadata
                }
            }
        };
        // client_secret_basic unless the provider only takes client_secret_post (Apple).
        let basic = metadata
            .token_endpoint_auth_methods_supported()
            .is_none_or(|methods| methods.contains(&CoreClientAuthMethod::ClientSecretBasic));
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| ProviderError::Unavailable(format!("redirect URL: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone()),
            Some(ClientSecret::new(
                config.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(if basic {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        });
        Ok(client)
    }
}

/// The authorization URL: code flow, `state`, `nonce`, S256 PKCE challenge, the scopes.
pub(crate) fn authorization_url(
    client: &Client,
    config: &ProviderConfig,
    request: &AuthorizationRequest,
) -> String {
    let (state, nonce) = (request.state.clone(), request.nonce.clone());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
        request.pkce_verifier.clone(),
    ));
    let mut builder = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        )
        .set_pkce_challenge(challenge);
    for scope in config.scopes.iter().filter(|s| s.as_str() != "openid") {
        builder = builder.add_scope(Scope::new(scope.clone()));
    }
    if config.form_post {
        builder = builder.add_extra_param("response_mode", "form_post");
    }
    let (url, _, _) = builder.url();
    url.into()
}

/// Redeems the code and validates the ID token.
pub(crate) async fn redeem(
    http: &reqwest::Client,
    client: &Client,
    code: &str,
    pkce_verifier: &str,
    nonce: &NonceHash,
) -> Result<ProviderIdentity, ProviderError> {
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| ProviderError::Unavailable(format!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|e| match e {
            openidconnect::RequestTokenError::ServerResponse(answer) => {
                ProviderError::CodeRefused(answer.error().to_string())
            }
            other => ProviderError::Unavailable(format!("token endpoint: {other}")),
        })?;
    let id_token = response.id_token().ok_or_else(|| {
        ProviderError::InvalidIdToken("the token response has no ID token".into())
    })?;
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, |presented: Option<&Nonce>| match presented {
            Some(presented) if nonce.matches(presented.secret()) => Ok(()),
            Some(_) => Err("the nonce does not match the flow's".to_owned()),
            None => Err("the ID token has no nonce".to_owned()),
        })
        .map_err(|e| ProviderError::InvalidIdToken(e.to_string()))?;
    Ok(ProviderIdentity {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
    })
}
