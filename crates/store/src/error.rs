//! What can go wrong setting up the database ([`StoreError`]), and how SeaORM errors become
//! the [`RepoError`] every repository port returns.

use std::time::Duration;

use plinth_kernel::RepoError;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Failures of [`crate::Database`] itself: connecting, migrating, health checks. Messages
/// name the database by its URL with any password replaced by `***`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not a `sqlite:` or `postgres://` URL this build understands.
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The folder for the SQLite file could not be created.
    #[error("cannot create the folder {path} for the SQLite database: {source}")]
    CreateDir {
        /// The folder.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to the database at {url}: {reason}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's explanation, password redacted.
        reason: String,
    },
    /// Applying, reverting or listing migrations failed.
    #[error("database migration failed: {0}")]
    Migration(DbErr),
    /// The database did not answer in time.
    #[error("database did not answer within {0:?}")]
    Timeout(Duration),
    /// A statement failed.
    #[error("database query failed: {0}")]
    Query(DbErr),
}

/// Maps a SeaORM error to the port error:
/// - unique violations → [`RepoError::Duplicate`] naming the constraint the ports document
///   (`users.email`, `plans.code`, `refresh_tokens.hash`, otherwise `table.column`);
/// - foreign-key violations (a row naming a parent that does not exist, such as an account
///   deleted a moment ago whose access token still works, or a user naming no stored role —
///   on SQLite a trigger's `FOREIGN KEY constraint failed` abort) → [`RepoError::NotFound`];
/// - connection, pool-acquisition, I/O, timeout, lock-contention and serialization failures
///   (which a retry may cure) → [`RepoError::Unavailable`];
/// - everything else → [`RepoError::Internal`].
pub(crate) fn repo_err(e: DbErr) -> RepoError {
    if let Some(SqlErr::UniqueConstraintViolation(message)) = e.sql_err() {
        let constraint = database_error(&e)
            .and_then(|d| d.constraint().map(constraint_name))
            .unwrap_or_else(|| sqlite_constraint(&message));
        return RepoError::Duplicate { constraint };
    }
    if let Some(SqlErr::ForeignKeyConstraintViolation(_)) = e.sql_err() {
        return RepoError::NotFound;
    }
    if database_error(&e).is_some_and(is_sqlite_trigger_foreign_key) {
        return RepoError::NotFound;
    }
    if is_unavailable(&e) {
        RepoError::Unavailable(Box::new(e))
    } else {
        RepoError::Internal(Box::new(e))
    }
}

/// SQLite's triggers standing in for a foreign key it cannot add to an existing table
/// (`users.role`, see the `roles` migration): `RAISE(ABORT, 'FOREIGN KEY constraint failed: …')`,
/// reported as `SQLITE_CONSTRAINT_TRIGGER` (1811).
fn is_sqlite_trigger_foreign_key(d: &(dyn sqlx::error::DatabaseError + 'static)) -> bool {
    d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        && d.code().as_deref() == Some("1811")
        && d.message().starts_with("FOREIGN KEY constraint failed")
}

/// The driver's database error inside a SeaORM error, if any.
fn database_error(e: &DbErr) -> Option<&(dyn sqlx::error::DatabaseError + 'static)> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s))
        | DbErr::Conn(RuntimeErr::SqlxError(s)) => match s.as_ref() {
            sqlx::Error::Database(d) => Some(d.as_ref()),
            _ => None,
        },
        _ => None,
    }
}

/// PostgreSQL reports the index or constraint name; translate ours to the documented names.
fn constraint_name(pg: &str) -> String {
    match pg {
        "uq_users_email" => "users.email".to_owned(),
        "roles_pkey" => "roles.name".to_owned(),
        "uq_plans_code" => "plans.code".to_owned(),
        "uq_invoices_number" => "invoices.number".to_owned(),
        "refresh_tokens_pkey" => "refresh_tokens.hash".to_owned(),
        other => match other.strip_suffix("_pkey") {
            Some(table) => format!("{table}.id"),
            None => other.to_owned(),
        },
    }
}

/// SQLite says `UNIQUE constraint failed: users.email`, which is already the documented name.
fn sqlite_constraint(message: &str) -> String {
    message
        .rsplit_once("constraint failed: ")
        .map_or(message, |(_, cols)| cols)
        .trim()
        .to_owned()
}

fn is_unavailable(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            match s.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::BeginFailed => true,
                sqlx::Error::Database(d) => {
                    let sqlite = d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
                    d.code().is_some_and(|code| transient_code(&code, sqlite))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Error codes after which the same request may succeed later.
///
/// PostgreSQL SQLSTATEs: class `08` (connection exception), `53300` (too many connections),
/// `57014` (statement timeout), `57P01`–`57P03` (shutdown, cannot connect now), `40001`
/// (serialization failure, common on CockroachDB) and `40P01` (deadlock). SQLite extended result
/// codes whose primary code is `SQLITE_BUSY` (5), `SQLITE_LOCKED` (6), `SQLITE_IOERR` (10),
/// `SQLITE_FULL` (13) or `SQLITE_CANTOPEN` (14).
fn transient_code(code: &str, sqlite: bool) -> bool {
    if sqlite {
        return code
            .parse::<u32>()
            .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14));
    }
    code.starts_with("08")
        || matches!(
            code,
            "53300" | "57014" | "57P01" | "57P02" | "57P03" | "40001" | "40P01"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnAcquireErr;

    #[test]
    fn postgres_constraint_names_become_documented_names() {
        assert_eq!(constraint_name("uq_users_email"), "users.email");
        assert_eq!(constraint_name("uq_plans_code"), "plans.code");
        assert_eq!(
            constraint_name("refresh_tokens_pkey"),
            "refresh_tokens.hash"
        );
        assert_eq!(constraint_name("users_pkey"), "users.id");
    }

    #[test]
    fn sqlite_messages_name_table_and_column() {
        assert_eq!(
            sqlite_constraint("UNIQUE constraint failed: users.email"),
            "users.email"
        );
        assert_eq!(
            sqlite_constraint("UNIQUE constraint failed: refresh_tokens.hash"),
            "refresh_tokens.hash"
        );
    }

    #[test]
    fn pool_exhaustion_is_unavailable_and_other_errors_internal() {
        assert!(matches!(
            repo_err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            RepoError::Unavailable(_)
        ));
        let io = DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(sqlx::Error::Io(
            std::io::Error::other("reset"),
        ))));
        assert!(matches!(repo_err(io), RepoError::Unavailable(_)));
        assert!(matches!(
            repo_err(DbErr::Type("bad column".into())),
            RepoError::Internal(_)
        ));
        assert!(matches!(
            repo_err(DbErr::RecordNotFound("x".into())),
            RepoError::Internal(_)
        ));
    }

    #[test]
    fn transient_codes() {
        for code in ["5", "517", "6", "13"] {
            assert!(transient_code(code, true), "{code}");
        }
        for code in ["2067", "1555", "787", "1", "19"] {
            assert!(!transient_code(code, true), "{code}");
        }
        for code in ["08006", "57P01", "40001", "57014", "53300", "40P01"] {
            assert!(transient_code(code, false), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22001"] {
            assert!(!transient_code(code, false), "{code}");
        }
    }
}
