//! Membership changes: the member list, role changes, removal and leaving, and handing
//! ownership on.

use plinth_audit::AuditAction;
use plinth_kernel::{Caller, Page, PageRequest, RequestMeta, UserId};

use super::{Acting, OrganizationService, require};
use crate::rules::{self, MemberChange};
use crate::{Member, MemberProfile, OrgError, OrgId, OrgPermission, OrgRole, OrgRoleName};

impl OrganizationService {
    /// The members of `id` with their addresses (permission `members:read` there).
    ///
    /// # Errors
    /// [`OrgError::NotFound`] unless `caller` is a member, [`OrgError::Forbidden`]; storage
    /// failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn members(
        &self,
        caller: &Caller,
        id: OrgId,
        page: PageRequest,
    ) -> Result<Page<MemberProfile>, OrgError> {
        require(
            &self.role_of(caller, id).await?,
            OrgPermission::MEMBERS_READ,
        )?;
        Ok(self.orgs.members(id, page).await?)
    }

    /// Gives member `user` of `id` the role `role` (`org.member_role_changed`): the caller
    /// must outrank them and may grant only what the rules allow; nobody changes their own
    /// role; the organization keeps an owner.
    ///
    /// # Errors
    /// [`OrgError::NotFound`] (no such organization or member for this caller),
    /// [`OrgError::Invalid`] (no such role), [`OrgError::Forbidden`], [`OrgError::LastOwner`];
    /// storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn change_role(
        &self,
        caller: &Caller,
        id: OrgId,
        user: UserId,
        role: &str,
        meta: &RequestMeta,
    ) -> Result<Member, OrgError> {
        let requested = OrgRoleName::parse(role).map_err(OrgError::Invalid)?;
        let mut tx = self.uow.begin().await?;
        let Acting { role: actor, .. } = self.acting(tx.as_mut(), id, caller).await?;
        let target = self
            .orgs
            .member(tx.as_mut(), id, user)
            .await?
            .ok_or(OrgError::NotFound)?;
        if user == caller.user_id {
            return Err(OrgError::Forbidden(
                "Nobody changes their own role; an owner hands ownership on instead.".to_owned(),
            ));
        }
        let to = self
            .find_role(tx.as_mut(), id, &requested)
            .await?
            .ok_or_else(|| {
                OrgError::Invalid(format!(
                    "The organization has no role `{}`.",
                    requested.as_str()
                ))
            })?;
        let from = self.role_in_tx(tx.as_mut(), id, &target.role).await?;
        rules::may_act_on(&actor, &from)?;
        rules::may_grant(&actor, &to)?;
        self.keeps_an_owner(
            tx.as_mut(),
            id,
            MemberChange::ChangeRole {
                member: user,
                to: &to,
            },
        )
        .await?;
        self.orgs.set_role(tx.as_mut(), id, user, &to.name).await?;
        let event = self
            .event(AuditAction::OrgMemberRoleChanged, caller, meta)
            .target("user", user)
            .details(serde_json::json!({
                "org_id": id, "from": from.name.as_str(), "to": to.name.as_str(),
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(Member {
            role: to.name,
            ..target
        })
    }

    /// Removes member `user` from `id`, or lets `caller` leave when `user` is themselves
    /// (`org.member_removed`, with `left: true` for leaving). Removing needs a rank above the
    /// member's; the organization keeps an owner either way.
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Forbidden`], [`OrgError::LastOwner`]; storage
    /// failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn remove_member(
        &self,
        caller: &Caller,
        id: OrgId,
        user: UserId,
        meta: &RequestMeta,
    ) -> Result<(), OrgError> {
        let mut tx = self.uow.begin().await?;
        let Acting { role: actor, .. } = self.acting(tx.as_mut(), id, caller).await?;
        let leaving = user == caller.user_id;
        let target = self
            .orgs
            .member(tx.as_mut(), id, user)
            .await?
            .ok_or(OrgError::NotFound)?;
        if !leaving {
            let role = self.role_in_tx(tx.as_mut(), id, &target.role).await?;
            rules::may_act_on(&actor, &role)?;
        }
        self.keeps_an_owner(tx.as_mut(), id, MemberChange::Remove { member: user })
            .await?;
        self.orgs.remove_member(tx.as_mut(), id, user).await?;
        let event = self
            .event(AuditAction::OrgMemberRemoved, caller, meta)
            .target("user", user)
            .details(serde_json::json!({
                "org_id": id, "role": target.role.as_str(), "left": leaving,
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Hands ownership of `id` on to member `to` (an owner only): they become owner and
    /// `caller` an admin (`org.ownership_transferred`).
    ///
    /// # Errors
    /// [`OrgError::NotFound`] (no such organization, or `to` is not a member),
    /// [`OrgError::Forbidden`], [`OrgError::Invalid`] (to themselves); storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn transfer_ownership(
        &self,
        caller: &Caller,
        id: OrgId,
        to: UserId,
        meta: &RequestMeta,
    ) -> Result<(), OrgError> {
        let mut tx = self.uow.begin().await?;
        let Acting { role: actor, .. } = self.acting(tx.as_mut(), id, caller).await?;
        let (owner, former) = rules::transfer_ownership(&actor)?;
        if to == caller.user_id {
            return Err(OrgError::Invalid(
                "Ownership goes to another member.".to_owned(),
            ));
        }
        let heir = self
            .orgs
            .member(tx.as_mut(), id, to)
            .await?
            .ok_or(OrgError::NotFound)?;
        self.orgs.set_role(tx.as_mut(), id, to, &owner.name).await?;
        self.orgs
            .set_role(tx.as_mut(), id, caller.user_id, &former.name)
            .await?;
        let event = self
            .event(AuditAction::OrgOwnershipTransferred, caller, meta)
            .target("user", to)
            .details(serde_json::json!({
                "org_id": id, "from_role": heir.role.as_str(),
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`OrgError::LastOwner`] when `change` would leave `id` without an owner.
    async fn keeps_an_owner(
        &self,
        tx: &mut dyn plinth_kernel::Transaction,
        id: OrgId,
        change: MemberChange<'_>,
    ) -> Result<(), OrgError> {
        let owner = OrgRole::owner();
        let owners: Vec<(UserId, &OrgRole)> = self
            .orgs
            .owners(tx, id)
            .await?
            .into_iter()
            .map(|user| (user, &owner))
            .collect();
        rules::keeps_an_owner(&owners, change)?;
        Ok(())
    }
}
