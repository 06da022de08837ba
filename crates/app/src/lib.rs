//! The application layer: the use cases that span domains, each one function that runs its
//! steps in one transaction where the data allows it (and says what it does with blobs, which
//! no transaction covers), and checks who may run it, so the HTTP API, a CLI command or another
//! crate calling it cannot skip the check. The domain crates (users, sessions, files, billing,
//! audit) each own their rules and ports; this crate only composes them.
//!
//! - [`accounts`]: erasing an account (by its user or by an administrator), exporting one,
//!   setting and removing its avatar.
//! - [`sharing`]: sharing a file with an address, ending a share.
//! - [`statistics`]: the service statistics, counted by each domain.
//! - [`wiring`]: [`Services::wire`], the one composition of every service from its ports.
//! - [`bridges`]: one domain's port served by another domain's service (the file service's
//!   storage quota from billing, its viewers and avatar references from the accounts).

pub mod accounts;
pub mod bridges;
mod error;
pub mod organizations;
pub mod sharing;
pub mod statistics;
#[cfg(test)]
mod test_world;
pub mod wiring;

pub use accounts::{AccountExport, Accounts, AccountsParts, ErasedAccount};
pub use error::AppError;
pub use organizations::{DeletedOrg, Organizations};
pub use sharing::{Grantee, Sharing};
pub use statistics::{Overview, Statistics};
pub use wiring::{Policies, Ports, Services};
