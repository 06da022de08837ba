//! [`JwtSigner`]: access tokens with a `kid` header and key rotation, signed with Ed25519
//! (`EdDSA`, the default: anyone holding the published public key can verify them) or HS256.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use plinth_kernel::{OrgId, UserId};
use plinth_sessions::{AccessClaims, SessionId, TokenError, TokenSigner, VerificationKey};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org: Option<OrgId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    org_perms: Vec<String>,
    iat: i64,
    exp: i64,
    jti: String,
}

/// Signs and verifies access tokens as JWTs carrying `iss`, `aud`, `sub`, `sid`, `role`,
/// `perms`, `iat`, `exp`, `jti` and a `kid` header, plus `org` and `org_perms` when the user
/// acts for an organization.
///
/// Verification needs no database: the header must name a known `kid` (current or previous),
/// the algorithm must be this signer's (`EdDSA` or `HS256`, never the other), the signature must
/// match that key, `iss` and `aud` must be this deployment's, and `exp` must not have passed (5 s
/// leeway). Every failure is [`TokenError::Invalid`], without saying which check failed.
pub struct JwtSigner {
    algorithm: Algorithm,
    current_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    /// The public keys, current first (none for HS256).
    public: Vec<VerificationKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Tokens already verified, so a client presenting its token again costs a lookup, not a
    /// signature check (an Ed25519 verification is most of an authenticated read's CPU).
    verified: VerifiedTokens,
}

/// Most tokens remembered; the memory is cleared when it is full (at ~0.5 KiB a token, about
/// 5 MiB at most).
const VERIFIED_CAPACITY: usize = 10_000;

/// Claims of tokens that passed [`JwtSigner`]'s full check, keyed by the token's exact bytes,
/// served until their `exp` (plus the same leeway). Only a verified token is ever stored, so a
/// lookup can only return what the signature check itself returned; revocations are checked
/// after it, by the caller, on every request.
#[derive(Default)]
struct VerifiedTokens(std::sync::RwLock<HashMap<String, AccessClaims>>);

impl VerifiedTokens {
    fn get(&self, token: &str, now: i64) -> Option<AccessClaims> {
        let map = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let claims = map.get(token)?;
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        (claims.exp.saturating_add(leeway) > now).then(|| claims.clone())
    }

    fn put(&self, token: &str, claims: &AccessClaims) {
        let mut map = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= VERIFIED_CAPACITY {
            map.clear();
        }
        map.insert(token.to_owned(), claims.clone());
    }
}

/// The Ed25519 seed derived from `secret`: HKDF-SHA256 with a label of its own, so it is neither
/// the secret nor any other key derived from it.
fn ed25519_seed(secret: &SecretString) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(
        Some(b"plinth-jwt-ed25519"),
        secret.expose_secret().as_bytes(),
    );
    let mut seed = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit of 8160: this cannot fail.
    if hk.expand(b"access-token-signing-key", &mut seed).is_err() {
        seed = Sha256::digest(secret.expose_secret().as_bytes()).into();
    }
    seed
}

/// The PKCS #8 v1 DER of an Ed25519 private key (RFC 8410): a fixed prefix and the seed.
fn pkcs8_der(seed: &[u8; 32]) -> Vec<u8> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(seed);
    der
}

/// The RFC 7638 thumbprint of an Ed25519 public key: base64url(SHA-256 of its canonical JWK).
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// An Ed25519 key pair derived from a secret: its public [`VerificationKey`], signing and
/// decoding keys.
fn ed25519_pair(secret: &SecretString) -> (VerificationKey, EncodingKey, DecodingKey) {
    let mut seed = ed25519_seed(secret);
    let signing = SigningKey::from_bytes(&seed);
    let public = signing.verifying_key().to_bytes();
    let encoding = EncodingKey::from_ed_der(&pkcs8_der(&seed));
    seed.fill(0);
    let x = URL_SAFE_NO_PAD.encode(public);
    let key = VerificationKey {
        kid: thumbprint(&x),
        algorithm: "EdDSA".to_owned(),
        curve: "Ed25519".to_owned(),
        x,
    };
    (key, encoding, DecodingKey::from_ed_der(&public))
}

fn validation(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.algorithms = vec![algorithm];
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.leeway = LEEWAY_SECONDS;
    // `iat` is also required: `WireClaims` does not deserialise without it.
    validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
    validation.validate_exp = true;
    validation
}

impl JwtSigner {
    /// An HS256 signer (an operator's opt-in, `JWT_ALGORITHM=HS256`) for `issuer` (the `iss`
    /// claim, e.g. the public URL) and `audience` (`aud`). Only holders of the secret can verify
    /// its tokens, so it publishes no key.
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
        Self {
            algorithm: Algorithm::HS256,
            validation: validation(Algorithm::HS256, &issuer, &audience),
            current_kid,
            encoding,
            decoding,
            public: Vec::new(),
            issuer,
            audience,
            verified: VerifiedTokens::default(),
        }
    }

    /// An Ed25519 (`EdDSA`) signer whose key is derived from `current` (`JWT_SECRET`): every
    /// replica with the same secret signs with the same key, and a restart keeps it, with no
    /// key file to manage. Tokens signed with the key of each `previous` secret
    /// (`JWT_PREVIOUS_SECRET`) still verify, and both public keys are published, so a rotation
    /// overlaps. Each key's `kid` is its RFC 7638 thumbprint.
    #[must_use]
    pub fn ed25519(
        current: &SecretString,
        previous: &[SecretString],
        issuer: String,
        audience: String,
    ) -> Self {
        let (current_key, encoding, current_decoding) = ed25519_pair(current);
        let current_kid = current_key.kid.clone();
        let mut decoding = HashMap::from([(current_kid.clone(), current_decoding)]);
        let mut public = vec![current_key];
        for secret in previous {
            let (key, _, verify) = ed25519_pair(secret);
            if !decoding.contains_key(&key.kid) {
                decoding.insert(key.kid.clone(), verify);
                public.push(key);
            }
        }
        Self {
            algorithm: Algorithm::EdDSA,
            validation: validation(Algorithm::EdDSA, &issuer, &audience),
            current_kid,
            encoding,
            decoding,
            public,
            issuer,
            audience,
            verified: VerifiedTokens::default(),
        }
    }
}

impl fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&String> = self.decoding.keys().collect();
        kids.sort();
        f.debug_struct("JwtSigner")
            .field("algorithm", &self.algorithm)
            .field("current_kid", &self.current_kid)
            .field("accepted_kids", &kids)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenSigner for JwtSigner {
    fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.current_kid.clone());
        let wire = WireClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: claims.sub,
            sid: claims.sid,
            role: claims.role.clone(),
            perms: claims.perms.clone(),
            org: claims.org,
            org_perms: claims.org_perms.clone(),
            iat: claims.iat,
            exp: claims.exp,
            jti: claims.jti.clone(),
        };
        jsonwebtoken::encode(&header, &wire, &self.encoding)
            .map_err(|e| TokenError::Signing(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        if let Some(claims) = self.verified.get(token, now) {
            return Ok(claims);
        }
        let claims = self.verify_signature(token)?;
        self.verified.put(token, &claims);
        Ok(claims)
    }

    fn verification_keys(&self) -> Vec<VerificationKey> {
        self.public.clone()
    }
}

impl JwtSigner {
    /// The full check of `token` (see [`JwtSigner`]), without the cache.
    fn verify_signature(&self, token: &str) -> Result<AccessClaims, TokenError> {
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
            org: c.org,
            org_perms: c.org_perms,
            iat: c.iat,
            exp: c.exp,
            jti: c.jti,
        })
    }
}

#[cfg(test)]
mod tests;
