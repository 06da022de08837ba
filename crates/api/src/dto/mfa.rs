//! TOTP enrolment, activation, removal and the second sign-in step. None of these bodies
//! implements `Debug`: they hold secrets, codes and challenge tokens.

use plinth_sessions::{MfaChallenge, RecoveryCode, TotpEnrollment};
use validator::Validate;

use super::auth::TokenPairBody;

/// `POST /auth/mfa/totp/enroll`: the secret, shown once.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = TotpEnrollment, example = json!({
    "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "otpauth_url": "otpauth://totp/Plinth:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Plinth&algorithm=SHA1&digits=6&period=30"
}))]
pub(crate) struct TotpEnrollmentBody {
    /// The shared secret in base32 (RFC 6238: HMAC-SHA-1, 6 digits, 30 s), for manual entry.
    pub secret: String,
    /// The same secret as an `otpauth://` URL, for a QR code.
    pub otpauth_url: String,
}

impl From<TotpEnrollment> for TotpEnrollmentBody {
    fn from(e: TotpEnrollment) -> Self {
        Self {
            secret: e.secret.to_base32(),
            otpauth_url: e.otpauth_url,
        }
    }
}

/// `POST /auth/mfa/totp/enroll`: re-authentication with the account's password.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "password": "correct horse battery staple" }))]
pub(crate) struct EnrollTotpRequest {
    /// The account's password (a wrong one counts towards the sign-in lockout).
    #[validate(length(
        min = 1,
        max = 1024,
        message = "password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password)]
    pub password: String,
}

/// `POST /auth/mfa/totp/activate`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "password": "correct horse battery staple", "code": "492039" }))]
pub(crate) struct ActivateTotpRequest {
    /// The account's password (a wrong one counts towards the sign-in lockout).
    #[validate(length(
        min = 1,
        max = 1024,
        message = "password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password)]
    pub password: String,
    /// The 6-digit code the authenticator shows now.
    #[validate(length(
        min = 1,
        max = 32,
        message = "code must be between 1 and 32 characters"
    ))]
    pub code: String,
}

/// The ten recovery codes, shown once.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = RecoveryCodes, example = json!({
    "recovery_codes": ["7kq2m-9xd4h", "p3nc8-wzr2j", "h6tuv-a9kf3", "m2w7c-qx8rn", "b4zk9-t3pey", "r8dn2-u6wgs", "y5hq3-c7vmk", "e9pa4-j2xtb", "s3fu7-n8dzq", "k6bw2-x4rch"]
}))]
pub(crate) struct RecoveryCodesBody {
    /// Each works once, instead of a TOTP code, at `POST /auth/mfa/challenge` or to remove TOTP.
    pub recovery_codes: Vec<String>,
}

impl From<Vec<RecoveryCode>> for RecoveryCodesBody {
    fn from(codes: Vec<RecoveryCode>) -> Self {
        Self {
            recovery_codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
        }
    }
}

/// `DELETE /auth/mfa/totp`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "password": "correct horse battery staple", "code": "492039" }))]
pub(crate) struct DisableTotpRequest {
    /// The account's password (a wrong one counts towards the sign-in lockout).
    #[validate(length(
        min = 1,
        max = 1024,
        message = "password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password)]
    pub password: String,
    /// A TOTP code or an unused recovery code.
    #[validate(length(
        min = 1,
        max = 32,
        message = "code must be between 1 and 32 characters"
    ))]
    pub code: String,
}

/// `POST /auth/mfa/challenge`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "mfa_token": "Zk3v9QbT2x0bq0pR8o4n4b1wH6yS7tU5kL2aZ0cq3xv", "code": "492039" }))]
pub(crate) struct MfaChallengeRequest {
    /// The `mfa_token` from `POST /auth/login`.
    #[validate(length(
        min = 1,
        max = 256,
        message = "mfa_token must be between 1 and 256 characters"
    ))]
    pub mfa_token: String,
    /// A TOTP code or an unused recovery code.
    #[validate(length(
        min = 1,
        max = 32,
        message = "code must be between 1 and 32 characters"
    ))]
    pub code: String,
}

/// What `POST /auth/login` answers for an account with TOTP.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = MfaRequired, example = json!({
    "mfa_required": true,
    "mfa_token": "Zk3v9QbT2x0bq0pR8o4n4b1wH6yS7tU5kL2aZ0cq3xv",
    "expires_in": 300
}))]
pub(crate) struct MfaRequiredBody {
    /// Always `true`: the property that tells this answer from a `TokenPair`.
    #[schema(schema_with = crate::openapi::schemas::always_true)]
    pub mfa_required: bool,
    /// Single-use token for `POST /auth/mfa/challenge`.
    pub mfa_token: String,
    /// Seconds until `mfa_token` stops working.
    pub expires_in: i64,
}

impl From<MfaChallenge> for MfaRequiredBody {
    fn from(c: MfaChallenge) -> Self {
        Self {
            mfa_required: true,
            mfa_token: c.mfa_token.expose().to_owned(),
            expires_in: c.expires_in,
        }
    }
}

/// `POST /auth/login`: signed in, or a second step is needed. The two shapes exclude each
/// other: only `MfaRequired` has `mfa_required` (always `true`) and `mfa_token`, only
/// `TokenPair` has `access_token`.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = LoginResult)]
pub(crate) enum LoginResultBody {
    /// No second factor: the session's tokens.
    Tokens(Box<TokenPairBody>),
    /// TOTP is on: present a code at `POST /auth/mfa/challenge`.
    MfaRequired(MfaRequiredBody),
}
