//! File bodies.

use chrono::{DateTime, Utc};
use plinth_files::FileObject;
use uuid::Uuid;

/// A stored file's metadata (of its current version).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = File, example = json!({
    "id": "0190f5c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "name": "report.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "version": 1,
    "owner_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
    "org_id": null,
    "created_at": "2026-01-15T09:31:00Z",
    "updated_at": "2026-01-15T09:31:00Z"
}))]
pub(crate) struct FileBody {
    /// UUIDv7.
    pub id: Uuid,
    /// Sanitised file name.
    pub name: String,
    /// MIME type sniffed from the content (not taken from the client).
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content (also the download's `ETag`).
    pub sha256: String,
    /// Version number, starting at 1.
    pub version: i32,
    /// The account that uploaded it: its owner, unless `org_id` says an organization owns it.
    pub owner_id: Uuid,
    /// The organization that owns it (uploaded while the token acted for it: see
    /// `POST /auth/org`); its members reach it by their organization permissions
    /// (`org_files:read`, `org_files:write`). `null`: the uploader's own file.
    pub org_id: Option<Uuid>,
    /// First upload (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last new version (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<FileObject> for FileBody {
    fn from(f: FileObject) -> Self {
        Self {
            id: f.id.as_uuid(),
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            version: f.version,
            owner_id: f.owner_id.as_uuid(),
            org_id: f.org_id.map(|o| o.as_uuid()),
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// A page of files.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FilePage)]
pub(crate) struct FilePageBody {
    /// The files, newest first.
    pub items: Vec<FileBody>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = json!(null))]
    pub next_cursor: Option<String>,
}

/// Every version of a file, newest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FileVersionList)]
pub(crate) struct FileVersionsBody {
    /// One `File` per version, newest first: each as the file was at that version (its
    /// `version`, `name`, `content_type`, `size` and `sha256`; `updated_at` is when that
    /// version was uploaded).
    pub items: Vec<FileBody>,
}

/// Which version of a file to download.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ContentQuery {
    /// A version number from `GET /files/{id}/versions`; the current version when absent.
    #[param(minimum = 1, example = 1)]
    pub version: Option<i32>,
}

/// The `multipart/form-data` upload: one part named `file` carrying a file name.
#[derive(utoipa::ToSchema)]
#[schema(as = FileUpload)]
#[allow(dead_code)] // documents the request body; the handler streams the parts itself
pub(crate) struct FileUploadForm {
    /// The file content; its part must carry a `filename`. The type is sniffed from the bytes
    /// and must be one of `ALLOWED_FILE_TYPES`.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
}

/// The raw bytes of a file (documentation only: downloads are streamed).
#[derive(utoipa::ToSchema)]
#[schema(as = FileContent, value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct FileContentBody(Vec<u8>);

/// The `multipart/form-data` avatar upload: one part named `file`.
#[derive(utoipa::ToSchema)]
#[schema(as = AvatarUpload)]
#[allow(dead_code)] // documents the request body; the handler streams the part itself
pub(crate) struct AvatarUploadForm {
    /// The image: PNG, JPEG, GIF or WebP by its bytes (its file name and declared type are
    /// ignored), at most `MAX_AVATAR_BYTES`. The request body's `encoding` lists the four types.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The bytes of an avatar image (documentation only: they are streamed).
#[derive(utoipa::ToSchema)]
#[schema(as = AvatarImage, value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct AvatarImageBody(Vec<u8>);
