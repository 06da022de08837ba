//! [`Invitation`]: an offer, mailed to an address, to join an organization with a role; and
//! its [`InvitationToken`], the secret in the link.

use std::fmt;

use base64::Engine as _;
use plinth_kernel::{Email, Timestamp, UserId};
use sha2::{Digest as _, Sha256};

use crate::{OrgId, OrgRoleName};

plinth_kernel::typed_id!(
    /// Identifies an invitation.
    InvitationId
);

/// An invitation to `email` to join `org_id` as `role`. Only the hash of its token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The organization it is to.
    pub org_id: OrgId,
    /// The address it was sent to (normalised); whoever accepts must have verified it.
    pub email: Email,
    /// The role the new member gets.
    pub role: OrgRoleName,
    /// The member who sent it.
    pub invited_by: UserId,
    /// When it was sent (or last resent).
    pub sent_at: Timestamp,
    /// When its link stops working.
    pub expires_at: Timestamp,
    /// When it was accepted, if it was.
    pub accepted_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl Invitation {
    /// Whether it can still be accepted at `now`: neither accepted, revoked nor expired.
    #[must_use]
    pub fn is_pending(&self, now: Timestamp) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}

/// The secret of an invitation link: 32 random bytes, base64url. Shown once, in the mail;
/// stored only as its [`InvitationTokenHash`]. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationToken(String);

impl InvitationToken {
    /// A fresh random token.
    ///
    /// # Errors
    /// When the operating system gives no randomness.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// The token as it goes into the link.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its hash, as stored.
    #[must_use]
    pub fn hash(&self) -> InvitationTokenHash {
        InvitationTokenHash::of(&self.0)
    }
}

impl fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationToken(…)")
    }
}

/// `hex(SHA-256(token))`: what is stored and looked up. A plain hash is enough for 256 random
/// bits (nothing to guess offline); the lookup is by equality of hashes, so comparing them
/// leaks nothing about the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvitationTokenHash(pub String);

impl InvitationTokenHash {
    /// The hash of a token as a client presented it.
    #[must_use]
    pub fn of(token: &str) -> Self {
        Self(hex::encode(Sha256::digest(token.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tokens_are_random_hashed_and_never_printed() {
        let (a, b) = (
            InvitationToken::generate().unwrap(),
            InvitationToken::generate().unwrap(),
        );
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43, "32 bytes of base64url");
        assert_eq!(a.hash(), InvitationTokenHash::of(a.expose()));
        assert_ne!(a.hash().0, a.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
