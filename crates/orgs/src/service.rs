//! [`OrganizationService`]: the organization use cases. Each one checks the caller itself
//! (membership, then the permission or rank the rules in [`crate::rules`] ask for), so the HTTP
//! API, a CLI command or another crate calling it cannot skip the check. Someone who is not a
//! member gets [`OrgError::NotFound`] for everything about an organization, whether it exists or
//! not.
//!
//! Every change locks the organization first ([`OrganizationRepository::lock`]) and reads the
//! roles involved inside its transaction, so two concurrent changes cannot both pass the
//! last-owner rule, and a member whose role was just lowered cannot act with the old one.

mod admin;
mod invitations;
mod invitee;
mod members;
mod roles;

pub use admin::OrgAuditReport;
pub use invitations::SentInvitation;
pub use members::ReleasedAccount;

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{
    Caller, Clock, Page, PageRequest, RepoError, RequestMeta, Transaction, UnitOfWork, UserId,
};

use crate::{
    BillingContact, InvitationMailer, Member, Membership, OrgError, OrgId, OrgName, OrgPermission,
    OrgRole, OrgRoleName, OrgStorage, OrgTokenRevoker, Organization, VerifiedEmails,
};

/// The organization use cases.
#[derive(Clone)]
pub struct OrganizationService {
    orgs: Arc<dyn OrgStorage>,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn InvitationMailer>,
    emails: Arc<dyn VerifiedEmails>,
    revoker: Arc<dyn OrgTokenRevoker>,
    policy: InvitationPolicy,
}

/// What [`OrganizationService`] is built from.
pub struct OrgPorts {
    /// Organizations, members, custom roles and invitations.
    pub orgs: Arc<dyn OrgStorage>,
    /// The audit trail every change appends to.
    pub audit: Arc<dyn AuditLog>,
    /// Transactions over the storage and the audit trail.
    pub uow: Arc<dyn UnitOfWork>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Where invitation mail goes.
    pub mailer: Arc<dyn InvitationMailer>,
    /// The addresses accounts have verified (who may accept an invitation).
    pub emails: Arc<dyn VerifiedEmails>,
    /// Ends the access tokens acting for an organization when a membership changes.
    pub revoker: Arc<dyn OrgTokenRevoker>,
}

/// How invitations behave.
#[derive(Debug, Clone)]
pub struct InvitationPolicy {
    /// `PUBLIC_URL`: the links are `{public_url}/accept-invitation?token=…`.
    pub public_url: String,
    /// How long a link works (default 7 days).
    pub ttl: chrono::Duration,
    /// At most this many invitations sent or resent per organization in any rolling hour
    /// (default 50).
    pub hourly_cap: u64,
}

impl InvitationPolicy {
    /// Links under `public_url`, valid 7 days, at most 50 per organization and hour.
    #[must_use]
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into(),
            ttl: chrono::Duration::days(7),
            hourly_cap: 50,
        }
    }
}

/// The caller's standing in an organization, read inside a transaction that locked it.
struct Acting {
    org: Organization,
    role: OrgRole,
}

impl OrganizationService {
    /// Wires the service to its ports.
    #[must_use]
    pub fn new(ports: OrgPorts, policy: InvitationPolicy) -> Self {
        let OrgPorts {
            orgs,
            audit,
            uow,
            clock,
            mailer,
            emails,
            revoker,
        } = ports;
        Self {
            orgs,
            audit,
            uow,
            clock,
            mailer,
            emails,
            revoker,
            policy,
        }
    }

    /// Creates an organization named `name` with `caller` as its owner (`org.created`).
    ///
    /// # Errors
    /// [`OrgError::Invalid`] for a bad name (nothing stored); storage failure.
    #[tracing::instrument(skip(self, caller, name, meta), fields(actor = %caller.user_id))]
    pub async fn create(
        &self,
        caller: &Caller,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<Membership, OrgError> {
        let name = OrgName::parse(name)?;
        let now = self.clock.now();
        let org = Organization {
            id: OrgId::new(),
            name,
            created_by: caller.user_id,
            created_at: now,
            updated_at: now,
            suspended_at: None,
        };
        let owner = Member {
            user_id: caller.user_id,
            role: OrgRole::owner().name,
            joined_at: now,
        };
        let event = self
            .event(AuditAction::OrgCreated, caller, org.id, meta)
            .target("organization", org.id)
            .details(serde_json::json!({ "org_id": org.id, "name": org.name.as_str() }));
        let mut tx = self.uow.begin().await?;
        self.orgs.insert(tx.as_mut(), &org, &owner).await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(Membership {
            organization: org,
            role: owner.role,
        })
    }

    /// The organizations `caller` belongs to, with their role in each, newest first.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn mine(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> Result<Page<Membership>, OrgError> {
        Ok(self.orgs.memberships(caller.user_id, page).await?)
    }

    /// Organization `id` with `caller`'s role there.
    ///
    /// # Errors
    /// [`OrgError::NotFound`] unless `caller` is a member; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn get(&self, caller: &Caller, id: OrgId) -> Result<Membership, OrgError> {
        self.orgs
            .membership(id, caller.user_id)
            .await?
            .ok_or(OrgError::NotFound)
    }

    /// Renames organization `id` (permission `org:write` there; `org.renamed`).
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Forbidden`], [`OrgError::Invalid`]; storage failure.
    #[tracing::instrument(skip(self, caller, name, meta), fields(actor = %caller.user_id))]
    pub async fn rename(
        &self,
        caller: &Caller,
        id: OrgId,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<Membership, OrgError> {
        let name = OrgName::parse(name)?;
        let mut tx = self.uow.begin().await?;
        let Acting { mut org, role } = self.acting(tx.as_mut(), id, caller).await?;
        require(&role, OrgPermission::ORG_WRITE)?;
        let now = self.clock.now();
        self.orgs.rename(tx.as_mut(), id, &name, now).await?;
        let event = self
            .event(AuditAction::OrgRenamed, caller, id, meta)
            .target("organization", id)
            .details(serde_json::json!({
                "org_id": id, "from": org.name.as_str(), "to": name.as_str(),
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        org.name = name;
        org.updated_at = now;
        Ok(Membership {
            organization: org,
            role: role.name,
        })
    }

    /// Organization `id`'s billing contact: who its invoices are addressed to (permission
    /// `org_billing:read` there).
    ///
    /// # Errors
    /// [`OrgError::NotFound`] unless the caller is a member, [`OrgError::Forbidden`]; storage
    /// failure.
    #[tracing::instrument(skip(self, caller), fields(actor = %caller.user_id))]
    pub async fn billing_contact(
        &self,
        caller: &Caller,
        id: OrgId,
    ) -> Result<BillingContact, OrgError> {
        let (_, role) = self
            .standing(caller.user_id, id)
            .await?
            .ok_or(OrgError::NotFound)?;
        require(&role, OrgPermission::BILLING_READ)?;
        self.orgs
            .billing_contact(id)
            .await?
            .ok_or(OrgError::NotFound)
    }

    /// Sets organization `id`'s billing contact (permission `org_billing:write` there;
    /// `org.billing_contact_changed`): the name and address its next invoices are addressed
    /// to (`None` falls back to the organization's name and its longest-standing owner's
    /// address). Issued invoices keep the contact they were issued to.
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Forbidden`], [`OrgError::Invalid`] (`name`,
    /// `email`); storage failure.
    #[tracing::instrument(skip(self, caller, name, email, meta), fields(actor = %caller.user_id))]
    pub async fn set_billing_contact(
        &self,
        caller: &Caller,
        id: OrgId,
        name: Option<&str>,
        email: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<BillingContact, OrgError> {
        let contact = BillingContact {
            name: name.map(OrgName::parse).transpose()?,
            email: email
                .map(|e| {
                    plinth_kernel::Email::parse(e)
                        .map_err(|e| OrgError::invalid("email", e.to_string()))
                })
                .transpose()?,
        };
        let mut tx = self.uow.begin().await?;
        let Acting { role, .. } = self.acting(tx.as_mut(), id, caller).await?;
        require(&role, OrgPermission::BILLING_WRITE)?;
        let now = self.clock.now();
        self.orgs
            .set_billing_contact(tx.as_mut(), id, &contact, now)
            .await?;
        let event = self
            .event(AuditAction::OrgBillingContactChanged, caller, id, meta)
            .target("organization", id)
            .details(serde_json::json!({
                "org_id": id,
                "name": contact.name.as_ref().map(OrgName::as_str),
                "email": contact.email.as_ref().map(plinth_kernel::Email::as_str),
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(contact)
    }

    /// Deletes organization `id` with its memberships, custom roles and invitations (an
    /// owner only; `org.deleted`), inside `tx`: the caller commits it with the deletion of
    /// what the organization owns in other domains (its files: `plinth_app::Organizations`).
    /// See `docs/organizations.md` for what deletion does.
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Forbidden`]; storage failure (roll `tx` back).
    #[tracing::instrument(skip(self, tx, caller, meta), fields(actor = %caller.user_id))]
    pub async fn delete(
        &self,
        tx: &mut dyn Transaction,
        caller: &Caller,
        id: OrgId,
        meta: &RequestMeta,
    ) -> Result<(), OrgError> {
        let Acting { org, role } = self.acting(tx, id, caller).await?;
        if !role.is_owner() {
            return Err(OrgError::Forbidden(
                "Only an owner can delete the organization.".to_owned(),
            ));
        }
        let members = self.orgs.member_ids(tx, id).await?;
        self.orgs.delete(tx, id).await?;
        self.revoker
            .revoke(tx, id, &members, self.clock.now())
            .await?;
        let event = self
            .event(AuditAction::OrgDeleted, caller, id, meta)
            .target("organization", id)
            .details(serde_json::json!({ "org_id": id, "name": org.name.as_str() }));
        self.audit.append(tx, &event).await?;
        Ok(())
    }

    /// Where `user` stands in `id` now, for an access token acting for it: their membership
    /// (whose organization says whether it is suspended) and their role there; `None` when
    /// they are not a member or it does not exist.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn standing(
        &self,
        user: UserId,
        id: OrgId,
    ) -> Result<Option<(Membership, OrgRole)>, OrgError> {
        let Some(membership) = self.orgs.membership(id, user).await? else {
            return Ok(None);
        };
        let role = match OrgRole::built_in_named(&membership.role) {
            Some(role) => role,
            None => self
                .orgs
                .custom_roles(id)
                .await?
                .into_iter()
                .find(|r| r.name == membership.role)
                .unwrap_or_else(|| dangling(&membership.role)),
        };
        Ok(Some((membership, role)))
    }

    /// Locks `id` in `tx` and reads `caller`'s role there: [`OrgError::NotFound`] unless they
    /// are a member.
    async fn acting(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        caller: &Caller,
    ) -> Result<Acting, OrgError> {
        let acting = self.acting_even_if_suspended(tx, id, caller).await?;
        refuse_suspended(&acting.org)?;
        Ok(acting)
    }

    /// [`OrganizationService::acting`] for what a member may still do in a suspended
    /// organization (leave it).
    async fn acting_even_if_suspended(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        caller: &Caller,
    ) -> Result<Acting, OrgError> {
        let org = self.orgs.lock(tx, id).await?.ok_or(OrgError::NotFound)?;
        let member = self
            .orgs
            .member(tx, id, caller.user_id)
            .await?
            .ok_or(OrgError::NotFound)?;
        let role = self.role_in_tx(tx, id, &member.role).await?;
        Ok(Acting { org, role })
    }

    /// The role `name` of organization `id`, read in `tx`; `None` when it has none of that name.
    async fn find_role(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        name: &OrgRoleName,
    ) -> Result<Option<OrgRole>, RepoError> {
        match OrgRole::built_in_named(name) {
            Some(role) => Ok(Some(role)),
            None => self.orgs.custom_role(tx, id, name).await,
        }
    }

    /// A member's stored role: a custom role that no longer exists grants nothing.
    async fn role_in_tx(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        name: &OrgRoleName,
    ) -> Result<OrgRole, RepoError> {
        Ok(self
            .find_role(tx, id, name)
            .await?
            .unwrap_or_else(|| dangling(name)))
    }

    /// `caller`'s role in `id`, read outside a transaction: [`OrgError::NotFound`] unless they
    /// are a member.
    async fn role_of(&self, caller: &Caller, id: OrgId) -> Result<OrgRole, OrgError> {
        let (membership, role) = self
            .standing(caller.user_id, id)
            .await?
            .ok_or(OrgError::NotFound)?;
        refuse_suspended(&membership.organization)?;
        Ok(role)
    }

    /// An entry for `action` by `caller` about organization `org` (filed under it), stamped
    /// now.
    fn event(
        &self,
        action: AuditAction,
        caller: &Caller,
        org: OrgId,
        meta: &RequestMeta,
    ) -> AuditEvent {
        AuditEvent::new(action, self.clock.now(), meta)
            .actor(caller.user_id)
            .org(org)
    }
}

/// A role that grants nothing and ranks lowest: what a member holds whose custom role is gone
/// (deleting a role in use is refused, so only a row edited behind Plinth's back gets here).
fn dangling(name: &OrgRoleName) -> OrgRole {
    OrgRole {
        name: name.clone(),
        rank: OrgRole::CUSTOM_RANK,
        permissions: std::collections::BTreeSet::new(),
    }
}

/// [`OrgError::Forbidden`] while `org` is suspended.
fn refuse_suspended(org: &Organization) -> Result<(), OrgError> {
    if org.suspended_at.is_some() {
        return Err(OrgError::Forbidden(
            "This organization is suspended; its members can only see it and leave it. \
             Contact the service's administrators."
                .to_owned(),
        ));
    }
    Ok(())
}

/// [`OrgError::Forbidden`] unless `role` grants `permission`.
fn require(role: &OrgRole, permission: &str) -> Result<(), OrgError> {
    if role.grants(permission) {
        Ok(())
    } else {
        Err(plinth_kernel::Forbidden::missing(permission).into())
    }
}

#[cfg(test)]
mod tests;
