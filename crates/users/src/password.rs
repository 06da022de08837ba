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
    pub fn new(
        raw: String,
        policy: &PasswordPolicy,
        user_inputs: &[&str],
    ) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < policy.min_length {
            return Err(PasswordError::TooShort {
                min: policy.min_length,
            });
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong {
                max: MAX_PASSWORD_CHARS,
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic, unguessable-looking text of `n` characters.
    fn passphrase(n: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_!";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                char::from(ALPHABET[((state >> 33) % ALPHABET.len() as u64) as usize])
            })
            .collect()
    }

    fn check(raw: &str, inputs: &[&str]) -> Result<Password, PasswordError> {
        Password::new(raw.to_owned(), &PasswordPolicy::default(), inputs)
    }

    #[test]
    fn minimum_length_counts_characters_not_bytes() {
        let eleven = "ŧħęßłüŵàĸœđ";
        assert_eq!(eleven.chars().count(), 11);
        assert!(eleven.len() > 12, "the bytes alone would pass");
        assert_eq!(
            check(eleven, &[]).unwrap_err(),
            PasswordError::TooShort { min: 12 }
        );
        assert!(
            check("ŧħęßłüŵàĸœđŋ", &[]).is_ok(),
            "twelve characters are enough"
        );
        assert_eq!(
            check("", &[]).unwrap_err().to_string(),
            "password must be at least 12 characters"
        );
    }

    #[test]
    fn long_passphrases_are_accepted_up_to_the_cap() {
        for n in [72, 73, 128, MAX_PASSWORD_CHARS] {
            let raw = passphrase(n);
            assert_eq!(
                check(&raw, &[]).unwrap().expose(),
                raw,
                "{n} characters must be accepted as typed"
            );
        }
        let err = check(&passphrase(MAX_PASSWORD_CHARS + 1), &[]).unwrap_err();
        assert_eq!(err, PasswordError::TooLong { max: 1024 });
        assert_eq!(err.to_string(), "password must be at most 1024 characters");
    }

    #[test]
    fn common_and_personal_passwords_are_refused_with_a_clear_message() {
        for common in [
            "password1234",
            "qwertyuiop123",
            "123456789012",
            "iloveyou1234",
        ] {
            let err = check(common, &[]).unwrap_err();
            assert!(
                matches!(err, PasswordError::TooCommon(_)),
                "{common} must be refused, got {err:?}"
            );
            assert!(
                err.to_string().starts_with("password is too easy to guess"),
                "{err}"
            );
        }
        let email = "jonathan.kowalczyk@example.com";
        let err = check(email, &[email, "Jonathan Kowalczyk"]).unwrap_err();
        assert!(
            matches!(err, PasswordError::TooCommon(_)),
            "the user's own email must be refused, got {err:?}"
        );
    }

    #[test]
    fn a_custom_minimum_applies() {
        let policy = PasswordPolicy { min_length: 20 };
        let raw = passphrase(19);
        assert_eq!(
            Password::new(raw, &policy, &[]).unwrap_err(),
            PasswordError::TooShort { min: 20 }
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let raw = passphrase(16);
        let pw = check(&raw, &[]).unwrap();
        assert!(!format!("{pw:?}").contains(&raw));
        let hash = PasswordHash("$2b$12$secretsecretsecret".into());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
