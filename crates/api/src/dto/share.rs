//! Share and signed-URL bodies.

use chrono::{DateTime, Utc};
use plinth_files::{FileShare, OrgShare, SharePermission, SignedParams, SignedUrl};
use uuid::Uuid;

/// What a share allows; each level includes the ones before it.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SharePermission)]
pub(crate) enum SharePermissionBody {
    /// The metadata and the versions list.
    View,
    /// The metadata and the bytes (also signed URLs).
    Download,
    /// The metadata, the bytes and new versions.
    Edit,
}

impl From<SharePermission> for SharePermissionBody {
    fn from(p: SharePermission) -> Self {
        match p {
            SharePermission::View => Self::View,
            SharePermission::Download => Self::Download,
            SharePermission::Edit => Self::Edit,
        }
    }
}

/// `POST /files/{id}/shares`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ShareRequest, example = json!({ "email": "grace@example.com", "permission": "download" }))]
pub(crate) struct ShareRequest {
    /// The address to share with (it need not belong to an account yet).
    pub email: String,
    /// `view`, `download` or `edit`.
    #[schema(value_type = SharePermissionBody)]
    pub permission: String,
}

/// One share of a file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FileShare, example = json!({
    "file_id": "0190f5c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "email": "grace@example.com",
    "permission": "download",
    "created_at": "2026-01-15T09:40:00Z"
}))]
pub(crate) struct ShareBody {
    /// The shared file.
    pub file_id: Uuid,
    /// Who it is shared with (normalised, lower-case).
    pub email: String,
    /// What they may do.
    pub permission: SharePermissionBody,
    /// When it was first shared with them (replacing the permission keeps it).
    pub created_at: DateTime<Utc>,
}

impl From<FileShare> for ShareBody {
    fn from(s: FileShare) -> Self {
        Self {
            file_id: s.file_id.as_uuid(),
            email: s.grantee_email.as_str().to_owned(),
            permission: s.permission.into(),
            created_at: s.created_at,
        }
    }
}

/// Every share of a file, oldest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FileShareList)]
pub(crate) struct ShareListBody {
    /// The shares.
    pub items: Vec<ShareBody>,
}

/// `POST /files/{id}/org-shares`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrgShareRequest, example = json!({
    "org_id": "0193a5c0-7a1b-7c2d-8e3f-405162738495",
    "permission": "download"
}))]
pub(crate) struct OrgShareRequest {
    /// The organization to share with (whether it exists is never told).
    pub org_id: Uuid,
    /// `view`, `download` or `edit`.
    #[schema(value_type = SharePermissionBody)]
    pub permission: String,
}

/// One share of a file with an organization.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FileOrgShare, example = json!({
    "file_id": "0190f5c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "org_id": "0193a5c0-7a1b-7c2d-8e3f-405162738495",
    "permission": "download",
    "created_at": "2026-01-15T09:40:00Z"
}))]
pub(crate) struct OrgShareBody {
    /// The shared file.
    pub file_id: Uuid,
    /// The organization it is shared with.
    pub org_id: Uuid,
    /// What its members may do (acting for it; `edit` also takes `org_files:write` there,
    /// `download` otherwise).
    pub permission: SharePermissionBody,
    /// When it was first shared with it (replacing the permission keeps it).
    pub created_at: DateTime<Utc>,
}

impl From<OrgShare> for OrgShareBody {
    fn from(s: OrgShare) -> Self {
        Self {
            file_id: s.file_id.as_uuid(),
            org_id: s.org_id.as_uuid(),
            permission: s.permission.into(),
            created_at: s.created_at,
        }
    }
}

/// Every share of a file with an organization, oldest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FileOrgShareList)]
pub(crate) struct OrgShareListBody {
    /// The shares.
    pub items: Vec<OrgShareBody>,
}

/// `POST /files/{id}/signed-url`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SignedUrlRequest, example = json!({ "expires_in": 3600 }))]
pub(crate) struct SignedUrlRequest {
    /// Lifetime in seconds, 1 to 604800 (7 days).
    #[schema(minimum = 1, maximum = 604_800)]
    pub expires_in: i64,
}

/// A download link that needs no credentials.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = SignedUrl, example = json!({
    "url": "https://api.example.com/api/v1/files/0190f5c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f/content/signed?v=1&exp=1768473000&by=0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a&gen=0&kid=3f2a9c0d1e4b5a68&sig=5d41402abc4b2a76b9719d911017c592",
    "expires_at": "2026-01-15T10:30:00Z"
}))]
pub(crate) struct SignedUrlBody {
    /// The absolute link (under `PUBLIC_URL`); it downloads the version current when it was
    /// made.
    #[schema(format = "uri")]
    pub url: String,
    /// When it stops working (RFC 3339, UTC).
    pub expires_at: DateTime<Utc>,
}

impl From<SignedUrl> for SignedUrlBody {
    fn from(s: SignedUrl) -> Self {
        Self {
            url: s.url,
            expires_at: s.expires_at,
        }
    }
}

/// The query of a signed link. Every parameter is read as text so that a missing or altered
/// one is refused like a bad signature (403), not as a malformed request.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SignedQuery {
    /// The version the link downloads.
    #[param(value_type = i32, example = 1)]
    pub v: Option<String>,
    /// Expiry, Unix seconds.
    #[param(value_type = i64, example = 1_768_473_000)]
    pub exp: Option<String>,
    /// Id of the account that made the link: it works only while that account may download
    /// the file.
    #[param(value_type = uuid::Uuid)]
    pub by: Option<String>,
    /// The file's signed-URL generation the link was made under (revoking the file's signed
    /// URLs moves it on).
    #[serde(rename = "gen")]
    #[param(value_type = i64, example = 0)]
    pub generation: Option<String>,
    /// Id of the signing key.
    #[param(value_type = String)]
    pub kid: Option<String>,
    /// Hex HMAC-SHA256 signature.
    #[param(value_type = String)]
    pub sig: Option<String>,
}

impl SignedQuery {
    /// The parameters for file `file_id`, or `None` when one is missing or malformed.
    pub(crate) fn into_domain(self, file_id: plinth_files::FileId) -> Option<SignedParams> {
        Some(SignedParams {
            file_id,
            version: self.v?.parse().ok()?,
            expires: self.exp?.parse().ok()?,
            signer: self.by?.parse().ok()?,
            generation: self.generation?.parse().ok()?,
            kid: self.kid?,
            signature: self.sig?,
        })
    }
}
