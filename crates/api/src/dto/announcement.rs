//! Announcement bodies.

use chrono::{DateTime, Utc};
use plinth_users::{Announcement, AnnouncementInput};
use uuid::Uuid;

/// `POST /admin/announcements`. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAnnouncement, example = json!({
    "title": "Maintenance on Saturday",
    "body": "Plinth is read-only on Saturday from 22:00 to 23:00 UTC while we upgrade the database.",
    "starts_at": "2026-01-16T09:00:00Z",
    "ends_at": "2026-01-17T23:00:00Z"
}))]
pub(crate) struct NewAnnouncementRequest {
    /// One line of plain text, 1–200 characters (trimmed).
    pub title: String,
    /// Plain text, 1–5000 characters (trimmed); line breaks and tabs are kept, other control
    /// characters refused. Clients must display it as text, never as HTML.
    pub body: String,
    /// Shown from this instant on (RFC 3339); absent or `null`: at once.
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until just before this instant (RFC 3339); later than `starts_at` and than now.
    /// Absent or `null`: until further notice.
    pub ends_at: Option<DateTime<Utc>>,
}

impl NewAnnouncementRequest {
    /// The domain input (checked by the service).
    pub(crate) fn into_domain(self) -> AnnouncementInput {
        AnnouncementInput {
            title: self.title,
            body: self.body,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

/// An announcement as every signed-in user sees it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Announcement, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b70",
    "title": "Maintenance on Saturday",
    "body": "Plinth is read-only on Saturday from 22:00 to 23:00 UTC while we upgrade the database.",
    "starts_at": "2026-01-16T09:00:00Z",
    "ends_at": "2026-01-17T23:00:00Z",
    "created_at": "2026-01-15T09:30:00Z"
}))]
pub(crate) struct AnnouncementBody {
    /// UUIDv7.
    pub id: Uuid,
    /// One line of plain text.
    pub title: String,
    /// Plain text; display it as text, never as HTML.
    pub body: String,
    /// Shown from then on; `null`: since it was posted.
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until just before then; `null`: until further notice.
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was posted (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Announcement> for AnnouncementBody {
    fn from(a: Announcement) -> Self {
        Self {
            id: a.id.as_uuid(),
            title: a.title,
            body: a.body,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            created_at: a.created_at,
        }
    }
}

/// An announcement as administrators see it: with its author.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AdminAnnouncement, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b70",
    "title": "Maintenance on Saturday",
    "body": "Plinth is read-only on Saturday from 22:00 to 23:00 UTC while we upgrade the database.",
    "starts_at": "2026-01-16T09:00:00Z",
    "ends_at": "2026-01-17T23:00:00Z",
    "created_by": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6b",
    "created_at": "2026-01-15T09:30:00Z"
}))]
pub(crate) struct AdminAnnouncementBody {
    /// UUIDv7.
    pub id: Uuid,
    /// One line of plain text.
    pub title: String,
    /// Plain text.
    pub body: String,
    /// Shown from then on; `null`: since it was posted.
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until just before then; `null`: until further notice.
    pub ends_at: Option<DateTime<Utc>>,
    /// The id of the administrator who posted it (kept if that account is deleted).
    pub created_by: Uuid,
    /// When it was posted (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Announcement> for AdminAnnouncementBody {
    fn from(a: Announcement) -> Self {
        Self {
            id: a.id.as_uuid(),
            title: a.title,
            body: a.body,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            created_by: a.created_by.as_uuid(),
            created_at: a.created_at,
        }
    }
}

/// A page of announcements, newest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AnnouncementPage)]
pub(crate) struct AnnouncementPageBody {
    /// The announcements shown now, newest first.
    pub items: Vec<AnnouncementBody>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = json!(null))]
    pub next_cursor: Option<String>,
}

/// A page of every announcement, newest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AdminAnnouncementPage)]
pub(crate) struct AdminAnnouncementPageBody {
    /// Every announcement, past, current and future, newest first.
    pub items: Vec<AdminAnnouncementBody>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = json!(null))]
    pub next_cursor: Option<String>,
}
