//! RFC 6238 TOTP with HMAC-SHA-1, 6 digits and 30-second steps.

use std::fmt;

use hmac::{Hmac, Mac};
use plinth_kernel::{Email, Timestamp, UserId};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::{SealError, SecretSealer, base32};

/// Digits in a code.
pub const TOTP_DIGITS: u32 = 6;
/// Seconds per step.
pub const TOTP_PERIOD_SECS: i64 = 30;
/// The issuer shown by authenticator apps.
pub const TOTP_ISSUER: &str = "Plinth";

/// Bytes in a generated secret (160 bits, the RFC 4226 recommendation for SHA-1).
const SECRET_BYTES: usize = 20;

/// Problems with a TOTP secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// Not valid base32, or shorter than 128 bits / longer than 512 bits.
    #[error("TOTP secret is malformed")]
    MalformedSecret,
    /// The OS random source failed.
    #[error("random source failed")]
    Random,
    /// Sealing or opening the stored secret failed.
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// A TOTP shared secret. Redacted in `Debug`; shown to the user once, at enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// The TOTP step (`⌊unix seconds / 30⌋`) containing `at`; `None` before 1970.
#[must_use]
pub fn totp_step(at: Timestamp) -> Option<u64> {
    u64::try_from(at.timestamp().div_euclid(TOTP_PERIOD_SECS)).ok()
}

impl TotpSecret {
    /// A fresh 160-bit secret from the operating system's CSPRNG.
    ///
    /// # Errors
    /// [`TotpError::Random`] when the OS random source fails.
    pub fn generate() -> Result<Self, TotpError> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| TotpError::Random)?;
        Ok(Self(bytes))
    }

    /// Wraps raw key bytes (16 to 64 bytes).
    ///
    /// # Errors
    /// [`TotpError::MalformedSecret`] for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        if (16..=64).contains(&bytes.len()) {
            Ok(Self(bytes.to_vec()))
        } else {
            Err(TotpError::MalformedSecret)
        }
    }

    /// Parses the base32 form.
    ///
    /// # Errors
    /// [`TotpError::MalformedSecret`].
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        Self::from_bytes(&base32::decode(text).ok_or(TotpError::MalformedSecret)?)
    }

    /// The base32 form (upper case, no padding) that users type into an authenticator.
    #[must_use]
    pub fn to_base32(&self) -> String {
        base32::encode(&self.0)
    }

    /// The raw key bytes (to seal for storage).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The provisioning URI for QR codes:
    /// `otpauth://totp/Plinth:<email>?secret=…&issuer=Plinth&algorithm=SHA1&digits=6&period=30`,
    /// with the label and values percent-encoded.
    #[must_use]
    pub fn otpauth_url(&self, account: &Email) -> String {
        format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_PERIOD_SECS}",
            issuer = percent_encode(TOTP_ISSUER),
            account = percent_encode(account.as_str()),
            secret = self.to_base32(),
        )
    }

    /// The code for `step`.
    #[must_use]
    pub fn code_at_step(&self, step: u64) -> String {
        hotp(&self.0, step, TOTP_DIGITS)
    }

    /// Checks `code` against the steps just before, at and just after `now` (±30 s of clock
    /// drift), comparing in constant time and always computing all three. Returns the matched
    /// step. Spaces in the code are ignored; anything but six digits fails.
    #[must_use]
    pub fn verify(&self, code: &str, now: Timestamp) -> Option<u64> {
        self.verify_fresh(code, now, None)
    }

    /// Like [`TotpSecret::verify`], but refuses any step at or before `last_used_step` (the step
    /// last accepted for this user), so an observed code cannot be replayed. Store the returned
    /// step as the new `last_used_step`.
    #[must_use]
    pub fn verify_fresh(
        &self,
        code: &str,
        now: Timestamp,
        last_used_step: Option<u64>,
    ) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = usize::try_from(TOTP_DIGITS).ok()?;
        if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = totp_step(now)?;
        let mut matched = None;
        for step in [
            current.checked_sub(1),
            Some(current),
            current.checked_add(1),
        ]
        .into_iter()
        .flatten()
        {
            let expected = self.code_at_step(step);
            let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            let fresh = last_used_step.is_none_or(|last| step > last);
            if equal && fresh {
                matched = Some(step);
            }
        }
        matched
    }

    /// Encrypts the secret for storage, bound to `user_id` (a sealed secret copied to another
    /// user's row does not open).
    ///
    /// # Errors
    /// [`TotpError::Seal`] when the sealer fails.
    pub fn seal(&self, sealer: &dyn SecretSealer, user_id: UserId) -> Result<String, TotpError> {
        Ok(sealer.seal(&self.0, &seal_context(user_id))?)
    }

    /// Opens a secret stored with [`TotpSecret::seal`].
    ///
    /// # Errors
    /// [`TotpError::Seal`] when it was tampered with, sealed for another user or under an unknown
    /// key; [`TotpError::MalformedSecret`] when the plaintext is not a valid key.
    pub fn open(
        sealer: &dyn SecretSealer,
        sealed: &str,
        user_id: UserId,
    ) -> Result<Self, TotpError> {
        Self::from_bytes(&sealer.open(sealed, &seal_context(user_id))?)
    }
}

/// The associated data binding a sealed TOTP secret to its user.
fn seal_context(user_id: UserId) -> Vec<u8> {
    format!("plinth.totp.v1:{user_id}").into_bytes()
}

/// RFC 4226 HOTP: dynamic truncation of HMAC-SHA-1(key, counter), modulo 10^digits.
pub(crate) fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        // HMAC accepts keys of any length; this branch cannot be taken.
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    let code = u64::from(binary) % 10_u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
