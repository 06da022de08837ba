//! Shared helpers of the store's integration tests: a fresh database per test, on SQLite (a
//! file in a temporary folder) or on PostgreSQL (a new `plinth_test_<uuid>` database on the
//! server named by `TEST_DATABASE_URL`, dropped when the test ends, even by a panic).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use plinth_kernel::{Email, UserId};
use plinth_store::Database;
use plinth_store::testing::{ScratchPostgres, postgres_server};
use plinth_users::{DisplayName, PasswordHash, RoleName, User, UserStatus};

/// A database that exists for one test only.
pub struct TestDb {
    /// The database under test.
    pub db: Database,
    /// Which backend, for messages.
    pub label: &'static str,
    dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database, dropped at the end of the test.
    pg: Option<ScratchPostgres>,
}

impl TestDb {
    /// Another pool on the same database (as a second replica would open).
    pub async fn second_connection(&self) -> Database {
        let url = match (&self.pg, &self.dir) {
            (Some(pg), _) => pg.url().to_owned(),
            (None, Some(dir)) => sqlite_url(dir),
            _ => unreachable!("a test database is SQLite or PostgreSQL"),
        };
        Database::connect(&url, 4).await.expect("second connection")
    }
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/plinth.db", dir.path().display())
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
    let Some(server) = postgres_server() else {
        println!("TEST_DATABASE_URL not set: PostgreSQL contract test skipped");
        return None;
    };
    let scratch = ScratchPostgres::create(&server)
        .await
        .expect("create a test database on TEST_DATABASE_URL");
    let db = Database::connect(scratch.url(), 5)
        .await
        .expect("connect to the new test database");
    Some(TestDb {
        db,
        label: "postgres",
        dir: None,
        pg: Some(scratch),
    })
}

/// A fresh, migrated PostgreSQL database, or `None` when `TEST_DATABASE_URL` is not set.
pub async fn postgres() -> Option<TestDb> {
    let t = fresh_postgres().await?;
    t.db.migrate_up().await.expect("migrate PostgreSQL");
    Some(t)
}

/// A user with a fresh random email, stored with [`insert_user_row`] so that it works at any
/// schema version (the migration tests create users before later migrations ran).
pub async fn create_user(db: &Database) -> UserId {
    let user = sample_user();
    insert_user_row(db, &user).await;
    user.id
}

/// Stores `user` with the columns of the first `users` migration only (every later column
/// keeps its default), without today's entity: for tests that write at an older schema.
pub async fn insert_user_row(db: &Database, user: &User) {
    use sea_orm::ConnectionTrait as _;
    use sea_orm::sea_query::{Alias, Query};
    let insert = Query::insert()
        .into_table(Alias::new("users"))
        .columns(
            [
                "id",
                "email",
                "name",
                "role",
                "status",
                "email_verified",
                "avatar_key",
                "password_hash",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            user.id.as_uuid().into(),
            user.email.as_str().into(),
            user.name.as_str().into(),
            user.role.as_str().into(),
            user.status.as_str().into(),
            user.email_verified.into(),
            user.avatar_key.clone().into(),
            user.password_hash.0.clone().into(),
            user.created_at.into(),
            user.updated_at.into(),
        ])
        .to_owned();
    db.connection()
        .execute_raw(db.backend().build(&insert))
        .await
        .expect("insert a user row");
}

/// A stored account as the organizations contract takes it: id, address and name.
pub async fn create_account(db: &Database) -> plinth_orgs::testing::contract::Account {
    let user = sample_user();
    let uow = db.unit_of_work();
    let mut tx = uow.begin().await.expect("begin");
    db.users()
        .insert(tx.as_mut(), &user)
        .await
        .expect("insert user");
    tx.commit().await.expect("commit");
    (user.id, user.email, user.name.as_str().to_owned())
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
        locale: None,
        password_hash: PasswordHash("$2b$04$not-a-real-hash".into()),
        created_at: now,
        updated_at: now,
    }
}

/// Shorthand for an `Arc` of the unit of work.
pub fn uow(db: &Database) -> Arc<dyn plinth_kernel::UnitOfWork> {
    db.unit_of_work()
}

/// Edits `audit_events` with raw statements, bypassing the adapter (and its chain), as someone
/// with database access would.
pub struct SqlAuditTamper(pub sea_orm::DatabaseConnection);

#[async_trait::async_trait]
impl plinth_audit::testing::contract::AuditTamper for SqlAuditTamper {
    async fn set_details(&self, id: plinth_audit::AuditEventId, details: serde_json::Value) {
        use sea_orm::ConnectionTrait;
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let update = Query::update()
            .table(Alias::new("audit_events"))
            .value(Alias::new("details"), details)
            .and_where(Expr::col(Alias::new("id")).eq(id.as_uuid()))
            .to_owned();
        let done = self
            .0
            .execute_raw(self.0.get_database_backend().build(&update))
            .await
            .expect("raw UPDATE of audit_events");
        assert_eq!(done.rows_affected(), 1, "no audit entry {id}");
    }

    async fn delete(&self, id: plinth_audit::AuditEventId) {
        use sea_orm::ConnectionTrait;
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let delete = Query::delete()
            .from_table(Alias::new("audit_events"))
            .and_where(Expr::col(Alias::new("id")).eq(id.as_uuid()))
            .to_owned();
        let done = self
            .0
            .execute_raw(self.0.get_database_backend().build(&delete))
            .await
            .expect("raw DELETE of audit_events");
        assert_eq!(done.rows_affected(), 1, "no audit entry {id}");
    }
}
