//! Throwaway PostgreSQL databases for tests (feature `testing`): [`ScratchPostgres`] creates a
//! `plinth_test_<uuid>` database on the server named by `TEST_DATABASE_URL` and drops it when
//! it goes out of scope, even during a panic.
//!
//! [`postgres_server`] reads that variable. When `TEST_POSTGRES_REQUIRED=1` is set (CI sets
//! it) a missing `TEST_DATABASE_URL` is a panic rather than a skipped suite, so a CI run can
//! never pass without the PostgreSQL tests having run.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// The `TEST_DATABASE_URL` server, or `None` when it is unset or empty.
///
/// # Panics
/// When `TEST_POSTGRES_REQUIRED=1` and `TEST_DATABASE_URL` is unset or empty.
#[must_use]
pub fn postgres_server() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let required = std::env::var("TEST_POSTGRES_REQUIRED").is_ok_and(|v| v == "1");
    assert!(
        url.is_some() || !required,
        "TEST_POSTGRES_REQUIRED=1 but TEST_DATABASE_URL is not set"
    );
    url
}

/// A database created for one test on a PostgreSQL server and dropped (with `FORCE`, so open
/// pools do not keep it alive) when this value is dropped.
#[derive(Debug)]
pub struct ScratchPostgres {
    server: String,
    name: String,
    url: String,
}

impl ScratchPostgres {
    /// Creates `plinth_test_<uuid>` on `server` (a `postgres://` URL whose user may create
    /// databases).
    ///
    /// # Errors
    /// When the server cannot be reached or refuses to create the database.
    pub async fn create(server: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let name = format!("plinth_test_{}", uuid::Uuid::now_v7().simple());
        let admin = sea_orm::Database::connect(server).await?;
        admin
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("CREATE DATABASE \"{name}\""),
            ))
            .await?;
        admin.close().await?;
        let mut url = url::Url::parse(server)?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            server: server.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    /// The URL of the new database.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchPostgres {
    /// Drops the database on a thread and runtime of its own: this may run inside an async
    /// test, or while one is panicking.
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(admin) = sea_orm::Database::connect(&server).await else {
                    eprintln!("could not connect to drop test database {name}");
                    return;
                };
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                if let Err(e) = admin.execute_unprepared(&sql).await {
                    eprintln!("could not drop test database {name}: {e}");
                }
                let _ = admin.close().await;
            });
        })
        .join();
    }
}
