//! In-memory adapters and the port contract suite (feature `testing`).
//!
//! [`MemoryUserRepository`] behaves like the SQL adapter (unique email, writes undone when the
//! [`plinth_kernel::testing::MemoryTransaction`] is dropped uncommitted); [`FakePasswordHasher`]
//! is a fast, deterministic stand-in for bcrypt that still compares the whole password.
//! [`MemoryRoleRepository`] starts with the built-in roles. [`contract::user_repository`] and
//! [`contract::role_repository`] are the suites every adapter of those ports must pass;
//! [`announcement_contract::announcement_repository`] the one of every
//! [`crate::AnnouncementRepository`], which [`MemoryAnnouncementRepository`] passes too.

pub mod announcement_contract;
mod announcements;
pub mod contract;
mod hasher;
mod memory;
mod roles;

pub use announcements::MemoryAnnouncementRepository;
pub use hasher::FakePasswordHasher;
pub use memory::MemoryUserRepository;
pub use roles::MemoryRoleRepository;
