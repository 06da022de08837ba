//! The sessions domain: sign-up, sign-in, refresh-token rotation, access tokens and
//! [`AuthService`].
//!
//! A *session* is one signed-in device (a refresh-token family). Refresh tokens are random
//! 256-bit secrets stored only as SHA-256 hashes and spent on use; access tokens are short-lived
//! JWTs verified without touching the database.

pub mod admin;
mod error;
pub mod lockout;
mod mail;
pub mod mfa;
mod one_time;
pub mod passkeys;
pub mod passwordless;
mod ports;
mod revocation;
mod service;
mod session;
pub mod social;
mod token;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use admin::{AccountAdminService, AdminError, AdminUserPatch, Eraser, NewRole};
pub use error::{AuthError, TokenError};
pub use lockout::{AccountLocked, LockoutPolicy, LockoutState};
pub use mail::{MailError, MailKind, OutgoingMail};
pub use mfa::{
    RecoveryCode, RecoveryCodeHash, RecoveryCodeSet, SealError, TotpError, TotpFactor, TotpSecret,
    totp_step,
};
pub use one_time::{
    OneTimePurpose, OneTimeToken, OneTimeTokenError, OneTimeTokenHash, OneTimeTokenRecord,
};
pub use passkeys::{
    CeremonyPurpose, CeremonyStart, Passkey, PasskeyCeremonies, PasskeyCeremony, PasskeyCeremonyId,
    PasskeyError, PasskeyId, PasskeyName, PasskeyRepository, PasskeySignIn, PasskeyUser,
    PresentedCredential, RegisteredCredential,
};
pub use passwordless::{
    PasswordlessCode, PasswordlessCodeHash, PasswordlessCodeKey, PasswordlessPolicy,
    PasswordlessRequest, PasswordlessRequestId,
};
pub use ports::{
    LockoutRepository, Mailer, NoOrganizations, OneTimeTokenRepository, OrgAccess, OrgStanding,
    PasswordlessRepository, RevocationRepository, SecretSealer, SessionRepository, SessionStorage,
    TokenSigner, TotpRepository,
};
pub use revocation::{RevocationList, TokenRevocation};
pub use service::{
    AccessGrant, AuthPorts, AuthService, LoginOutcome, MfaChallenge, PasskeyOptions, RecoveryMail,
    RefreshReuse, RegisterInput, TokenLifetimes, TokenPair, TotpEnrollment,
};
pub use session::{FRESH_SIGN_IN, RefreshTokenRecord, Session, SessionId};
pub use social::{
    AuthorizationRequest, FlowOutcome, IdentityProviders, IdentityRepository, NonceHash, OAuthFlow,
    OAuthFlowId, OAuthFlowKey, ProviderError, ProviderIdentity, ProviderInfo, SocialSignIn,
    UserIdentity, UserIdentityId,
};
pub use token::{
    AccessClaims, Principal, RefreshToken, RefreshTokenHash, SuccessorKey, VerificationKey,
};
