//! In-memory adapters and the port contract suite (feature `testing`).
//!
//! [`MemoryAuditLog`] behaves like the SQL adapter: appends join the caller's
//! [`plinth_kernel::testing::MemoryTransaction`] and vanish if it is dropped without a commit.
//! [`FailingAuditLog`] refuses every append, to prove that a change is never committed without
//! its audit entry. [`contract::audit_log`] is the suite every [`crate::AuditLog`] adapter must pass.

pub mod contract;
mod memory;

pub use memory::{FailingAuditLog, MemoryAuditLog};
