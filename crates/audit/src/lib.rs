//! The audit domain: append-only, hash-chained records of every security-relevant change.
//!
//! Services append an [`AuditEvent`] through the [`AuditLog`] port **inside the same
//! transaction** as the change it records; there is no "log it afterwards".

mod chain;
mod event;
mod ports;
mod trail;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use chain::{
    ChainReport, ChainVerifier, ChainedEvent, GENESIS_HASH, StoredChainVerifier, StoredEntry,
    UnreadableEntry, VERIFY_PAGE_SIZE, chain_hash, verify_chain, verify_log,
};
pub use event::{AuditAction, AuditEvent, AuditEventId, AuditFilter};
pub use ports::AuditLog;
pub use trail::{AuditError, AuditTrail};
