//! Sign-up, sign-in and token bodies. None of them implements `Debug`: they hold passwords
//! and tokens.

use plinth_sessions::{RegisterInput, TokenPair};
use plinth_users::Locale;
use validator::Validate;

use super::user::UserBody;
use crate::ApiError;

/// `POST /auth/register`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "ada@example.com",
    "password": "correct horse battery staple",
    "name": "Ada Lovelace",
    "locale": "pt-BR"
}))]
pub(crate) struct RegisterRequest {
    /// Email address (normalised to lower case).
    #[validate(length(
        min = 1,
        max = 254,
        message = "email must be between 1 and 254 characters"
    ))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// At least `PASSWORD_MIN_LENGTH` characters (12 by default), not a common password.
    #[validate(length(
        min = 1,
        max = 1024,
        message = "password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub password: String,
    /// Display name, 1–100 characters.
    #[validate(length(
        min = 1,
        max = 100,
        message = "name must be between 1 and 100 characters"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The language for the user's mail: a BCP 47 tag such as `en`, `de` or `pt-BR` (case is
    /// normalised; script, variant and private-use subtags and `_` are refused with 422).
    /// Absent: the first language of the `Accept-Language` header that is a valid tag (by
    /// `q`), else none (the deployment's default, English).
    #[schema(example = "pt-BR", max_length = 7)]
    pub locale: Option<String>,
}

impl RegisterRequest {
    /// The domain input (email, password and name are parsed and checked by the service; the
    /// locale here). `accept_language` is the request's `Accept-Language` header, used when
    /// the body names no locale.
    ///
    /// # Errors
    /// A 422 on `locale` when the body's is not a valid tag (an unusable header is ignored).
    pub(crate) fn try_into_domain(
        self,
        accept_language: Option<&str>,
    ) -> Result<RegisterInput, ApiError> {
        let locale = match self.locale.as_deref() {
            Some(raw) => Some(Locale::parse(raw).map_err(|m| ApiError::field("locale", m))?),
            None => accept_language.and_then(Locale::from_accept_language),
        };
        Ok(RegisterInput {
            email: self.email,
            password: self.password,
            name: self.name,
            locale,
        })
    }
}

/// `POST /auth/login`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@example.com", "password": "correct horse battery staple" }))]
pub(crate) struct LoginRequest {
    /// Email address.
    #[validate(length(
        min = 1,
        max = 254,
        message = "email must be between 1 and 254 characters"
    ))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// Password.
    #[validate(length(
        min = 1,
        max = 1024,
        message = "password must be between 1 and 1024 characters"
    ))]
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub password: String,
}

/// `POST /auth/refresh`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "refresh_token": "q3xv1e9JmVbT2z0bq0pR8o4n4b1wH6yS7tU5kL2aZ0c" }))]
pub(crate) struct RefreshRequest {
    /// The refresh token of the last pair; it is spent by this call. Leave it out (send `{}`)
    /// to use the `plinth_refresh` cookie of a browser session instead, with the
    /// `X-CSRF-Token` header.
    #[validate(length(
        min = 1,
        max = 512,
        message = "refresh_token must be between 1 and 512 characters"
    ))]
    #[schema(min_length = 1, max_length = 512)]
    pub refresh_token: Option<String>,
}

/// Tokens for a signed-in session, and the user.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = TokenPair, example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
    "refresh_token": "q3xv1e9JmVbT2z0bq0pR8o4n4b1wH6yS7tU5kL2aZ0c",
    "token_type": "Bearer",
    "expires_in": 900,
    "org_id": null,
    "user": {
        "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "role": "user",
        "status": "active",
        "email_verified": false,
        "avatar_url": null,
        "created_at": "2026-01-15T09:30:00Z",
        "updated_at": "2026-01-15T09:30:00Z"
    }
}))]
pub(crate) struct TokenPairBody {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Single-use secret for `POST /auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(schema_with = crate::openapi::schemas::bearer)]
    pub token_type: String,
    /// Access-token lifetime in seconds.
    pub expires_in: i64,
    /// The organization the access token acts for (`POST /auth/org`); `null`: the user
    /// themselves. A refresh keeps the session's organization while the user is still a member
    /// of it (and it is not suspended), and answers `null` once they are not.
    pub org_id: Option<uuid::Uuid>,
    /// The signed-in user.
    pub user: UserBody,
}

impl TokenPairBody {
    /// The body of `p`; avatar links start with `public_url` (`PUBLIC_URL`).
    pub(crate) fn new(p: TokenPair, public_url: &str) -> Self {
        Self {
            access_token: p.access_token,
            refresh_token: p.refresh_token.expose().to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: p.expires_in,
            org_id: p.org_id.map(|o| o.as_uuid()),
            user: UserBody::new(p.user, public_url),
        }
    }
}

/// One signed-in device of the caller.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Session, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6b",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
    "ip": "203.0.113.7",
    "created_at": "2026-01-15T09:30:00Z",
    "last_used_at": "2026-01-15T10:05:00Z",
    "expires_at": "2026-02-14T09:30:00Z",
    "org_id": null,
    "current": true
}))]
pub(crate) struct SessionBody {
    /// Session id (the `sid` claim of its access tokens).
    pub id: uuid::Uuid,
    /// User agent at sign-in.
    pub user_agent: Option<String>,
    /// Client IP at sign-in.
    pub ip: Option<String>,
    /// Sign-in time.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last refresh (the sign-in time until the first one); the session ends once unused for
    /// `SESSION_IDLE_TIMEOUT` after it.
    pub last_used_at: chrono::DateTime<chrono::Utc>,
    /// Absolute end of the session, however active it is.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The organization the session acts for (`POST /auth/org`); `null`: its user.
    pub org_id: Option<uuid::Uuid>,
    /// Whether this is the session of the access token used for the request.
    pub current: bool,
}

impl SessionBody {
    /// The body of `s`, marked current when it is `current`.
    pub(crate) fn new(s: plinth_sessions::Session, current: plinth_sessions::SessionId) -> Self {
        Self {
            id: s.id.as_uuid(),
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            org_id: s.org_id.map(|o| o.as_uuid()),
            current: s.id == current,
        }
    }
}

/// The caller's live sessions, newest first.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = SessionList)]
pub(crate) struct SessionListBody {
    /// Live sessions (neither revoked, nor expired, nor idle).
    pub items: Vec<SessionBody>,
}

/// `POST /auth/org`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ActForOrgRequest, example = json!({ "org_id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61" }))]
pub(crate) struct ActForOrgRequest {
    /// The organization to act for, one the caller is a member of; `null` (or left out) to act
    /// for themselves again.
    #[serde(default)]
    pub org_id: Option<uuid::Uuid>,
}

/// The organization an access token acts for, and the caller's permissions there.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = ActingFor)]
pub(crate) struct ActingForBody {
    /// The organization.
    pub org_id: uuid::Uuid,
    /// The caller's organization permissions there (the token's `org_perms` claim), sorted.
    pub permissions: Vec<String>,
}

/// A new access token for the caller's session.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AccessToken, example = json!({
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJvcmciOiIuLi4ifQ.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_in": 900,
    "org": {
        "org_id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61",
        "permissions": ["members:read", "org_files:read", "org_files:write"]
    }
}))]
pub(crate) struct AccessTokenBody {
    /// Short-lived JWT for `Authorization: Bearer`; its `org` and `org_perms` claims say what
    /// it acts for.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(schema_with = crate::openapi::schemas::bearer)]
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// The organization it acts for; `null`: the caller themselves.
    pub org: Option<ActingForBody>,
}

impl From<plinth_sessions::AccessGrant> for AccessTokenBody {
    fn from(g: plinth_sessions::AccessGrant) -> Self {
        Self {
            access_token: g.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: g.expires_in,
            org: g.org.map(|o| {
                let mut permissions = o.permissions;
                permissions.sort();
                ActingForBody {
                    org_id: o.org_id.as_uuid(),
                    permissions,
                }
            }),
        }
    }
}
