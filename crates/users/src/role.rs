//! Roles and permissions. The roles themselves are stored ([`crate::RoleRepository`]): the
//! three built-in ones are seeded by a migration, custom ones are created by administrators.

use std::collections::BTreeSet;

use plinth_kernel::Timestamp;

pub use plinth_kernel::Permission;

/// A role name: `user`, `admin`, `super_admin` or a custom role.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct RoleName(pub String);

/// Shortest and longest name of a custom role.
const NAME_LENGTH: std::ops::RangeInclusive<usize> = 2..=32;

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

    /// Parses the name of a new role: 2–32 characters, lower-case ASCII letters, digits, `_`
    /// and `-`, starting with a letter (so a name never looks like another one in a different
    /// case, and is safe in URLs and logs).
    ///
    /// # Errors
    /// A message for the caller saying what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        let well_formed = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if NAME_LENGTH.contains(&name.len()) && well_formed {
            Ok(Self(name.to_owned()))
        } else {
            Err(format!(
                "name must be {}–{} characters of `a-z`, `0-9`, `_` or `-`, starting with a letter",
                NAME_LENGTH.start(),
                NAME_LENGTH.end()
            ))
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `user`, `admin` or `super_admin`.
    #[must_use]
    pub fn is_built_in(&self) -> bool {
        matches!(self.0.as_str(), "user" | "admin" | "super_admin")
    }
}

/// A stored role: its permissions, and its rank for the administrative rules (a caller acts
/// only on accounts of strictly lower rank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Unique name.
    pub name: RoleName,
    /// `user` 0, `admin` 1, `super_admin` 2; custom roles 0.
    pub rank: i32,
    /// One of the three roles of the contract (seeded, never created through the API).
    pub built_in: bool,
    /// What holders of the role may do; copied into their access tokens when minted.
    pub permissions: BTreeSet<String>,
    /// When it was stored.
    pub created_at: Timestamp,
}

/// The rank of every custom role: that of `user`, below `admin` and `super_admin`.
pub const CUSTOM_ROLE_RANK: i32 = 0;

impl Role {
    /// A new custom role (rank [`CUSTOM_ROLE_RANK`]).
    #[must_use]
    pub fn custom(name: RoleName, permissions: BTreeSet<String>, created_at: Timestamp) -> Self {
        Self {
            name,
            rank: CUSTOM_ROLE_RANK,
            built_in: false,
            permissions,
            created_at,
        }
    }

    /// Whether holders of the role have `permission`.
    #[must_use]
    pub fn grants(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// The permissions as they travel in an access token (sorted).
    #[must_use]
    pub fn permission_list(&self) -> Vec<String> {
        self.permissions.iter().cloned().collect()
    }
}

/// The three built-in roles exactly as the contract defines them (the migration seeds the same
/// rows; the store's contract test compares them): `user` has none of the admin permissions,
/// `admin` every `*:read` plus `users:write`, `billing:write`, `announcements:write` and
/// `orgs:write` (the last beyond the contract, with the organizations), and
/// `super_admin` everything, `roles:write` included.
#[must_use]
pub fn built_in_roles(created_at: Timestamp) -> Vec<Role> {
    let set = |perms: &[&str]| perms.iter().map(|p| (*p).to_owned()).collect();
    let admin = [
        Permission::USERS_READ,
        Permission::AUDIT_READ,
        Permission::STATS_READ,
        Permission::USERS_WRITE,
        Permission::BILLING_WRITE,
        Permission::ANNOUNCEMENTS_WRITE,
        Permission::ORGS_READ,
        Permission::ORGS_WRITE,
    ];
    vec![
        Role {
            name: RoleName::user(),
            rank: 0,
            built_in: true,
            permissions: BTreeSet::new(),
            created_at,
        },
        Role {
            name: RoleName::admin(),
            rank: 1,
            built_in: true,
            permissions: set(&admin),
            created_at,
        },
        Role {
            name: RoleName::super_admin(),
            rank: 2,
            built_in: true,
            permissions: set(Permission::ALL),
            created_at,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> Role {
        built_in_roles(chrono::Utc::now())
            .into_iter()
            .find(|r| r.name.as_str() == name)
            .unwrap_or_else(|| panic!("{name} is built in"))
    }

    #[test]
    fn built_in_roles_have_the_contract_permissions() {
        assert!(role("user").permissions.is_empty());
        let admin = role("admin");
        for p in [
            "users:read",
            "audit:read",
            "stats:read",
            "users:write",
            "billing:write",
            "announcements:write",
        ] {
            assert!(admin.grants(p), "admin lacks {p}");
        }
        assert!(
            !admin.grants(Permission::ROLES_WRITE),
            "only super_admin manages roles"
        );
        let root = role("super_admin");
        assert!(admin.permissions.is_subset(&root.permissions));
        assert_eq!(root.permissions.len(), Permission::ALL.len());
        assert!(root.grants(Permission::ROLES_WRITE));
        assert!(role("user").rank < admin.rank && admin.rank < root.rank);
        assert!(
            built_in_roles(chrono::Utc::now())
                .iter()
                .all(|r| r.built_in)
        );
    }

    #[test]
    fn custom_role_names_are_lower_case_words() {
        assert_eq!(
            RoleName::parse("  auditor ").map(|n| n.0),
            Ok("auditor".into())
        );
        assert!(RoleName::parse("support-tier_2").is_ok());
        for bad in [
            "",
            "a",
            "Auditor",
            "2fast",
            "_x",
            "has space",
            "ünïcode",
            &"x".repeat(33),
        ] {
            assert!(RoleName::parse(bad).is_err(), "{bad:?} accepted");
        }
        let custom = Role::custom(
            RoleName("auditor".into()),
            BTreeSet::new(),
            chrono::Utc::now(),
        );
        assert_eq!(custom.rank, CUSTOM_ROLE_RANK);
        assert!(!custom.built_in && !custom.name.is_built_in());
    }
}
