//! [`SecretBox`]: AES-256-GCM sealing of small secrets at rest (TOTP keys), the
//! [`plinth_sessions::SecretSealer`] adapter.
//!
//! The AES key is derived from a configured secret with HKDF-SHA256 (a fixed salt and an info
//! string of its own), so the same configured secret can also serve another purpose (for example
//! `JWT_SECRET`) without the two keys being related. Each key also gets a public 8-byte id, derived
//! the same way, that is written in front of every sealed value: a value sealed under a retired
//! key that is still listed as *previous* opens, and one sealed under a key that is not held at
//! all is [`SealError::UnknownKey`] rather than a confusing authentication failure.
//!
//! Sealed form: `sb1.` + base64url(key id ‖ 96-bit random nonce ‖ ciphertext ‖ 128-bit tag), with
//! the key id and the caller's context as associated data.

use std::fmt;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use plinth_sessions::{SealError, SecretSealer};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Prefix of every sealed value (format version 1).
const PREFIX: &str = "sb1.";
/// HKDF salt: fixes the derivation to this purpose and version.
const SALT: &[u8] = b"plinth.secretbox.v1";
/// HKDF info for the AES-256 key.
const KEY_INFO: &[u8] = b"plinth.secretbox.v1 aes-256-gcm key";
/// HKDF info for the public key id.
const ID_INFO: &[u8] = b"plinth.secretbox.v1 key id";
/// Shortest configured secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

const ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a [`SecretBox`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretBoxError {
    /// The configured secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("encryption secret must be at least {MIN_SECRET_BYTES} bytes")]
    WeakSecret,
    /// Key derivation failed (cannot happen with the fixed lengths used).
    #[error("key derivation failed")]
    Derivation,
}

struct DerivedKey {
    id: [u8; ID_LEN],
    cipher: Aes256Gcm,
}

impl DerivedKey {
    fn derive(secret: &SecretString) -> Result<Self, SecretBoxError> {
        let ikm = secret.expose_secret().as_bytes();
        if ikm.len() < MIN_SECRET_BYTES {
            return Err(SecretBoxError::WeakSecret);
        }
        let hk = Hkdf::<Sha256>::new(Some(SALT), ikm);
        let mut key = [0u8; 32];
        hk.expand(KEY_INFO, &mut key)
            .map_err(|_| SecretBoxError::Derivation)?;
        let mut id = [0u8; ID_LEN];
        hk.expand(ID_INFO, &mut id)
            .map_err(|_| SecretBoxError::Derivation)?;
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SecretBoxError::Derivation)?;
        key.fill(0);
        Ok(Self { id, cipher })
    }
}

fn aad(id: &[u8], context: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(id.len() + context.len());
    out.extend_from_slice(id);
    out.extend_from_slice(context);
    out
}

/// Seals with the current key; opens with the current or any previous key.
pub struct SecretBox {
    current: DerivedKey,
    previous: Vec<DerivedKey>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox")
            .field("current_key_id", &hex::encode(self.current.id))
            .field("previous_keys", &self.previous.len())
            .finish_non_exhaustive()
    }
}

impl SecretBox {
    /// A box keyed from `secret` (at least 32 bytes).
    ///
    /// # Errors
    /// [`SecretBoxError::WeakSecret`] for a shorter secret.
    pub fn new(secret: &SecretString) -> Result<Self, SecretBoxError> {
        Self::with_previous(secret, &[])
    }

    /// A box that seals with `current` and still opens values sealed under any of `previous`
    /// (for rotating the configured secret: values for which [`SecretSealer::needs_reseal`] holds
    /// are re-sealed with [`SecretBox::reseal`], then the old one can be dropped).
    ///
    /// # Errors
    /// [`SecretBoxError::WeakSecret`] when any secret is shorter than 32 bytes.
    pub fn with_previous(
        current: &SecretString,
        previous: &[SecretString],
    ) -> Result<Self, SecretBoxError> {
        Ok(Self {
            current: DerivedKey::derive(current)?,
            previous: previous
                .iter()
                .map(DerivedKey::derive)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Opens `sealed` and seals it again under the current key.
    ///
    /// # Errors
    /// Whatever [`SecretSealer::open`] or [`SecretSealer::seal`] returns.
    pub fn reseal(&self, sealed: &str, context: &[u8]) -> Result<String, SealError> {
        self.seal(&self.open(sealed, context)?, context)
    }

    fn key(&self, id: &[u8]) -> Option<&DerivedKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }
}

/// Splits a sealed value into its key id and the nonce ‖ ciphertext ‖ tag that follow.
fn split(sealed: &str) -> Result<([u8; ID_LEN], Vec<u8>), SealError> {
    let body = sealed.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| SealError::Malformed)?;
    if bytes.len() < ID_LEN + NONCE_LEN + TAG_LEN {
        return Err(SealError::Malformed);
    }
    let mut id = [0u8; ID_LEN];
    id.copy_from_slice(&bytes[..ID_LEN]);
    Ok((id, bytes[ID_LEN..].to_vec()))
}

impl SecretSealer for SecretBox {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let key = &self.current;
        let ciphertext = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad(&key.id, context),
                },
            )
            .map_err(|_| SealError::Malformed)?;
        let mut out = Vec::with_capacity(ID_LEN + NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let (id, rest) = split(sealed)?;
        let key = self.key(&id).ok_or(SealError::UnknownKey)?;
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = <[u8; NONCE_LEN]>::try_from(nonce).map_err(|_| SealError::Malformed)?;
        key.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad(&id, context),
                },
            )
            .map_err(|_| SealError::Tampered)
    }

    fn needs_reseal(&self, sealed: &str) -> bool {
        split(sealed).is_ok_and(|(id, _)| self.previous.iter().any(|k| k.id == id))
    }
}

#[cfg(test)]
mod tests;
