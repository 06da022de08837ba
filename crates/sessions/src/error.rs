//! Errors of the sessions domain.

use plinth_kernel::{EmailError, RepoError};
use plinth_users::{HashError, PasswordError, UserError};

/// Access-token problems.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, forged, expired, wrong issuer/audience or unknown `kid`.
    #[error("invalid access token")]
    Invalid,
    /// The signing backend failed.
    #[error("token signing failed: {0}")]
    Signing(String),
}

/// What [`crate::AuthService`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong email or password (deliberately not saying which).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Correct password, but an administrator suspended the account.
    #[error("account is suspended")]
    AccountSuspended,
    /// Too many failed logins: the account is locked until the given time.
    #[error(transparent)]
    Locked(#[from] crate::AccountLocked),
    /// Missing, unknown, spent, expired or revoked refresh token, or a bad access token.
    #[error("invalid or expired token")]
    InvalidToken,
    /// No such session among the caller's (another user's session is reported the same way).
    #[error("session not found")]
    SessionNotFound,
    /// The caller is not a member of the organization they asked to act for (or it does not
    /// exist: one answer for both).
    #[error("organization not found")]
    OrgNotFound,
    /// The organization they asked to act for is suspended.
    #[error("organization is suspended")]
    OrgSuspended,
    /// Registration with an email that already has an account.
    #[error("email is already registered")]
    EmailTaken,
    /// Bad email.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// Password refused by the policy.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// The new password of a change or reset refused by the policy (field `new_password`).
    #[error("new password: {0}")]
    WeakNewPassword(PasswordError),
    /// A password change whose current password is wrong.
    #[error("current password is wrong")]
    WrongCurrentPassword,
    /// A reset or verification token that is unknown, for another purpose, expired or already
    /// used (deliberately not saying which).
    #[error("invalid, expired or already used link")]
    InvalidOneTimeToken,
    /// A passwordless link or code that is unknown, wrong, expired or already used, or an
    /// address with no open request (deliberately not saying which).
    #[error("the sign-in code or link is wrong, expired or was already used")]
    PasswordlessRejected,
    /// A confirmation with the wrong account password (field `password`).
    #[error("password is wrong")]
    WrongPassword,
    /// TOTP is already active: remove it before enrolling again.
    #[error("two-factor authentication is already enabled")]
    MfaAlreadyEnabled,
    /// No TOTP enrolment to activate or remove.
    #[error("two-factor authentication is not set up")]
    MfaNotEnrolled,
    /// A wrong or already used code while activating or removing TOTP (field `code`).
    #[error("the code is wrong or was already used")]
    InvalidMfaCode,
    /// A wrong or already used code at the second step of a sign-in.
    #[error("the code is wrong or was already used")]
    MfaCodeRejected,
    /// A TOTP secret could not be generated, sealed or opened.
    #[error(transparent)]
    Totp(#[from] crate::TotpError),
    /// Bad display name.
    #[error("{0}")]
    InvalidName(String),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Signing failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Social sign-in is not configured, or names no provider of that name.
    #[error("no such sign-in provider")]
    OAuthUnknownProvider,
    /// A `redirect_to` that is not on one of the allowed frontend origins.
    #[error("redirect_to must be a URL on an allowed frontend origin")]
    OAuthRedirectNotAllowed,
    /// A callback whose `state` is unknown, spent or expired (a forged or replayed callback).
    #[error("the sign-in attempt is unknown, expired or was already used")]
    OAuthStateInvalid,
    /// An exchange code that is unknown, spent or expired.
    #[error("the sign-in code is unknown, expired or was already used")]
    OAuthCodeInvalid,
    /// The provider's verified address belongs to an account that has not linked this
    /// provider: sign in to that account and link it there.
    #[error("an account with this address exists: sign in to it, then link this provider")]
    OAuthAccountExists,
    /// The provider gave no address, or did not assert that it verified it.
    #[error("the provider did not confirm a verified email address")]
    OAuthEmailUnverified,
    /// The provider identity is already linked to another account.
    #[error("this provider account is already linked to another account")]
    OAuthIdentityTaken,
    /// The provider refused the code, failed, or sent an ID token that does not validate.
    #[error("the sign-in provider could not confirm who signed in")]
    OAuthProviderFailed,
    /// No such linked identity among the caller's.
    #[error("identity not found")]
    IdentityNotFound,
    /// Unlinking an identity or removing a passkey would leave the account with no way to
    /// sign in (no password of its own, no other identity, no other passkey).
    #[error(
        "this is the account's last way to sign in: set a password or link another provider first"
    )]
    LastWayIn,
    /// The new address of an email change is not an address.
    #[error("invalid new email: {0}")]
    InvalidNewEmail(String),
    /// The new address of an email change is the account's address already.
    #[error("this is the account's address already")]
    SameEmail,
    /// A sensitive change (registering a passkey) needs the caller's password or a sign-in
    /// within the last [`crate::FRESH_SIGN_IN`] (its session's sign-in, not a refresh); the access token alone is not enough.
    #[error("confirm the password or sign in again first")]
    ReauthenticationRequired,
    /// Passkeys are not configured (no relying party): every passkey route answers 404.
    #[error("passkeys are not configured")]
    PasskeysOff,
    /// A passkey sign-in or second factor that does not verify: an unknown, spent or expired
    /// ceremony, an unknown or removed credential, another account's credential, a bad
    /// signature, challenge or origin (deliberately not saying which).
    #[error("the passkey could not be verified")]
    PasskeyRejected,
    /// A registration whose ceremony is unknown, spent or expired, or whose answer does not
    /// verify (field `credential`).
    #[error("the passkey registration could not be verified: start again")]
    PasskeyRegistrationRejected,
    /// The credential is already registered (to this or another account).
    #[error("this passkey is already registered")]
    PasskeyTaken,
    /// No such passkey among the caller's (another user's is reported the same way).
    #[error("passkey not found")]
    PasskeyNotFound,
    /// A second factor with a passkey for an account that has none.
    #[error("the account has no passkey")]
    NoPasskeys,
    /// A passkey name refused (field `name`).
    #[error("{0}")]
    InvalidPasskeyName(String),
    /// The OS random source failed.
    #[error("random source failed")]
    Random,
}

impl From<UserError> for AuthError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::NotFound => Self::InvalidToken,
            UserError::EmailTaken => Self::EmailTaken,
            UserError::InvalidEmail(e) => Self::InvalidEmail(e),
            UserError::WeakPassword(e) => Self::WeakPassword(e),
            UserError::InvalidName(m) => Self::InvalidName(m),
            UserError::Repo(e) => Self::Repo(e),
            UserError::Hash(e) => Self::Hash(e),
            // Document errors come from `/me/data` only, locale errors from the profile
            // patch, permission checks from the admin reads, never from an auth use case.
            e @ (UserError::InvalidDocument(_)
            | UserError::InvalidLocale(_)
            | UserError::DocumentTooLarge { .. }
            | UserError::VersionMismatch
            | UserError::Forbidden(_)) => Self::Repo(RepoError::Internal(e.to_string().into())),
        }
    }
}
