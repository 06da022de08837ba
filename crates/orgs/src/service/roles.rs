//! An organization's roles: the built-in ones and its custom ones.

use plinth_audit::AuditAction;
use plinth_kernel::{Caller, RepoError, RequestMeta};

use super::{Acting, OrganizationService, require};
use crate::rules;
use crate::{OrgError, OrgId, OrgPermission, OrgRole, OrgRoleName};

impl OrganizationService {
    /// The roles of `id`: `owner`, `admin`, `member`, then its custom roles by name
    /// (permission `members:read` there).
    ///
    /// # Errors
    /// [`OrgError::NotFound`] unless `caller` is a member, [`OrgError::Forbidden`]; storage
    /// failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn roles(&self, caller: &Caller, id: OrgId) -> Result<Vec<OrgRole>, OrgError> {
        require(
            &self.role_of(caller, id).await?,
            OrgPermission::MEMBERS_READ,
        )?;
        let mut roles = vec![OrgRole::owner(), OrgRole::admin(), OrgRole::member()];
        roles.extend(self.orgs.custom_roles(id).await?);
        Ok(roles)
    }

    /// Creates custom role `name` granting `permissions` in `id` (`org.role_created`): the
    /// caller needs `members:write` and must hold every permission it grants.
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Invalid`] (bad name, unknown permission),
    /// [`OrgError::Forbidden`], [`OrgError::Conflict`] (the name is taken); storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn create_role(
        &self,
        caller: &Caller,
        id: OrgId,
        name: &str,
        permissions: &[&str],
        meta: &RequestMeta,
    ) -> Result<OrgRole, OrgError> {
        OrgRoleName::custom(name).map_err(|m| OrgError::invalid("name", m))?;
        let role =
            OrgRole::custom(name, permissions).map_err(|m| OrgError::invalid("permissions", m))?;
        let mut tx = self.uow.begin().await?;
        let Acting { role: actor, .. } = self.acting(tx.as_mut(), id, caller).await?;
        rules::may_grant(&actor, &role)?;
        match self.orgs.insert_role(tx.as_mut(), id, &role).await {
            Err(RepoError::Duplicate { .. }) => {
                return Err(OrgError::Conflict(format!(
                    "The organization has a role `{}` already.",
                    role.name.as_str()
                )));
            }
            other => other?,
        }
        let event = self
            .event(AuditAction::OrgRoleCreated, caller, id, meta)
            .target("organization", id)
            .details(serde_json::json!({
                "org_id": id, "role": role.name.as_str(), "permissions": role.permissions,
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Deletes custom role `name` of `id` (`org.role_deleted`): the caller must be allowed to
    /// grant it, and nobody may hold it any more.
    ///
    /// # Errors
    /// [`OrgError::NotFound`] (no such organization or custom role), [`OrgError::Forbidden`],
    /// [`OrgError::Conflict`] (members hold it); storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn delete_role(
        &self,
        caller: &Caller,
        id: OrgId,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<(), OrgError> {
        let name = OrgRoleName::custom(name).map_err(|_| OrgError::NotFound)?;
        let mut tx = self.uow.begin().await?;
        let Acting { role: actor, .. } = self.acting(tx.as_mut(), id, caller).await?;
        let role = self
            .orgs
            .custom_role(tx.as_mut(), id, &name)
            .await?
            .ok_or(OrgError::NotFound)?;
        rules::may_grant(&actor, &role)?;
        let holders = self.orgs.holders(tx.as_mut(), id, &name).await?;
        if holders > 0 {
            return Err(OrgError::Conflict(format!(
                "{holders} member(s) hold `{}`; give them another role first.",
                name.as_str()
            )));
        }
        self.orgs.delete_role(tx.as_mut(), id, &name).await?;
        let event = self
            .event(AuditAction::OrgRoleDeleted, caller, id, meta)
            .target("organization", id)
            .details(serde_json::json!({ "org_id": id, "role": name.as_str() }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
