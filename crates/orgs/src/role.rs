//! Organization roles and permissions.

use std::collections::BTreeSet;

/// The permissions a role can grant within an organization. They travel, like the global
/// ones, as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgPermission;

impl OrgPermission {
    /// Rename the organization, change its billing contact.
    pub const ORG_WRITE: &'static str = "org:write";
    /// See the members and the invitations.
    pub const MEMBERS_READ: &'static str = "members:read";
    /// Invite, remove members and change their roles (within the rank rules).
    pub const MEMBERS_WRITE: &'static str = "members:write";
    /// Read the organization's files.
    pub const FILES_READ: &'static str = "org_files:read";
    /// Upload, change and delete the organization's files.
    pub const FILES_WRITE: &'static str = "org_files:write";
    /// See the organization's subscription and invoices.
    pub const BILLING_READ: &'static str = "org_billing:read";
    /// Subscribe, change seats, pay.
    pub const BILLING_WRITE: &'static str = "org_billing:write";
    /// List and verify the organization's audit events.
    pub const AUDIT_READ: &'static str = "org_audit:read";

    /// Every organization permission.
    pub const ALL: &'static [&'static str] = &[
        Self::ORG_WRITE,
        Self::MEMBERS_READ,
        Self::MEMBERS_WRITE,
        Self::FILES_READ,
        Self::FILES_WRITE,
        Self::BILLING_READ,
        Self::BILLING_WRITE,
        Self::AUDIT_READ,
    ];
}

/// A role's name within an organization: `owner`, `admin`, `member` or a custom one.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct OrgRoleName(String);

/// Names a custom role cannot take.
const BUILT_IN: [&str; 3] = ["owner", "admin", "member"];

impl OrgRoleName {
    /// A name read back from storage, where only valid names are ever written.
    #[must_use]
    pub fn stored(name: String) -> Self {
        Self(name)
    }

    /// A role name a client asked for: a built-in one or a well-formed custom one.
    ///
    /// # Errors
    /// A message for the user.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if BUILT_IN.contains(&name) {
            return Ok(Self(name.to_owned()));
        }
        Self::custom(name)
    }

    /// Whether this names `owner`, `admin` or `member`.
    #[must_use]
    pub fn is_built_in(&self) -> bool {
        BUILT_IN.contains(&self.0.as_str())
    }

    /// The name, as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A custom role's name: 2 to 32 of `a-z 0-9 _ -`, not a built-in one.
    ///
    /// # Errors
    /// A message for the user.
    pub fn custom(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if !(2..=32).contains(&name.len())
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err("A role name is 2 to 32 of a-z, 0-9, `_` and `-`.".to_owned());
        }
        if BUILT_IN.contains(&name) {
            return Err(format!("`{name}` is a built-in role."));
        }
        Ok(Self(name.to_owned()))
    }
}

/// A role within an organization: its name, its rank and what it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRole {
    /// The name.
    pub name: OrgRoleName,
    /// Higher acts on lower (see [`crate::rules`]).
    pub rank: i32,
    /// The permissions it grants.
    pub permissions: BTreeSet<String>,
}

impl OrgRole {
    /// The rank of `owner`.
    pub const OWNER_RANK: i32 = 300;
    /// The rank of `admin`.
    pub const ADMIN_RANK: i32 = 200;
    /// The rank of `member`.
    pub const MEMBER_RANK: i32 = 100;
    /// The rank of every custom role: below `member`.
    pub const CUSTOM_RANK: i32 = 0;

    fn built_in(name: &str, rank: i32, permissions: &[&str]) -> Self {
        Self {
            name: OrgRoleName(name.to_owned()),
            rank,
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// Everything, and the only role that deletes the organization or hands ownership on.
    #[must_use]
    pub fn owner() -> Self {
        Self::built_in("owner", Self::OWNER_RANK, OrgPermission::ALL)
    }

    /// Every permission; acts on members and custom roles, not on owners.
    #[must_use]
    pub fn admin() -> Self {
        Self::built_in("admin", Self::ADMIN_RANK, OrgPermission::ALL)
    }

    /// Sees the members and works with the organization's files.
    #[must_use]
    pub fn member() -> Self {
        Self::built_in(
            "member",
            Self::MEMBER_RANK,
            &[
                OrgPermission::MEMBERS_READ,
                OrgPermission::FILES_READ,
                OrgPermission::FILES_WRITE,
            ],
        )
    }

    /// The built-in role called `name`, if it is one.
    #[must_use]
    pub fn built_in_named(name: &OrgRoleName) -> Option<Self> {
        match name.as_str() {
            "owner" => Some(Self::owner()),
            "admin" => Some(Self::admin()),
            "member" => Some(Self::member()),
            _ => None,
        }
    }

    /// A custom role granting `permissions` (each one an [`OrgPermission`]).
    ///
    /// # Errors
    /// A message naming the bad name or the unknown permissions.
    pub fn custom(name: &str, permissions: &[&str]) -> Result<Self, String> {
        let name = OrgRoleName::custom(name)?;
        let unknown: Vec<&str> = permissions
            .iter()
            .copied()
            .filter(|p| !OrgPermission::ALL.contains(p))
            .collect();
        if !unknown.is_empty() {
            return Err(format!("Unknown permissions: {}.", unknown.join(", ")));
        }
        Ok(Self {
            name,
            rank: Self::CUSTOM_RANK,
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        })
    }

    /// Whether this is the owner role.
    #[must_use]
    pub fn is_owner(&self) -> bool {
        self.rank == Self::OWNER_RANK
    }

    /// Whether the role grants `permission`.
    #[must_use]
    pub fn grants(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn built_in_roles_rank_and_grant_as_documented() {
        assert!(OrgRole::owner().rank > OrgRole::admin().rank);
        assert!(OrgRole::admin().rank > OrgRole::member().rank);
        assert!(OrgRole::member().rank > OrgRole::CUSTOM_RANK);
        assert!(OrgRole::owner().is_owner() && !OrgRole::admin().is_owner());
        assert!(OrgRole::member().grants(OrgPermission::FILES_WRITE));
        assert!(!OrgRole::member().grants(OrgPermission::MEMBERS_WRITE));
        assert!(!OrgRole::member().grants(OrgPermission::BILLING_READ));
    }

    #[test]
    fn a_custom_role_has_a_fresh_name_and_known_permissions() {
        let role = OrgRole::custom("bookkeeper", &[OrgPermission::BILLING_READ]).unwrap();
        assert_eq!(role.rank, OrgRole::CUSTOM_RANK);
        assert!(
            OrgRole::custom("owner", &[])
                .unwrap_err()
                .contains("built-in")
        );
        assert!(OrgRole::custom("Book Keeper", &[]).is_err());
        let err = OrgRole::custom("spy", &["users:write", OrgPermission::AUDIT_READ]).unwrap_err();
        assert!(
            err.contains("users:write") && !err.contains("org_audit"),
            "{err}"
        );
    }
}
