//! The one way every sign-in ends: password login, the MFA challenge and passwordless all
//! finish here, inside the transaction that decided the sign-in.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RequestMeta, Timestamp, Transaction};
use plinth_users::User;

use super::{AuthService, TokenPair};
use crate::{AuthError, LockoutState, MailKind};

/// Who signs in, and how.
pub(super) struct SignedIn {
    /// The account.
    pub user: User,
    /// Its role's permissions, read before the transaction opened.
    pub perms: Vec<String>,
    /// `auth.login_succeeded`'s details (the method, the second factor), if any.
    pub details: Option<serde_json::Value>,
}

impl AuthService {
    /// Finishes the sign-in `signed_in` in `tx` (which holds the account's lockout row, read
    /// as `streak`): clears the failure streak, starts a session with its first refresh token,
    /// appends `auth.login_succeeded`, commits, and signs the access token. A sign-in from a
    /// user agent none of the account's earlier sessions had (and not its first) is told to
    /// the account's address ([`MailKind::NewSignIn`]).
    ///
    /// # Errors
    /// Storage or signing failure (the transaction is then dropped: nothing is stored).
    pub(super) async fn open_session(
        &self,
        mut tx: Box<dyn Transaction>,
        signed_in: SignedIn,
        streak: &LockoutState,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let SignedIn {
            user,
            perms,
            details,
        } = signed_in;
        if *streak != LockoutState::default() {
            self.sessions
                .save_lockout(tx.as_mut(), user.id, &LockoutState::default())
                .await?;
        }
        let seen = self
            .sessions
            .device_seen(tx.as_mut(), user.id, meta.user_agent.as_deref())
            .await?;
        let (session, refresh_token, record) = self.new_session(user.id, now, meta)?;
        self.sessions.insert_session(tx.as_mut(), &session).await?;
        self.sessions.insert_refresh(tx.as_mut(), &record).await?;
        let mut event = AuditEvent::new(AuditAction::LoginSucceeded, now, meta)
            .actor(user.id)
            .target("session", session.id);
        if let Some(details) = details {
            event = event.details(details);
        }
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        if seen == Some(false) {
            self.notify(&user, MailKind::NewSignIn, now, meta, |m| m)
                .await;
        }
        self.issue(user, perms, session.id, None, refresh_token, now)
    }
}
