//! Account administration: [`AccountAdminService`] and its types and rank rules. It lives
//! beside the sessions because suspending or deleting an account ends its sessions in the same
//! transaction.

mod service;

pub use service::{AccountAdminService, Eraser};

use plinth_kernel::RepoError;
use std::collections::BTreeSet;

use plinth_users::{Role, RoleName, UserStatus};

/// What an administrator may change on another account. `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminUserPatch {
    /// New role (built-in or custom).
    pub role: Option<RoleName>,
    /// New status; `suspended` ends every session of the account.
    pub status: Option<UserStatus>,
    /// New display name.
    pub name: Option<String>,
}

/// A custom role to create, as received (parsed by [`AccountAdminService::create_role`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRole {
    /// Its name (see [`RoleName::parse`]).
    pub name: String,
    /// The permissions it grants (duplicates are ignored).
    pub permissions: BTreeSet<String>,
}

/// What the administrators' user and role management can fail with.
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
    /// A new role's name is malformed.
    #[error("{0}")]
    InvalidRoleName(String),
    /// A new role names permissions that do not exist.
    #[error("{0}")]
    UnknownPermissions(String),
    /// A role of that name exists already.
    #[error("a role named `{0}` exists already")]
    RoleTaken(String),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl From<plinth_kernel::Forbidden> for AdminError {
    fn from(f: plinth_kernel::Forbidden) -> Self {
        Self::Forbidden(f.0)
    }
}

/// Checks that a caller of role `caller` may act on an account of role `target`: its rank
/// must be strictly lower than the caller's.
///
/// # Errors
/// [`AdminError::Forbidden`].
pub fn may_act_on(caller: &Role, target: &Role) -> Result<(), AdminError> {
    if target.rank < caller.rank {
        Ok(())
    } else {
        Err(AdminError::Forbidden(format!(
            "A `{}` cannot change or delete a `{}` account.",
            caller.name.as_str(),
            target.name.as_str()
        )))
    }
}

/// Checks that a caller of role `caller`, holding `perms` (from its access token), may assign
/// `role`: the caller must hold every permission of `role`, and `role` must rank strictly
/// below the caller's, except that a `super_admin` may assign any built-in role,
/// `super_admin` included.
///
/// # Errors
/// [`AdminError::Forbidden`].
pub fn may_assign(caller: &Role, perms: &[String], role: &Role) -> Result<(), AdminError> {
    let holds_all = role.permissions.iter().all(|p| perms.contains(p));
    let ranked =
        role.rank < caller.rank || (caller.name == RoleName::super_admin() && role.built_in);
    if holds_all && ranked {
        Ok(())
    } else {
        Err(AdminError::Forbidden(format!(
            "A `{}` cannot grant the `{}` role.",
            caller.name.as_str(),
            role.name.as_str()
        )))
    }
}

/// Checks that a caller of role `caller`, holding `perms` (from its access token), may create
/// `role`: it must hold every permission `role` grants, and `role` must rank strictly below
/// the caller's (so a custom role never creates its equals).
///
/// # Errors
/// [`AdminError::Forbidden`], naming the permissions the caller lacks.
pub fn may_create(caller: &Role, perms: &[String], role: &Role) -> Result<(), AdminError> {
    let lacking: Vec<&str> = role
        .permissions
        .iter()
        .filter(|p| !perms.contains(p))
        .map(String::as_str)
        .collect();
    if !lacking.is_empty() {
        return Err(AdminError::Forbidden(format!(
            "You cannot grant permissions you do not hold: `{}`.",
            lacking.join("`, `")
        )));
    }
    if role.rank >= caller.rank {
        return Err(AdminError::Forbidden(format!(
            "A `{}` cannot create roles: a new role must rank below its creator.",
            caller.name.as_str()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use plinth_users::built_in_roles;

    use super::*;

    fn roles() -> (Role, Role, Role) {
        let mut all = built_in_roles(chrono::Utc::now()).into_iter();
        let mut next = || all.next().expect("three built-in roles");
        (next(), next(), next())
    }

    fn perms(role: &Role) -> Vec<String> {
        role.permission_list()
    }

    fn custom(perms: &[&str]) -> Role {
        Role::custom(
            RoleName("auditor".into()),
            perms.iter().map(|p| (*p).to_owned()).collect(),
            chrono::Utc::now(),
        )
    }

    #[test]
    fn only_strictly_lower_ranks_can_be_acted_on() {
        let (user, admin, root) = roles();
        let auditor = custom(&["audit:read"]);
        assert!(may_act_on(&admin, &user).is_ok());
        assert!(
            may_act_on(&admin, &auditor).is_ok(),
            "custom roles rank as `user`"
        );
        assert!(may_act_on(&root, &admin).is_ok());
        assert!(may_act_on(&admin, &admin).is_err(), "not another admin");
        assert!(may_act_on(&admin, &root).is_err());
        assert!(may_act_on(&root, &root).is_err(), "not another super_admin");
        assert!(may_act_on(&user, &user).is_err());
        assert!(
            may_act_on(&auditor, &user).is_err(),
            "a custom role acts on nobody"
        );
    }

    #[test]
    fn roles_granted_are_lower_and_held_unless_the_caller_is_super_admin() {
        let (user, admin, root) = roles();
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
        assert!(may_assign(&admin, &perms(&admin), &custom(&["audit:read"])).is_ok());
        assert!(
            may_assign(&admin, &perms(&admin), &custom(&["roles:write"])).is_err(),
            "an admin cannot hand out roles:write through a custom role"
        );
        let mut high = custom(&[]);
        high.rank = 2;
        assert!(
            may_assign(&root, &perms(&root), &high).is_err(),
            "only built-in roles are exempt from the rank rule"
        );
    }

    #[test]
    fn roles_created_are_lower_and_held() {
        let (user, admin, root) = roles();
        assert!(
            may_create(
                &root,
                &perms(&root),
                &custom(&["roles:write", "audit:read"])
            )
            .is_ok()
        );
        assert!(may_create(&admin, &perms(&admin), &custom(&["audit:read"])).is_ok());
        let refused = may_create(&admin, &perms(&admin), &custom(&["roles:write"]));
        assert!(
            matches!(&refused, Err(AdminError::Forbidden(m)) if m.contains("roles:write")),
            "{refused:?}"
        );
        assert!(
            may_create(&root, &perms(&admin), &custom(&["roles:write"])).is_err(),
            "what the token lacks cannot be granted"
        );
        assert!(
            may_create(&user, &perms(&root), &custom(&[])).is_err(),
            "a role never creates its equals"
        );
        let mut with_write = custom(&["roles:write"]);
        with_write.name = RoleName("delegate".into());
        assert!(may_create(&with_write, &perms(&with_write), &custom(&[])).is_err());
    }
}
