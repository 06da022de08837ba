//! Bodies of `/.well-known/jwks.json` and `/.well-known/openid-configuration`.

use plinth_sessions::VerificationKey;

/// One public key access tokens verify with (RFC 7517 JWK; RFC 8037 `OKP` for Ed25519).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Jwk)]
pub(crate) struct JwkBody {
    /// Key type: `OKP`.
    pub kty: String,
    /// Curve: `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The `kid` in the header of the tokens it verifies (the key's RFC 7638 thumbprint).
    pub kid: String,
    /// Algorithm: `EdDSA`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

impl From<VerificationKey> for JwkBody {
    fn from(k: VerificationKey) -> Self {
        Self {
            kty: "OKP".to_owned(),
            crv: k.curve,
            x: k.x,
            kid: k.kid,
            alg: k.algorithm,
            use_: "sig".to_owned(),
        }
    }
}

/// `GET /.well-known/jwks.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = JwkSet, example = json!({ "keys": [{
    "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "EdDSA", "use": "sig"
}] }))]
pub(crate) struct JwkSetBody {
    /// The current key first, then the previous one during a rotation; empty when tokens are
    /// HS256 (`JWT_ALGORITHM=HS256`), which only the secret verifies.
    pub keys: Vec<JwkBody>,
}

/// `GET /.well-known/openid-configuration`: where to find the keys that verify access tokens.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OpenIdConfiguration, example = json!({
    "issuer": "https://api.example.com",
    "jwks_uri": "https://api.example.com/.well-known/jwks.json",
    "response_types_supported": ["token"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["EdDSA"],
    "claims_supported": ["iss", "aud", "sub", "sid", "role", "perms", "iat", "exp", "jti"]
}))]
pub(crate) struct OpenIdConfigurationBody {
    /// The `iss` of every access token (`PUBLIC_URL`).
    pub issuer: String,
    /// The key set.
    pub jwks_uri: String,
    /// `token`: Plinth issues access tokens from its own sign-in routes.
    pub response_types_supported: Vec<String>,
    /// `public`: `sub` is the user id.
    pub subject_types_supported: Vec<String>,
    /// The algorithm tokens are signed with (`EdDSA`, or `HS256` when an operator chose it).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// The claims of an access token.
    pub claims_supported: Vec<String>,
}
