//! In-memory adapters and the port contract suite (feature `testing`).
//!
//! [`MemorySessionRepository`] behaves like the SQL adapter (writes undone when the
//! [`plinth_kernel::testing::MemoryTransaction`] is dropped uncommitted, `spend_refresh` atomic);
//! [`FakeTokenSigner`] issues opaque tokens it remembers, so tests need no keys.
//! [`contract::session_repository`] is the suite every [`crate::SessionRepository`] adapter must
//! pass. [`MemoryMailer`] records outgoing mail (tests read the last link), [`FailingMailer`]
//! refuses it, and [`FakeSealer`] stands in for the encrypting `SecretSealer`.

pub mod contract;
mod identities;
mod mailer;
mod memory;
mod passkeys;
mod sealer;
mod signer;

pub use identities::{FakeIdentityProviders, MemoryIdentityRepository};
pub use mailer::{FailingMailer, MemoryMailer};
pub use memory::MemorySessionRepository;
pub use passkeys::MemoryPasskeyRepository;
pub use sealer::FakeSealer;
pub use signer::FakeTokenSigner;
