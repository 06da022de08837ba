//! `AuthService::refresh` and `AuthService::logout`.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::RequestMeta;
use plinth_users::UserStatus;

use super::{AuthService, TokenPair, session_gone};
use crate::{AuthError, Principal, RefreshToken, RefreshTokenRecord};

impl AuthService {
    /// Exchanges a refresh token for a new pair. The presented token is spent (single use) and
    /// its successor in the same session is issued; the access token carries the user's current
    /// role and permissions and, when the session acts for an organization they still belong
    /// to (and that is not suspended), that organization with their current permissions there;
    /// otherwise the session acts for its user again. Audited as `auth.refreshed` in the same
    /// transaction.
    ///
    /// A token that is already spent is a *replay*: within the reuse grace of its spend it
    /// yields the same successor again (two tabs refreshing at once get one successor between
    /// them); after the grace it is taken as theft, the whole session (the token family) is
    /// revoked and `auth.refresh_reuse_detected` is appended, in one transaction.
    ///
    /// # Errors
    /// [`AuthError::InvalidToken`] for an unknown, replayed-too-late or expired token, a revoked
    /// or expired session, a session unused for the inactivity timeout
    /// ([`crate::TokenLifetimes::idle`]), or a deleted or suspended user; storage or signing
    /// failure.
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
            return self.replay(token, &record, meta).await;
        }
        if record.expires_at <= now {
            return Err(AuthError::InvalidToken);
        }
        let (session, user) = self.live_session_and_user(record.session_id, now).await?;
        let perms = self.permissions_of(&user.role).await?;
        let org = self.standing_of(&session).await?;
        let (successor, successor_record) = self.successor(token, &session, now)?;
        let event = AuditEvent::new(AuditAction::Refreshed, now, meta)
            .actor(user.id)
            .target("session", session.id);

        let mut tx = self.uow.begin().await?;
        // The conditional spend is what makes a token single-use, even across replicas: of two
        // concurrent refreshes with the same token only one gets `true`; the others replay.
        if !self
            .sessions
            .spend_refresh(tx.as_mut(), &hash, now, &successor_record.hash)
            .await?
        {
            drop(tx);
            let spent = self
                .sessions
                .refresh_by_hash(&hash)
                .await?
                .ok_or(AuthError::InvalidToken)?;
            return self.replay(token, &spent, meta).await;
        }
        self.sessions
            .touch_session(tx.as_mut(), session.id, now)
            .await
            .map_err(session_gone)?;
        self.sessions
            .insert_refresh(tx.as_mut(), &successor_record)
            .await?;
        if session.org_id.is_some() && org.is_none() {
            // No longer a member there (or it went away): the session acts for its user again.
            self.sessions
                .set_session_org(tx.as_mut(), session.id, None)
                .await?;
        }
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;

        self.issue(user, perms, session.id, org, successor, now)
    }

    /// A spent token presented again (see [`AuthService::refresh`]).
    async fn replay(
        &self,
        token: &RefreshToken,
        record: &RefreshTokenRecord,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let now = self.clock.now();
        let Some(spent_at) = record.spent_at else {
            return Err(AuthError::InvalidToken);
        };
        if now - spent_at > self.reuse.grace {
            self.revoke_family(record, meta).await?;
            return Err(AuthError::InvalidToken);
        }
        // Within the grace: the same successor, if this token's key still derives it and it
        // is itself unspent (a successor already rotated again is not handed out twice).
        let Some(key) = &self.reuse.key else {
            return Err(AuthError::InvalidToken);
        };
        let successor = token.successor(key);
        if record.replaced_by.as_ref() != Some(&successor.hash()) {
            return Err(AuthError::InvalidToken);
        }
        let successor_record = self
            .sessions
            .refresh_by_hash(&successor.hash())
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if successor_record.spent_at.is_some() || successor_record.expires_at <= now {
            return Err(AuthError::InvalidToken);
        }
        let (session, user) = self
            .live_session_and_user(successor_record.session_id, now)
            .await?;
        let perms = self.permissions_of(&user.role).await?;
        let org = self.standing_of(&session).await?;
        self.issue(user, perms, session.id, org, successor, now)
    }

    /// Revokes the session a replayed token belongs to and records why, in one transaction.
    async fn revoke_family(
        &self,
        record: &RefreshTokenRecord,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        let Some(session) = self.sessions.session(record.session_id).await? else {
            return Ok(());
        };
        tracing::warn!(session_id = %session.id, user_id = %session.user_id, "refresh token reuse detected: session revoked");
        let event = AuditEvent::new(AuditAction::RefreshReuseDetected, now, meta)
            .actor(session.user_id)
            .target("session", session.id);
        let mut tx = self.uow.begin().await?;
        self.sessions
            .revoke_session(tx.as_mut(), session.id, now)
            .await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Session `id` while it is live (not revoked, ended or idle) and its active user, or
    /// `InvalidToken`.
    pub(super) async fn live_session_and_user(
        &self,
        id: crate::SessionId,
        now: plinth_kernel::Timestamp,
    ) -> Result<(crate::Session, plinth_users::User), AuthError> {
        let session = self
            .sessions
            .session(id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        // Past its absolute end, revoked, or idle for the whole inactivity timeout: refused
        // like an expired token (nothing to audit, the session simply ended).
        if !session.is_live(now) || !session.used_after(Some(self.idle_cutoff(now))) {
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
        Ok((session, user))
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
            .map_err(session_gone)?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
