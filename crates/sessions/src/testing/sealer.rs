//! [`FakeSealer`].

use crate::{SealError, SecretSealer};

/// A [`SecretSealer`] for tests: reversible and **not** secret (hex of the bytes, scrambled),
/// but it checks the context like the real one, so a secret opened for the wrong user fails.
/// Each value names the key it was sealed under; [`FakeSealer::rotated`] seals under a new key
/// and still opens values of the previous one, like a rotated `SecretBox`.
#[derive(Debug, Clone, Copy)]
pub struct FakeSealer {
    current: &'static str,
    previous: Option<&'static str>,
}

const PREFIX: &str = "fake1.";
const DEFAULT_KEY: &str = "k1";

impl Default for FakeSealer {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeSealer {
    /// A fake sealer with a single key, `k1`.
    #[must_use]
    pub const fn new() -> Self {
        Self::keyed(DEFAULT_KEY)
    }

    /// A fake sealer with a single key named `key` (no `.` in it).
    #[must_use]
    pub const fn keyed(key: &'static str) -> Self {
        Self {
            current: key,
            previous: None,
        }
    }

    /// A fake sealer that seals under `current` and still opens values sealed under `previous`.
    #[must_use]
    pub const fn rotated(current: &'static str, previous: &'static str) -> Self {
        Self {
            current,
            previous: Some(previous),
        }
    }

    /// The key name `sealed` was sealed under, if it looks like this sealer's output.
    fn key_of(sealed: &str) -> Option<&str> {
        sealed.strip_prefix(PREFIX)?.split('.').next()
    }
}

impl SecretSealer for FakeSealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String, SealError> {
        let scrambled: Vec<u8> = plaintext.iter().map(|b| b ^ 0x5a).collect();
        Ok(format!(
            "{PREFIX}{}.{}.{}",
            self.current,
            hex::encode(context),
            hex::encode(scrambled)
        ))
    }

    fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
        let mut parts = rest.splitn(3, '.');
        let (Some(key), Some(ctx), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SealError::Malformed);
        };
        if key != self.current && Some(key) != self.previous {
            return Err(SealError::UnknownKey);
        }
        if hex::decode(ctx).map_err(|_| SealError::Malformed)? != context {
            return Err(SealError::Tampered);
        }
        let bytes = hex::decode(body).map_err(|_| SealError::Malformed)?;
        Ok(bytes.iter().map(|b| b ^ 0x5a).collect())
    }

    fn needs_reseal(&self, sealed: &str) -> bool {
        self.previous.is_some_and(|previous| {
            previous != self.current && Self::key_of(sealed) == Some(previous)
        })
    }
}
