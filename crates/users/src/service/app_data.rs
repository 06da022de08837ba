//! `UserService::app_data` and `UserService::put_app_data`: the `/me/data` document.

use plinth_events::{Audience, DomainEvent, EventType};
use plinth_kernel::UserId;

use super::UserService;
use crate::{AppData, MAX_APP_DATA_BYTES, UserError, etag_of};

/// How often a write without `If-Match` re-reads and retries when a concurrent writer got in
/// first (last writer wins, but never by overwriting a version it did not see).
const UNCONDITIONAL_ATTEMPTS: usize = 3;

impl UserService {
    /// The user's document, or `{}` (with its entity tag) when none was stored yet.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn app_data(&self, id: UserId) -> Result<AppData, UserError> {
        let now = self.clock.now();
        Ok(self
            .users
            .app_data(id)
            .await?
            .unwrap_or_else(|| AppData::new(id, "{}".to_owned(), now)))
    }

    /// Replaces the user's document with `body` (any JSON value, at most
    /// [`MAX_APP_DATA_BYTES`], stored compactly so equal content has one entity tag). With
    /// `if_match` (an entity tag, or `*` for "any stored document"), the write happens only over
    /// that version.
    ///
    /// # Errors
    /// [`UserError::DocumentTooLarge`], [`UserError::InvalidDocument`],
    /// [`UserError::VersionMismatch`] (nothing written), or storage failure.
    #[tracing::instrument(skip(self, body), fields(bytes = body.len()))]
    pub async fn put_app_data(
        &self,
        id: UserId,
        body: &[u8],
        if_match: Option<&str>,
    ) -> Result<AppData, UserError> {
        if body.len() > MAX_APP_DATA_BYTES {
            return Err(UserError::DocumentTooLarge {
                limit: MAX_APP_DATA_BYTES,
            });
        }
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| UserError::InvalidDocument(e.to_string()))?;
        let json = value.to_string();
        for _ in 0..UNCONDITIONAL_ATTEMPTS {
            let current = self.users.app_data(id).await?;
            let current_tag = current.as_ref().map(|d| d.etag.as_str());
            // Before the first write, `GET` shows `{}` with its tag: that is the version then.
            let shown = current_tag.map_or_else(|| etag_of("{}"), str::to_owned);
            let matches = match if_match {
                None => true,
                Some("*") => current.is_some(),
                Some(tag) => tag == shown,
            };
            if !matches {
                return Err(UserError::VersionMismatch);
            }
            let data = AppData::new(id, json.clone(), self.clock.now());
            let mut tx = self.uow.begin().await?;
            if self
                .users
                .put_app_data(tx.as_mut(), &data, current_tag)
                .await?
            {
                if let Some(events) = &self.events {
                    events.append(tx.as_mut(), &changed_event(&data)).await?;
                }
                tx.commit().await?;
                return Ok(data);
            }
            drop(tx);
            if if_match.is_some() {
                return Err(UserError::VersionMismatch);
            }
        }
        Err(UserError::VersionMismatch)
    }
}

/// The `app_data.changed` event of `data`, for its user only (their other devices).
fn changed_event(data: &AppData) -> DomainEvent {
    DomainEvent {
        event_type: EventType::AppDataChanged,
        occurred_at: data.updated_at,
        actor_id: Some(data.user_id),
        org_id: None,
        resource_type: "app_data".to_owned(),
        resource_id: data.user_id.to_string(),
        data: serde_json::json!({ "etag": data.etag }),
        audience: Audience::user(data.user_id),
    }
}
