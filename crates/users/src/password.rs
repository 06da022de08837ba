//! The password policy and password hashes.

use std::fmt;

/// The longest password accepted, in characters. Long passphrases are welcome; the cap only
/// bounds the work a single request can cause.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Policy knobs (from `PASSWORD_MIN_LENGTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Shortest accepted password in characters.
    pub min_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_length: 12 }
    }
}

/// Why a new password was refused. Messages are shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than the policy's minimum.
    #[error("password must be at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// Longer than [`MAX_PASSWORD_CHARS`].
    #[error("password must be at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Among the most common passwords, or trivially guessable (zxcvbn score below 3).
    #[error("password is too easy to guess{0}")]
    TooCommon(String),
}

/// A new password that satisfies the policy. Redacted in `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks `raw` against the policy: length in characters, then guessability with zxcvbn,
    /// which knows the 30,000 most common passwords, keyboard walks, dates and the user's own
    /// email and name (`user_inputs`).
    ///
    /// # Errors
    /// [`PasswordError`] with a message fit for the user.
    pub fn new(raw: String, policy: &PasswordPolicy, user_inputs: &[&str]) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < policy.min_length {
            return Err(PasswordError::TooShort { min: policy.min_length });
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong { max: MAX_PASSWORD_CHARS });
        }
        // zxcvbn's matching is quadratic in length; the first 256 characters decide guessability.
        let probe: String = raw.chars().take(256).collect();
        let entropy = zxcvbn::zxcvbn(&probe, user_inputs);
        if (entropy.score() as u8) < 3 {
            let hint = entropy
                .feedback()
                .and_then(|f| f.warning().map(|w| format!(": {w}")))
                .unwrap_or_default();
            return Err(PasswordError::TooCommon(hint));
        }
        Ok(Self(raw))
    }

    /// The password, for the hasher only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored password hash (PHC/bcrypt string). Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// The hashing backend failed (not "wrong password", which is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);
