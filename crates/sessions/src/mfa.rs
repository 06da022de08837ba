//! Multi-factor authentication: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps), single-use
//! recovery codes, and the [`SecretSealer`] port that keeps TOTP secrets encrypted at rest.
//!
//! Enrolment: [`TotpSecret::generate`], show [`TotpSecret::to_base32`] and
//! [`TotpSecret::otpauth_url`] once, store [`TotpSecret::seal`]ed. Activation and login: open the
//! sealed secret, [`TotpSecret::verify_fresh`] with the last step accepted for the user, and store
//! the returned step so the same code cannot be replayed. Recovery: [`RecoveryCodeSet::generate`]
//! at activation, show the codes once, store only their hashes, [`RecoveryCodeSet::redeem`] at
//! login.

mod base32;
mod factor;
mod recovery;
mod sealer;
mod totp;

pub use crate::ports::SecretSealer;
pub use factor::TotpFactor;
pub use recovery::{RECOVERY_CODE_COUNT, RecoveryCode, RecoveryCodeHash, RecoveryCodeSet};
pub use sealer::SealError;
pub use totp::{TOTP_DIGITS, TOTP_ISSUER, TOTP_PERIOD_SECS, TotpError, TotpSecret, totp_step};
