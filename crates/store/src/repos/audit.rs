//! [`SeaAuditLog`]: `audit_events` rows ↔ [`AuditEvent`], hash-chained by `seq`.
//!
//! An append reads the chain head (the row with the highest `seq`) and inserts the next row
//! inside the caller's transaction. Two transactions must never read the same head: on
//! PostgreSQL the append first takes a transaction-scoped advisory lock
//! ([`AUDIT_CHAIN_LOCK_KEY`], released at commit or rollback), so appenders queue; SQLite
//! transactions begin `IMMEDIATE` and are serialised already. The unique index on `seq` is
//! the backstop: a fork would fail with a duplicate instead of being stored.

use plinth_audit::{AuditEvent, AuditFilter, AuditLog, ChainedEvent, StoredEntry};
use plinth_kernel::{Page, PageRequest, RepoError, Transaction};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, ExprTrait as _, Query},
};

use super::{OneRow as _, corrupt, fetch_limit};
use crate::entities::audit_events;
use crate::error::repo_err;
use crate::uow::db_tx;

mod read;

use read::{StoredRow, select_rows};

/// The key of the PostgreSQL advisory lock that serialises audit appends (`"plinthau"` in
/// ASCII).
pub const AUDIT_CHAIN_LOCK_KEY: i64 = 0x706c_696e_7468_6175;

/// The [`AuditLog`] on SQL. Append-only: this adapter has no update or delete.
#[derive(Clone)]
pub struct SeaAuditLog {
    conn: DatabaseConnection,
}

impl SeaAuditLog {
    /// An audit log reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

/// Waits for the audit-chain lock on PostgreSQL (a no-op on SQLite, whose write transactions
/// are already serialised). Held until `db` commits or rolls back.
pub(crate) async fn lock_chain(db: &impl ConnectionTrait) -> Result<(), RepoError> {
    if db.get_database_backend() == DbBackend::Postgres {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [AUDIT_CHAIN_LOCK_KEY.into()],
        );
        db.execute_raw(stmt).await.map_err(repo_err)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl AuditLog for SeaAuditLog {
    async fn append(&self, tx: &mut dyn Transaction, event: &AuditEvent) -> Result<(), RepoError> {
        let db = db_tx(tx)?;
        lock_chain(db).await?;
        // `WHERE seq IN (SELECT MAX(seq) …)` rather than `ORDER BY seq DESC LIMIT 1`: the same
        // index lookup, without the bound `LIMIT` that makes SQLite re-prepare (see `OneRow`).
        let last_seq = Query::select()
            .expr(Expr::col(audit_events::Column::Seq).max())
            .from(audit_events::Entity)
            .to_owned();
        let head: Option<(i64, Option<String>)> = audit_events::Entity::find()
            .select_only()
            .column(audit_events::Column::Seq)
            .column(audit_events::Column::Hash)
            .filter(audit_events::Column::Seq.in_subquery(last_seq))
            .into_tuple()
            .one_row(db)
            .await
            .map_err(repo_err)?;
        let (seq, prev) = head.map_or((1, None), |(seq, hash)| (seq + 1, hash));
        let seq =
            u64::try_from(seq).map_err(|_| corrupt(format_args!("audit_events.seq {seq}")))?;
        let linked = ChainedEvent::link(seq, prev.as_deref(), event.clone());
        let row = audit_events::ActiveModel {
            id: Set(event.id.as_uuid()),
            at: Set(event.at),
            actor_id: Set(event.actor_id),
            action: Set(event.action.as_str().to_owned()),
            target_type: Set(event.target_type.clone()),
            target_id: Set(event.target_id.clone()),
            ip: Set(event.ip.clone()),
            user_agent: Set(event.user_agent.clone()),
            request_id: Set(event.request_id.clone()),
            details: Set(event.details.clone()),
            org_id: Set(event.org_id),
            prev_hash: Set(linked.prev_hash),
            hash: Set(linked.hash),
            seq: Set(i64::try_from(seq).map_err(RepoError::internal)?),
        };
        audit_events::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn list_rows(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        let mut query = select_rows(self.conn.get_database_backend());
        if let Some(actor) = filter.actor_id {
            query = query.filter(audit_events::Column::ActorId.eq(actor));
        }
        if let Some(action) = filter.action {
            query = query.filter(audit_events::Column::Action.eq(action.as_str()));
        }
        if let Some(org) = filter.org_id {
            query = query.filter(audit_events::Column::OrgId.eq(org));
        }
        if let Some(target) = &filter.target_id {
            query = query.filter(audit_events::Column::TargetId.eq(target.as_str()));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_events::Column::At.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(audit_events::Column::At.lt(to));
        }
        if let Some(cursor) = page.cursor() {
            query = query.filter(audit_events::Column::Id.lt(cursor.last_id()));
        }
        let rows = query
            .order_by_desc(audit_events::Column::Id)
            .limit(fetch_limit(page))
            .into_model::<StoredRow>()
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|row| row.0)
            .collect();
        let mut page = Page::from_rows(rows, page, |row: &StoredEntry| {
            row.id().map_or_else(uuid::Uuid::nil, |id| id.as_uuid())
        });
        // A row whose id is unreadable gives no cursor to continue after: the listing ends
        // there rather than repeat it (verification names it).
        if page.items.last().is_some_and(|row| row.id().is_none()) {
            page.next_cursor = None;
        }
        Ok(page)
    }

    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        let mut query = select_rows(self.conn.get_database_backend());
        if let Some(after) = after_seq {
            let after = i64::try_from(after).map_err(RepoError::internal)?;
            query = query.filter(audit_events::Column::Seq.gt(after));
        }
        Ok(query
            .order_by_asc(audit_events::Column::Seq)
            .limit(u64::from(limit))
            .into_model::<StoredRow>()
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|row| row.0)
            .collect())
    }
}
