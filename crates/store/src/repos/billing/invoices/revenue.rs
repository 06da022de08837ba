//! Revenue sums and the overdue query of [`super::SeaInvoiceRepository`].

use plinth_billing::{InvoiceId, InvoiceStatus, RevenueBucket};
use plinth_kernel::{Currency, Money, RepoError, Timestamp};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::invoices;
use crate::error::repo_err;
use crate::repos::corrupt;

/// `SUM(total)` per currency of the invoices in `bucket`, in the database, as a `BIGINT`
/// (PostgreSQL's `SUM(bigint)` is `numeric`, hence the cast).
pub(super) async fn totals_by_currency(
    conn: &DatabaseConnection,
    bucket: RevenueBucket,
) -> Result<Vec<Money>, RepoError> {
    let query = invoices::Entity::find();
    let query = match bucket {
        RevenueBucket::PaidSince(since) => query
            .filter(invoices::Column::Status.eq(InvoiceStatus::Paid.as_str()))
            .filter(invoices::Column::PaidAt.gte(since)),
        RevenueBucket::OpenDueFrom(now) => query
            .filter(invoices::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .filter(invoices::Column::DueAt.gte(now)),
        RevenueBucket::OpenDueBefore(now) => query
            .filter(invoices::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .filter(invoices::Column::DueAt.lt(now)),
    };
    let rows: Vec<(String, i64)> = query
        .select_only()
        .column(invoices::Column::Currency)
        .column_as(Expr::cust("CAST(SUM(total) AS BIGINT)"), "amount")
        .group_by(invoices::Column::Currency)
        .order_by_asc(invoices::Column::Currency)
        .into_tuple()
        .all(conn)
        .await
        .map_err(repo_err)?;
    rows.into_iter()
        .map(|(code, amount)| {
            let currency = Currency::parse(&code)
                .map_err(|e| corrupt(format_args!("invoices.currency {code:?}: {e}")))?;
            Ok(Money::new(amount, currency))
        })
        .collect()
}

/// Ids of open invoices due before `before`, oldest due first.
pub(super) async fn open_due_before(
    conn: &DatabaseConnection,
    before: Timestamp,
    limit: u64,
) -> Result<Vec<InvoiceId>, RepoError> {
    let ids: Vec<uuid::Uuid> = invoices::Entity::find()
        .select_only()
        .column(invoices::Column::Id)
        .filter(invoices::Column::Status.eq(InvoiceStatus::Open.as_str()))
        .filter(invoices::Column::DueAt.lt(before))
        .order_by_asc(invoices::Column::DueAt)
        .order_by_asc(invoices::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await
        .map_err(repo_err)?;
    Ok(ids.into_iter().map(InvoiceId::from_uuid).collect())
}
