//! Reading `audit_events` rows whatever they hold.
//!
//! Someone with write access to the database can store anything the column types allow (on
//! SQLite, anything at all): an unknown action, malformed JSON, a text in `seq`, a timestamp out
//! of range. Each column is therefore decoded on its own, and a row with a value no entry can
//! have becomes a [`StoredEntry::Unreadable`] instead of failing the whole query, so that
//! verification can name it and the listing can go on.

use chrono::{DateTime, Utc};
use plinth_audit::{
    AuditAction, AuditEvent, AuditEventId, ChainedEvent, StoredEntry, UnreadableEntry,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _};
use sea_orm::{
    DbBackend, DbErr, EntityTrait, FromQueryResult, QueryResult, QuerySelect, Select, TryGetable,
};

use crate::entities::audit_events::{self, Column};

/// The alias of `at` read as text on PostgreSQL (see [`select_rows`]).
const AT_TEXT: &str = "at_text";

/// `SELECT` of every column of `audit_events`, ready for filters and [`StoredRow`]. On
/// PostgreSQL `at` is read as its text form: the driver's `timestamptz` decoder panics on values
/// outside chrono's range (`infinity`, the year 294276), which a tamperer can store.
pub(super) fn select_rows(backend: DbBackend) -> Select<audit_events::Entity> {
    let query = audit_events::Entity::find().select_only().columns([
        Column::Id,
        Column::Seq,
        Column::ActorId,
        Column::Action,
        Column::TargetType,
        Column::TargetId,
        Column::Ip,
        Column::UserAgent,
        Column::RequestId,
        Column::Details,
        Column::OrgId,
        Column::PrevHash,
        Column::Hash,
    ]);
    if backend == DbBackend::Postgres {
        query.expr_as(Expr::col(Column::At).cast_as(Alias::new("TEXT")), AT_TEXT)
    } else {
        query.column(Column::At)
    }
}

/// One row as read by [`select_rows`]; reading it never fails.
pub(super) struct StoredRow(pub(super) StoredEntry);

impl FromQueryResult for StoredRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let id = get(res, pre, "id").ok().map(AuditEventId::from_uuid);
        let seq = get::<i64>(res, pre, "seq")
            .ok()
            .and_then(|s| u64::try_from(s).ok());
        Ok(Self(match entry(res, pre, id, seq) {
            Ok(entry) => StoredEntry::Entry(entry),
            Err(problem) => StoredEntry::Unreadable(UnreadableEntry { id, seq, problem }),
        }))
    }
}

fn entry(
    res: &QueryResult,
    pre: &str,
    id: Option<AuditEventId>,
    seq: Option<u64>,
) -> Result<ChainedEvent, String> {
    let id = id.ok_or_else(|| unreadable("id"))?;
    let seq = seq.ok_or_else(|| "`seq` is not a non-negative integer".to_owned())?;
    let action: String = get(res, pre, "action")?;
    let action = AuditAction::parse(&action)
        .ok_or_else(|| "`action` is not a known audit action".to_owned())?;
    Ok(ChainedEvent {
        seq,
        event: AuditEvent {
            id,
            at: at(res, pre)?,
            actor_id: get(res, pre, "actor_id")?,
            action,
            target_type: get(res, pre, "target_type")?,
            target_id: get(res, pre, "target_id")?,
            ip: get(res, pre, "ip")?,
            user_agent: get(res, pre, "user_agent")?,
            request_id: get(res, pre, "request_id")?,
            details: get(res, pre, "details")?,
            org_id: get(res, pre, "org_id")?,
        },
        prev_hash: get(res, pre, "prev_hash")?,
        hash: get(res, pre, "hash")?,
    })
}

/// `at`: PostgreSQL's text form of a `timestamptz` (the session's time zone is UTC), or on
/// SQLite whatever the driver reads as a timestamp.
fn at(res: &QueryResult, pre: &str) -> Result<DateTime<Utc>, String> {
    match get::<String>(res, pre, AT_TEXT) {
        Ok(text) => DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%#z")
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| unreadable("at")),
        Err(_) => get(res, pre, "at"),
    }
}

/// Column `column` as a `T`, or which column did not read back (never its value).
fn get<T: TryGetable>(res: &QueryResult, pre: &str, column: &str) -> Result<T, String> {
    res.try_get(pre, column).map_err(|_| unreadable(column))
}

fn unreadable(column: &str) -> String {
    format!("`{column}` does not hold a valid value")
}
