//! [`AccountAdminService`]: account administration, beside sign-in but separate from it.

mod erase;
mod roles;
mod users;

use std::sync::Arc;

use plinth_audit::AuditLog;
use plinth_kernel::{Clock, UnitOfWork};
use plinth_users::{RoleRepository, UserRepository};

use crate::SessionStorage;

pub use erase::Eraser;

/// Administering accounts: administrators changing another account
/// ([`AccountAdminService::admin_update_user`]), custom roles
/// ([`AccountAdminService::create_role`], [`AccountAdminService::list_roles`]) and the account
/// steps of an erasure ([`AccountAdminService::lock_own_account`],
/// [`AccountAdminService::lock_account_for_admin`], [`AccountAdminService::delete_account`]).
/// It ends sessions (a suspension, a deletion) in the same transaction as the change, so it
/// lives in the sessions crate; signing in, refreshing and MFA are `AuthService`'s.
#[derive(Clone)]
pub struct AccountAdminService {
    pub(crate) users: Arc<dyn UserRepository>,
    pub(crate) roles: Arc<dyn RoleRepository>,
    pub(crate) sessions: Arc<dyn SessionStorage>,
    pub(crate) audit: Arc<dyn AuditLog>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl AccountAdminService {
    /// Wires the service to its ports.
    #[must_use]
    pub fn new(
        users: Arc<dyn UserRepository>,
        roles: Arc<dyn RoleRepository>,
        sessions: Arc<dyn SessionStorage>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            roles,
            sessions,
            audit,
            uow,
            clock,
        }
    }
}
