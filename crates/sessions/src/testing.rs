//! In-memory adapters and the port contract suite (feature `testing`).
//!
//! [`MemorySessionRepository`] behaves like the SQL adapter (writes undone when the
//! [`plinth_kernel::testing::MemoryTransaction`] is dropped uncommitted, `spend_refresh` atomic);
//! [`FakeTokenSigner`] issues opaque tokens it remembers, so tests need no keys.
//! [`contract::session_repository`] is the suite every [`crate::SessionRepository`] adapter must
//! pass.

pub mod contract;
mod memory;
mod signer;

pub use memory::MemorySessionRepository;
pub use signer::FakeTokenSigner;
