//! [`Database`]: the connection pool, migrations, health check, and the repositories built on it.

mod migrations;

pub use migrations::MIGRATION_LOCK_KEY;
mod url;

use std::fmt;
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use plinth_audit::AuditLog;
use plinth_billing::payment::PaymentEventInbox;
use plinth_billing::{BillingRepository, CustomerDirectory, InvoiceStorage};
use plinth_files::FileStorage;
use plinth_kernel::UnitOfWork;
use plinth_sessions::SessionStorage;
use plinth_users::{RoleRepository, UserStorage};
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use self::url::DatabaseUrl;
use crate::{
    SeaAuditLog, SeaBillingRepository, SeaCustomerDirectory, SeaFileRepository,
    SeaInvoiceRepository, SeaPaymentEventInbox, SeaRoleRepository, SeaSessionRepository,
    SeaUnitOfWork, SeaUserRepository, StoreError,
};

/// How long [`Database::ping`] waits for `SELECT 1`.
pub const PING_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long a SQLite statement waits for another connection's write lock before failing.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long establishing a connection, or waiting for a free one in the pool, may take. When
/// the database is unreachable (a network partition: packets vanish, nothing is refused), a
/// request needing it answers 503 after this long instead of hanging.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The database: a SeaORM connection pool on SQLite or PostgreSQL, plus the adapters built
/// on it. Cloning is cheap (the pool is shared).
///
/// SQLite connections are opened with:
/// - `mode=rwc` unless the URL sets a mode: the file (and its folder) is created when missing;
/// - `foreign_keys=ON`, so `ON DELETE CASCADE` works as on PostgreSQL;
/// - `journal_mode=WAL`, so readers never block the writer;
/// - `busy_timeout` of [`SQLITE_BUSY_TIMEOUT`], so concurrent writers queue instead of failing;
/// - `synchronous=FULL`: every commit is fsynced to the WAL before it is acknowledged, so an
///   acknowledged write survives not only `kill -9` (which WAL with `NORMAL` would already
///   survive) but also a power loss or kernel crash. Plinth stores accounts, sessions, audit
///   entries and money; the cost of one fsync per commit is worth that guarantee.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    /// SQLite's write queue, shared by every unit of work on this pool.
    writers: crate::uow::WriteQueue,
    url: DatabaseUrl,
    pool_max: u32,
    queries: Arc<QueryCounters>,
}

/// Statements run through this pool since it was opened: see [`Database::query_counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueryCounts {
    /// Statements executed (inside and outside transactions; `BEGIN`/`COMMIT` not counted).
    pub run: u64,
    /// Of those, statements that returned an error.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct QueryCounters {
    run: AtomicU64,
    failed: AtomicU64,
}

/// A snapshot of the connection pool: see [`Database::pool_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open (idle or in use).
    pub open: u32,
    /// Connections lent out to a query or transaction right now.
    pub in_use: u32,
    /// The most the pool opens (`DATABASE_POOL_MAX`).
    pub max: u32,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url.redacted)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connects to `url` (`sqlite://path/file.db[?…]` or `postgres://user[:password]@host/db`)
    /// with at most `pool_max` pooled connections (at least 1). For SQLite the file and its
    /// parent folder are created when missing. At least one connection is opened, so an
    /// unreachable database fails here.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`], [`StoreError::CreateDir`] or [`StoreError::Connect`]; no
    /// message ever contains the password.
    pub async fn connect(url: &str, pool_max: u32) -> Result<Self, StoreError> {
        let url = DatabaseUrl::parse(url)?;
        if let Some(dir) = &url.sqlite_dir {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| StoreError::CreateDir {
                    path: dir.display().to_string(),
                    source,
                })?;
        }
        let pool_max = pool_max.max(1);
        let mut conn = open(&url, pool_max).await?;
        let queries = Arc::new(QueryCounters::default());
        let counters = Arc::clone(&queries);
        conn.set_metric_callback(move |info| {
            counters.run.fetch_add(1, Ordering::Relaxed);
            if info.failed {
                counters.failed.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Self {
            conn,
            writers: crate::uow::WriteQueue::default(),
            url,
            pool_max,
            queries,
        })
    }

    /// How many statements this pool (and every repository built on it) has run: the source
    /// of `db_queries_total` in `/metrics`, and how tests and benchmarks check the number of
    /// queries a request costs.
    #[must_use]
    pub fn query_counts(&self) -> QueryCounts {
        QueryCounts {
            run: self.queries.run.load(Ordering::Relaxed),
            failed: self.queries.failed.load(Ordering::Relaxed),
        }
    }

    /// The SeaORM connection pool, for callers that need a raw statement (tests, tooling).
    #[must_use]
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Which SQL dialect this database speaks.
    #[must_use]
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// The URL with any password replaced by `***`.
    #[must_use]
    pub fn redacted_url(&self) -> &str {
        &self.url.redacted
    }

    /// Runs `SELECT 1`, waiting at most [`PING_TIMEOUT`] (for `/ready`).
    ///
    /// # Errors
    /// [`StoreError::Timeout`] or [`StoreError::Query`].
    pub async fn ping(&self) -> Result<(), StoreError> {
        let select = Statement::from_string(self.backend(), "SELECT 1");
        match tokio::time::timeout(PING_TIMEOUT, self.conn.query_one_raw(select)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Query(e)),
            Err(_) => Err(StoreError::Timeout(PING_TIMEOUT)),
        }
    }

    /// Whether the database takes a new connection right now: for PostgreSQL a connection
    /// opened beside the pool, `SELECT 1`, closed, all within [`PING_TIMEOUT`]; for SQLite
    /// [`Database::ping`]. A stopped server refuses at once here, where the pool would retry
    /// until [`ACQUIRE_TIMEOUT`], and a busy pool does not make it fail: this is the check
    /// behind the fail-fast circuit of the API.
    ///
    /// # Errors
    /// [`StoreError::Connect`] (the reason without the password), [`StoreError::Timeout`] or,
    /// on SQLite, [`StoreError::Query`].
    pub async fn probe(&self) -> Result<(), StoreError> {
        if self.url.sqlite {
            return self.ping().await;
        }
        let round_trip = async {
            let options = PgConnectOptions::from_str(&self.url.url)?.application_name("plinth");
            let mut conn = PgConnection::connect_with(&options).await?;
            conn.ping().await?;
            conn.close().await
        };
        match tokio::time::timeout(PING_TIMEOUT, round_trip).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Connect {
                url: self.url.redacted.clone(),
                reason: self.url.scrub(&e.to_string()),
            }),
            Err(_) => Err(StoreError::Timeout(PING_TIMEOUT)),
        }
    }

    /// How the connection pool is used right now (for `/metrics`).
    #[must_use]
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle) = if self.url.sqlite {
            let pool = self.conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        } else {
            let pool = self.conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        PoolStats {
            open: size,
            in_use: size - idle,
            max: self.pool_max,
        }
    }

    /// Closes every pooled connection (all clones of this `Database` stop working).
    ///
    /// # Errors
    /// [`StoreError::Query`] when the driver reports a failure while closing.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.conn.close_by_ref().await.map_err(StoreError::Query)
    }

    /// The unit of work whose transactions every repository below accepts.
    #[must_use]
    pub fn unit_of_work(&self) -> Arc<dyn UnitOfWork> {
        Arc::new(SeaUnitOfWork::new(self.conn.clone(), self.writers.clone()))
    }

    /// The account storage (users, their avatar keys and app data).
    #[must_use]
    pub fn users(&self) -> Arc<dyn UserStorage> {
        Arc::new(SeaUserRepository::new(self.conn.clone()))
    }

    /// The announcement repository.
    #[must_use]
    pub fn announcements(&self) -> Arc<dyn plinth_users::AnnouncementRepository> {
        Arc::new(crate::SeaAnnouncementRepository::new(self.conn.clone()))
    }

    /// Organizations, their members and custom roles.
    #[must_use]
    pub fn orgs(&self) -> Arc<dyn plinth_orgs::OrgStorage> {
        Arc::new(crate::SeaOrgStorage::new(self.conn.clone()))
    }

    /// The roles and their permissions.
    #[must_use]
    pub fn roles(&self) -> Arc<dyn RoleRepository> {
        Arc::new(SeaRoleRepository::new(self.conn.clone()))
    }

    /// The session and refresh-token repository.
    #[must_use]
    pub fn sessions(&self) -> Arc<dyn SessionStorage> {
        Arc::new(SeaSessionRepository::new(self.conn.clone()))
    }

    /// Social sign-in flows and linked identities.
    #[must_use]
    pub fn identities(&self) -> Arc<dyn plinth_sessions::IdentityRepository> {
        Arc::new(crate::SeaIdentityRepository::new(self.conn.clone()))
    }

    /// Passkeys and their WebAuthn ceremonies.
    #[must_use]
    pub fn passkeys(&self) -> Arc<dyn plinth_sessions::PasskeyRepository> {
        Arc::new(crate::SeaPasskeyRepository::new(self.conn.clone()))
    }

    /// The audit log.
    #[must_use]
    pub fn audit(&self) -> Arc<dyn AuditLog> {
        Arc::new(SeaAuditLog::new(self.conn.clone()))
    }

    /// The transactional outbox of domain events.
    #[must_use]
    pub fn events(&self) -> Arc<dyn plinth_events::EventOutbox> {
        Arc::new(crate::SeaEventOutbox::new(self.conn.clone()))
    }

    /// The file-metadata repository.
    #[must_use]
    pub fn files(&self) -> Arc<dyn FileStorage> {
        Arc::new(SeaFileRepository::new(self.conn.clone()))
    }

    /// The billing repository.
    #[must_use]
    pub fn billing(&self) -> Arc<dyn BillingRepository> {
        Arc::new(SeaBillingRepository::new(self.conn.clone()))
    }

    /// The invoice storage (invoices, lines, number counters; listings and sums).
    #[must_use]
    pub fn invoices(&self) -> Arc<dyn InvoiceStorage> {
        Arc::new(SeaInvoiceRepository::new(self.conn.clone()))
    }

    /// The inbox of Stripe webhook events.
    #[must_use]
    pub fn payment_events(&self) -> Arc<dyn PaymentEventInbox> {
        Arc::new(SeaPaymentEventInbox::new(self.conn.clone()))
    }

    /// Customer names and emails, read from the accounts.
    #[must_use]
    pub fn customers(&self) -> Arc<dyn CustomerDirectory> {
        Arc::new(SeaCustomerDirectory::new(self.conn.clone()))
    }

    /// The idempotency-key store.
    #[must_use]
    pub fn idempotency(&self) -> Arc<dyn plinth_kernel::IdempotencyStore> {
        Arc::new(crate::SeaIdempotencyStore::new(self.conn.clone()))
    }

    /// The subscription storage (subscriptions, pending items, plan prices, period invoices).
    #[must_use]
    pub fn subscriptions(&self) -> Arc<dyn plinth_billing::SubscriptionStorage> {
        Arc::new(crate::SeaSubscriptionRepository::new(self.conn.clone()))
    }
}

/// Opens a pool on `url` with at most `max` connections.
async fn open(url: &DatabaseUrl, max: u32) -> Result<DatabaseConnection, StoreError> {
    let mut opts = ConnectOptions::new(url.url.clone());
    opts.max_connections(max)
        .min_connections(0)
        .connect_timeout(ACQUIRE_TIMEOUT)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .sqlx_logging(false);
    if url.sqlite {
        opts.map_sqlx_sqlite_opts(|o| {
            o.foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
        });
    } else {
        opts.set_application_name("plinth");
    }
    sea_orm::Database::connect(opts)
        .await
        .map_err(|e| StoreError::Connect {
            url: url.redacted.clone(),
            reason: url.scrub(&e.to_string()),
        })
}
