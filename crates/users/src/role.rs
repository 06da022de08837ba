//! Roles and permissions.

/// A permission such as `users:read`. Travels in access tokens as a string.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Permission(pub String);

impl Permission {
    /// Read users (admin list and detail).
    pub const USERS_READ: &'static str = "users:read";
    /// Change and delete users.
    pub const USERS_WRITE: &'static str = "users:write";
    /// Read the audit trail.
    pub const AUDIT_READ: &'static str = "audit:read";
    /// Read statistics.
    pub const STATS_READ: &'static str = "stats:read";
    /// Manage custom roles.
    pub const ROLES_WRITE: &'static str = "roles:write";
    /// Manage plans and invoices.
    pub const BILLING_WRITE: &'static str = "billing:write";
    /// Broadcast announcements.
    pub const ANNOUNCEMENTS_WRITE: &'static str = "announcements:write";
}

/// A role name: `user`, `admin`, `super_admin` or a custom role.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct RoleName(pub String);

impl RoleName {
    /// The default role: no admin permission.
    #[must_use]
    pub fn user() -> Self {
        Self("user".into())
    }
    /// Administrators.
    #[must_use]
    pub fn admin() -> Self {
        Self("admin".into())
    }
    /// Everything, including `roles:write`.
    #[must_use]
    pub fn super_admin() -> Self {
        Self("super_admin".into())
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The rank used by administrative checks: `user` and custom roles 0, `admin` 1,
    /// `super_admin` 2. A caller may only act on users of strictly lower rank.
    #[must_use]
    pub fn rank(&self) -> u8 {
        match self.0.as_str() {
            "super_admin" => 2,
            "admin" => 1,
            _ => 0,
        }
    }

    /// Whether this is `user`, `admin` or `super_admin`.
    #[must_use]
    pub fn is_built_in(&self) -> bool {
        matches!(self.0.as_str(), "user" | "admin" | "super_admin")
    }

    /// Permissions of the built-in roles (custom roles: none until issue #3 stores them).
    #[must_use]
    pub fn permissions(&self) -> Vec<String> {
        let admin = [
            Permission::USERS_READ,
            Permission::AUDIT_READ,
            Permission::STATS_READ,
            Permission::USERS_WRITE,
            Permission::BILLING_WRITE,
            Permission::ANNOUNCEMENTS_WRITE,
        ];
        let list: &[&str] = match self.0.as_str() {
            "super_admin" => &[
                Permission::USERS_READ,
                Permission::AUDIT_READ,
                Permission::STATS_READ,
                Permission::USERS_WRITE,
                Permission::BILLING_WRITE,
                Permission::ANNOUNCEMENTS_WRITE,
                Permission::ROLES_WRITE,
            ],
            "admin" => &admin,
            _ => &[],
        };
        list.iter().map(|p| (*p).to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_have_the_contract_permissions() {
        assert!(RoleName::user().permissions().is_empty());
        let admin = RoleName::admin().permissions();
        for p in [
            "users:read",
            "audit:read",
            "stats:read",
            "users:write",
            "billing:write",
            "announcements:write",
        ] {
            assert!(admin.iter().any(|a| a == p), "admin lacks {p}");
        }
        assert!(
            !admin.iter().any(|a| a == Permission::ROLES_WRITE),
            "only super_admin manages roles"
        );
        let root = RoleName::super_admin().permissions();
        assert!(
            admin.iter().all(|p| root.contains(p)),
            "super_admin has everything admin has"
        );
        assert!(root.iter().any(|p| p == Permission::ROLES_WRITE));
        assert!(RoleName::user().rank() < RoleName::admin().rank());
        assert!(RoleName::admin().rank() < RoleName::super_admin().rank());
        assert_eq!(RoleName("support".into()).rank(), 0);
        assert!(!RoleName("support".into()).is_built_in());
        assert!(
            RoleName("support".into()).permissions().is_empty(),
            "custom roles have none until stored"
        );
    }
}
