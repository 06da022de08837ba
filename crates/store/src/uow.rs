//! The UnitOfWork adapter: a SeaORM `DatabaseTransaction` behind the kernel's `Transaction`.

use std::any::Any;
use std::sync::Arc;

use plinth_kernel::{RepoError, Transaction, UnitOfWork};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::repo_err;

/// Starts [`SeaTransaction`]s on a connection pool.
///
/// On SQLite, which has one writer at a time, transactions queue in this process for the
/// [`WriteQueue`] first (first come, first served, no polling), then begin `IMMEDIATE`: they
/// take the write lock at `BEGIN`, so a transaction that reads and then writes can never fail
/// halfway with `SQLITE_BUSY`. Without the queue every waiting writer sat in SQLite's busy
/// handler, which sleeps in growing steps (up to 100 ms) and wakes in no order: at 16
/// concurrent writers one request in a hundred waited most of a second. On PostgreSQL they are
/// ordinary `READ COMMITTED` transactions; the repositories' conditional updates are atomic at
/// that level.
#[derive(Clone)]
pub struct SeaUnitOfWork {
    conn: DatabaseConnection,
    writers: WriteQueue,
}

/// The SQLite write queue of one [`crate::Database`]: whoever holds its turn may write.
#[derive(Clone, Default)]
pub struct WriteQueue(Arc<Mutex<()>>);

impl WriteQueue {
    /// Waits for this writer's turn, at most `wait`.
    async fn turn(&self, wait: std::time::Duration) -> Result<OwnedMutexGuard<()>, RepoError> {
        tokio::time::timeout(wait, Arc::clone(&self.0).lock_owned())
            .await
            .map_err(|_| {
                RepoError::Unavailable(
                    "the database is busy: no write turn within the busy timeout".into(),
                )
            })
    }
}

impl SeaUnitOfWork {
    /// A unit of work on `conn`; on SQLite its transactions take turns in `writers` (the
    /// database's queue, shared by every unit of work on the same file); PostgreSQL ignores it.
    #[must_use]
    pub fn new(conn: DatabaseConnection, writers: WriteQueue) -> Self {
        Self { conn, writers }
    }
}

#[async_trait::async_trait]
impl UnitOfWork for SeaUnitOfWork {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        if self.conn.get_database_backend() == DbBackend::Sqlite {
            let turn = self
                .writers
                .turn(crate::database::SQLITE_BUSY_TIMEOUT)
                .await?;
            let options = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            };
            let inner = self
                .conn
                .begin_with_options(options)
                .await
                .map_err(repo_err)?;
            return Ok(Box::new(SeaTransaction {
                inner,
                turn: Some(turn),
            }));
        }
        let inner = self.conn.begin().await.map_err(repo_err)?;
        Ok(Box::new(SeaTransaction { inner, turn: None }))
    }
}

/// An open SeaORM transaction. Dropping it without [`Transaction::commit`] rolls it back.
pub struct SeaTransaction {
    inner: DatabaseTransaction,
    /// The SQLite write turn, given back when the transaction ends (after its commit or
    /// rollback: the field is dropped after `inner`).
    turn: Option<OwnedMutexGuard<()>>,
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
        let Self { inner, turn } = *self;
        let committed = inner.commit().await.map_err(repo_err);
        drop(turn);
        committed
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
