//! The organizations domain: an organization (the tenant a team's product serves: a client
//! company, a clinic, a customer team), its roles and the rules of membership.
//!
//! This first increment holds the rules only, as pure functions over values, so every later
//! layer (the membership use cases, the SQL adapters, the HTTP API) applies the same ones:
//!
//! - [`OrgRole`]: the built-in `owner`, `admin` and `member`, and custom roles granting a subset
//!   of the [`OrgPermission`]s, each with a rank;
//! - [`rules`]: who may grant a role, who may act on a member, that an organization always keeps
//!   an owner, and how ownership changes hands.
//!
//! The rank rules are the global roles' (`plinth-sessions`' admin rules): nobody grants more
//! than they hold, and only a higher rank acts on a lower one.

mod name;
mod role;
pub mod rules;

pub use name::{OrgName, OrgNameError};
pub use role::{OrgPermission, OrgRole, OrgRoleName};
pub use rules::{MemberChange, OrgRuleError};

plinth_kernel::typed_id!(
    /// Identifies an organization.
    OrgId
);
