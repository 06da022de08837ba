//! GitHub: OAuth 2 (no OpenID Connect), then its REST API for who signed in.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _, TokenUrl,
};
use plinth_sessions::{AuthorizationRequest, ProviderError, ProviderIdentity};
use secrecy::ExposeSecret as _;
use serde::Deserialize;

use crate::ProviderConfig;

const AUTHORIZE: &str = "https://github.com/login/oauth/authorize";
const TOKEN: &str = "https://github.com/login/oauth/access_token";
const API: &str = "https://api.github.com";

fn unavailable(what: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unavailable(format!("{what}: {e}"))
}

type Client = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(config: &ProviderConfig, redirect_uri: &str) -> Result<Client, ProviderError> {
    Ok(BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            config.client_secret.expose_secret().to_owned(),
        ))
        .set_auth_uri(AuthUrl::new(AUTHORIZE.to_owned()).map_err(|e| unavailable("URL", e))?)
        .set_token_uri(TokenUrl::new(TOKEN.to_owned()).map_err(|e| unavailable("URL", e))?)
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| unavailable("URL", e))?,
        ))
}

/// GitHub's authorization URL with `state`, the PKCE challenge and the scopes (no nonce:
/// there is no ID token).
pub(crate) fn authorization_url(
    config: &ProviderConfig,
    redirect_uri: &str,
    request: &AuthorizationRequest,
) -> Result<String, ProviderError> {
    let client = client(config, redirect_uri)?;
    let state = request.state.clone();
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
        request.pkce_verifier.clone(),
    ));
    let mut builder = client
        .authorize_url(move || CsrfToken::new(state))
        .set_pkce_challenge(challenge);
    for scope in &config.scopes {
        builder = builder.add_scope(Scope::new(scope.clone()));
    }
    let (url, _) = builder.url();
    Ok(url.into())
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// Redeems the code, then reads the user's id and primary address (with its `verified` flag).
pub(crate) async fn redeem(
    http: &reqwest::Client,
    config: &ProviderConfig,
    redirect_uri: &str,
    code: &str,
    pkce_verifier: &str,
) -> Result<ProviderIdentity, ProviderError> {
    let token = client(config, redirect_uri)?
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|e| match e {
            oauth2::RequestTokenError::ServerResponse(answer) => {
                ProviderError::CodeRefused(answer.error().to_string())
            }
            other => unavailable("token endpoint", other),
        })?;
    let bearer = token.access_token().secret().clone();
    let get = |path: &str| {
        http.get(format!("{API}{path}"))
            .bearer_auth(&bearer)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
    };
    let user: GitHubUser = get("/user")
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| unavailable("GitHub /user", e))?
        .json()
        .await
        .map_err(|e| unavailable("GitHub /user", e))?;
    let emails: Vec<GitHubEmail> = get("/user/emails")
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| unavailable("GitHub /user/emails", e))?
        .json()
        .await
        .map_err(|e| unavailable("GitHub /user/emails", e))?;
    let primary = emails.into_iter().find(|e| e.primary);
    Ok(ProviderIdentity {
        subject: user.id.to_string(),
        email_verified: primary.as_ref().is_some_and(|e| e.verified),
        email: primary.map(|e| e.email),
        name: user.name,
    })
}
