//! In-memory adapters (feature `testing`) and the outbox contract suite every adapter runs.

pub mod contract;
mod memory;

pub use memory::{MemoryEventOutbox, MemoryMemberPermissions};
