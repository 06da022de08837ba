//! `GET /me/export`: everything stored about the caller.

use crate::dto::audit::AuditEntryBody;
use crate::dto::auth::SessionBody;
use crate::dto::file::FileBody;
use crate::dto::user::UserBody;

/// Everything Plinth stores about one user.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = AccountExport)]
pub(crate) struct ExportBody {
    /// When this export was made.
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// The account.
    pub user: UserBody,
    /// Live sessions (signed-in devices).
    pub sessions: Vec<SessionBody>,
    /// Files the user owns (metadata; download each through `/files/{id}/content`).
    pub files: Vec<FileBody>,
    /// The `/me/data` document.
    pub app_data: serde_json::Value,
    /// Audit entries the user is the actor of, newest first.
    pub audit: Vec<AuditEntryBody>,
}
