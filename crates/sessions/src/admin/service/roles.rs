//! Custom roles (permission `roles:write` for a new one, the rank and "only what you hold"
//! rules, all checked here), and the role lookups of the admin rules.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta};
use plinth_users::{Permission, Role, RoleName};

use super::AccountAdminService;
use crate::admin::may_create;
use crate::{AdminError, NewRole, Principal};

impl AccountAdminService {
    /// Every role with its permissions, highest rank first (permission `roles:write`).
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] without `roles:write`; storage failure.
    #[tracing::instrument(skip(self, principal), fields(actor = %principal.user_id))]
    pub async fn list_roles(&self, principal: &Principal) -> Result<Vec<Role>, AdminError> {
        principal.require(Permission::ROLES_WRITE)?;
        Ok(self.roles.list().await?)
    }

    /// Creates a custom role (rank [`plinth_users::CUSTOM_ROLE_RANK`], below `admin`) granting
    /// `new.permissions`. The caller must hold every one of them in its access token and rank
    /// above the new role (see [`crate::admin::may_create`]). Audited as `admin.role_created`
    /// (`name`, `permissions`) in the same transaction as the role.
    ///
    /// # Errors
    /// [`AdminError::InvalidRoleName`], [`AdminError::UnknownPermissions`],
    /// [`AdminError::Forbidden`], [`AdminError::RoleTaken`], or storage failure.
    #[tracing::instrument(skip(self, principal, new, meta), fields(actor = %principal.user_id))]
    pub async fn create_role(
        &self,
        principal: &Principal,
        new: NewRole,
        meta: &RequestMeta,
    ) -> Result<Role, AdminError> {
        principal.require(Permission::ROLES_WRITE)?;
        let name = RoleName::parse(&new.name).map_err(AdminError::InvalidRoleName)?;
        let known = self.roles.permissions().await?;
        let unknown: Vec<&str> = new
            .permissions
            .iter()
            .filter(|p| !known.contains(p))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(AdminError::UnknownPermissions(format!(
                "unknown permission `{}`; the permissions are `{}`",
                unknown.join("`, `"),
                known.join("`, `")
            )));
        }
        let now = self.clock.now();
        let role = Role::custom(name, new.permissions, now);
        may_create(&self.caller_role(principal).await?, &principal.perms, &role)?;
        if self.roles.by_name(&role.name).await?.is_some() {
            return Err(AdminError::RoleTaken(role.name.0));
        }
        let event = AuditEvent::new(AuditAction::RoleCreated, now, meta)
            .actor(principal.user_id)
            .target("role", role.name.as_str())
            .details(serde_json::json!({
                "name": role.name.as_str(),
                "permissions": role.permission_list(),
            }));
        let mut tx = self.uow.begin().await?;
        self.roles
            .insert(tx.as_mut(), &role)
            .await
            .map_err(|e| match e {
                RepoError::Duplicate { .. } => AdminError::RoleTaken(role.name.0.clone()),
                other => AdminError::Repo(other),
            })?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// The stored role of the caller (named by its access token).
    pub(crate) async fn caller_role(&self, principal: &Principal) -> Result<Role, AdminError> {
        self.role_or_unranked(&RoleName(principal.role.clone()))
            .await
    }

    /// The stored role `name`, or — if none is stored, which storage prevents for any role a
    /// user holds — a role of the lowest rank without permissions, so a missing role never
    /// grants anything.
    pub(crate) async fn role_or_unranked(&self, name: &RoleName) -> Result<Role, AdminError> {
        Ok(self
            .roles
            .by_name(name)
            .await?
            .unwrap_or_else(|| Role::custom(name.clone(), Default::default(), self.clock.now())))
    }
}
