//! Passwordless sign-in: one mailed request carrying two secrets, a magic link and a short code.
//!
//! A [`PasswordlessRequest`] is made for an address. Its mail carries a **link token** (32
//! random bytes, like a reset link: stored as its SHA-256 hash, looked up by it) and a
//! **code** of [`CODE_DIGITS`] digits to type in. The two are separate secrets of the same
//! request: a mail scanner that opens the link does not learn or burn the code (opening the
//! link's page signs nothing in; only posting its token does), and either one, redeemed, ends
//! the request (and every other open request of the address), so the other stops working.
//!
//! The code is short, so a plain hash of it could be reversed offline by trying every code; it
//! is stored as HMAC-SHA256 under a server key derived from `JWT_SECRET`
//! ([`PasswordlessCodeKey`]), bound to the request id, and compared in constant time. Online
//! guessing is bounded twice: each request accepts at most [`MAX_WRONG_CODES`] wrong codes
//! (then its code is dead; its link still works), and for an existing account every wrong code
//! also counts towards the sign-in lockout.

use std::fmt;

use hmac::Mac as _;
use plinth_kernel::{Email, Timestamp, UserId};
use sha2::Sha256;

use crate::{OneTimeToken, OneTimeTokenHash};

plinth_kernel::typed_id!(
    /// Identifies a passwordless sign-in request.
    PasswordlessRequestId
);

/// How many digits a code has.
pub const CODE_DIGITS: usize = 6;

/// How many wrong codes one request accepts before its code stops working (its link still
/// works). Together with the per-address mail cap this bounds the guesses against an address.
pub const MAX_WRONG_CODES: u32 = 5;

/// The settings of passwordless sign-in (`PASSWORDLESS_TTL`, `PASSWORDLESS_SIGNUP`) and the
/// key codes are hashed with.
#[derive(Clone)]
pub struct PasswordlessPolicy {
    /// How long a request's link and code work (default 15 minutes).
    pub ttl: chrono::Duration,
    /// Whether an address without an account gets a mail whose redemption creates a verified
    /// account (default off: it gets no mail at all).
    pub signup: bool,
    /// The key codes are hashed with; every replica must hold the same one.
    pub key: PasswordlessCodeKey,
}

impl fmt::Debug for PasswordlessPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordlessPolicy")
            .field("ttl", &self.ttl)
            .field("signup", &self.signup)
            .finish_non_exhaustive()
    }
}

impl PasswordlessPolicy {
    /// 15 minutes, no sign-up, hashing codes with `key`.
    #[must_use]
    pub fn new(key: PasswordlessCodeKey) -> Self {
        Self {
            ttl: chrono::Duration::minutes(15),
            signup: false,
            key,
        }
    }
}

/// The server key codes are hashed with (HMAC-SHA256); derive it from a configured secret so
/// every replica holds the same one. Redacted in `Debug`.
#[derive(Clone)]
pub struct PasswordlessCodeKey([u8; 32]);

impl PasswordlessCodeKey {
    /// A key from 32 bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A random key: fine for one process (tests), but replicas must share a configured one.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// HMAC-SHA256 of `code` bound to the request `id`, in lower-case hex.
    #[must_use]
    pub fn hash(&self, id: PasswordlessRequestId, code: &PasswordlessCode) -> PasswordlessCodeHash {
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.0) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(b"plinth passwordless code v1\0");
        mac.update(id.as_uuid().as_bytes());
        mac.update(code.0.as_bytes());
        PasswordlessCodeHash(hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether `code` is the one `request` was issued with (constant time).
    #[must_use]
    pub fn matches(&self, request: &PasswordlessRequest, code: &PasswordlessCode) -> bool {
        use subtle::ConstantTimeEq as _;
        let presented = self.hash(request.id, code);
        presented
            .0
            .as_bytes()
            .ct_eq(request.code_hash.0.as_bytes())
            .into()
    }
}

impl fmt::Debug for PasswordlessCodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordlessCodeKey(<redacted>)")
    }
}

/// A code as mailed or typed: [`CODE_DIGITS`] ASCII digits. Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordlessCode(String);

impl PasswordlessCode {
    /// A uniformly random code from the operating system's CSPRNG.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn generate() -> Result<Self, getrandom::Error> {
        const RANGE: u32 = 1_000_000;
        // Rejection sampling: values in the last, partial block of RANGE would make low codes
        // likelier.
        let limit = u32::MAX - u32::MAX % RANGE;
        loop {
            let mut bytes = [0u8; 4];
            getrandom::fill(&mut bytes)?;
            let n = u32::from_le_bytes(bytes);
            if n < limit {
                return Ok(Self(format!("{:06}", n % RANGE)));
            }
        }
    }

    /// Parses a typed code: surrounding whitespace, and spaces or hyphens between digits
    /// (`123 456`, `123-456`), are ignored. `None` unless exactly [`CODE_DIGITS`] digits remain.
    #[must_use]
    pub fn from_client(raw: &str) -> Option<Self> {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(Self(digits))
    }

    /// The code, for the mail.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordlessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordlessCode(<redacted>)")
    }
}

/// Lower-case hex HMAC-SHA256 of a code under the [`PasswordlessCodeKey`], bound to its request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PasswordlessCodeHash(pub String);

/// A stored passwordless sign-in request: both secrets hashed, for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordlessRequest {
    /// Id (the code's hash is bound to it).
    pub id: PasswordlessRequestId,
    /// The address the mail went to (normalised).
    pub email: Email,
    /// The account of the address when the request was made; `None` for a sign-up.
    pub user_id: Option<UserId>,
    /// SHA-256 of the link token (its lookup key).
    pub link_hash: OneTimeTokenHash,
    /// HMAC of the code.
    pub code_hash: PasswordlessCodeHash,
    /// When it was made.
    pub created_at: Timestamp,
    /// When its link and code stop working.
    pub expires_at: Timestamp,
    /// When it ended (its link or code redeemed, or another request of the address redeemed).
    pub used_at: Option<Timestamp>,
    /// Wrong codes presented while it was open.
    pub wrong_codes: u32,
}

impl PasswordlessRequest {
    /// A new request for `email` (of the account `user_id`, if any) made at `now`, open for
    /// `ttl`: the link token and code to mail, and the record to store.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn issue(
        email: Email,
        user_id: Option<UserId>,
        key: &PasswordlessCodeKey,
        now: Timestamp,
        ttl: chrono::Duration,
    ) -> Result<(OneTimeToken, PasswordlessCode, Self), getrandom::Error> {
        let link = OneTimeToken::generate()?;
        let code = PasswordlessCode::generate()?;
        let id = PasswordlessRequestId::new();
        let request = Self {
            id,
            email,
            user_id,
            link_hash: link.hash(),
            code_hash: key.hash(id, &code),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
            wrong_codes: 0,
        };
        Ok((link, code, request))
    }

    /// Whether its link may still be redeemed at `now`: not ended, not expired.
    #[must_use]
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }

    /// Whether its code may still be tried at `now`: open, and under [`MAX_WRONG_CODES`].
    #[must_use]
    pub fn code_is_open(&self, now: Timestamp) -> bool {
        self.is_open(now) && self.wrong_codes < MAX_WRONG_CODES
    }
}

/// The page a passwordless link opens: `{public_url}/passwordless?token=<token>` (the page
/// posts the token to `POST /auth/passwordless/verify`; opening it alone signs nothing in).
#[must_use]
pub fn passwordless_link(public_url: &str, token: &OneTimeToken) -> String {
    // base64url needs no escaping.
    format!(
        "{}/passwordless?token={}",
        public_url.trim_end_matches('/'),
        token.expose()
    )
}

#[cfg(test)]
mod tests;
