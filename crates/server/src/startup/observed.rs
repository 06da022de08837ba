//! What `/metrics` shows beyond HTTP: the database pool, the bcrypt queue, and audit and mail
//! failures. The counters wrap the ports, so every service's failures are counted in one place.

use std::sync::Arc;
use std::time::Duration;

use plinth_api::metrics::{Counter, Gauge, counter, gauge};
use plinth_audit::{AuditEvent, AuditFilter, AuditLog, ChainReport, StoredEntry};
use plinth_kernel::{Page, PageRequest, RepoError, Transaction};
use plinth_sessions::{MailError, Mailer, OutgoingMail};
use plinth_store::Database;

/// How often the gauges are refreshed.
const REFRESH: Duration = Duration::from_secs(1);

fn counter_or_log(name: &str, help: &str) -> Option<Counter> {
    counter(name, help)
        .inspect_err(|e| tracing::error!(error = %e, "metric not registered"))
        .ok()
}

fn gauge_or_log(name: &str, help: &str) -> Option<Gauge> {
    gauge(name, help)
        .inspect_err(|e| tracing::error!(error = %e, "metric not registered"))
        .ok()
}

/// An [`AuditLog`] counting failed appends in `audit_append_failures_total`.
pub struct CountingAuditLog {
    inner: Arc<dyn AuditLog>,
    failures: Option<Counter>,
}

impl CountingAuditLog {
    /// Wraps `inner`.
    #[must_use]
    pub fn new(inner: Arc<dyn AuditLog>) -> Self {
        let failures = counter_or_log(
            "audit_append_failures_total",
            "Audit entries that could not be appended (the change they recorded was rolled back).",
        );
        Self { inner, failures }
    }
}

#[async_trait::async_trait]
impl AuditLog for CountingAuditLog {
    async fn append(&self, tx: &mut dyn Transaction, event: &AuditEvent) -> Result<(), RepoError> {
        let result = self.inner.append(tx, event).await;
        if result.is_err()
            && let Some(failures) = &self.failures
        {
            failures.inc();
        }
        result
    }

    async fn list_rows(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        self.inner.list_rows(filter, page).await
    }

    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        self.inner.chain_page(after_seq, limit).await
    }

    async fn verify(&self) -> Result<ChainReport, RepoError> {
        self.inner.verify().await
    }
}

/// A [`Mailer`] counting failed sends in `mail_send_failures_total`.
pub struct CountingMailer {
    inner: Arc<dyn Mailer>,
    failures: Option<Counter>,
}

impl CountingMailer {
    /// Wraps `inner`.
    #[must_use]
    pub fn new(inner: Arc<dyn Mailer>) -> Self {
        let failures = counter_or_log(
            "mail_send_failures_total",
            "Mails (password reset, email verification) that could not be handed over.",
        );
        Self { inner, failures }
    }
}

#[async_trait::async_trait]
impl Mailer for CountingMailer {
    async fn send(&self, message: &OutgoingMail) -> Result<(), MailError> {
        let result = self.inner.send(message).await;
        if result.is_err()
            && let Some(failures) = &self.failures
        {
            failures.inc();
        }
        result
    }
}

/// Refreshes the pool and bcrypt gauges, and advances `db_queries_total` /
/// `db_query_failures_total` by what the pool ran since the last tick, every second until the
/// returned task is aborted (or the runtime ends).
pub fn spawn_gauges(database: Database) -> tokio::task::JoinHandle<()> {
    let gauges = [
        (
            "db_pool_connections_in_use",
            "Database connections lent out now.",
        ),
        (
            "db_pool_connections_open",
            "Database connections open (idle or in use).",
        ),
        (
            "db_pool_connections_max",
            "The most database connections the pool opens (DATABASE_POOL_MAX).",
        ),
        (
            "password_hash_queue_depth",
            "Password hashes waiting for a core (at most one runs per core).",
        ),
        (
            "password_hash_running",
            "Password hashes running on the blocking pool.",
        ),
    ]
    .map(|(name, help)| gauge_or_log(name, help));
    let queries = counter_or_log(
        "db_queries_total",
        "SQL statements executed (BEGIN and COMMIT not counted).",
    );
    let query_failures = counter_or_log(
        "db_query_failures_total",
        "SQL statements that returned an error.",
    );
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH);
        let mut reported = plinth_store::QueryCounts::default();
        loop {
            tick.tick().await;
            let counts = database.query_counts();
            if let Some(queries) = &queries {
                queries.inc_by(counts.run.saturating_sub(reported.run));
            }
            if let Some(failures) = &query_failures {
                failures.inc_by(counts.failed.saturating_sub(reported.failed));
            }
            reported = counts;
            let pool = database.pool_stats();
            let load = plinth_security::hashing_load();
            let values = [
                f64::from(pool.in_use),
                f64::from(pool.open),
                f64::from(pool.max),
                load.queued as f64,
                load.running as f64,
            ];
            for (gauge, value) in gauges.iter().zip(values) {
                if let Some(gauge) = gauge {
                    gauge.set(value);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use plinth_audit::AuditAction;
    use plinth_kernel::testing::MemoryUnitOfWork;
    use plinth_kernel::{Email, RequestMeta, UnitOfWork as _};

    use super::*;

    /// A mailer whose transport is down.
    struct DownMailer;

    #[async_trait::async_trait]
    impl Mailer for DownMailer {
        async fn send(&self, _message: &OutgoingMail) -> Result<(), MailError> {
            Err(MailError::Delivery("connection refused".to_owned()))
        }
    }

    /// An audit log whose storage is down.
    struct DownAuditLog;

    fn down() -> RepoError {
        RepoError::Unavailable("database is down".into())
    }

    #[async_trait::async_trait]
    impl AuditLog for DownAuditLog {
        async fn append(
            &self,
            _tx: &mut dyn Transaction,
            _e: &AuditEvent,
        ) -> Result<(), RepoError> {
            Err(down())
        }

        async fn list_rows(
            &self,
            _f: &AuditFilter,
            _p: PageRequest,
        ) -> Result<Page<StoredEntry>, RepoError> {
            Err(down())
        }

        async fn chain_page(
            &self,
            _a: Option<u64>,
            _l: u32,
        ) -> Result<Vec<StoredEntry>, RepoError> {
            Err(down())
        }
    }

    fn exposed(name: &str) -> u64 {
        counter(name, "looked up by the test").unwrap().get()
    }

    #[tokio::test]
    async fn failed_mails_and_audit_appends_are_counted_for_metrics() {
        let mails = exposed("mail_send_failures_total");
        let mailer = CountingMailer::new(Arc::new(DownMailer));
        let message = OutgoingMail::new(
            Email::parse("a@example.com").unwrap(),
            plinth_sessions::MailKind::PasswordReset,
        );
        assert!(mailer.send(&message).await.is_err());
        assert!(mailer.send(&message).await.is_err());
        assert_eq!(exposed("mail_send_failures_total"), mails + 2);

        let appends = exposed("audit_append_failures_total");
        let audit = CountingAuditLog::new(Arc::new(DownAuditLog));
        let uow = MemoryUnitOfWork::new();
        let mut tx = uow.begin().await.unwrap();
        let event = AuditEvent::new(
            AuditAction::Registered,
            chrono::Utc::now(),
            &RequestMeta::default(),
        );
        assert!(audit.append(tx.as_mut(), &event).await.is_err());
        assert!(
            audit
                .list(&AuditFilter::default(), PageRequest::default())
                .await
                .is_err()
        );
        assert_eq!(
            exposed("audit_append_failures_total"),
            appends + 1,
            "reads are not appends"
        );
        let text = plinth_api::metrics::render();
        assert!(text.contains("audit_append_failures_total"), "{text}");
    }
}
