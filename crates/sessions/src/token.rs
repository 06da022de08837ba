//! Token types: refresh secrets, their hashes, access-token claims and the authenticated caller.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use plinth_kernel::{ActingFor, OrgId, UserId};
use sha2::{Digest, Sha256};

use crate::SessionId;

/// A refresh-token secret as handed to the client: 32 random bytes (256 bits), base64url.
/// Never stored; redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    /// A fresh secret from the operating system's CSPRNG.
    ///
    /// # Errors
    /// When the OS random source fails (practically never).
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a token presented by a client.
    #[must_use]
    pub fn from_client(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The secret, for the response body.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The token that replaces this one when it is spent: `HMAC-SHA256(key, self)`, base64url.
    /// Deterministic, so a client that presents the same spent token again within
    /// `REFRESH_REUSE_GRACE` (two tabs refreshing at once) gets the **same** successor back
    /// without the successor's secret ever being stored; keyed, so that holding an old token
    /// does not let anyone compute the ones after it.
    #[must_use]
    pub fn successor(&self, key: &SuccessorKey) -> Self {
        use hmac::Mac;
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&key.0) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(b"plinth refresh successor v1\0");
        mac.update(self.0.as_bytes());
        Self(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// Its SHA-256 hash, the only form that is stored.
    #[must_use]
    pub fn hash(&self) -> RefreshTokenHash {
        RefreshTokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

/// The server-side key from which successors of refresh tokens are derived (see
/// [`RefreshToken::successor`]). Every replica must hold the same one; redacted in `Debug`.
#[derive(Clone)]
pub struct SuccessorKey([u8; 32]);

impl SuccessorKey {
    /// A key from 32 bytes (derive them from a configured secret).
    #[must_use]
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A random key: fine for one process (tests, a single replica), but replicas must share
    /// a configured one.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for SuccessorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SuccessorKey(<redacted>)")
    }
}

/// Lower-case hex SHA-256 of a refresh token. Looking a token up by hash is safe against
/// timing attacks because the attacker does not control the hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefreshTokenHash(pub String);

/// The claims of an access token that the domain cares about. The signer adds and checks
/// `iss`, `aud` and the `kid` header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: UserId,
    /// Session id.
    pub sid: SessionId,
    /// Role name.
    pub role: String,
    /// Permissions of the role at issue time.
    pub perms: Vec<String>,
    /// The organization the user acts for, if they chose one (`POST /auth/org`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<OrgId>,
    /// Their organization permissions there at issue time (empty without `org`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub org_perms: Vec<String>,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
}

/// The authenticated caller of a request, built from verified access-token claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// The session the token belongs to.
    pub session_id: SessionId,
    /// Role name.
    pub role: String,
    /// Permissions.
    pub perms: Vec<String>,
    /// The organization they act for and their permissions there, if they chose one.
    pub org: Option<ActingFor>,
}

impl Principal {
    /// Whether the caller holds `permission`.
    #[must_use]
    pub fn can(&self, permission: &str) -> bool {
        self.perms.iter().any(|p| p == permission)
    }

    /// The caller as the use cases see them: the user and the permissions of this token.
    #[must_use]
    pub fn caller(&self) -> plinth_kernel::Caller {
        plinth_kernel::Caller::new(self.user_id, self.perms.clone()).acting_for(self.org.clone())
    }

    /// `Ok` when the caller holds `permission`; otherwise [`crate::AdminError::Forbidden`]
    /// naming it, worded by [`plinth_kernel::Forbidden::missing`].
    ///
    /// # Errors
    /// [`crate::AdminError::Forbidden`].
    pub fn require(&self, permission: &str) -> Result<(), crate::AdminError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(plinth_kernel::Forbidden::missing(permission).into())
        }
    }
}

/// A public key access tokens verify with, as a JSON Web Key names it (RFC 8037: an `OKP` key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    /// The `kid` of the tokens it verifies.
    pub kid: String,
    /// The JWS algorithm (`EdDSA`).
    pub algorithm: String,
    /// The curve (`Ed25519`).
    pub curve: String,
    /// The public key, base64url without padding.
    pub x: String,
}

impl From<AccessClaims> for Principal {
    fn from(c: AccessClaims) -> Self {
        Self {
            user_id: c.sub,
            session_id: c.sid,
            role: c.role,
            perms: c.perms,
            org: c.org.map(|org_id| ActingFor {
                org_id,
                permissions: c.org_perms,
            }),
        }
    }
}
