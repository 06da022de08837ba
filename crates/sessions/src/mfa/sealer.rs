//! The SecretSealer port: authenticated encryption of small secrets at rest.

/// Why a secret could not be sealed or opened. Never carries key or plaintext material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not something this sealer produced.
    #[error("sealed secret is malformed")]
    Malformed,
    /// Sealed under a key this sealer does not hold.
    #[error("sealed secret uses an unknown key")]
    UnknownKey,
    /// Authentication failed: altered ciphertext, wrong key or wrong context.
    #[error("sealed secret failed authentication")]
    Tampered,
    /// The OS random source failed.
    #[error("random source failed")]
    Random,
}

/// Encrypts and authenticates small secrets (TOTP keys) for storage. `context` is associated
/// data (for example the owner's id): opening with a different context fails.
pub trait SecretSealer: Send + Sync {
    /// Seals `plaintext` into a printable string.
    ///
    /// # Errors
    /// [`SealError::Random`] when no nonce can be drawn.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String, SealError>;

    /// Opens a string made by [`SecretSealer::seal`] with the same `context`.
    ///
    /// # Errors
    /// [`SealError::Malformed`], [`SealError::UnknownKey`] or [`SealError::Tampered`].
    fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError>;

    /// Whether `sealed` is under a key this sealer still opens but no longer seals with (a
    /// previous key kept for a rotation): the caller should store [`SecretSealer::seal`] of the
    /// opened plaintext in its place. MUST be `false` for a value under the current key, and for
    /// one this sealer cannot open (malformed or under an unknown key).
    fn needs_reseal(&self, sealed: &str) -> bool;
}
