//! One-time tokens for password reset and email verification.
//!
//! The secret is 32 random bytes (256 bits) in base64url, handed out once inside an emailed link
//! and never stored; the database keeps only its SHA-256 hash ([`OneTimeTokenHash`]) in a
//! [`OneTimeTokenRecord`] with the purpose, the user and an expiry. A record is spent on use.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use plinth_kernel::{Email, Timestamp, UserId};
use sha2::{Digest, Sha256};

/// What a one-time token may be used for; a token issued for one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OneTimePurpose {
    /// `POST /auth/password/reset`.
    PasswordReset,
    /// `POST /auth/email/verify`.
    EmailVerification,
    /// `POST /auth/mfa/challenge`: the second step of a sign-in (never mailed).
    MfaChallenge,
    /// `POST /auth/email/change`: confirms a new address (mailed to that address; the token
    /// carries it, see [`OneTimeToken::carrying`]).
    EmailChange,
}

impl OneTimePurpose {
    /// The stored name: `password_reset` or `email_verification`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
            Self::MfaChallenge => "mfa_challenge",
            Self::EmailChange => "email_change",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::PasswordReset,
            Self::EmailVerification,
            Self::MfaChallenge,
            Self::EmailChange,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    /// A sensible lifetime: 30 minutes for a reset, 48 hours for a verification, 5 minutes for
    /// the second step of a sign-in, 24 hours for an email change.
    #[must_use]
    pub fn default_ttl(self) -> chrono::Duration {
        match self {
            Self::PasswordReset => chrono::Duration::minutes(30),
            Self::EmailVerification => chrono::Duration::hours(48),
            Self::MfaChallenge => chrono::Duration::minutes(5),
            Self::EmailChange => chrono::Duration::hours(24),
        }
    }

    /// The page path of the emailed link under `PUBLIC_URL` (an MFA challenge is never mailed:
    /// it points at the sign-in page).
    #[must_use]
    pub const fn link_path(self) -> &'static str {
        match self {
            Self::PasswordReset => "/reset-password",
            Self::EmailVerification => "/verify-email",
            Self::MfaChallenge => "/login",
            Self::EmailChange => "/confirm-email-change",
        }
    }

    /// `{public_url}{link_path}?token=<token>` (base64url needs no escaping).
    #[must_use]
    pub fn link(self, public_url: &str, token: &OneTimeToken) -> String {
        format!(
            "{}{}?token={}",
            public_url.trim_end_matches('/'),
            self.link_path(),
            token.expose()
        )
    }
}

impl fmt::Display for OneTimePurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A one-time secret as mailed to the user: 32 random bytes (256 bits), base64url without
/// padding. Never stored; redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeToken(String);

impl OneTimeToken {
    /// A fresh secret from the operating system's CSPRNG.
    ///
    /// # Errors
    /// When the OS random source fails (practically never).
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A fresh secret that carries `email`: `<secret>.<base64url(email)>`. Its hash covers
    /// both parts, so a token whose address was swapped matches no record; the address is read
    /// back with [`OneTimeToken::carried_email`] once the record is found.
    ///
    /// # Errors
    /// When the OS random source fails (practically never).
    pub fn carrying(email: &Email) -> Result<Self, getrandom::Error> {
        let secret = Self::generate()?;
        Ok(Self(format!(
            "{}.{}",
            secret.0,
            URL_SAFE_NO_PAD.encode(email.as_str())
        )))
    }

    /// The address a token made by [`OneTimeToken::carrying`] carries.
    #[must_use]
    pub fn carried_email(&self) -> Option<Email> {
        let (_, encoded) = self.0.split_once('.')?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
        Email::parse(std::str::from_utf8(&bytes).ok()?).ok()
    }

    /// Wraps a token presented by a client (trimmed).
    #[must_use]
    pub fn from_client(raw: &str) -> Self {
        Self(raw.trim().to_owned())
    }

    /// The secret, for the link.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its SHA-256 hash, the only form that is stored.
    #[must_use]
    pub fn hash(&self) -> OneTimeTokenHash {
        OneTimeTokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeToken(<redacted>)")
    }
}

/// Lower-case hex SHA-256 of a [`OneTimeToken`]; the lookup key of its record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OneTimeTokenHash(pub String);

/// Why a presented one-time token cannot be used. Callers answer all of them the same way
/// (`invalid_token`), so a client learns nothing about which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OneTimeTokenError {
    /// Issued for another purpose.
    #[error("token was issued for another purpose")]
    WrongPurpose,
    /// Past its expiry.
    #[error("token has expired")]
    Expired,
    /// Already used once.
    #[error("token was already used")]
    AlreadyUsed,
}

/// The stored form of a one-time token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeTokenRecord {
    /// Hash of the secret (the lookup key).
    pub hash: OneTimeTokenHash,
    /// Whose token it is.
    pub user_id: UserId,
    /// What it is for.
    pub purpose: OneTimePurpose,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was used, if it was.
    pub used_at: Option<Timestamp>,
}

impl OneTimeTokenRecord {
    /// Issues a fresh token for `user_id`: the secret to mail and the record to store.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn issue(
        user_id: UserId,
        purpose: OneTimePurpose,
        now: Timestamp,
        ttl: chrono::Duration,
    ) -> Result<(OneTimeToken, Self), getrandom::Error> {
        let token = OneTimeToken::generate()?;
        let record = Self {
            hash: token.hash(),
            user_id,
            purpose,
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
        };
        Ok((token, record))
    }

    /// Whether the record may be spent now for `purpose`.
    ///
    /// # Errors
    /// [`OneTimeTokenError`] saying why not.
    pub fn check(&self, purpose: OneTimePurpose, now: Timestamp) -> Result<(), OneTimeTokenError> {
        if self.purpose != purpose {
            Err(OneTimeTokenError::WrongPurpose)
        } else if self.used_at.is_some() {
            Err(OneTimeTokenError::AlreadyUsed)
        } else if now >= self.expires_at {
            Err(OneTimeTokenError::Expired)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
