//! Social sign-in bodies. The exchange code and the callback's `state` and `code` are secrets:
//! the types holding them do not implement `Debug`.

use validator::Validate;

/// One configured sign-in provider.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OAuthProvider, example = json!({
    "name": "google",
    "display_name": "Google",
    "start_url": "https://api.example.com/api/v1/auth/oauth/google/start"
}))]
pub(crate) struct ProviderBody {
    /// Its name in URLs.
    pub name: String,
    /// What a sign-in button shows.
    pub display_name: String,
    /// Where a browser starts signing in with it (add `?redirect_to=`).
    pub start_url: String,
}

/// The configured sign-in providers.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OAuthProviderList)]
pub(crate) struct ProviderListBody {
    /// In configuration order; empty when social sign-in is off.
    pub items: Vec<ProviderBody>,
}

/// `?redirect_to=` of `GET /auth/oauth/{provider}/start`.
#[derive(Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StartQuery {
    /// Where the browser comes back to at the end (with `?code=` or `?error=`): an absolute
    /// URL on one of `CORS_ORIGINS` or `PUBLIC_URL`'s origin.
    #[param(example = "https://app.example.com/signed-in")]
    pub redirect_to: String,
}

/// The provider's answer at the callback (query string, or a form post for Apple). Other
/// parameters providers add (`iss`, `scope`, Apple's `user`…) are ignored.
#[derive(Clone, serde::Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
#[schema(as = OAuthCallback)]
pub(crate) struct CallbackParams {
    /// The `state` Plinth sent.
    pub state: Option<String>,
    /// The authorization code.
    pub code: Option<String>,
    /// The provider's error, when the user declined or it failed.
    pub error: Option<String>,
}

/// `POST /auth/oauth/exchange`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = OAuthExchangeRequest, example = json!({ "code": "q3Lx0m2V8b1cN4tY7rP6sK9dH5gJ0wE2aZ8uI1oF3nM" }))]
pub(crate) struct ExchangeRequest {
    /// The `code` the callback put on `redirect_to`.
    #[validate(length(
        min = 1,
        max = 200,
        message = "code must be between 1 and 200 characters"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub code: String,
}

/// `POST /me/identities`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = LinkIdentityRequest, example = json!({
    "provider": "google",
    "redirect_to": "https://app.example.com/settings/sign-in"
}))]
pub(crate) struct LinkRequest {
    /// The provider's name, from `GET /auth/oauth/providers`.
    #[validate(length(
        min = 1,
        max = 40,
        message = "provider must be between 1 and 40 characters"
    ))]
    #[schema(min_length = 1, max_length = 40)]
    pub provider: String,
    /// Where the browser comes back to at the end (with `?linked=<provider>` or
    /// `?error=<code>`): an absolute URL on one of `CORS_ORIGINS` or `PUBLIC_URL`'s origin.
    #[validate(length(
        min = 1,
        max = 2000,
        message = "redirect_to must be between 1 and 2000 characters"
    ))]
    #[schema(min_length = 1, max_length = 2000)]
    pub redirect_to: String,
}

/// Where to send the browser to link an identity.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AuthorizationRedirect, example = json!({
    "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=…&state=…"
}))]
pub(crate) struct AuthorizationBody {
    /// The provider's authorization URL: navigate the browser there.
    pub authorization_url: String,
}

/// A provider identity linked to the caller's account.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Identity, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b70",
    "provider": "github",
    "email": "ada@example.com",
    "created_at": "2026-01-15T09:30:00Z"
}))]
pub(crate) struct IdentityBody {
    /// Id (to unlink it).
    pub id: uuid::Uuid,
    /// The provider's name.
    pub provider: String,
    /// The address the provider gave when it was linked.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<plinth_sessions::UserIdentity> for IdentityBody {
    fn from(i: plinth_sessions::UserIdentity) -> Self {
        Self {
            id: i.id.as_uuid(),
            provider: i.provider,
            email: i.email,
            created_at: i.created_at,
        }
    }
}

/// The caller's linked identities, oldest first.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = IdentityList)]
pub(crate) struct IdentityListBody {
    /// Linked identities.
    pub items: Vec<IdentityBody>,
}
