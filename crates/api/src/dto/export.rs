//! `GET /me/export`: everything stored about the caller.

use crate::dto::audit::AuditEntryBody;
use crate::dto::auth::SessionBody;
use crate::dto::file::FileBody;
use crate::dto::invoice::InvoiceBody;
use crate::dto::oauth::IdentityBody;
use crate::dto::org::OrganizationBody;
use crate::dto::passkey::PasskeyBody;
use crate::dto::subscription::SubscriptionBody;
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
    /// Provider identities linked to the account (beyond the contract's list, like the rest
    /// below: everything stored about the caller).
    pub identities: Vec<IdentityBody>,
    /// The account's passkeys.
    pub passkeys: Vec<PasskeyBody>,
    /// The organizations the user belongs to, with their role in each.
    pub organizations: Vec<OrganizationBody>,
    /// The user's own live subscription; `null` without one.
    pub subscription: Option<SubscriptionBody>,
    /// The user's own issued invoices, newest first.
    pub invoices: Vec<InvoiceBody>,
    /// Audit entries the user is the actor of, newest first.
    pub audit: Vec<AuditEntryBody>,
}
