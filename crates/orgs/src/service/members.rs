//! Membership changes: the member list, role changes, removal and leaving, and handing
//! ownership on.

use plinth_audit::{AuditAction, AuditEvent};
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
        let requested = OrgRoleName::parse(role).map_err(|m| OrgError::invalid("role", m))?;
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
                OrgError::invalid(
                    "role",
                    format!("The organization has no role `{}`.", requested.as_str()),
                )
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
        self.revoker
            .revoke(tx.as_mut(), id, &[user], self.clock.now())
            .await?;
        let event = self
            .event(AuditAction::OrgMemberRoleChanged, caller, id, meta)
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
        let leaving = user == caller.user_id;
        let mut tx = self.uow.begin().await?;
        let Acting { role: actor, .. } = if leaving {
            self.acting_even_if_suspended(tx.as_mut(), id, caller)
                .await?
        } else {
            self.acting(tx.as_mut(), id, caller).await?
        };
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
        self.revoker
            .revoke(tx.as_mut(), id, &[user], self.clock.now())
            .await?;
        let event = self
            .event(AuditAction::OrgMemberRemoved, caller, id, meta)
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
            return Err(OrgError::invalid(
                "user_id",
                "Ownership goes to another member.",
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
        self.revoker
            .revoke(tx.as_mut(), id, &[to, caller.user_id], self.clock.now())
            .await?;
        let event = self
            .event(AuditAction::OrgOwnershipTransferred, caller, id, meta)
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

impl OrganizationService {
    /// The organization step of erasing account `user`, inside the erasure's `tx`: every
    /// organization where they are the only member is deleted (`org.deleted`), and they leave
    /// every other one (`org.member_removed`, `details.erased: true`). Returns which were
    /// deleted and, for each one they left, an owner who stays (to hand on what the account
    /// held for the organization, such as the files it uploaded).
    ///
    /// # Errors
    /// [`OrgError::Conflict`] naming the organizations where they are the last owner while
    /// others remain members (ownership must move first; nothing is changed); storage failure.
    #[tracing::instrument(skip(self, tx, meta))]
    pub async fn release_account(
        &self,
        tx: &mut dyn plinth_kernel::Transaction,
        user: UserId,
        actor: UserId,
        meta: &RequestMeta,
    ) -> Result<ReleasedAccount, OrgError> {
        let mut released = ReleasedAccount::default();
        let mut stranded = Vec::new();
        for (id, role) in self.orgs.memberships_of(tx, user).await? {
            let Some(org) = self.orgs.lock(tx, id).await? else {
                continue;
            };
            if self.orgs.member_count(tx, id).await? <= 1 {
                self.orgs.delete(tx, id).await?;
                let event = AuditEvent::new(AuditAction::OrgDeleted, self.clock.now(), meta)
                    .actor(actor)
                    .org(id)
                    .target("organization", id)
                    .details(serde_json::json!({
                        "org_id": id, "name": org.name.as_str(), "erased_member": user,
                    }));
                self.audit.append(tx, &event).await?;
                released.deleted.push(id);
                continue;
            }
            let Some(heir) = self
                .orgs
                .owners(tx, id)
                .await?
                .into_iter()
                .find(|o| *o != user)
            else {
                stranded.push(format!("{} ({id})", org.name.as_str()));
                continue;
            };
            released.left.push((id, heir));
            self.orgs.remove_member(tx, id, user).await?;
            let event = AuditEvent::new(AuditAction::OrgMemberRemoved, self.clock.now(), meta)
                .actor(actor)
                .org(id)
                .target("user", user)
                .details(serde_json::json!({
                    "org_id": id, "role": role.as_str(), "left": actor == user, "erased": true,
                }));
            self.audit.append(tx, &event).await?;
        }
        if stranded.is_empty() {
            Ok(released)
        } else {
            Err(OrgError::Conflict(format!(
                "The account is the last owner of {}, which other members still belong to; \
                 hand ownership on (or delete the organization) first.",
                stranded.join(", ")
            )))
        }
    }
}

/// What [`OrganizationService::release_account`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleasedAccount {
    /// The organizations deleted because the account was their only member.
    pub deleted: Vec<OrgId>,
    /// The organizations the account left, each with an owner who stays.
    pub left: Vec<(OrgId, UserId)>,
}
