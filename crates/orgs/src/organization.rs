//! [`Organization`], its [`Member`]s and a user's [`Membership`]s.

use plinth_kernel::{Email, Timestamp, UserId};

use crate::{OrgId, OrgName, OrgRoleName};

/// An organization: the tenant that owns files, a subscription and invoices, and whose members
/// act for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Its id.
    pub id: OrgId,
    /// Its display name.
    pub name: OrgName,
    /// Who created it (its first owner); an id only: the organization outlives the account.
    pub created_by: UserId,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed (name).
    pub updated_at: Timestamp,
    /// Since when an administrator has suspended it (`None`: active). Members of a suspended
    /// organization can see it and leave it, nothing else.
    pub suspended_at: Option<Timestamp>,
}

/// Who an organization's invoices are addressed to. What is unset falls back: the name to the
/// organization's name, the address to its longest-standing owner's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingContact {
    /// The name on its invoices (a company's legal name, say).
    pub name: Option<OrgName>,
    /// Where its invoices go.
    pub email: Option<Email>,
}

/// An organization as administrators list it: with how many members it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgOverview {
    /// The organization.
    pub organization: Organization,
    /// How many members it has.
    pub members: u64,
}

/// A user's place in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user_id: UserId,
    /// Their role's name: `owner`, `admin`, `member` or one of the organization's custom roles.
    pub role: OrgRoleName,
    /// When they joined.
    pub joined_at: Timestamp,
}

/// A member as the member list shows them: with the account's address and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberProfile {
    /// The membership.
    pub member: Member,
    /// The account's email address.
    pub email: Email,
    /// The account's display name.
    pub name: String,
}

/// An organization a user belongs to, with the role they hold there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The organization.
    pub organization: Organization,
    /// The user's role there.
    pub role: OrgRoleName,
}
