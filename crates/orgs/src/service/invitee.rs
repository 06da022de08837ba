//! The invitee's side of invitations: the pending invitations addressed to the caller's
//! verified address, accepted or declined in the app, without the mailed link. The address is
//! the proof, so an account that has not verified it sees none.

use plinth_audit::AuditAction;
use plinth_kernel::{Caller, Email, RequestMeta};

use super::OrganizationService;
use super::invitations::{no_such_invitation, unverified};
use crate::{Invitation, InvitationId, Membership, OrgError, OrgName};

impl OrganizationService {
    /// The invitations pending for `caller`'s verified address, newest first (at most 100),
    /// each with its organization's name.
    ///
    /// # Errors
    /// [`OrgError::Forbidden`] while the address is unverified; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn my_invitations(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(Invitation, OrgName)>, OrgError> {
        let email = self.verified_email(caller).await?;
        Ok(self.orgs.pending_for(&email, self.clock.now()).await?)
    }

    /// `caller` accepts pending invitation `id` addressed to their verified address, as with
    /// the mailed link ([`OrganizationService::accept_invitation`]).
    ///
    /// # Errors
    /// As [`OrganizationService::accept_invitation`]; an invitation to another address is the
    /// same 404 as an unknown one.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn accept_invitation_by_id(
        &self,
        caller: &Caller,
        id: InvitationId,
        meta: &RequestMeta,
    ) -> Result<Membership, OrgError> {
        let email = self.verified_email(caller).await?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let invitation = self
            .orgs
            .invitation_to(tx.as_mut(), id, &email)
            .await?
            .filter(|i| i.is_pending(now))
            .ok_or_else(no_such_invitation)?;
        self.join(tx, caller, invitation, now, meta).await
    }

    /// `caller` declines pending invitation `id` addressed to their verified address
    /// (`org.invitation_declined`): its link stops working.
    ///
    /// # Errors
    /// [`OrgError::Forbidden`] while the address is unverified; [`OrgError::NotFoundBecause`]
    /// for one that is not pending or not theirs; storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn decline_invitation(
        &self,
        caller: &Caller,
        id: InvitationId,
        meta: &RequestMeta,
    ) -> Result<(), OrgError> {
        let email = self.verified_email(caller).await?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let invitation = self
            .orgs
            .invitation_to(tx.as_mut(), id, &email)
            .await?
            .filter(|i| i.is_pending(now))
            .ok_or_else(no_such_invitation)?;
        let org = invitation.org_id;
        if !self
            .orgs
            .revoke_invitation(tx.as_mut(), org, id, now)
            .await?
        {
            return Err(no_such_invitation());
        }
        let event = self
            .event(AuditAction::OrgInvitationDeclined, caller, org, meta)
            .target("invitation", id)
            .details(serde_json::json!({ "org_id": org }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `caller`'s address, when verified.
    async fn verified_email(&self, caller: &Caller) -> Result<Email, OrgError> {
        match self.emails.email_of(caller.user_id).await? {
            Some((email, true)) => Ok(email),
            Some((_, false)) => Err(unverified()),
            None => Err(no_such_invitation()),
        }
    }
}
