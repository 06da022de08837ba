//! Ports of one domain served by another domain's service. The file service asks for an
//! owner's storage limit, for the accounts behind its callers and signed URLs and for the
//! avatar images accounts show, the organization service for verified addresses, its
//! invitation mail and the revocation of tokens acting for an organization, and the sessions
//! domain for where a user stands in an organization; billing, the accounts, the mail adapter
//! and the two domains answer each other through these adapters, so no domain depends on
//! another.

mod avatar_references;
mod org_access;
mod org_accounts;
mod storage_quota;
mod viewers;

pub use avatar_references::UserAvatarReferences;
pub use org_access::{OrgMemberships, SessionRevocations};
pub use org_accounts::{InvitationMail, UserEmails};
pub use storage_quota::BillingStorageQuota;
pub use viewers::{UserViewers, viewer_of};
