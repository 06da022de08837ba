//! AnnouncementService: administrators post announcements; every signed-in user reads the
//! active ones.

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{Clock, Page, PageRequest, RequestMeta, UnitOfWork, UserId};

use crate::{Announcement, AnnouncementError, AnnouncementInput, AnnouncementRepository};

/// Use cases on announcements. Who may call which is the caller's check (the HTTP layer asks
/// for `announcements:write` before [`AnnouncementService::create`] and
/// [`AnnouncementService::list`]).
#[derive(Clone)]
pub struct AnnouncementService {
    announcements: Arc<dyn AnnouncementRepository>,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

impl AnnouncementService {
    /// Wires the service to its ports.
    #[must_use]
    pub fn new(
        announcements: Arc<dyn AnnouncementRepository>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            announcements,
            audit,
            uow,
            clock,
        }
    }

    /// Posts an announcement by `actor`; it and its `admin.announcement_created` audit entry
    /// (target the announcement; details: the window and the title) are stored together.
    ///
    /// # Errors
    /// [`AnnouncementError::Invalid`] (nothing stored), or storage failure.
    #[tracing::instrument(skip(self, input, meta), fields(actor = %actor))]
    pub async fn create(
        &self,
        actor: UserId,
        input: AnnouncementInput,
        meta: &RequestMeta,
    ) -> Result<Announcement, AnnouncementError> {
        let announcement = input.parse(actor, self.clock.now())?;
        let event = AuditEvent::new(
            AuditAction::AnnouncementCreated,
            announcement.created_at,
            meta,
        )
        .actor(actor)
        .target("announcement", announcement.id)
        .details(serde_json::json!({
            "title": announcement.title,
            "starts_at": announcement.starts_at,
            "ends_at": announcement.ends_at,
        }));
        let mut tx = self.uow.begin().await?;
        self.announcements
            .insert(tx.as_mut(), &announcement)
            .await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(announcement)
    }

    /// Every announcement, past, current and future, newest first.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn list(&self, page: PageRequest) -> Result<Page<Announcement>, AnnouncementError> {
        Ok(self.announcements.list(page).await?)
    }

    /// The announcements shown now, newest first.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn active(&self, page: PageRequest) -> Result<Page<Announcement>, AnnouncementError> {
        Ok(self.announcements.active(self.clock.now(), page).await?)
    }
}

#[cfg(test)]
mod tests;
