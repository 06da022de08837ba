//! Ports of one domain served by another domain's service. The file service asks for an
//! owner's storage limit, for the accounts behind its callers and signed URLs and for the
//! avatar images accounts show; billing and the accounts answer, through these adapters, so neither
//! domain depends on the other.

mod avatar_references;
mod storage_quota;
mod viewers;

pub use avatar_references::UserAvatarReferences;
pub use storage_quota::BillingStorageQuota;
pub use viewers::{UserViewers, viewer_of};
