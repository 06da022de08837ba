//! [`SeaEventOutbox`]: `events` rows ↔ [`StoredEvent`].
//!
//! An append takes the audit chain's lock ([`super::audit::lock_chain`]: a transaction-scoped
//! advisory lock on PostgreSQL, already held when the event comes from an audit entry; SQLite
//! write transactions are serialised anyway), then inserts the position one more than the
//! newest. Held until the transaction ends, the lock makes positions follow commit order with no
//! gap, which is what lets a reader resume after a position without missing anything. The
//! primary key is the backstop: two appenders reading the same newest position would collide
//! instead of both being stored.

use plinth_events::{
    Audience, DomainEvent, EventId, EventOutbox, EventType, MemberAudience, OutboxBounds,
    StoredEvent,
};
use plinth_kernel::{OrgId, RepoError, Timestamp, Transaction, UserId};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait as _, Query},
};

use super::audit::lock_chain;
use super::corrupt;
use crate::entities::events;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`EventOutbox`] on SQL.
#[derive(Clone)]
pub struct SeaEventOutbox {
    conn: DatabaseConnection,
}

impl SeaEventOutbox {
    /// An outbox reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

/// The newest and oldest stored positions.
async fn min_max(db: &impl ConnectionTrait) -> Result<(Option<i64>, Option<i64>), RepoError> {
    events::Entity::find()
        .select_only()
        .expr(Expr::col(events::Column::Id).min())
        .expr(Expr::col(events::Column::Id).max())
        .into_tuple::<(Option<i64>, Option<i64>)>()
        .one(db)
        .await
        .map_err(repo_err)
        .map(Option::unwrap_or_default)
}

fn position(id: i64) -> Result<EventId, RepoError> {
    u64::try_from(id)
        .map(EventId)
        .map_err(|_| corrupt(format_args!("events.id {id}")))
}

fn to_domain(row: events::Model) -> Result<StoredEvent, RepoError> {
    let event_type = EventType::parse(&row.event_type)
        .ok_or_else(|| corrupt(format_args!("events.event_type {}", row.event_type)))?;
    Ok(StoredEvent {
        id: position(row.id)?,
        event: DomainEvent {
            event_type,
            occurred_at: row.occurred_at,
            actor_id: row.actor_id.map(UserId::from_uuid),
            org_id: row.org_id.map(OrgId::from_uuid),
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            data: row.data,
            audience: Audience {
                user: row.audience_user.map(UserId::from_uuid),
                members: row
                    .audience_members
                    .as_deref()
                    .map(MemberAudience::from_stored),
                everyone: row.audience_everyone,
            },
        },
    })
}

#[async_trait::async_trait]
impl EventOutbox for SeaEventOutbox {
    async fn append(&self, tx: &mut dyn Transaction, event: &DomainEvent) -> Result<(), RepoError> {
        let db = db_tx(tx)?;
        lock_chain(db).await?;
        let (_, newest) = min_max(db).await?;
        let id = newest.unwrap_or(0) + 1;
        let row = events::ActiveModel {
            id: Set(id),
            event_type: Set(event.event_type.as_str().to_owned()),
            occurred_at: Set(event.occurred_at),
            actor_id: Set(event.actor_id.map(|a| a.as_uuid())),
            org_id: Set(event.org_id.map(|o| o.as_uuid())),
            resource_type: Set(event.resource_type.clone()),
            resource_id: Set(event.resource_id.clone()),
            data: Set(event.data.clone()),
            audience_user: Set(event.audience.user.map(|u| u.as_uuid())),
            audience_members: Set(event
                .audience
                .members
                .as_ref()
                .map(|m| m.as_stored().to_owned())),
            audience_everyone: Set(event.audience.everyone),
        };
        events::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn after(&self, after: EventId, limit: u32) -> Result<Vec<StoredEvent>, RepoError> {
        let after = i64::try_from(after.0).map_err(RepoError::internal)?;
        events::Entity::find()
            .filter(events::Column::Id.gt(after))
            .order_by_asc(events::Column::Id)
            .limit(u64::from(limit))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn bounds(&self) -> Result<Option<OutboxBounds>, RepoError> {
        match min_max(&self.conn).await? {
            (Some(oldest), Some(newest)) => Ok(Some(OutboxBounds {
                oldest: position(oldest)?,
                newest: position(newest)?,
            })),
            _ => Ok(None),
        }
    }

    async fn purge(&self, before: Timestamp) -> Result<u64, RepoError> {
        let newest = Query::select()
            .expr(Expr::col(events::Column::Id).max())
            .from(events::Entity)
            .to_owned();
        let deleted = events::Entity::delete_many()
            .filter(events::Column::OccurredAt.lt(before))
            .filter(events::Column::Id.not_in_subquery(newest))
            .exec(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(deleted.rows_affected)
    }
}
