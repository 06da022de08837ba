//! Who is asking and what they may do: the [`Caller`] every use case that needs a permission
//! takes, so the check lives in the use case (an HTTP handler, a CLI command or another crate
//! calling it cannot skip it), with one wording for a missing permission ([`Forbidden`]).

use crate::{OrgId, UserId};

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
    /// List, search and inspect every organization.
    pub const ORGS_READ: &'static str = "orgs:read";
    /// Suspend and reinstate organizations.
    pub const ORGS_WRITE: &'static str = "orgs:write";

    /// Every permission of the contract, as seeded in the `permissions` table.
    pub const ALL: &'static [&'static str] = &[
        Self::ANNOUNCEMENTS_WRITE,
        Self::AUDIT_READ,
        Self::BILLING_WRITE,
        Self::ORGS_READ,
        Self::ORGS_WRITE,
        Self::ROLES_WRITE,
        Self::STATS_READ,
        Self::USERS_READ,
        Self::USERS_WRITE,
    ];
}

/// The signed-in user a use case acts for, with the permissions their access token carries,
/// and the organization they act for, if they chose one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user.
    pub user_id: UserId,
    permissions: Vec<String>,
    org: Option<ActingFor>,
}

/// The organization a caller acts for and their organization permissions there, as their
/// access token carries them (checked against the membership when the token was minted, and
/// ended by a revocation when the membership changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActingFor {
    /// The organization.
    pub org_id: OrgId,
    /// The caller's organization permissions there (`org_files:read`, …).
    pub permissions: Vec<String>,
}

impl ActingFor {
    /// Whether the caller holds the organization permission `permission` there.
    #[must_use]
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// `Ok` when the caller holds the organization permission `permission`; otherwise
    /// [`Forbidden`] naming it.
    ///
    /// # Errors
    /// [`Forbidden`].
    pub fn require(&self, permission: &str) -> Result<(), Forbidden> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Forbidden::missing(permission))
        }
    }
}

impl Caller {
    /// `user_id` holding `permissions` (as their token lists them), acting for themselves.
    #[must_use]
    pub fn new(user_id: UserId, permissions: Vec<String>) -> Self {
        Self {
            user_id,
            permissions,
            org: None,
        }
    }

    /// The same caller acting for `org` (their token says so).
    #[must_use]
    pub fn acting_for(mut self, org: Option<ActingFor>) -> Self {
        self.org = org;
        self
    }

    /// The organization the caller acts for, if any.
    #[must_use]
    pub fn org(&self) -> Option<&ActingFor> {
        self.org.as_ref()
    }

    /// Whether the caller holds `permission`.
    #[must_use]
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// The permissions the caller holds.
    #[must_use]
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// `Ok` when the caller holds `permission`; otherwise [`Forbidden`] naming it.
    ///
    /// # Errors
    /// [`Forbidden`].
    pub fn require(&self, permission: &str) -> Result<(), Forbidden> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Forbidden::missing(permission))
        }
    }
}

/// A caller lacks what a use case needs; the message says what (an HTTP 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

impl Forbidden {
    /// The refusal of a caller without `permission`: the one wording of a missing permission.
    #[must_use]
    pub fn missing(permission: &str) -> Self {
        Self(format!("This needs the `{permission}` permission."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_permission_is_named() {
        let caller = Caller::new(UserId::new(), vec![Permission::USERS_READ.to_owned()]);
        assert!(caller.require(Permission::USERS_READ).is_ok());
        assert_eq!(
            caller.require(Permission::BILLING_WRITE),
            Err(Forbidden(
                "This needs the `billing:write` permission.".to_owned()
            ))
        );
    }
}
