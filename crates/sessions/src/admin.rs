//! Types of the administrators' user management ([`crate::AuthService::admin_update_user`],
//! [`crate::AuthService::admin_delete_user`]). It lives beside the sessions because
//! suspending or deleting an account ends its sessions in the same transaction.

use plinth_kernel::RepoError;
use plinth_users::{RoleName, UserStatus};

/// What an administrator may change on another account. `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminUserPatch {
    /// New role (a built-in role: custom roles are not stored yet).
    pub role: Option<RoleName>,
    /// New status; `suspended` ends every session of the account.
    pub status: Option<UserStatus>,
    /// New display name.
    pub name: Option<String>,
}

/// What the administrators' user management can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No such user.
    #[error("user not found")]
    NotFound,
    /// The rank rules forbid this change (message for the caller).
    #[error("{0}")]
    Forbidden(String),
    /// The role is not one that can be assigned.
    #[error("{0}")]
    InvalidRole(String),
    /// Bad display name.
    #[error("{0}")]
    InvalidName(String),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Checks that a caller of role `caller` may act on an account of role `target`: its rank
/// must be strictly lower than the caller's.
///
/// # Errors
/// [`AdminError::Forbidden`].
pub fn may_act_on(caller: &RoleName, target: &RoleName) -> Result<(), AdminError> {
    if target.rank() < caller.rank() {
        Ok(())
    } else {
        Err(AdminError::Forbidden(format!(
            "A `{}` cannot change or delete a `{}` account.",
            caller.as_str(),
            target.as_str()
        )))
    }
}

/// Checks that a caller of role `caller`, holding `perms`, may assign `role`: it must be a
/// built-in role whose permissions the caller holds, of strictly lower rank than the caller's;
/// a `super_admin` may assign any built-in role, `super_admin` included.
///
/// # Errors
/// [`AdminError::InvalidRole`] for a role that is not built in, [`AdminError::Forbidden`]
/// otherwise.
pub fn may_assign(caller: &RoleName, perms: &[String], role: &RoleName) -> Result<(), AdminError> {
    if !role.is_built_in() {
        return Err(AdminError::InvalidRole(
            "role must be one of `user`, `admin`, `super_admin`".to_owned(),
        ));
    }
    let holds_all = role.permissions().iter().all(|p| perms.contains(p));
    let ranked = role.rank() < caller.rank() || *caller == RoleName::super_admin();
    if holds_all && ranked {
        Ok(())
    } else {
        Err(AdminError::Forbidden(format!(
            "A `{}` cannot grant the `{}` role.",
            caller.as_str(),
            role.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(role: &RoleName) -> Vec<String> {
        role.permissions()
    }

    #[test]
    fn only_strictly_lower_ranks_can_be_acted_on() {
        let (user, admin, root) = (RoleName::user(), RoleName::admin(), RoleName::super_admin());
        assert!(may_act_on(&admin, &user).is_ok());
        assert!(may_act_on(&root, &admin).is_ok());
        assert!(may_act_on(&admin, &admin).is_err(), "not another admin");
        assert!(may_act_on(&admin, &root).is_err());
        assert!(may_act_on(&root, &root).is_err(), "not another super_admin");
        assert!(may_act_on(&user, &user).is_err());
    }

    #[test]
    fn roles_granted_are_lower_unless_the_caller_is_super_admin() {
        let (user, admin, root) = (RoleName::user(), RoleName::admin(), RoleName::super_admin());
        assert!(may_assign(&admin, &perms(&admin), &user).is_ok());
        assert!(matches!(
            may_assign(&admin, &perms(&admin), &admin),
            Err(AdminError::Forbidden(_))
        ));
        assert!(may_assign(&admin, &perms(&admin), &root).is_err());
        assert!(may_assign(&root, &perms(&root), &root).is_ok());
        assert!(
            may_assign(&root, &perms(&admin), &root).is_err(),
            "a permission the token lacks cannot be granted"
        );
        assert!(matches!(
            may_assign(&root, &perms(&root), &RoleName("support".into())),
            Err(AdminError::InvalidRole(_))
        ));
    }
}
