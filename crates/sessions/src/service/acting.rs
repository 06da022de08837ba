//! `AuthService::act_for`: the organization a session acts for. The choice is stored on the
//! session, so every access token it mints afterwards (at the switch and at each refresh)
//! carries the organization and the user's permissions there, and a route's check costs no
//! query. A membership that changes or ends revokes the user's tokens for that organization
//! (`RevocationRepository::revoke_org_tokens`, written by the organizations domain), and the
//! next refresh re-reads where the user stands.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{ActingFor, OrgId, RequestMeta};

use super::{AuthService, session_gone};
use crate::{AuthError, OrgStanding, Principal, Session};

/// A new access token for the caller's session, acting for the organization they chose.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    /// Signed JWT carrying `org` and `org_perms` when acting for an organization.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: i64,
    /// The organization it acts for and the caller's permissions there (`None`: the user
    /// themselves).
    pub org: Option<ActingFor>,
}

impl AuthService {
    /// Makes the caller's session act for organization `org` (`None`: for the caller
    /// themselves) and returns an access token that says so. The refresh token is unchanged;
    /// its next rotations keep acting for `org` while the caller remains a member. Audited as
    /// `auth.org_selected` (filed under the organization when one is chosen).
    ///
    /// # Errors
    /// [`AuthError::OrgNotFound`] when the caller is not a member of `org` or it does not exist
    /// (one answer), [`AuthError::OrgSuspended`] when an administrator suspended it,
    /// [`AuthError::InvalidToken`] when the session or the account has ended since the access
    /// token was issued; storage or signing failure. Nothing changes on error.
    #[tracing::instrument(skip(self, principal, meta), fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn act_for(
        &self,
        principal: &Principal,
        org: Option<OrgId>,
        meta: &RequestMeta,
    ) -> Result<AccessGrant, AuthError> {
        let now = self.clock.now();
        let (session, user) = self
            .live_session_and_user(principal.session_id, now)
            .await?;
        if session.user_id != principal.user_id {
            return Err(AuthError::InvalidToken);
        }
        let acting = match org {
            None => None,
            Some(id) => match self.orgs.standing(user.id, id).await? {
                OrgStanding::Member(acting) => Some(acting),
                OrgStanding::Suspended => return Err(AuthError::OrgSuspended),
                OrgStanding::NotMember => return Err(AuthError::OrgNotFound),
            },
        };
        let perms = self.permissions_of(&user.role).await?;
        let mut event = AuditEvent::new(AuditAction::OrgSelected, now, meta)
            .actor(user.id)
            .target("session", session.id)
            .details(serde_json::json!({ "org_id": org, "previous_org_id": session.org_id }));
        if let Some(id) = org {
            event = event.org(id);
        }

        let mut tx = self.uow.begin().await?;
        self.sessions
            .set_session_org(tx.as_mut(), session.id, org)
            .await
            .map_err(session_gone)?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;

        let access_token = self.sign_access(&user, perms, session.id, acting.clone(), now)?;
        Ok(AccessGrant {
            access_token,
            expires_in: self.lifetimes.access.num_seconds(),
            org: acting,
        })
    }

    /// Where the user of `session` stands now in the organization it acts for: their
    /// permissions there, or `None` when it acts for nobody or they can no longer act for it
    /// (removed, organization deleted or suspended).
    pub(crate) async fn standing_of(
        &self,
        session: &Session,
    ) -> Result<Option<ActingFor>, AuthError> {
        let Some(org) = session.org_id else {
            return Ok(None);
        };
        Ok(match self.orgs.standing(session.user_id, org).await? {
            OrgStanding::Member(acting) => Some(acting),
            OrgStanding::Suspended | OrgStanding::NotMember => None,
        })
    }
}
