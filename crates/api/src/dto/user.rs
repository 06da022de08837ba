//! User bodies.

use chrono::{DateTime, Utc};
use plinth_kernel::PageRequest;
use plinth_sessions::AdminUserPatch;
use plinth_users::{ProfilePatch, RoleName, User, UserFilter, UserStatus};

use super::nullable;
use uuid::Uuid;
use validator::Validate;

use crate::ApiError;

/// Whether an account may sign in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AccountStatus {
    /// Normal.
    Active,
    /// Blocked by an administrator.
    Suspended,
}

impl From<UserStatus> for AccountStatus {
    fn from(s: UserStatus) -> Self {
        match s {
            UserStatus::Active => Self::Active,
            UserStatus::Suspended => Self::Suspended,
        }
    }
}

impl From<AccountStatus> for UserStatus {
    fn from(s: AccountStatus) -> Self {
        match s {
            AccountStatus::Active => Self::Active,
            AccountStatus::Suspended => Self::Suspended,
        }
    }
}

/// A user account as clients see it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = User, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "role": "user",
    "status": "active",
    "email_verified": false,
    "avatar_url": "https://api.example.com/api/v1/avatars/6f1c0e2b9a8d4c7e8f1a2b3c4d5e6f70.png",
    "locale": "pt-BR",
    "created_at": "2026-01-15T09:30:00Z",
    "updated_at": "2026-01-15T09:30:00Z"
}))]
pub(crate) struct UserBody {
    /// UUIDv7.
    pub id: Uuid,
    /// Normalised (lower-case) email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `user`, `admin`, `super_admin` or a custom role.
    pub role: String,
    /// `active` or `suspended`.
    pub status: AccountStatus,
    /// Whether the address was confirmed.
    pub email_verified: bool,
    /// Absolute URL of the avatar image (`{PUBLIC_URL}/api/v1/avatars/{name}`, no credentials
    /// needed), or `null` when there is none. A new image gets a new URL.
    #[schema(format = "uri")]
    pub avatar_url: Option<String>,
    /// The language the user's mail is written in: a normalised BCP 47 tag (a 2–3 letter
    /// language, optionally a 2-letter or 3-digit region, such as `en`, `de`, `pt-BR`), or
    /// `null` for the deployment's default (English).
    #[schema(example = "pt-BR", max_length = 7)]
    pub locale: Option<String>,
    /// Creation time (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl UserBody {
    /// The body of `u`, with its avatar's URL under `public_url` (`PUBLIC_URL`).
    pub(crate) fn new(u: User, public_url: &str) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.as_str().to_owned(),
            name: u.name.as_str().to_owned(),
            role: u.role.as_str().to_owned(),
            status: u.status.into(),
            email_verified: u.email_verified,
            avatar_url: u
                .avatar_key
                .as_deref()
                .and_then(|key| avatar_url(public_url, key)),
            locale: u.locale.map(|l| l.as_str().to_owned()),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// `{public_url}/api/v1/avatars/{name}` for the avatar key `avatars/{name}` (`None` for a key
/// of another shape, which no avatar has).
pub(crate) fn avatar_url(public_url: &str, key: &str) -> Option<String> {
    let name = key.strip_prefix(plinth_files::AVATAR_PREFIX)?;
    plinth_files::avatar_content_type(name)?;
    Some(format!(
        "{}/api/v1/avatars/{name}",
        public_url.trim_end_matches('/')
    ))
}

/// `PATCH /me`: only the fields a user may change on themselves. Anything else (such as
/// `role`, `status`, `email_verified`) is refused with 422.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Ada King", "locale": "de" }))]
pub(crate) struct UpdateMeRequest {
    /// New display name, 1–100 characters.
    #[validate(length(
        min = 1,
        max = 100,
        message = "name must be between 1 and 100 characters"
    ))]
    pub name: Option<String>,
    /// New language for the user's mail: a BCP 47 tag such as `en`, `de` or `pt-BR` (case is
    /// normalised; script, variant and private-use subtags and `_` are refused with 422), or
    /// `null` to go back to the deployment's default (English). Absent: unchanged.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "de", max_length = 7)]
    pub locale: Option<Option<String>>,
}

impl UpdateMeRequest {
    /// The domain patch (the locale is parsed by the service, with the name).
    pub(crate) fn into_domain(self) -> ProfilePatch {
        ProfilePatch {
            name: self.name,
            locale: self.locale,
        }
    }
}

/// A page of users.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = UserPage)]
pub(crate) struct UserPageBody {
    /// The users, oldest first.
    pub items: Vec<UserBody>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = json!(null))]
    pub next_cursor: Option<String>,
}

/// `GET /admin/users` filters.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UserListQuery {
    /// Case-insensitive substring of email or name (at most 200 characters).
    pub q: Option<String>,
    /// Only this role.
    #[param(example = "admin")]
    pub role: Option<String>,
    /// Only this status.
    #[param(inline)]
    pub status: Option<AccountStatus>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl UserListQuery {
    /// The domain filter and page; bad values are a 400.
    pub(crate) fn try_into_domain(self) -> Result<(UserFilter, PageRequest), ApiError> {
        let page = PageRequest::new(self.limit, self.cursor.as_deref())?;
        let q = self
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty());
        if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiError::BadRequest(
                "q must be at most 200 characters.".to_owned(),
            ));
        }
        let role = self
            .role
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .map(RoleName);
        Ok((
            UserFilter {
                q,
                role,
                status: self.status.map(Into::into),
            },
            page,
        ))
    }
}

/// `DELETE /me`. Not `Debug`: it holds a password.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "password": "correct horse battery staple" }))]
pub(crate) struct DeleteMeRequest {
    /// The account's password, to confirm.
    #[validate(length(
        min = 1,
        max = 1024,
        message = "password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password)]
    pub password: String,
}

/// `PATCH /admin/users/{id}`: every field is optional; unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdminUserPatch, example = json!({ "role": "auditor", "status": "active" }))]
pub(crate) struct AdminUserPatchRequest {
    /// The name of a stored role: `user`, `admin`, `super_admin` or a custom role.
    pub role: Option<String>,
    /// `active` or `suspended`; suspending ends every session of the account.
    pub status: Option<String>,
    /// New display name, 1–100 characters.
    pub name: Option<String>,
}

impl AdminUserPatchRequest {
    /// The domain patch; an unknown status is a 422.
    pub(crate) fn try_into_domain(self) -> Result<AdminUserPatch, ApiError> {
        let status = self
            .status
            .map(|s| {
                UserStatus::parse(s.trim()).ok_or_else(|| {
                    ApiError::field("status", "status must be `active` or `suspended`")
                })
            })
            .transpose()?;
        Ok(AdminUserPatch {
            role: self.role.map(|r| RoleName(r.trim().to_owned())),
            status,
            name: self.name,
        })
    }
}
