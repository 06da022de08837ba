//! The UnitOfWork port: one transaction shared by every repository a service touches.
//!
//! A service reads as *begin → users.insert(tx) → audit.append(tx) → commit*. Dropping a
//! transaction without committing it rolls it back, so `?` anywhere between begin and commit
//! leaves storage untouched.

use std::any::Any;

use crate::RepoError;

/// An open transaction. Adapters downcast it with [`Transaction::as_any_mut`] to their own type;
/// handing an adapter a transaction from another adapter is a bug and returns
/// [`RepoError::Internal`].
#[async_trait::async_trait]
pub trait Transaction: Send {
    /// Makes every write done through this transaction durable, atomically.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when storage is unreachable; the changes are then lost.
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;

    /// The concrete adapter type, for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// Starts transactions.
#[async_trait::async_trait]
pub trait UnitOfWork: Send + Sync {
    /// Begins a transaction.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when storage is unreachable.
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError>;
}
