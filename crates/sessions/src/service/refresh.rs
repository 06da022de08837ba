//! `AuthService::refresh` and `AuthService::logout`.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta};
use plinth_users::UserStatus;

use super::{AuthService, TokenPair};
use crate::{AuthError, Principal, RefreshToken, RefreshTokenRecord};

impl AuthService {
    /// Exchanges a refresh token for a new pair. The presented token is spent (single use) and
    /// a successor in the same session is issued; the access token carries the user's current
    /// role and permissions. Audited as `auth.refreshed` in the same transaction.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] for an unknown, spent or expired token, a revoked or expired
    /// session, or a deleted or suspended user; storage or signing failure.
    #[tracing::instrument(skip(self, token, meta))]
    pub async fn refresh(
        &self,
        token: &RefreshToken,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let now = self.clock.now();
        let hash = token.hash();
        let record = self
            .sessions
            .refresh_by_hash(&hash)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if record.spent_at.is_some() {
            return Err(self.spent_token_presented(&record));
        }
        if record.expires_at <= now {
            return Err(AuthError::InvalidToken);
        }
        let session = self
            .sessions
            .session(record.session_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if !session.is_live(now) {
            return Err(AuthError::InvalidToken);
        }
        let user = self
            .users
            .by_id(session.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if user.status != UserStatus::Active {
            return Err(AuthError::InvalidToken);
        }
        let (successor, successor_record) = Self::new_refresh(&session, now)?;
        let event = AuditEvent::new(AuditAction::Refreshed, now, meta)
            .actor(user.id)
            .target("session", session.id);

        let mut tx = self.uow.begin().await?;
        // The conditional spend is what makes a token single-use, even across replicas: of two
        // concurrent refreshes with the same token only one gets `true`.
        if !self.sessions.spend_refresh(tx.as_mut(), &hash, now).await? {
            drop(tx);
            return Err(self.spent_token_presented(&record));
        }
        self.sessions
            .touch_session(tx.as_mut(), session.id, now)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => AuthError::InvalidToken,
                other => AuthError::Repo(other),
            })?;
        self.sessions
            .insert_refresh(tx.as_mut(), &successor_record)
            .await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;

        self.issue(user, session.id, successor, now)
    }

    /// What happens when an already spent refresh token is presented again.
    ///
    /// Extension point for issue #3: within `REFRESH_REUSE_GRACE` of the spend this will return
    /// the same successor again (parallel tabs); after it, it will revoke the whole session
    /// family and append `auth.refresh_reuse_detected`. Until then a spent token is simply
    /// refused, and nothing else changes.
    fn spent_token_presented(&self, record: &RefreshTokenRecord) -> AuthError {
        tracing::warn!(session_id = %record.session_id, "spent refresh token presented again");
        AuthError::InvalidToken
    }

    /// Revokes the caller's current session; audited as `auth.logout` in the same transaction.
    /// Logging out of an already revoked session succeeds and keeps the first revocation time.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] when the session no longer exists; storage failure.
    #[tracing::instrument(skip(self, principal, meta), fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn logout(&self, principal: &Principal, meta: &RequestMeta) -> Result<(), AuthError> {
        let now = self.clock.now();
        let event = AuditEvent::new(AuditAction::Logout, now, meta)
            .actor(principal.user_id)
            .target("session", principal.session_id);
        let mut tx = self.uow.begin().await?;
        self.sessions
            .revoke_session(tx.as_mut(), principal.session_id, now)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => AuthError::InvalidToken,
                other => AuthError::Repo(other),
            })?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
