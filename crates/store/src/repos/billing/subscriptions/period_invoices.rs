//! The [`PeriodInvoiceRepository`] of [`super::SeaSubscriptionRepository`]:
//! `subscription_invoices`, the one-invoice-per-period claim and the overdue queries that
//! join it with `invoices` and `subscriptions`.

use plinth_billing::{
    InvoiceId, InvoiceStatus, PeriodInvoiceRepository, SubscriptionId, SubscriptionStatus,
};
use plinth_kernel::{RepoError, Timestamp, Transaction};
use sea_orm::sea_query::{OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::{invoices, subscription_invoices, subscriptions};
use crate::error::repo_err;
use crate::uow::db_tx;

/// `INSERT … ON CONFLICT (subscription_id, period_start) DO NOTHING`: `true` when inserted.
/// A conflict writes nothing and, unlike a unique violation, leaves a PostgreSQL transaction
/// usable.
async fn claim(
    conn: &impl ConnectionTrait,
    subscription: SubscriptionId,
    period_start: Timestamp,
    invoice: InvoiceId,
) -> Result<bool, RepoError> {
    let row = subscription_invoices::ActiveModel {
        subscription_id: Set(subscription.as_uuid()),
        period_start: Set(period_start),
        invoice_id: Set(invoice.as_uuid()),
    };
    let inserted = subscription_invoices::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                subscription_invoices::Column::SubscriptionId,
                subscription_invoices::Column::PeriodStart,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await
        .map_err(|e| match repo_err(e) {
            RepoError::Duplicate { .. } => RepoError::Duplicate {
                constraint: "subscription_invoices.invoice_id".to_owned(),
            },
            other => other,
        })?;
    Ok(inserted == 1)
}

/// The subscription whose period `invoice` bills.
async fn subscription_of(
    conn: &impl ConnectionTrait,
    invoice: InvoiceId,
) -> Result<Option<SubscriptionId>, RepoError> {
    let id: Option<uuid::Uuid> = subscription_invoices::Entity::find()
        .select_only()
        .column(subscription_invoices::Column::SubscriptionId)
        .filter(subscription_invoices::Column::InvoiceId.eq(invoice.as_uuid()))
        .into_tuple()
        .one(conn)
        .await
        .map_err(repo_err)?;
    Ok(id.map(SubscriptionId::from_uuid))
}

/// `SELECT id FROM invoices WHERE status = 'open' AND due_at < now`.
fn overdue_invoice_ids(now: Timestamp) -> SelectStatement {
    Query::select()
        .column(invoices::Column::Id)
        .from(invoices::Entity)
        .and_where(invoices::Column::Status.eq(InvoiceStatus::Open.as_str()))
        .and_where(invoices::Column::DueAt.lt(now))
        .to_owned()
}

/// Whether a period invoice of `subscription` is overdue at `now`.
async fn has_overdue(
    conn: &impl ConnectionTrait,
    subscription: SubscriptionId,
    now: Timestamp,
) -> Result<bool, RepoError> {
    let hit: Option<uuid::Uuid> = subscription_invoices::Entity::find()
        .select_only()
        .column(subscription_invoices::Column::InvoiceId)
        .filter(subscription_invoices::Column::SubscriptionId.eq(subscription.as_uuid()))
        .filter(subscription_invoices::Column::InvoiceId.in_subquery(overdue_invoice_ids(now)))
        .limit(1)
        .into_tuple()
        .one(conn)
        .await
        .map_err(repo_err)?;
    Ok(hit.is_some())
}

/// `trialing`/`active` subscriptions with an overdue period invoice, by id.
async fn overdue_subscriptions(
    conn: &impl ConnectionTrait,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<SubscriptionId>, RepoError> {
    let with_overdue = Query::select()
        .column(subscription_invoices::Column::SubscriptionId)
        .from(subscription_invoices::Entity)
        .and_where(subscription_invoices::Column::InvoiceId.in_subquery(overdue_invoice_ids(now)))
        .to_owned();
    let ids: Vec<uuid::Uuid> = subscriptions::Entity::find()
        .select_only()
        .column(subscriptions::Column::Id)
        .filter(subscriptions::Column::Status.is_in([
            SubscriptionStatus::Trialing.as_str(),
            SubscriptionStatus::Active.as_str(),
        ]))
        .filter(subscriptions::Column::Id.in_subquery(with_overdue))
        .order_by_asc(subscriptions::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await
        .map_err(repo_err)?;
    Ok(ids.into_iter().map(SubscriptionId::from_uuid).collect())
}

#[async_trait::async_trait]
impl PeriodInvoiceRepository for super::SeaSubscriptionRepository {
    async fn claim_period_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        invoice: InvoiceId,
    ) -> Result<bool, RepoError> {
        claim(db_tx(tx)?, subscription, period_start, invoice).await
    }

    async fn subscription_of_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: InvoiceId,
    ) -> Result<Option<SubscriptionId>, RepoError> {
        subscription_of(db_tx(tx)?, invoice).await
    }

    async fn has_overdue_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        has_overdue(db_tx(tx)?, subscription, now).await
    }

    async fn overdue_subscriptions(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError> {
        overdue_subscriptions(&self.conn, now, limit).await
    }
}
