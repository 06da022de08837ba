//! Use cases on whole accounts, which span the accounts, their files and the audit trail.

mod erase;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use plinth_files::FileService;
use plinth_kernel::UnitOfWork;
use plinth_sessions::AuthService;

pub use erase::ErasedAccount;

/// Erasing accounts: [`Accounts::erase_own`] (`DELETE /me`) and [`Accounts::erase_by_admin`]
/// (`DELETE /admin/users/{id}`).
#[derive(Clone)]
pub struct Accounts {
    auth: AuthService,
    files: FileService,
    uow: Arc<dyn UnitOfWork>,
}

impl Accounts {
    /// The use cases over `auth` and `files`, whose repositories `uow` gives transactions to.
    #[must_use]
    pub fn new(auth: AuthService, files: FileService, uow: Arc<dyn UnitOfWork>) -> Self {
        Self { auth, files, uow }
    }
}
