//! Announcements: plain-text messages administrators broadcast to every signed-in user, each
//! shown during an optional time window.

use plinth_kernel::{Timestamp, UserId};

mod validate;

pub use validate::{AnnouncementInput, MAX_BODY_CHARS, MAX_TITLE_CHARS};

plinth_kernel::typed_id!(
    /// Identifies an announcement (UUIDv7, so ids sort by creation).
    AnnouncementId
);

/// A stored announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// Id.
    pub id: AnnouncementId,
    /// One line of plain text, 1–[`MAX_TITLE_CHARS`] characters, trimmed.
    pub title: String,
    /// Plain text (line breaks and tabs allowed), 1–[`MAX_BODY_CHARS`] characters. Clients
    /// must display it as text, never as HTML.
    pub body: String,
    /// Shown from this instant on; `None`: from its creation.
    pub starts_at: Option<Timestamp>,
    /// Shown until just before this instant; `None`: until further notice. Always later than
    /// `starts_at`.
    pub ends_at: Option<Timestamp>,
    /// The administrator who posted it (an id only: it outlives the account).
    pub created_by: UserId,
    /// When it was posted.
    pub created_at: Timestamp,
}

impl Announcement {
    /// Whether it is shown at `now`: `starts_at ≤ now < ends_at`, a missing bound being open.
    #[must_use]
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.starts_at.is_none_or(|s| s <= now) && self.ends_at.is_none_or(|e| now < e)
    }
}

/// What [`crate::AnnouncementService`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AnnouncementError {
    /// The input broke a rule: `(field, message for the user)` for each one, nothing stored.
    #[error("invalid announcement: {0:?}")]
    Invalid(Vec<(&'static str, String)>),
    /// The caller lacks `announcements:write`.
    #[error(transparent)]
    Forbidden(#[from] plinth_kernel::Forbidden),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] plinth_kernel::RepoError),
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(starts: Option<i64>, ends: Option<i64>, now: Timestamp) -> Announcement {
        Announcement {
            id: AnnouncementId::new(),
            title: "t".into(),
            body: "b".into(),
            starts_at: starts.map(|m| now + Duration::minutes(m)),
            ends_at: ends.map(|m| now + Duration::minutes(m)),
            created_by: UserId::new(),
            created_at: now,
        }
    }

    #[test]
    fn active_within_the_window_start_inclusive_end_exclusive() {
        let now = chrono::Utc::now();
        assert!(at(None, None, now).is_active(now));
        assert!(at(Some(0), None, now).is_active(now), "starts now");
        assert!(!at(Some(1), None, now).is_active(now), "not yet");
        assert!(!at(None, Some(0), now).is_active(now), "ends now");
        assert!(at(Some(-5), Some(5), now).is_active(now));
        assert!(!at(Some(-10), Some(-5), now).is_active(now), "over");
    }
}
