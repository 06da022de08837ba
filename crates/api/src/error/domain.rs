//! How each domain error becomes an HTTP problem.

use std::borrow::Cow;

use plinth_billing::payment::GatewayError;
use plinth_billing::{BillingError, InvoiceStatus, SubscriptionError, TransitionError};
use plinth_files::{BlobError, FileError};
use plinth_kernel::{PageRequestError, RepoError};
use plinth_orgs::OrgError;
use plinth_sessions::{AdminError, AuthError};
use plinth_users::{AnnouncementError, UserError};
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use super::{ApiError, FieldErrors, SignInRefusal};

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Duplicate { .. } => {
                Self::Conflict("This conflicts with an existing resource.".to_owned())
            }
            RepoError::NotFound => Self::NotFound("There is no such resource.".to_owned()),
            e @ RepoError::Unavailable(_) => Self::Unavailable(Box::new(e)),
            e @ RepoError::Internal(_) => Self::Internal(Box::new(e)),
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::Aborted(_) => {
                Self::BadRequest("The upload was interrupted before it completed.".to_owned())
            }
            e @ BlobError::Unavailable(_) => Self::Unavailable(Box::new(e)),
            // Metadata without its bytes is corruption, not a client mistake.
            e @ (BlobError::NotFound | BlobError::Internal(_)) => Self::Internal(Box::new(e)),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials => {
                Self::Unauthenticated("Invalid email or password.".to_owned())
            }
            AuthError::AccountSuspended => Self::AccountSuspended,
            AuthError::Locked(locked) => Self::AccountLocked {
                retry_after: locked.retry_after_secs(locked.at),
            },
            AuthError::InvalidToken => {
                Self::Unauthenticated("The token is invalid, expired or revoked.".to_owned())
            }
            AuthError::SessionNotFound => Self::NotFound("There is no such session.".to_owned()),
            AuthError::OrgNotFound => Self::NotFound("There is no such organization.".to_owned()),
            AuthError::OrgSuspended => Self::Forbidden(
                "This organization is suspended; nobody can act for it until the service's \
                 administrators reinstate it."
                    .to_owned(),
            ),
            AuthError::EmailTaken => Self::EmailTaken,
            AuthError::InvalidEmail(e) => Self::field("email", e.to_string()),
            AuthError::WeakPassword(e) => Self::field("password", e.to_string()),
            AuthError::WeakNewPassword(e) => Self::field("new_password", e.to_string()),
            AuthError::WrongCurrentPassword => {
                Self::field("current_password", "The current password is wrong.")
            }
            AuthError::InvalidOneTimeToken => Self::field(
                "token",
                "This link is invalid, has expired or was already used; ask for a new one.",
            ),
            AuthError::InvalidName(m) => Self::field("name", m),
            AuthError::WrongPassword => Self::field("password", "The password is wrong."),
            AuthError::MfaAlreadyEnabled => Self::Conflict(
                "Two-factor authentication is already on; remove it before enrolling again."
                    .to_owned(),
            ),
            AuthError::MfaNotEnrolled => Self::Conflict(
                "Two-factor authentication is not set up; start with POST /auth/mfa/totp/enroll."
                    .to_owned(),
            ),
            AuthError::InvalidMfaCode => {
                Self::field("code", "The code is wrong or was already used.")
            }
            AuthError::PasswordlessRejected => Self::Unauthenticated(
                "The code or link is wrong, has expired or was already used; ask for a new one."
                    .to_owned(),
            ),
            AuthError::MfaCodeRejected => {
                Self::Unauthenticated("The code is wrong or was already used.".to_owned())
            }
            AuthError::OAuthUnknownProvider => {
                Self::NotFound("There is no such sign-in provider.".to_owned())
            }
            AuthError::OAuthRedirectNotAllowed => Self::field(
                "redirect_to",
                "redirect_to must be an absolute URL on one of the allowed frontend origins.",
            ),
            AuthError::OAuthStateInvalid => Self::SignInRefused(SignInRefusal::StateInvalid),
            AuthError::OAuthCodeInvalid => Self::SignInRefused(SignInRefusal::CodeInvalid),
            AuthError::OAuthAccountExists => Self::SignInRefused(SignInRefusal::AccountExists),
            AuthError::OAuthEmailUnverified => Self::SignInRefused(SignInRefusal::EmailUnverified),
            AuthError::OAuthIdentityTaken => Self::SignInRefused(SignInRefusal::IdentityTaken),
            AuthError::OAuthProviderFailed => Self::SignInRefused(SignInRefusal::ProviderError),
            AuthError::IdentityNotFound => {
                Self::NotFound("There is no such linked identity.".to_owned())
            }
            AuthError::LastWayIn => Self::SignInRefused(SignInRefusal::LastWayIn),
            AuthError::InvalidNewEmail(m) => Self::field("new_email", m),
            AuthError::SameEmail => {
                Self::field("new_email", "This is your account's address already.")
            }
            AuthError::ReauthenticationRequired => {
                Self::SignInRefused(SignInRefusal::ReauthenticationRequired)
            }
            AuthError::PasskeysOff => {
                Self::NotFound("Passkeys are not configured on this server.".to_owned())
            }
            AuthError::PasskeyRejected => Self::Unauthenticated(
                "The passkey could not be verified, or the attempt expired or was already used; \
                 start again."
                    .to_owned(),
            ),
            AuthError::PasskeyRegistrationRejected => Self::field(
                "credential",
                "The passkey could not be verified, or the registration expired or was already \
                 used; start again.",
            ),
            AuthError::PasskeyTaken => {
                Self::Conflict("This passkey is already registered.".to_owned())
            }
            AuthError::PasskeyNotFound => Self::NotFound("There is no such passkey.".to_owned()),
            AuthError::NoPasskeys => Self::Conflict(
                "This account has no passkey; answer the challenge with a code.".to_owned(),
            ),
            AuthError::InvalidPasskeyName(m) => Self::field("name", m),
            AuthError::Repo(e) => e.into(),
            e @ (AuthError::Hash(_)
            | AuthError::Token(_)
            | AuthError::Random
            | AuthError::Totp(_)) => Self::Internal(Box::new(e)),
        }
    }
}

impl From<plinth_app::AppError> for ApiError {
    fn from(e: plinth_app::AppError) -> Self {
        use plinth_app::AppError;
        match e {
            AppError::Auth(e) => e.into(),
            AppError::Admin(e) => e.into(),
            AppError::Users(e) => e.into(),
            AppError::Files(e) => e.into(),
            AppError::Billing(e) => e.into(),
            AppError::Subscriptions(e) => e.into(),
            AppError::Orgs(e) => e.into(),
            AppError::Forbidden(e) => e.into(),
            AppError::Repo(e) => e.into(),
            AppError::Invalid(errors) => Self::validation(errors.into_iter().collect()),
        }
    }
}

impl From<plinth_kernel::Forbidden> for ApiError {
    fn from(e: plinth_kernel::Forbidden) -> Self {
        Self::Forbidden(e.0)
    }
}

impl From<plinth_audit::AuditError> for ApiError {
    fn from(e: plinth_audit::AuditError) -> Self {
        match e {
            plinth_audit::AuditError::Forbidden(e) => e.into(),
            plinth_audit::AuditError::Repo(e) => e.into(),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound => Self::NotFound("There is no such user.".to_owned()),
            AdminError::Forbidden(m) => Self::Forbidden(m),
            AdminError::InvalidRole(m) => Self::field("role", m),
            AdminError::InvalidName(m) | AdminError::InvalidRoleName(m) => Self::field("name", m),
            AdminError::UnknownPermissions(m) => Self::field("permissions", m),
            AdminError::RoleTaken(name) => {
                Self::Conflict(format!("A role named `{name}` exists already."))
            }
            AdminError::Repo(e) => e.into(),
        }
    }
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::NotFound => Self::NotFound("There is no such user.".to_owned()),
            UserError::EmailTaken => Self::EmailTaken,
            UserError::InvalidEmail(e) => Self::field("email", e.to_string()),
            UserError::WeakPassword(e) => Self::field("password", e.to_string()),
            UserError::InvalidName(m) => Self::field("name", m),
            UserError::InvalidLocale(m) => Self::field("locale", m),
            UserError::InvalidDocument(m) => {
                Self::BadRequest(format!("The body is not valid JSON: {m}"))
            }
            UserError::DocumentTooLarge { limit } => Self::PayloadTooLarge(format!(
                "The document is larger than the limit of {limit} bytes."
            )),
            UserError::VersionMismatch => Self::PreconditionFailed(
                "The document changed since the version given in If-Match; read it again."
                    .to_owned(),
            ),
            UserError::Forbidden(e) => e.into(),
            UserError::Repo(e) => e.into(),
            e @ UserError::Hash(_) => Self::Internal(Box::new(e)),
        }
    }
}

impl From<OrgError> for ApiError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::NotFound => Self::NotFound("There is no such organization.".to_owned()),
            OrgError::NotFoundBecause(message) => Self::NotFound(message.to_owned()),
            OrgError::RateLimited { retry_after_secs } => Self::RateLimited {
                detail: format!(
                    "This organization sent as many invitations as it may this hour; try again \
                     in {retry_after_secs} s."
                ),
                retry_after: retry_after_secs,
            },
            OrgError::Forbidden(message) => Self::Forbidden(message),
            OrgError::LastOwner => Self::Conflict(
                "An organization keeps at least one owner; transfer ownership first.".to_owned(),
            ),
            OrgError::Conflict(message) => Self::Conflict(message),
            OrgError::Invalid { field, message } => Self::field(field, message),
            OrgError::Repo(e) => e.into(),
        }
    }
}

impl From<AnnouncementError> for ApiError {
    fn from(e: AnnouncementError) -> Self {
        match e {
            AnnouncementError::Invalid(errors) => {
                let mut fields = FieldErrors::new();
                for (field, message) in errors {
                    fields.entry(field.to_owned()).or_default().push(message);
                }
                Self::validation(fields)
            }
            AnnouncementError::Forbidden(e) => e.into(),
            AnnouncementError::Repo(e) => e.into(),
        }
    }
}

impl From<FileError> for ApiError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::NotFound => Self::NotFound("There is no such file.".to_owned()),
            FileError::CallerGone => Self::Unauthenticated(
                "The account this token was issued to no longer exists.".to_owned(),
            ),
            FileError::OrgStandingGone => Self::Unauthenticated(
                "This token acts for an organization you may no longer write to (your membership \
                 or role changed, or it was suspended or deleted); refresh it."
                    .to_owned(),
            ),
            FileError::TooLarge { limit } => Self::PayloadTooLarge(format!(
                "The file is larger than the limit of {limit} bytes."
            )),
            FileError::TypeNotAllowed(t) => {
                Self::UnsupportedMediaType(format!("Files of type {t:?} are not allowed."))
            }
            FileError::TypeMismatch {
                extension,
                detected,
            } => Self::UnsupportedMediaType(format!(
                "The content ({detected}) does not match the file type {extension:?}."
            )),
            FileError::NotAnImage { detected } => Self::UnsupportedMediaType(format!(
                "An avatar must be a PNG, JPEG, GIF or WebP image; this content is {detected}."
            )),
            FileError::QuotaExceeded { limit, used, size } => Self::QuotaExceeded(format!(
                "This upload of {size} bytes would take your stored files (every version counts; \
                 {used} bytes now) over your plan's storage_bytes of {limit}."
            )),
            FileError::InvalidUpload(m) => Self::field("file", m),
            FileError::Forbidden(m) => Self::Forbidden(m),
            FileError::ShareNotFound => {
                Self::NotFound("The file is not shared with that user.".to_owned())
            }
            FileError::InvalidShare(m) => Self::field("email", m),
            FileError::InvalidOrgShare(m) => Self::field("org_id", m),
            FileError::OrgShareNotFound => {
                Self::NotFound("The file is not shared with that organization.".to_owned())
            }
            e @ FileError::InvalidExpiry { .. } => Self::field("expires_in", e.to_string()),
            FileError::BadSignature => {
                Self::Forbidden("The signed URL is invalid, has expired or was revoked.".to_owned())
            }
            FileError::Repo(e) => e.into(),
            FileError::Blob(e) => e.into(),
        }
    }
}

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::NotFound => Self::NotFound("There is no such plan.".to_owned()),
            BillingError::Forbidden(e) => e.into(),
            BillingError::CodeTaken => {
                Self::Conflict("A plan with this code already exists.".to_owned())
            }
            BillingError::Invalid(errors) => Self::validation(errors.into_iter().collect()),
            BillingError::InvoiceNotFound => Self::NotFound("There is no such invoice.".to_owned()),
            BillingError::Transition(TransitionError { from, to }) => {
                let only = match to {
                    InvoiceStatus::Open => "Only a draft invoice can be finalised",
                    InvoiceStatus::Paid => "Only an open invoice can be marked paid",
                    InvoiceStatus::Void => "Only an open invoice can be voided",
                    InvoiceStatus::Uncollectible => {
                        "Only an open invoice can be marked uncollectible"
                    }
                    InvoiceStatus::Draft => "No invoice goes back to draft",
                };
                Self::Conflict(format!("{only}; this one is {from}."))
            }
            BillingError::NotDraft(status) => Self::Conflict(format!(
                "Only a draft invoice can be changed or deleted; this one is {status}."
            )),
            BillingError::DraftChanged => Self::Conflict(
                "The draft was changed while it was being finalised; nothing was finalised. \
                 Check it and finalise it again."
                    .to_owned(),
            ),
            BillingError::CustomerGone => Self::Conflict(
                "The customer's account no longer exists, so the invoice cannot be issued."
                    .to_owned(),
            ),
            BillingError::NumbersExhausted(year) => {
                Self::Conflict(format!("Every invoice number of {year} is used."))
            }
            e @ BillingError::Render(_) => Self::Internal(Box::new(e)),
            BillingError::Money(e) => Self::field("price", e.to_string()),
            BillingError::WebhookNotConfigured | BillingError::PaymentsNotConfigured => {
                Self::PaymentsNotConfigured
            }
            BillingError::Signature(e) => {
                Self::BadRequest(format!("The Stripe-Signature header was refused: {e}."))
            }
            BillingError::BadEvent(_) => {
                Self::BadRequest("The body is not a Stripe event (id and type).".to_owned())
            }
            e @ BillingError::Gateway(GatewayError::Unavailable(_)) => {
                Self::Unavailable(Box::new(e))
            }
            BillingError::Gateway(GatewayError::Refused(message)) => {
                tracing::warn!(%message, "the payment provider refused a payment");
                Self::PaymentRefused(message)
            }
            BillingError::NotPayable(status) => Self::Conflict(format!(
                "Only an open invoice can be paid; this one is {status}."
            )),
            BillingError::Repo(e) => e.into(),
        }
    }
}

impl From<SubscriptionError> for ApiError {
    fn from(e: SubscriptionError) -> Self {
        match e {
            SubscriptionError::NotFound => Self::NotFound("You have no subscription.".to_owned()),
            SubscriptionError::PlanUnavailable(_) => {
                Self::field("plan_id", "There is no active plan with this id.")
            }
            e @ SubscriptionError::CurrencyMismatch { .. } => Self::field("plan_id", e.to_string()),
            SubscriptionError::Conflict => Self::Conflict(
                "Your subscription changed at the same time; read it and try again.".to_owned(),
            ),
            SubscriptionError::Forbidden(e) => e.into(),
            SubscriptionError::OrgStandingGone => Self::Unauthenticated(
                "This token acts for an organization whose billing you may no longer change (your \
                 membership or role changed, or it was suspended or deleted); refresh it."
                    .to_owned(),
            ),
            SubscriptionError::InvalidSeats(message) => Self::field("seats", message),
            SubscriptionError::Repo(e) => e.into(),
            e @ (SubscriptionError::PeriodOutOfRange | SubscriptionError::Money(_)) => {
                Self::Internal(Box::new(e))
            }
        }
    }
}

impl From<PageRequestError> for ApiError {
    fn from(e: PageRequestError) -> Self {
        Self::BadRequest(match e {
            PageRequestError::BadLimit => "limit must be between 1 and 100.".to_owned(),
            PageRequestError::BadCursor => {
                "cursor is not valid; use the next_cursor of a previous page.".to_owned()
            }
        })
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        let mut errors = FieldErrors::new();
        flatten(&e, "", &mut errors);
        Self::validation(errors)
    }
}

/// Flattens nested validator errors into `a.b` / `a[0].b` field names.
fn flatten(e: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (field, kind) in e.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.entry(name)
                    .or_default()
                    .extend(list.iter().map(message));
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(inner, &format!("{name}[{i}]"), out);
                }
            }
        }
    }
}

/// The human message of one validator failure.
fn message(e: &ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let param = |k: &str| e.params.get(k).map(ToString::to_string);
    match (e.code.as_ref(), param("min"), param("max")) {
        ("length", Some(min), Some(max)) => format!("must be between {min} and {max} characters"),
        ("length", Some(min), None) => format!("must be at least {min} characters"),
        ("length", None, Some(max)) => format!("must be at most {max} characters"),
        ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        ("required", ..) => "is required".to_owned(),
        (code, ..) => format!("is invalid ({})", Cow::<str>::Borrowed(code)),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    #[test]
    fn every_storage_failure_has_its_status() {
        let unavailable: ApiError = RepoError::Unavailable("db down".into()).into();
        assert_eq!(unavailable.status_code().as_u16(), 503);
        let internal: ApiError = RepoError::internal("bug").into();
        assert_eq!(internal.status_code().as_u16(), 500);
        let blob: ApiError = BlobError::Unavailable("s3 down".into()).into();
        assert_eq!(blob.status_code().as_u16(), 503);
        let dup: ApiError = RepoError::Duplicate {
            constraint: "x".into(),
        }
        .into();
        assert_eq!(dup.code(), "conflict");
    }

    #[test]
    fn auth_errors_map_to_contract_codes() {
        assert_eq!(
            ApiError::from(AuthError::InvalidCredentials).code(),
            "unauthenticated"
        );
        assert_eq!(
            ApiError::from(AuthError::AccountSuspended).code(),
            "account_suspended"
        );
        assert_eq!(ApiError::from(AuthError::EmailTaken).code(), "email_taken");
        assert_eq!(
            ApiError::from(AuthError::InvalidName("bad".into())).code(),
            "validation_failed"
        );
        assert_eq!(ApiError::from(AuthError::Random).code(), "internal");
    }

    #[test]
    fn file_errors_map_to_contract_codes() {
        assert_eq!(
            ApiError::from(FileError::TooLarge { limit: 1 }).code(),
            "payload_too_large"
        );
        assert_eq!(
            ApiError::from(FileError::TypeNotAllowed("exe".into())).code(),
            "unsupported_media_type"
        );
        assert_eq!(ApiError::from(FileError::NotFound).code(), "not_found");
        assert_eq!(
            ApiError::from(PageRequestError::BadLimit).code(),
            "bad_request"
        );
    }
}
