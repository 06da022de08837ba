//! The [`InvoiceReportRepository`] of [`SeaInvoiceRepository`]: the listings (each page read
//! in one snapshot), the revenue sums and the overdue query.

use plinth_billing::{
    InvoiceFilter, InvoiceId, InvoiceRecord, InvoiceReportRepository, InvoiceStatus, RevenueBucket,
};
use plinth_kernel::{Currency, Money, Owner, Page, PageRequest, RepoError, Timestamp};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::SeaInvoiceRepository;
use crate::entities::invoices;
use crate::error::repo_err;
use crate::repos::{corrupt, fetch_limit};

impl SeaInvoiceRepository {
    /// One page of the invoices `query` selects, newest first, with their lines.
    async fn page(
        &self,
        mut query: sea_orm::Select<invoices::Entity>,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, RepoError> {
        if let Some(cursor) = page.cursor() {
            query = query.filter(invoices::Column::Id.lt(cursor.last_id()));
        }
        let db = self.snapshot().await?;
        let rows = query
            .order_by_desc(invoices::Column::Id)
            .limit(fetch_limit(page))
            .all(&db)
            .await
            .map_err(repo_err)?;
        let records = Self::with_lines(&db, rows).await?;
        db.commit().await.map_err(repo_err)?;
        Ok(Page::from_rows(records, page, |r| r.id.as_uuid()))
    }
}

/// `SUM(total)` per currency of the invoices in `bucket`, in the database, as a `BIGINT`
/// (PostgreSQL's `SUM(bigint)` is `numeric`, hence the cast).
async fn totals_by_currency(
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
async fn open_due_before(
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

#[async_trait::async_trait]
impl InvoiceReportRepository for SeaInvoiceRepository {
    async fn invoices(
        &self,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, RepoError> {
        let mut query = invoices::Entity::find();
        if let Some(user) = filter.user_id {
            query = query.filter(invoices::Column::UserId.eq(user.as_uuid()));
        }
        if let Some(status) = filter.status {
            query = query.filter(invoices::Column::Status.eq(status.as_str()));
        }
        self.page(query, page).await
    }

    async fn issued_invoices_of(
        &self,
        owner: Owner,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, RepoError> {
        // The tenant filter lives here: an account's own invoices never include those of an
        // organization it answers for.
        let query = match owner {
            Owner::User(user) => invoices::Entity::find()
                .filter(invoices::Column::UserId.eq(user.as_uuid()))
                .filter(invoices::Column::OrgId.is_null()),
            Owner::Org(org) => {
                invoices::Entity::find().filter(invoices::Column::OrgId.eq(org.as_uuid()))
            }
        }
        .filter(invoices::Column::Status.ne(InvoiceStatus::Draft.as_str()));
        self.page(query, page).await
    }

    async fn totals_by_currency(&self, bucket: RevenueBucket) -> Result<Vec<Money>, RepoError> {
        totals_by_currency(&self.conn, bucket).await
    }

    async fn open_due_before(
        &self,
        before: Timestamp,
        limit: u64,
    ) -> Result<Vec<InvoiceId>, RepoError> {
        open_due_before(&self.conn, before, limit).await
    }
}
