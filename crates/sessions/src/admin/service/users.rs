//! Administrators changing other accounts (permission `users:write` and the rank rules, both
//! checked here).

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta, UserId};
use plinth_users::{DisplayName, Permission, User, UserChanges, UserStatus};

use super::AccountAdminService;
use crate::admin::{may_act_on, may_assign};
use crate::{AdminError, AdminUserPatch, Principal};

fn not_found_or(e: RepoError) -> AdminError {
    match e {
        RepoError::NotFound => AdminError::NotFound,
        other => AdminError::Repo(other),
    }
}

impl AccountAdminService {
    /// Applies an administrator's patch to an account. The target's role must rank strictly
    /// below the caller's (ranks are read from the stored roles), a new role must be a stored
    /// role the caller may grant (see [`crate::admin::may_assign`]), and nobody changes their own role or status (their own
    /// name they may). Suspending ends every session of the account. Audited as
    /// `admin.user_updated`, plus `admin.role_changed` (`from`, `to`) when the role changes, in
    /// the same transaction as the change.
    ///
    /// # Errors
    /// [`AdminError::NotFound`], [`AdminError::Forbidden`], [`AdminError::InvalidRole`],
    /// [`AdminError::InvalidName`], or storage failure.
    #[tracing::instrument(skip(self, principal, patch, meta), fields(actor = %principal.user_id))]
    pub async fn admin_update_user(
        &self,
        principal: &Principal,
        id: UserId,
        patch: AdminUserPatch,
        meta: &RequestMeta,
    ) -> Result<User, AdminError> {
        principal.require(Permission::USERS_WRITE)?;
        let seen = self.users.by_id(id).await?.ok_or(AdminError::NotFound)?;
        let caller = self.caller_role(principal).await?;
        if id == principal.user_id {
            if patch.role.is_some() || patch.status.is_some() {
                return Err(AdminError::Forbidden(
                    "You cannot change your own role or status.".to_owned(),
                ));
            }
        } else {
            may_act_on(&caller, &self.role_or_unranked(&seen.role).await?)?;
        }
        let name = patch
            .name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()
            .map_err(AdminError::InvalidName)?;
        if let Some(name) = &patch.role {
            let role = self.roles.by_name(name).await?.ok_or_else(|| {
                AdminError::InvalidRole(format!(
                    "there is no role named `{}`; `GET /api/v1/admin/roles` lists them",
                    name.as_str()
                ))
            })?;
            may_assign(&caller, &principal.perms, &role)?;
        }
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        // The rank rule and what changes are decided again on the row as it is now, locked
        // until the commit: another administrator may have promoted, demoted or suspended the
        // account since it was read above.
        let user = self
            .users
            .by_id_for_update(tx.as_mut(), id)
            .await?
            .ok_or(AdminError::NotFound)?;
        if id != principal.user_id && user.role != seen.role {
            may_act_on(&caller, &self.role_or_unranked(&user.role).await?)?;
        }
        let previous_role = user.role.clone();
        let suspending = patch.status == Some(UserStatus::Suspended);
        let changes = UserChanges {
            name: name.filter(|n| *n != user.name),
            role: patch.role.filter(|r| *r != user.role),
            status: patch.status.filter(|s| *s != user.status),
            ..UserChanges::default()
        };
        if changes.is_empty() {
            return Ok(user);
        }
        let changed: Vec<&str> = [
            ("name", changes.name.is_some()),
            ("role", changes.role.is_some()),
            ("status", changes.status.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect();
        // Only the columns this patch changes are written.
        let user = self
            .users
            .change(tx.as_mut(), id, &changes, now)
            .await
            .map_err(not_found_or)?;
        let revoked = if suspending {
            self.sessions.revoke_all(tx.as_mut(), id, now).await?
        } else {
            if previous_role != user.role {
                // The old role's permissions travel in live access tokens: end them.
                self.sessions
                    .revoke_user_tokens(tx.as_mut(), id, now)
                    .await?;
            }
            0
        };
        let event = AuditEvent::new(AuditAction::AdminUserUpdated, now, meta)
            .actor(principal.user_id)
            .target("user", id)
            .details(serde_json::json!({ "fields": changed, "revoked_sessions": revoked }));
        self.audit.append(tx.as_mut(), &event).await?;
        if previous_role != user.role {
            let event = AuditEvent::new(AuditAction::RoleChanged, now, meta)
                .actor(principal.user_id)
                .target("user", id)
                .details(serde_json::json!({
                    "from": previous_role.as_str(),
                    "to": user.role.as_str(),
                }));
            self.audit.append(tx.as_mut(), &event).await?;
        }
        tx.commit().await?;
        Ok(user)
    }
}
