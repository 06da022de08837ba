//! [`HmacUrlSigner`]: HMAC-SHA256 signatures for signed download URLs, the
//! [`plinth_files::UrlSigner`] adapter.
//!
//! The MAC key is derived from a configured secret (for example `JWT_SECRET`) with HKDF-SHA256,
//! a salt and an info string of its own, so it is unrelated to any other key derived from the
//! same secret. Each key also gets a public 8-byte id (`kid`, 16 hex digits) derived the same
//! way: links carry it, so after a rotation links signed under a key still listed as *previous*
//! keep working until they expire, and any other `kid` is rejected. Signatures are compared in
//! constant time.

use std::fmt;

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use plinth_files::{UrlSignature, UrlSigner};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::MIN_SECRET_BYTES;

/// HKDF salt: fixes the derivation to this purpose and version.
const SALT: &[u8] = b"plinth.urlsigner.v1";
/// HKDF info for the HMAC key.
const KEY_INFO: &[u8] = b"plinth.urlsigner.v1 hmac-sha256 key";
/// HKDF info for the public key id.
const ID_INFO: &[u8] = b"plinth.urlsigner.v1 key id";

/// Why an [`HmacUrlSigner`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlSignerError {
    /// A configured secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("URL signing secret must be at least {MIN_SECRET_BYTES} bytes")]
    WeakSecret,
    /// Key derivation failed (cannot happen with the fixed lengths used).
    #[error("key derivation failed")]
    Derivation,
}

struct UrlKey {
    kid: String,
    key: [u8; 32],
}

impl UrlKey {
    fn derive(secret: &SecretString) -> Result<Self, UrlSignerError> {
        let ikm = secret.expose_secret().as_bytes();
        if ikm.len() < MIN_SECRET_BYTES {
            return Err(UrlSignerError::WeakSecret);
        }
        let hk = Hkdf::<Sha256>::new(Some(SALT), ikm);
        let mut key = [0u8; 32];
        hk.expand(KEY_INFO, &mut key)
            .map_err(|_| UrlSignerError::Derivation)?;
        let mut id = [0u8; 8];
        hk.expand(ID_INFO, &mut id)
            .map_err(|_| UrlSignerError::Derivation)?;
        Ok(Self {
            kid: hex::encode(id),
            key,
        })
    }

    fn mac(&self, payload: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }
}

impl Drop for UrlKey {
    fn drop(&mut self) {
        self.key.fill(0);
    }
}

/// Signs with the current key; verifies with the current or any previous key.
pub struct HmacUrlSigner {
    current: UrlKey,
    previous: Vec<UrlKey>,
}

impl fmt::Debug for HmacUrlSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacUrlSigner")
            .field("current_kid", &self.current.kid)
            .field("previous_keys", &self.previous.len())
            .finish_non_exhaustive()
    }
}

impl HmacUrlSigner {
    /// A signer keyed from `secret` (at least 32 bytes; the server passes `JWT_SECRET`).
    ///
    /// # Errors
    /// [`UrlSignerError::WeakSecret`] for a shorter secret.
    pub fn new(secret: &SecretString) -> Result<Self, UrlSignerError> {
        Self::with_previous(secret, &[])
    }

    /// A signer that signs with `current` and still accepts links signed under any of
    /// `previous` (for rotating the configured secret without breaking live links).
    ///
    /// # Errors
    /// [`UrlSignerError::WeakSecret`] when any secret is shorter than 32 bytes.
    pub fn with_previous(
        current: &SecretString,
        previous: &[SecretString],
    ) -> Result<Self, UrlSignerError> {
        Ok(Self {
            current: UrlKey::derive(current)?,
            previous: previous
                .iter()
                .map(UrlKey::derive)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The public id of the current key (what new links carry as `kid`).
    #[must_use]
    pub fn current_kid(&self) -> &str {
        &self.current.kid
    }
}

impl UrlSigner for HmacUrlSigner {
    fn sign(&self, payload: &[u8]) -> UrlSignature {
        UrlSignature {
            kid: self.current.kid.clone(),
            signature: hex::encode(self.current.mac(payload)),
        }
    }

    fn verify(&self, payload: &[u8], kid: &str, signature: &str) -> bool {
        let Some(key) = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.kid == kid)
        else {
            return false;
        };
        let Ok(given) = hex::decode(signature) else {
            return false;
        };
        bool::from(key.mac(payload).as_slice().ct_eq(&given))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    const A: &str = "an-url-signing-secret-of-32-bytes-at-least-A";
    const B: &str = "an-url-signing-secret-of-32-bytes-at-least-B";

    #[test]
    fn signatures_verify_and_any_change_is_rejected() {
        let signer = HmacUrlSigner::new(&secret(A)).unwrap();
        let s = signer.sign(b"file|1|100");
        assert_eq!(s.signature.len(), 64);
        assert_eq!(s.kid.len(), 16);
        assert!(signer.verify(b"file|1|100", &s.kid, &s.signature));
        assert!(!signer.verify(b"file|2|100", &s.kid, &s.signature));
        assert!(!signer.verify(b"file|1|101", &s.kid, &s.signature));
        let mut flipped = s.signature.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert!(!signer.verify(
            b"file|1|100",
            &s.kid,
            std::str::from_utf8(&flipped).unwrap()
        ));
        assert!(!signer.verify(b"file|1|100", &s.kid, &s.signature[..62]));
        assert!(!signer.verify(b"file|1|100", &s.kid, "not hex"));
        assert!(!signer.verify(b"file|1|100", "0000000000000000", &s.signature));
    }

    #[test]
    fn rotation_keeps_old_links_until_the_key_is_dropped() {
        let old = HmacUrlSigner::new(&secret(A)).unwrap();
        let link = old.sign(b"payload");
        let rotated = HmacUrlSigner::with_previous(&secret(B), &[secret(A)]).unwrap();
        assert_ne!(rotated.current_kid(), old.current_kid());
        assert!(rotated.verify(b"payload", &link.kid, &link.signature));
        let fresh = rotated.sign(b"payload");
        assert_eq!(fresh.kid, rotated.current_kid());
        assert!(!old.verify(b"payload", &fresh.kid, &fresh.signature));
        let dropped = HmacUrlSigner::new(&secret(B)).unwrap();
        assert!(!dropped.verify(b"payload", &link.kid, &link.signature));
    }

    #[test]
    fn derivation_is_stable_and_weak_secrets_are_refused() {
        let a1 = HmacUrlSigner::new(&secret(A)).unwrap();
        let a2 = HmacUrlSigner::new(&secret(A)).unwrap();
        assert_eq!(a1.sign(b"x"), a2.sign(b"x"));
        assert_eq!(
            HmacUrlSigner::new(&secret("short")).unwrap_err(),
            UrlSignerError::WeakSecret
        );
        let debug = format!("{a1:?}");
        assert!(!debug.contains(A) && debug.contains(a1.current_kid()));
    }
}
