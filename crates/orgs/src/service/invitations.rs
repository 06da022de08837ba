//! Invitations: sending one to an address with a role, listing, revoking and resending them,
//! and accepting one. The answer to an inviter is the same whether the address has an account
//! or not: an invitation is addressed to an address, and whoever accepts it must be signed in
//! with that address verified.

use plinth_audit::AuditAction;
use plinth_kernel::{Caller, Email, Page, PageRequest, RepoError, RequestMeta, Timestamp};

use super::{Acting, OrganizationService, require};
use crate::rules;
use crate::{
    Invitation, InvitationId, InvitationMail, InvitationToken, InvitationTokenHash, Member,
    Membership, OrgError, OrgId, OrgPermission, OrgRoleName, Organization,
};

/// An invitation just sent, and whether its mail was handed over.
#[derive(Debug, Clone)]
pub struct SentInvitation {
    /// The invitation.
    pub invitation: Invitation,
    /// `false` when the mail could not be handed over (the invitation stands; resend it).
    pub mailed: bool,
}

/// What every refusal of a token says: unknown, used, revoked, expired or another address's.
const NO_SUCH_INVITATION: &str = "There is no such invitation for this account: it is unknown, \
     used, revoked or expired, or it was sent to another address.";

impl OrganizationService {
    /// Invites `email` to `id` as `role` (`org.invitation_sent`): the caller needs
    /// `members:write` and may offer only a role they could grant. One pending invitation per
    /// address; at most [`crate::InvitationPolicy::hourly_cap`] sent per organization and hour.
    /// The link is mailed after the commit.
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Invalid`] (`email`, `role`),
    /// [`OrgError::Forbidden`], [`OrgError::Conflict`] (one is pending),
    /// [`OrgError::RateLimited`]; storage failure.
    #[tracing::instrument(skip(self, caller, email, meta), fields(actor = %caller.user_id))]
    pub async fn invite(
        &self,
        caller: &Caller,
        id: OrgId,
        email: &str,
        role: &str,
        meta: &RequestMeta,
    ) -> Result<SentInvitation, OrgError> {
        let email = Email::parse(email).map_err(|e| OrgError::invalid("email", e.to_string()))?;
        let requested = OrgRoleName::parse(role).map_err(|m| OrgError::invalid("role", m))?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let Acting { org, role: actor } = self.acting(tx.as_mut(), id, caller).await?;
        require(&actor, OrgPermission::MEMBERS_WRITE)?;
        let offered = self
            .find_role(tx.as_mut(), id, &requested)
            .await?
            .ok_or_else(|| {
                OrgError::invalid(
                    "role",
                    format!("The organization has no role `{}`.", requested.as_str()),
                )
            })?;
        rules::may_grant(&actor, &offered)?;
        if !self
            .orgs
            .pending_to(tx.as_mut(), id, &email, now)
            .await?
            .is_empty()
        {
            return Err(OrgError::Conflict(
                "An invitation to this address is pending; resend or revoke it.".to_owned(),
            ));
        }
        self.under_invitation_cap(tx.as_mut(), id, now).await?;
        let token =
            InvitationToken::generate().map_err(|e| OrgError::Repo(RepoError::internal(e)))?;
        let invitation = Invitation {
            id: InvitationId::new(),
            org_id: id,
            email,
            role: offered.name,
            invited_by: caller.user_id,
            sent_at: now,
            expires_at: now + self.policy.ttl,
            accepted_at: None,
            revoked_at: None,
        };
        self.orgs
            .insert_invitation(tx.as_mut(), &invitation, &token.hash())
            .await?;
        let event = self
            .event(AuditAction::OrgInvitationSent, caller, id, meta)
            .target("invitation", invitation.id)
            .details(serde_json::json!({ "org_id": id, "role": invitation.role.as_str() }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        let mailed = self.mail_invitation(&org, &invitation, &token).await;
        Ok(SentInvitation { invitation, mailed })
    }

    /// `id`'s pending invitations, newest first (permission `members:read` there).
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Forbidden`]; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn invitations(
        &self,
        caller: &Caller,
        id: OrgId,
        page: PageRequest,
    ) -> Result<Page<Invitation>, OrgError> {
        require(
            &self.role_of(caller, id).await?,
            OrgPermission::MEMBERS_READ,
        )?;
        Ok(self
            .orgs
            .pending_invitations(id, self.clock.now(), page)
            .await?)
    }

    /// Revokes pending invitation `invitation` of `id` (`members:write` there;
    /// `org.invitation_revoked`): its link stops working.
    ///
    /// # Errors
    /// [`OrgError::NotFound`] (also for one accepted or revoked already),
    /// [`OrgError::Forbidden`]; storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn revoke_invitation(
        &self,
        caller: &Caller,
        id: OrgId,
        invitation: InvitationId,
        meta: &RequestMeta,
    ) -> Result<(), OrgError> {
        let mut tx = self.uow.begin().await?;
        let Acting { role: actor, .. } = self.acting(tx.as_mut(), id, caller).await?;
        require(&actor, OrgPermission::MEMBERS_WRITE)?;
        let now = self.clock.now();
        if !self
            .orgs
            .revoke_invitation(tx.as_mut(), id, invitation, now)
            .await?
        {
            return Err(OrgError::NotFound);
        }
        let event = self
            .event(AuditAction::OrgInvitationRevoked, caller, id, meta)
            .target("invitation", invitation)
            .details(serde_json::json!({ "org_id": id }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends invitation `invitation` of `id` again with a new link and a new expiry (the old
    /// link stops working; `members:write` there; `org.invitation_sent` with `resent: true`),
    /// within the hourly cap.
    ///
    /// # Errors
    /// [`OrgError::NotFound`] (also for one accepted or revoked already),
    /// [`OrgError::Forbidden`], [`OrgError::RateLimited`]; storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn resend_invitation(
        &self,
        caller: &Caller,
        id: OrgId,
        invitation: InvitationId,
        meta: &RequestMeta,
    ) -> Result<SentInvitation, OrgError> {
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let Acting { org, role: actor } = self.acting(tx.as_mut(), id, caller).await?;
        require(&actor, OrgPermission::MEMBERS_WRITE)?;
        let mut found = self
            .orgs
            .invitation(tx.as_mut(), id, invitation)
            .await?
            .filter(|i| i.accepted_at.is_none() && i.revoked_at.is_none())
            .ok_or(OrgError::NotFound)?;
        self.under_invitation_cap(tx.as_mut(), id, now).await?;
        let token =
            InvitationToken::generate().map_err(|e| OrgError::Repo(RepoError::internal(e)))?;
        let expires_at = now + self.policy.ttl;
        if !self
            .orgs
            .renew_invitation(tx.as_mut(), id, invitation, &token.hash(), now, expires_at)
            .await?
        {
            return Err(OrgError::NotFound);
        }
        let event = self
            .event(AuditAction::OrgInvitationSent, caller, id, meta)
            .target("invitation", invitation)
            .details(serde_json::json!({
                "org_id": id, "role": found.role.as_str(), "resent": true,
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        found.sent_at = now;
        found.expires_at = expires_at;
        let mailed = self.mail_invitation(&org, &found, &token).await;
        Ok(SentInvitation {
            invitation: found,
            mailed,
        })
    }

    /// `caller` accepts the invitation whose link holds `token` (`org.invitation_accepted`):
    /// they must be signed in with the invited address, verified, and not a member yet. The
    /// invitation is spent, and they join with its role.
    ///
    /// # Errors
    /// [`OrgError::NotFound`] for a token that is unknown, used, revoked, expired or sent to
    /// another address (one answer for all); [`OrgError::Forbidden`] while the caller's
    /// address is unverified; [`OrgError::Conflict`] when they are a member already or the
    /// offered custom role is gone (the invitation stays); storage failure.
    #[tracing::instrument(skip(self, caller, token, meta), fields(actor = %caller.user_id))]
    pub async fn accept_invitation(
        &self,
        caller: &Caller,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<Membership, OrgError> {
        let hash = InvitationTokenHash::of(token);
        let (email, verified) = self
            .emails
            .email_of(caller.user_id)
            .await?
            .ok_or(OrgError::NotFound)?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let invitation = self
            .orgs
            .invitation_by_token(tx.as_mut(), &hash)
            .await?
            .filter(|i| i.is_pending(now) && i.email == email)
            .ok_or_else(no_such_invitation)?;
        if !verified {
            return Err(unverified());
        }
        self.join(tx, caller, invitation, now, meta).await
    }

    /// The rest of an acceptance, in `tx`, once `invitation` is known to be pending, addressed
    /// to the caller's verified address: the caller joins with its role.
    pub(super) async fn join(
        &self,
        mut tx: Box<dyn plinth_kernel::Transaction>,
        caller: &Caller,
        invitation: Invitation,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<Membership, OrgError> {
        let id = invitation.org_id;
        let org = self
            .orgs
            .lock(tx.as_mut(), id)
            .await?
            .ok_or_else(no_such_invitation)?;
        super::refuse_suspended(&org)?;
        if self
            .orgs
            .member(tx.as_mut(), id, caller.user_id)
            .await?
            .is_some()
        {
            return Err(OrgError::Conflict(
                "You are a member of this organization already.".to_owned(),
            ));
        }
        let role = self
            .find_role(tx.as_mut(), id, &invitation.role)
            .await?
            .ok_or_else(|| {
                OrgError::Conflict(
                    "The role this invitation offers no longer exists; ask for a new invitation."
                        .to_owned(),
                )
            })?;
        if !self
            .orgs
            .accept_invitation(tx.as_mut(), invitation.id, now)
            .await?
        {
            return Err(no_such_invitation());
        }
        let member = Member {
            user_id: caller.user_id,
            role: role.name,
            joined_at: now,
        };
        self.orgs.add_member(tx.as_mut(), id, &member).await?;
        let event = self
            .event(AuditAction::OrgInvitationAccepted, caller, id, meta)
            .target("invitation", invitation.id)
            .details(serde_json::json!({ "org_id": id, "role": member.role.as_str() }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(Membership {
            organization: org,
            role: member.role,
        })
    }

    /// [`OrgError::RateLimited`] when `id` sent its hourly share of invitations.
    async fn under_invitation_cap(
        &self,
        tx: &mut dyn plinth_kernel::Transaction,
        id: OrgId,
        now: Timestamp,
    ) -> Result<(), OrgError> {
        let hour = chrono::Duration::hours(1);
        let sent = self.orgs.invitations_sent_since(tx, id, now - hour).await?;
        if sent >= self.policy.hourly_cap {
            return Err(OrgError::RateLimited {
                // The oldest of the hour's invitations leaves the window within the hour.
                retry_after_secs: 60,
            });
        }
        Ok(())
    }

    /// Mails the link of `token`; `false` (logged without the link) when it could not go.
    async fn mail_invitation(
        &self,
        org: &Organization,
        invitation: &Invitation,
        token: &InvitationToken,
    ) -> bool {
        let mail = InvitationMail {
            to: invitation.email.clone(),
            organization: org.name.as_str().to_owned(),
            role: invitation.role.as_str().to_owned(),
            link: format!(
                "{}/accept-invitation?token={}",
                self.policy.public_url.trim_end_matches('/'),
                token.expose()
            ),
            expires_at: invitation.expires_at,
        };
        match self.mailer.send_invitation(&mail).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(invitation = %invitation.id, %error, "invitation mail could not be sent");
                false
            }
        }
    }
}

pub(super) fn no_such_invitation() -> OrgError {
    OrgError::NotFoundBecause(NO_SUCH_INVITATION)
}

/// The refusal of an invitee whose address is not verified yet.
pub(super) fn unverified() -> OrgError {
    OrgError::Forbidden("Verify your email address first; then accept the invitation.".to_owned())
}
