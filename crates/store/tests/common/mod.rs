//! Shared helpers of the store's integration tests: a fresh database per test, on SQLite (a
//! file in a temporary folder) or on PostgreSQL (a new `plinth_test_<uuid>` database on the
//! server named by `TEST_DATABASE_URL`, dropped when the test ends, even by a panic).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use plinth_kernel::{Email, UserId};
use plinth_store::Database;
use plinth_users::{DisplayName, PasswordHash, RoleName, User, UserStatus};
use sea_orm::ConnectionTrait;

/// A database that exists for one test only.
pub struct TestDb {
    /// The database under test.
    pub db: Database,
    /// Which backend, for messages.
    pub label: &'static str,
    dir: Option<tempfile::TempDir>,
    /// `(server URL, database name)` to drop at the end (PostgreSQL only).
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Another pool on the same database (as a second replica would open).
    pub async fn second_connection(&self) -> Database {
        let url = match (&self.pg, &self.dir) {
            (Some((server, name)), _) => with_database(server, name),
            (None, Some(dir)) => sqlite_url(dir),
            _ => unreachable!("a test database is SQLite or PostgreSQL"),
        };
        Database::connect(&url, 4).await.expect("second connection")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.pg.take() {
            drop_database(server, name);
        }
    }
}

/// Drops a PostgreSQL test database, terminating its connections. Runs on its own thread and
/// runtime because it may be called while an async test is panicking.
fn drop_database(server: String, name: String) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            if let Ok(admin) = Database::connect(&server, 1).await {
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                if let Err(e) = admin.connection().execute_unprepared(&sql).await {
                    eprintln!("could not drop test database {name}: {e}");
                }
                let _ = admin.close().await;
            }
        });
    })
    .join();
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/plinth.db", dir.path().display())
}

fn with_database(server: &str, name: &str) -> String {
    let mut url = url::Url::parse(server).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A fresh, empty (unmigrated) SQLite database.
pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::connect(&sqlite_url(&dir), 5)
        .await
        .expect("connect to SQLite");
    TestDb {
        db,
        label: "sqlite",
        dir: Some(dir),
        pg: None,
    }
}

/// A fresh, migrated SQLite database.
pub async fn sqlite() -> TestDb {
    let t = fresh_sqlite().await;
    t.db.migrate_up().await.expect("migrate SQLite");
    t
}

/// A fresh, empty (unmigrated) PostgreSQL database, or `None` (after saying so) when
/// `TEST_DATABASE_URL` is not set.
pub async fn fresh_postgres() -> Option<TestDb> {
    let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
        println!("TEST_DATABASE_URL not set: PostgreSQL contract test skipped");
        return None;
    };
    let name = format!("plinth_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(&server, 1)
        .await
        .expect("connect to TEST_DATABASE_URL");
    admin
        .connection()
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.expect("close admin connection");
    match Database::connect(&with_database(&server, &name), 5).await {
        Ok(db) => Some(TestDb {
            db,
            label: "postgres",
            dir: None,
            pg: Some((server, name)),
        }),
        Err(e) => {
            drop_database(server, name);
            panic!("cannot connect to the new test database: {e}");
        }
    }
}

/// A fresh, migrated PostgreSQL database, or `None` when `TEST_DATABASE_URL` is not set.
pub async fn postgres() -> Option<TestDb> {
    let t = fresh_postgres().await?;
    t.db.migrate_up().await.expect("migrate PostgreSQL");
    Some(t)
}

/// A user with a fresh random email, stored and committed through the user repository.
pub async fn create_user(db: &Database) -> UserId {
    let user = sample_user();
    let uow = db.unit_of_work();
    let mut tx = uow.begin().await.expect("begin");
    db.users()
        .insert(tx.as_mut(), &user)
        .await
        .expect("insert user");
    tx.commit().await.expect("commit");
    user.id
}

/// A valid user that is not stored yet.
pub fn sample_user() -> User {
    let now = chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros())
        .expect("now");
    User {
        id: UserId::new(),
        email: Email::parse(&format!(
            "store-{}@example.com",
            uuid::Uuid::now_v7().simple()
        ))
        .expect("email"),
        name: DisplayName::parse("Store Test").expect("name"),
        role: RoleName::user(),
        status: UserStatus::Active,
        email_verified: false,
        avatar_key: None,
        password_hash: PasswordHash("$2b$04$not-a-real-hash".into()),
        created_at: now,
        updated_at: now,
    }
}

/// Shorthand for an `Arc` of the unit of work.
pub fn uow(db: &Database) -> Arc<dyn plinth_kernel::UnitOfWork> {
    db.unit_of_work()
}
