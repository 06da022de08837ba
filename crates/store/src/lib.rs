//! The SeaORM adapter: one repository per domain port, on SQLite or PostgreSQL (or a
//! PostgreSQL-compatible distributed database), plus the [`UnitOfWork`](plinth_kernel::UnitOfWork)
//! that lets a service commit a change and its audit entry together.
//!
//! Start from [`Database::connect`], run [`Database::migrate_up`], then hand
//! [`Database::unit_of_work`] and the repositories ([`Database::users`], …) to the services.
//!
//! Errors follow the ports' contract: a unique violation is [`RepoError::Duplicate`] naming
//! the constraint (`users.email`, `plans.code`, `refresh_tokens.hash`); a connection, pool or
//! timeout failure is [`RepoError::Unavailable`]; anything else is [`RepoError::Internal`].
//!
//! [`RepoError::Duplicate`]: plinth_kernel::RepoError::Duplicate
//! [`RepoError::Unavailable`]: plinth_kernel::RepoError::Unavailable
//! [`RepoError::Internal`]: plinth_kernel::RepoError::Internal

mod database;
pub mod entities;
mod error;
mod repos;
mod uow;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use database::{
    ACQUIRE_TIMEOUT, Database, MIGRATION_LOCK_KEY, PING_TIMEOUT, PoolStats, QueryCounts,
    SQLITE_BUSY_TIMEOUT,
};
pub use error::StoreError;
pub use repos::{
    AUDIT_CHAIN_LOCK_KEY, SeaAnnouncementRepository, SeaAuditLog, SeaBillingRepository,
    SeaCustomerDirectory, SeaEventOutbox, SeaFileRepository, SeaIdempotencyStore,
    SeaIdentityRepository, SeaInvoiceRepository, SeaOrgStorage, SeaPasskeyRepository,
    SeaPaymentEventInbox, SeaRoleRepository, SeaSessionRepository, SeaSubscriptionRepository,
    SeaUserRepository,
};
pub use uow::{SeaTransaction, SeaUnitOfWork, WriteQueue, db_tx};
