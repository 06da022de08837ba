//! Sessions and stored refresh tokens.

use plinth_kernel::{OrgId, Timestamp, UserId};

use crate::RefreshTokenHash;

plinth_kernel::typed_id!(
    /// Identifies a session (one signed-in device; a refresh-token family).
    SessionId
);

/// How recent a sign-in lets its session add a way into the account (a passkey, a new email
/// address) without the password: a stolen access token of an older session cannot.
pub const FRESH_SIGN_IN: chrono::Duration = chrono::Duration::minutes(10);

/// One signed-in device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Id (the `sid` claim of access tokens).
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Sign-in time.
    pub created_at: Timestamp,
    /// Last refresh (the sign-in time until the first one): where the inactivity timeout
    /// counts from.
    pub last_used_at: Timestamp,
    /// Absolute end of the session.
    pub expires_at: Timestamp,
    /// Set when logged out or revoked; a revoked session can never refresh again.
    pub revoked_at: Option<Timestamp>,
    /// IP at sign-in.
    pub ip: Option<String>,
    /// User agent at sign-in.
    pub user_agent: Option<String>,
    /// The organization the user acts for in this session (`POST /auth/org`); every access
    /// token the session mints, at the switch and at each refresh, carries it while they are
    /// still a member. `None` at sign-in.
    pub org_id: Option<OrgId>,
}

impl Session {
    /// Whether the session may still refresh at `now`.
    #[must_use]
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }

    /// Whether the session was used (refreshed, or signed in) strictly after `used_after`;
    /// `None` asks nothing about use. With `used_after = now - idle timeout` this is the
    /// inactivity rule: a session idle for the whole timeout can no longer refresh.
    #[must_use]
    pub fn used_after(&self, used_after: Option<Timestamp>) -> bool {
        used_after.is_none_or(|t| self.last_used_at > t)
    }
}

/// A stored refresh token: only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// SHA-256 of the secret (primary key).
    pub hash: RefreshTokenHash,
    /// The session (family) it belongs to.
    pub session_id: SessionId,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// When it was exchanged for a successor; a token is single-use.
    pub spent_at: Option<Timestamp>,
    /// The hash of the successor it was exchanged for (set together with `spent_at`).
    pub replaced_by: Option<RefreshTokenHash>,
}
