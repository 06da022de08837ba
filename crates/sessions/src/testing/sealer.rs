//! [`FakeSealer`].

use crate::{SealError, SecretSealer};

/// A [`SecretSealer`] for tests: reversible and **not** secret (hex of the bytes, scrambled),
/// but it checks the context like the real one, so a secret opened for the wrong user fails.
#[derive(Debug, Default, Clone, Copy)]
pub struct FakeSealer;

const PREFIX: &str = "fake1.";

impl FakeSealer {
    /// A fake sealer.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

impl SecretSealer for FakeSealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String, SealError> {
        let scrambled: Vec<u8> = plaintext.iter().map(|b| b ^ 0x5a).collect();
        Ok(format!(
            "{PREFIX}{}.{}",
            hex::encode(context),
            hex::encode(scrambled)
        ))
    }

    fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(SealError::Malformed)?;
        let (ctx, body) = rest.split_once('.').ok_or(SealError::Malformed)?;
        if hex::decode(ctx).map_err(|_| SealError::Malformed)? != context {
            return Err(SealError::Tampered);
        }
        let bytes = hex::decode(body).map_err(|_| SealError::Malformed)?;
        Ok(bytes.iter().map(|b| b ^ 0x5a).collect())
    }
}
