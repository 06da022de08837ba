//! [`JwtSigner`]: HS256 access tokens with a `kid` header and key rotation.

use std::collections::HashMap;
use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use plinth_kernel::UserId;
use plinth_sessions::{AccessClaims, SessionId, TokenError, TokenSigner};
use secrecy::{ExposeSecret, SecretString};

/// Clock skew tolerated when checking `exp`, in seconds.
const LEEWAY_SECONDS: u64 = 5;

/// HMAC keys for access tokens, each named by a `kid`. New tokens are signed with `current`;
/// tokens signed with any of `previous` still verify, so a new key can be rolled out before the
/// old one retires (put the old key in `previous` for one access-token lifetime).
#[derive(Clone, Debug)]
pub struct JwtKeys {
    /// `(kid, HMAC key)` used to sign; at least 32 bytes of key in production.
    pub current: (String, SecretString),
    /// `(kid, HMAC key)` pairs still accepted for verification.
    pub previous: Vec<(String, SecretString)>,
}

/// The JSON payload on the wire: the domain's claims plus `iss` and `aud`.
#[derive(serde::Serialize, serde::Deserialize)]
struct WireClaims {
    iss: String,
    aud: String,
    sub: UserId,
    sid: SessionId,
    role: String,
    perms: Vec<String>,
    iat: i64,
    exp: i64,
    jti: String,
}

/// Signs and verifies access tokens as HS256 JWTs carrying `iss`, `aud`, `sub`, `sid`, `role`,
/// `perms`, `iat`, `exp`, `jti` and a `kid` header.
///
/// Verification needs no database: the header must name a known `kid` (current or previous),
/// the algorithm must be HS256, the signature must match that key, `iss` and `aud` must be this
/// deployment's, and `exp` must not have passed (5 s leeway). Every failure is
/// [`TokenError::Invalid`], without saying which check failed.
pub struct JwtSigner {
    current_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl JwtSigner {
    /// A signer for `issuer` (the `iss` claim, e.g. the public URL) and `audience` (`aud`).
    #[must_use]
    pub fn new(keys: JwtKeys, issuer: String, audience: String) -> Self {
        let (current_kid, current_key) = keys.current;
        let encoding = EncodingKey::from_secret(current_key.expose_secret().as_bytes());
        let mut decoding = HashMap::new();
        decoding.insert(
            current_kid.clone(),
            DecodingKey::from_secret(current_key.expose_secret().as_bytes()),
        );
        for (kid, key) in keys.previous {
            // The current key wins if a previous one reuses its kid.
            decoding
                .entry(kid)
                .or_insert_with(|| DecodingKey::from_secret(key.expose_secret().as_bytes()));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer.as_str()]);
        validation.set_audience(&[audience.as_str()]);
        validation.leeway = LEEWAY_SECONDS;
        // `iat` is also required: `WireClaims` does not deserialise without it.
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.validate_exp = true;
        Self {
            current_kid,
            encoding,
            decoding,
            validation,
            issuer,
            audience,
        }
    }
}

impl fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&String> = self.decoding.keys().collect();
        kids.sort();
        f.debug_struct("JwtSigner")
            .field("current_kid", &self.current_kid)
            .field("accepted_kids", &kids)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenSigner for JwtSigner {
    fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current_kid.clone());
        let wire = WireClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: claims.sub,
            sid: claims.sid,
            role: claims.role.clone(),
            perms: claims.perms.clone(),
            iat: claims.iat,
            exp: claims.exp,
            jti: claims.jti.clone(),
        };
        jsonwebtoken::encode(&header, &wire, &self.encoding)
            .map_err(|e| TokenError::Signing(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let key = header
            .kid
            .as_ref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenError::Invalid)?;
        let data = jsonwebtoken::decode::<WireClaims>(token, key, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let c = data.claims;
        Ok(AccessClaims {
            sub: c.sub,
            sid: c.sid,
            role: c.role,
            perms: c.perms,
            iat: c.iat,
            exp: c.exp,
            jti: c.jti,
        })
    }
}

#[cfg(test)]
mod tests;
