//! Password change and recovery, and email verification bodies. None of them implements
//! `Debug`: they hold passwords and one-time tokens.

use validator::Validate;

/// `POST /auth/password/change`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "current_password": "correct horse battery staple",
    "new_password": "a brand new passphrase 42"
}))]
pub(crate) struct ChangePasswordRequest {
    /// The password the account has now.
    #[validate(length(
        min = 1,
        max = 1024,
        message = "current_password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// At least `PASSWORD_MIN_LENGTH` characters (12 by default), not a common password.
    #[validate(length(
        min = 1,
        max = 1024,
        message = "new_password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub new_password: String,
}

/// `POST /auth/password/forgot`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@example.com" }))]
pub(crate) struct ForgotPasswordRequest {
    /// The email of the account.
    #[validate(length(
        min = 1,
        max = 254,
        message = "email must be between 1 and 254 characters"
    ))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
}

/// `POST /auth/password/reset`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "token": "o1Yx3k7u0d8G9wQ2cV5bN4mL6pR1sT3zA8hJ0fE2iK4",
    "new_password": "a brand new passphrase 42"
}))]
pub(crate) struct ResetPasswordRequest {
    /// The `token` parameter of the link in the reset mail.
    #[validate(length(
        min = 1,
        max = 256,
        message = "token must be between 1 and 256 characters"
    ))]
    #[schema(min_length = 1, max_length = 256)]
    pub token: String,
    /// At least `PASSWORD_MIN_LENGTH` characters (12 by default), not a common password.
    #[validate(length(
        min = 1,
        max = 1024,
        message = "new_password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub new_password: String,
}

/// `POST /auth/email/verify`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "token": "o1Yx3k7u0d8G9wQ2cV5bN4mL6pR1sT3zA8hJ0fE2iK4" }))]
pub(crate) struct VerifyEmailRequest {
    /// The `token` parameter of the link in the verification mail.
    #[validate(length(
        min = 1,
        max = 256,
        message = "token must be between 1 and 256 characters"
    ))]
    #[schema(min_length = 1, max_length = 256)]
    pub token: String,
}

/// The body of every `202 Accepted` of this group: the same whatever happened behind it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({ "status": "accepted" }))]
pub(crate) struct AcceptedBody {
    /// Always `accepted`.
    pub status: String,
}

impl AcceptedBody {
    /// `{ "status": "accepted" }`.
    pub(crate) fn new() -> Self {
        Self {
            status: "accepted".to_owned(),
        }
    }
}

/// `POST /me/email`: the address to move the account to.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "new_email": "ada@new.example", "password": "correct horse battery staple" }))]
pub(crate) struct ChangeEmailRequest {
    /// The new address; a link to confirm it goes there.
    #[validate(length(max = 254, message = "new_email must be at most 254 characters"))]
    #[schema(max_length = 254, format = "email")]
    pub new_email: String,
    /// The account's password. Needed unless the session signed in within the last 10
    /// minutes (an account without a password signs in again instead).
    #[validate(length(max = 1024, message = "password must be at most 1024 characters"))]
    #[schema(max_length = 1024)]
    pub password: Option<String>,
}

/// `POST /auth/email/change`: the token of the link mailed to the new address.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "token": "o1Yx3k7u0d8G9wQ2cV5bN4mL6pR1sT3zA8hJ0fE2iK4.YWRhQG5ldy5leGFtcGxl" }))]
pub(crate) struct ConfirmEmailChangeRequest {
    /// The `token` parameter of the link in the confirmation mail.
    #[validate(length(
        min = 1,
        max = 512,
        message = "token must be between 1 and 512 characters"
    ))]
    #[schema(min_length = 1, max_length = 512)]
    pub token: String,
}
