//! A user's own sessions: list them, end one, end them all.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta};

use super::AuthService;
use crate::{AuthError, Principal, Session, SessionId};

impl AuthService {
    /// The caller's live sessions (neither revoked, nor past their absolute end, nor idle for
    /// the inactivity timeout), newest first.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self, principal), fields(user_id = %principal.user_id))]
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<Session>, AuthError> {
        let now = self.clock.now();
        Ok(self
            .sessions
            .live_sessions(principal.user_id, now, Some(self.idle_cutoff(now)))
            .await?)
    }

    /// How many sessions, of every user, are live now, idle ones excluded (for the admin
    /// statistics).
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn live_session_count(&self) -> Result<u64, AuthError> {
        let now = self.clock.now();
        Ok(self
            .sessions
            .count_live(now, Some(self.idle_cutoff(now)))
            .await?)
    }

    /// Ends one of the caller's sessions (its refresh tokens stop working at once); audited as
    /// `auth.logout` with the session as target. Ending an already ended session of one's own
    /// succeeds.
    ///
    /// # Errors
    /// [`AuthError::SessionNotFound`] when the session does not exist or belongs to someone
    /// else (the two are indistinguishable); storage failure.
    #[tracing::instrument(skip(self, principal, meta), fields(user_id = %principal.user_id))]
    pub async fn revoke_own_session(
        &self,
        principal: &Principal,
        id: SessionId,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let session = self
            .sessions
            .session(id)
            .await?
            .filter(|s| s.user_id == principal.user_id)
            .ok_or(AuthError::SessionNotFound)?;
        let now = self.clock.now();
        let event = AuditEvent::new(AuditAction::Logout, now, meta)
            .actor(principal.user_id)
            .target("session", session.id);
        let mut tx = self.uow.begin().await?;
        self.sessions
            .revoke_session(tx.as_mut(), session.id, now)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => AuthError::SessionNotFound,
                other => AuthError::Repo(other),
            })?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller, the current one included; audited as `auth.logout`
    /// with the user as target and the number of sessions in `details`.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self, principal, meta), fields(user_id = %principal.user_id))]
    pub async fn logout_all(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
    ) -> Result<u64, AuthError> {
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let revoked = self
            .sessions
            .revoke_all(tx.as_mut(), principal.user_id, now)
            .await?;
        let event = AuditEvent::new(AuditAction::Logout, now, meta)
            .actor(principal.user_id)
            .target("user", principal.user_id)
            .details(serde_json::json!({ "all_sessions": true, "revoked": revoked }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(revoked)
    }
}
