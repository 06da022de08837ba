//! [`SeaPaymentEventInbox`]: the `stripe_events` inbox.

use plinth_billing::InvoiceId;
use plinth_billing::payment::{InboxEntry, PaymentEventInbox};
use plinth_kernel::{RepoError, Transaction};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::stripe_events;
use crate::error::repo_err;
use crate::repos::OneRow as _;
use crate::uow::db_tx;

/// The [`PaymentEventInbox`] on SQL. `insert_new` is `INSERT … ON CONFLICT (id) DO
/// NOTHING`: on PostgreSQL a concurrent insert of the same id waits for the first
/// transaction and then inserts nothing, so exactly one delivery goes on to apply the event.
#[derive(Clone)]
pub struct SeaPaymentEventInbox {
    conn: DatabaseConnection,
}

impl SeaPaymentEventInbox {
    /// An inbox reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn to_row(e: &InboxEntry) -> stripe_events::ActiveModel {
    stripe_events::ActiveModel {
        id: Set(e.id.clone()),
        kind: Set(e.kind.clone()),
        received_at: Set(e.received_at),
        processed_at: Set(e.processed_at),
        outcome: Set(e.outcome.clone()),
        invoice_id: Set(e.invoice_id.map(|id| id.as_uuid())),
    }
}

#[async_trait::async_trait]
impl PaymentEventInbox for SeaPaymentEventInbox {
    async fn insert_new(
        &self,
        tx: &mut dyn Transaction,
        entry: &InboxEntry,
    ) -> Result<bool, RepoError> {
        let inserted = stripe_events::Entity::insert(to_row(entry))
            .on_conflict(
                OnConflict::column(stripe_events::Column::Id)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(inserted == 1)
    }

    async fn mark_processed(
        &self,
        tx: &mut dyn Transaction,
        entry: &InboxEntry,
    ) -> Result<(), RepoError> {
        let row = stripe_events::ActiveModel {
            processed_at: Set(entry.processed_at),
            outcome: Set(entry.outcome.clone()),
            invoice_id: Set(entry.invoice_id.map(|id| id.as_uuid())),
            ..Default::default()
        };
        let result = stripe_events::Entity::update_many()
            .set(row)
            .filter(stripe_events::Column::Id.eq(entry.id.clone()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn entry(&self, id: &str) -> Result<Option<InboxEntry>, RepoError> {
        let row = stripe_events::Entity::find_by_id(id.to_owned())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(row.map(|r| InboxEntry {
            id: r.id,
            kind: r.kind,
            received_at: r.received_at,
            processed_at: r.processed_at,
            outcome: r.outcome,
            invoice_id: r.invoice_id.map(InvoiceId::from_uuid),
        }))
    }
}
