//! Why a secret could not be sealed or opened; the [`crate::SecretSealer`] port is in
//! `ports.rs`.

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
