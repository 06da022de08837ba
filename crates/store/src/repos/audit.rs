//! [`SeaAuditLog`]: `audit_events` rows ↔ [`AuditEvent`].

use plinth_audit::{AuditAction, AuditEvent, AuditEventId, AuditFilter, AuditLog};
use plinth_kernel::{Page, PageRequest, RepoError, Transaction};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{corrupt, fetch_limit};
use crate::entities::audit_events;
use crate::error::repo_err;
use crate::uow::db_tx;

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

fn to_domain(row: audit_events::Model) -> Result<AuditEvent, RepoError> {
    let action = AuditAction::parse(&row.action).ok_or_else(|| {
        corrupt(format_args!(
            "audit_events.action {:?} of {}",
            row.action, row.id
        ))
    })?;
    Ok(AuditEvent {
        id: AuditEventId::from_uuid(row.id),
        at: row.at,
        actor_id: row.actor_id,
        action,
        target_type: row.target_type,
        target_id: row.target_id,
        ip: row.ip,
        user_agent: row.user_agent,
        request_id: row.request_id,
        details: row.details,
    })
}

#[async_trait::async_trait]
impl AuditLog for SeaAuditLog {
    async fn append(&self, tx: &mut dyn Transaction, event: &AuditEvent) -> Result<(), RepoError> {
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
            prev_hash: Set(None),
            hash: Set(None),
        };
        audit_events::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, RepoError> {
        let mut query = audit_events::Entity::find();
        if let Some(actor) = filter.actor_id {
            query = query.filter(audit_events::Column::ActorId.eq(actor));
        }
        if let Some(action) = filter.action {
            query = query.filter(audit_events::Column::Action.eq(action.as_str()));
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
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(rows, page, |e| e.id.as_uuid()))
    }
}
