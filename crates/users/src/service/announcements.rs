//! AnnouncementService: administrators post announcements; every signed-in user reads the
//! active ones.

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{Caller, Clock, Page, PageRequest, Permission, RequestMeta, UnitOfWork};

use crate::{Announcement, AnnouncementError, AnnouncementInput, AnnouncementRepository};

/// Use cases on announcements: [`AnnouncementService::create`] and
/// [`AnnouncementService::list`] check `announcements:write` themselves; the active ones are
/// for everyone.
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

    /// Posts an announcement by `caller` (permission `announcements:write`); it and its
    /// `admin.announcement_created` audit entry (target the announcement; details: the window
    /// and the title) are stored together.
    ///
    /// # Errors
    /// [`AnnouncementError::Forbidden`], [`AnnouncementError::Invalid`] (nothing stored), or
    /// storage failure.
    #[tracing::instrument(skip(self, caller, input, meta), fields(actor = %caller.user_id))]
    pub async fn create(
        &self,
        caller: &Caller,
        input: AnnouncementInput,
        meta: &RequestMeta,
    ) -> Result<Announcement, AnnouncementError> {
        caller.require(Permission::ANNOUNCEMENTS_WRITE)?;
        let actor = caller.user_id;
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

    /// Every announcement, past, current and future, newest first (permission
    /// `announcements:write`).
    ///
    /// # Errors
    /// [`AnnouncementError::Forbidden`]; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn list(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<Announcement>, AnnouncementError> {
        caller.require(Permission::ANNOUNCEMENTS_WRITE)?;
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
