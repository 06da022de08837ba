//! `/.well-known/jwks.json` and `/.well-known/openid-configuration`: what a team's own service
//! needs to verify a Plinth access token by itself (see `docs/verifying-tokens.md`).

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get, web};

use crate::AppState;
use crate::dto::well_known::{JwkBody, JwkSetBody, OpenIdConfigurationBody};

/// Verifiers may cache the documents this long; a rotation publishes the new key for a whole
/// access-token lifetime before the old one goes, so a cache this short always sees it.
const CACHE: (actix_web::http::header::HeaderName, &str) = (CACHE_CONTROL, "public, max-age=300");

/// The public keys access tokens verify with.
#[utoipa::path(
    tag = "service",
    operation_id = "jwks",
    summary = "Token verification keys",
    description = "The public keys (JWK set) Plinth's access tokens verify with: the key whose `kid` a token's \
        header names. During a key rotation (`JWT_PREVIOUS_SECRET` set) the new key is first and the previous \
        one follows. Empty when tokens are HS256 (`JWT_ALGORITHM=HS256`), which only the secret verifies.",
    responses((status = 200, description = "The key set.", body = JwkSetBody,
        headers(("Cache-Control" = String, description = "`public, max-age=300`")),
        example = json!({ "keys": [{
            "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "EdDSA", "use": "sig"
        }] })))
)]
#[get("/.well-known/jwks.json")]
pub(crate) async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    let keys = state
        .auth
        .verification_keys()
        .into_iter()
        .map(JwkBody::from)
        .collect();
    HttpResponse::Ok()
        .insert_header(CACHE)
        .json(JwkSetBody { keys })
}

/// The discovery document of the token issuer.
#[utoipa::path(
    tag = "service",
    operation_id = "openid_configuration",
    summary = "Token issuer discovery",
    description = "An OpenID discovery document naming the issuer (`PUBLIC_URL`, the `iss` of every access \
        token), the key set and the signing algorithm, so a JWT library that discovers keys from an issuer \
        can verify Plinth's access tokens. Plinth is not an OpenID provider for other applications' sign-in: \
        it has no authorization endpoint.",
    responses((status = 200, description = "The discovery document.", body = OpenIdConfigurationBody,
        headers(("Cache-Control" = String, description = "`public, max-age=300`")),
        example = json!({
            "issuer": "https://api.example.com",
            "jwks_uri": "https://api.example.com/.well-known/jwks.json",
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["EdDSA"],
            "claims_supported": ["iss", "aud", "sub", "sid", "role", "perms", "iat", "exp", "jti"]
        })))
)]
#[get("/.well-known/openid-configuration")]
pub(crate) async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    let issuer = state.http.public_url.trim_end_matches('/').to_owned();
    let algorithm = state
        .auth
        .verification_keys()
        .first()
        .map_or_else(|| "HS256".to_owned(), |k| k.algorithm.clone());
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    HttpResponse::Ok()
        .insert_header(CACHE)
        .json(OpenIdConfigurationBody {
            jwks_uri: format!("{issuer}/.well-known/jwks.json"),
            issuer,
            response_types_supported: strings(&["token"]),
            subject_types_supported: strings(&["public"]),
            id_token_signing_alg_values_supported: vec![algorithm],
            claims_supported: strings(&[
                "iss", "aud", "sub", "sid", "role", "perms", "iat", "exp", "jti",
            ]),
        })
}
