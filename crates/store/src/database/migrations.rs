//! Applying, reverting and listing migrations. On PostgreSQL every change runs on one dedicated
//! connection holding a session advisory lock, so replicas that start together migrate once:
//! the first takes the lock and migrates, the others wait, then find nothing pending.

use migration::{MigrationStatus, Migrator, MigratorTrait};
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement};

use super::{Database, open};
use crate::StoreError;

/// The key of the PostgreSQL advisory lock held while migrating (`"plinthmg"` in ASCII).
pub const MIGRATION_LOCK_KEY: i64 = 0x706c_696e_7468_6d67;

#[derive(Clone, Copy)]
enum Change {
    Up,
    DownOne,
}

impl Database {
    /// Applies every pending migration, in order.
    ///
    /// # Errors
    /// [`StoreError::Migration`] when a migration fails (on PostgreSQL that migration is rolled
    /// back; earlier ones stay applied), [`StoreError::Connect`] when the dedicated migration
    /// connection cannot be opened.
    pub async fn migrate_up(&self) -> Result<(), StoreError> {
        self.change_schema(Change::Up).await
    }

    /// Reverts the most recently applied migration (one step).
    ///
    /// # Errors
    /// As [`Database::migrate_up`].
    pub async fn migrate_down(&self) -> Result<(), StoreError> {
        self.change_schema(Change::DownOne).await
    }

    /// Every known migration, oldest first, with whether it is applied. Changes nothing (not
    /// even the bookkeeping table).
    ///
    /// # Errors
    /// [`StoreError::Migration`] when the database cannot be read or records a migration this
    /// build does not know.
    pub async fn migrate_status(&self) -> Result<Vec<(String, bool)>, StoreError> {
        let list = Migrator::get_migration_with_status_read_only(&self.conn)
            .await
            .map_err(StoreError::Migration)?;
        Ok(list
            .iter()
            .map(|m| (m.name().to_owned(), m.status() == MigrationStatus::Applied))
            .collect())
    }

    async fn change_schema(&self, change: Change) -> Result<(), StoreError> {
        if self.url.sqlite {
            return run(&self.conn, change).await.map_err(StoreError::Migration);
        }
        let conn = open(&self.url, 1).await?;
        let result = run_locked(&conn, change).await;
        // Ending the session releases the advisory lock even if the unlock above failed.
        if let Err(e) = conn.close().await {
            tracing::warn!(error = %e, "closing the migration connection failed");
        }
        result
    }
}

async fn run(conn: &DatabaseConnection, change: Change) -> Result<(), DbErr> {
    match change {
        Change::Up => Migrator::up(conn, None).await,
        Change::DownOne => Migrator::down(conn, Some(1)).await,
    }
}

/// `conn` has exactly one connection, so the lock, the migrations and the unlock all run in
/// the same PostgreSQL session.
async fn run_locked(conn: &DatabaseConnection, change: Change) -> Result<(), StoreError> {
    let locked = advisory(conn, "SELECT pg_advisory_lock($1)")
        .await
        .map_err(StoreError::Migration)?;
    let result = run(conn, change).await.map_err(StoreError::Migration);
    if locked && let Err(e) = advisory(conn, "SELECT pg_advisory_unlock($1)").await {
        tracing::warn!(error = %e, "releasing the migration lock failed; closing the session releases it");
    }
    result
}

/// Runs an advisory-lock function on [`MIGRATION_LOCK_KEY`]. Returns `false` when the server
/// has no advisory locks (SQLSTATE 42883, as on some PostgreSQL-compatible databases): then
/// migrations run unserialised and a warning is logged.
async fn advisory(conn: &DatabaseConnection, sql: &str) -> Result<bool, DbErr> {
    let stmt =
        Statement::from_sql_and_values(DbBackend::Postgres, sql, [MIGRATION_LOCK_KEY.into()]);
    match conn.execute_raw(stmt).await {
        Ok(_) => Ok(true),
        Err(e) if undefined_function(&e) => {
            tracing::warn!(
                "this database has no advisory locks; concurrent migrators are not serialised"
            );
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn undefined_function(e: &DbErr) -> bool {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            matches!(s.as_ref(), sqlx::Error::Database(d) if d.code().as_deref() == Some("42883"))
        }
        _ => false,
    }
}
