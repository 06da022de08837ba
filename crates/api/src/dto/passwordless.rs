//! Passwordless sign-in bodies. None of them implements `Debug`: they hold mailed secrets.

use plinth_kernel::Email;
use plinth_sessions::PasswordlessCode;
use validator::Validate;

use crate::ApiError;

/// `POST /auth/passwordless`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@example.com" }))]
pub(crate) struct PasswordlessStartRequest {
    /// The address to mail the link and code to.
    #[validate(length(
        min = 1,
        max = 254,
        message = "email must be between 1 and 254 characters"
    ))]
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub email: String,
}

impl PasswordlessStartRequest {
    /// The address, parsed.
    ///
    /// # Errors
    /// 422 with `errors.email` for a malformed address.
    pub(crate) fn into_email(self) -> Result<Email, ApiError> {
        self.validate()?;
        Email::parse(&self.email).map_err(|e| ApiError::field("email", e.to_string()))
    }
}

/// `POST /auth/passwordless/verify`: either `token` (from the link) or `email` and `code`
/// (typed from the mail), never both.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@example.com", "code": "482 913" }))]
pub(crate) struct PasswordlessVerifyRequest {
    /// The `token` parameter of the link in the mail (alone).
    #[validate(length(
        min = 1,
        max = 256,
        message = "token must be between 1 and 256 characters"
    ))]
    #[schema(
        min_length = 1,
        max_length = 256,
        example = "o1Yx3k7u0d8G9wQ2cV5bN4mL6pR1sT3zA8hJ0fE2iK4"
    )]
    pub token: Option<String>,
    /// The address the mail went to (with `code`).
    #[validate(length(
        min = 1,
        max = 254,
        message = "email must be between 1 and 254 characters"
    ))]
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// The six digits from the mail (with `email`); spaces and a hyphen between them are
    /// ignored.
    #[validate(length(
        min = 1,
        max = 16,
        message = "code must be between 1 and 16 characters"
    ))]
    #[schema(min_length = 1, max_length = 16, example = "482913")]
    pub code: Option<String>,
}

/// What a verification presents, checked for shape (not for truth).
pub(crate) enum PasswordlessSecret {
    /// The link's token.
    Link(String),
    /// The address and the typed code.
    Code(String, String),
}

impl PasswordlessVerifyRequest {
    /// The secret presented.
    ///
    /// # Errors
    /// 422 for a body with both or neither kind of secret, `email` without `code` or the other
    /// way round, a malformed address, or a code that is not six digits.
    pub(crate) fn into_secret(self) -> Result<PasswordlessSecret, ApiError> {
        self.validate()?;
        match (self.token, self.email, self.code) {
            (Some(token), None, None) => Ok(PasswordlessSecret::Link(token)),
            (None, Some(email), Some(code)) => {
                Email::parse(&email).map_err(|e| ApiError::field("email", e.to_string()))?;
                if PasswordlessCode::from_client(&code).is_none() {
                    return Err(ApiError::field(
                        "code",
                        "code must be the 6 digits from the mail",
                    ));
                }
                Ok(PasswordlessSecret::Code(email, code))
            }
            (None, Some(_), None) => Err(ApiError::field("code", "code is required with email")),
            (None, None, Some(_)) => Err(ApiError::field("email", "email is required with code")),
            (Some(_), _, _) => Err(ApiError::field(
                "token",
                "send either token (from the link) or email and code, not both",
            )),
            (None, None, None) => Err(ApiError::field(
                "token",
                "send token (from the link), or email and code",
            )),
        }
    }
}
