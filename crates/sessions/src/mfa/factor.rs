//! [`TotpFactor`]: a user's stored TOTP enrolment.

use plinth_kernel::{Timestamp, UserId};

use super::RecoveryCodeSet;

/// A user's TOTP factor as stored: the sealed secret, whether it is active, the last step a
/// code was accepted for (so a code is never accepted twice) and the unused recovery codes'
/// hashes. At most one per user; a pending (not yet activated) enrolment is replaced by the
/// next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// Owner.
    pub user_id: UserId,
    /// The secret, sealed by a [`super::SecretSealer`] and bound to the owner.
    pub sealed_secret: String,
    /// When enrolment started.
    pub created_at: Timestamp,
    /// When the first code confirmed it; `None` while pending. Only an active factor is asked
    /// for at sign-in.
    pub activated_at: Option<Timestamp>,
    /// The TOTP step last accepted (activation, sign-in or removal).
    pub last_step: Option<u64>,
    /// The unused recovery codes (empty while pending).
    pub recovery: RecoveryCodeSet,
}

impl TotpFactor {
    /// Whether sign-in needs this factor.
    #[must_use]
    pub const fn is_active(&self) -> bool {
        self.activated_at.is_some()
    }
}
