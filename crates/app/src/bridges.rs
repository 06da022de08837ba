//! Ports of one domain served by another domain's service. The file service asks for an
//! owner's storage limit, for the accounts behind its callers and signed URLs and for the
//! avatar images accounts show, and the organization service for verified addresses and its
//! invitation mail; billing, the accounts and the mail adapter answer, through these adapters, so neither
//! domain depends on the other.

mod avatar_references;
mod org_accounts;
mod storage_quota;
mod viewers;

pub use avatar_references::UserAvatarReferences;
pub use org_accounts::{InvitationMail, UserEmails};
pub use storage_quota::BillingStorageQuota;
pub use viewers::{UserViewers, viewer_of};
