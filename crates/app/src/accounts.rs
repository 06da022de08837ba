//! Use cases on whole accounts, which span the accounts, their files and the audit trail.

mod avatar;
mod erase;
mod export;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use plinth_audit::AuditLog;
use plinth_billing::{InvoiceService, SubscriptionService};
use plinth_files::FileService;
use plinth_kernel::{Clock, UnitOfWork};
use plinth_orgs::OrganizationService;
use plinth_sessions::{AccountAdminService, AuthService};
use plinth_users::UserService;

pub use erase::ErasedAccount;
pub use export::AccountExport;

/// Whole-account use cases: [`Accounts::erase_own`] (`DELETE /me`),
/// [`Accounts::erase_by_admin`] (`DELETE /admin/users/{id}`), [`Accounts::export`]
/// (`GET /me/export`), [`Accounts::set_avatar`] and [`Accounts::remove_avatar`]
/// (`PUT`/`DELETE /me/avatar`).
#[derive(Clone)]
pub struct Accounts {
    auth: AuthService,
    admin: AccountAdminService,
    users: UserService,
    files: FileService,
    orgs: OrganizationService,
    subscriptions: SubscriptionService,
    invoices: InvoiceService,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

/// What [`Accounts`] is built from: the services of the domains it spans, the audit trail it
/// reads back, the transactions their repositories share and the clock.
pub struct AccountsParts {
    /// Sign-in and sessions (password confirmation, the sessions an export lists).
    pub auth: AuthService,
    /// Account administration (the account steps of an erasure).
    pub admin: AccountAdminService,
    /// Profiles and app data.
    pub users: UserService,
    /// Files.
    pub files: FileService,
    /// Organizations (an erased account leaves them, or deletes those it was alone in).
    pub orgs: OrganizationService,
    /// Subscriptions (an organization's is handed to a member who stays, or ends with it).
    pub subscriptions: SubscriptionService,
    /// Invoices (an export lists the account's own).
    pub invoices: InvoiceService,
    /// The audit trail (read for exports).
    pub audit: Arc<dyn AuditLog>,
    /// Gives the transactions every repository above takes.
    pub uow: Arc<dyn UnitOfWork>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
}

impl Accounts {
    /// The use cases over `parts`.
    #[must_use]
    pub fn new(parts: AccountsParts) -> Self {
        let AccountsParts {
            auth,
            admin,
            users,
            files,
            orgs,
            subscriptions,
            invoices,
            audit,
            uow,
            clock,
        } = parts;
        Self {
            auth,
            admin,
            users,
            files,
            orgs,
            subscriptions,
            invoices,
            audit,
            uow,
            clock,
        }
    }
}
