//! The organizations domain: an organization (the tenant a team's product serves: a client
//! company, a clinic, a customer team), its members, its roles and the rules of membership.
//!
//! - [`Organization`], [`Member`], [`Membership`]: who belongs where, with which role;
//! - [`OrgRole`]: the built-in `owner`, `admin` and `member`, and custom roles granting a subset
//!   of the [`OrgPermission`]s, each with a rank;
//! - [`rules`]: who may grant a role, who may act on a member, that an organization always keeps
//!   an owner, and how ownership changes hands, as pure functions;
//! - [`OrganizationService`]: the use cases (create, rename, delete, list mine, members, roles),
//!   each checking the caller's membership and role itself;
//! - the ports ([`OrganizationRepository`], [`MemberRepository`], [`OrgRoleRepository`]), whose
//!   adapters filter by organization themselves; in-memory adapters and the contract suite are
//!   behind the `testing` feature.
//!
//! The rank rules are the global roles' (`plinth-sessions`' admin rules): nobody grants more
//! than they hold, and only a higher rank acts on a lower one.

mod error;
mod invitation;
mod name;
mod organization;
mod ports;
mod role;
pub mod rules;
mod service;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::OrgError;
pub use invitation::{Invitation, InvitationId, InvitationToken, InvitationTokenHash};
pub use name::{OrgName, OrgNameError};
pub use organization::{
    BillingContact, Member, MemberProfile, Membership, OrgOverview, Organization,
};
pub use ports::{
    InvitationMail, InvitationMailer, InvitationRepository, MemberRepository, OrgRoleRepository,
    OrgStorage, OrgTokenRevoker, OrganizationRepository, VerifiedEmails,
};
pub use role::{OrgPermission, OrgRole, OrgRoleName};
pub use rules::{MemberChange, OrgRuleError};
pub use service::{
    InvitationPolicy, OrgAuditReport, OrgPorts, OrganizationService, ReleasedAccount,
    SentInvitation,
};

/// Identifies an organization (defined in the kernel, which every domain shares).
pub use plinth_kernel::OrgId;
