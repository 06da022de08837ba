//! The UnitOfWork adapter: a SeaORM `DatabaseTransaction` behind the kernel's `Transaction`.

use std::any::Any;

use plinth_kernel::{RepoError, Transaction, UnitOfWork};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::error::repo_err;

/// Starts [`SeaTransaction`]s on a connection pool.
///
/// On SQLite transactions begin `IMMEDIATE`: they take the write lock at `BEGIN` (waiting up to
/// the busy timeout), so a transaction that reads and then writes can never fail halfway with
/// `SQLITE_BUSY`. On PostgreSQL they are ordinary `READ COMMITTED` transactions; the
/// repositories' conditional updates are atomic at that level.
#[derive(Clone)]
pub struct SeaUnitOfWork {
    conn: DatabaseConnection,
}

impl SeaUnitOfWork {
    /// A unit of work on `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

#[async_trait::async_trait]
impl UnitOfWork for SeaUnitOfWork {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        let inner = if self.conn.get_database_backend() == DbBackend::Sqlite {
            let options = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            };
            self.conn.begin_with_options(options).await
        } else {
            self.conn.begin().await
        }
        .map_err(repo_err)?;
        Ok(Box::new(SeaTransaction { inner }))
    }
}

/// An open SeaORM transaction. Dropping it without [`Transaction::commit`] rolls it back.
pub struct SeaTransaction {
    inner: DatabaseTransaction,
}

impl SeaTransaction {
    /// The SeaORM transaction inside.
    #[must_use]
    pub fn inner(&self) -> &DatabaseTransaction {
        &self.inner
    }
}

#[async_trait::async_trait]
impl Transaction for SeaTransaction {
    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.inner.commit().await.map_err(repo_err)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The SeaORM transaction behind a `dyn Transaction` handed to a repository.
///
/// # Errors
/// [`RepoError::Internal`] when the transaction came from another adapter (a wiring bug).
pub fn db_tx(tx: &mut dyn Transaction) -> Result<&DatabaseTransaction, RepoError> {
    tx.as_any_mut()
        .downcast_mut::<SeaTransaction>()
        .map(|t| &t.inner)
        .ok_or_else(|| {
            RepoError::internal("a SeaORM repository was given a transaction from another adapter")
        })
}
