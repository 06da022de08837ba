//! [`SeaInvoiceRepository`]: `invoices` + `invoice_lines` rows ↔ [`InvoiceRecord`] and the
//! `invoice_counters` sequence: its [`InvoiceRepository`] here, its
//! [`plinth_billing::InvoiceReportRepository`] in [`reports`].

use std::collections::HashMap;

use plinth_billing::invoice::InvoiceParts;
use plinth_billing::{
    CustomerSnapshot, Invoice, InvoiceId, InvoiceLine, InvoiceNumber, InvoiceRecord,
    InvoiceRepository, InvoiceStatus, InvoiceTotals,
};
use plinth_kernel::{Currency, OrgId, RepoError, Transaction, UserId};
use sea_orm::{
    AccessMode, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel, QueryFilter, QueryOrder,
    Statement, TransactionOptions, TransactionTrait,
};

use crate::entities::{invoice_lines, invoices};
use crate::error::repo_err;
use crate::repos::{OneRow as _, corrupt};
use crate::uow::db_tx;

mod reports;

/// The [`plinth_billing::InvoiceStorage`] on SQL: both invoice seams.
#[derive(Clone)]
pub struct SeaInvoiceRepository {
    conn: DatabaseConnection,
}

impl SeaInvoiceRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// A read-only transaction whose statements all see one snapshot, so that an invoice row
    /// and its lines are never read on either side of a draft edit's commit.
    async fn snapshot(&self) -> Result<DatabaseTransaction, RepoError> {
        let options = if self.conn.get_database_backend() == DbBackend::Postgres {
            TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..TransactionOptions::default()
            }
        } else {
            // SQLite: a deferred transaction reads one snapshot from its first statement.
            TransactionOptions::default()
        };
        self.conn
            .begin_with_options(options)
            .await
            .map_err(repo_err)
    }

    /// Invoice `id` with its lines, read in `db`.
    async fn read_invoice(
        db: &DatabaseTransaction,
        id: InvoiceId,
    ) -> Result<Option<InvoiceRecord>, RepoError> {
        let Some(row) = invoices::Entity::find_by_id(id.as_uuid())
            .one_row(db)
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        Ok(Self::with_lines(db, vec![row]).await?.pop())
    }

    /// The rows' lines, grouped by invoice and in position order, turned into records.
    async fn with_lines(
        db: &DatabaseTransaction,
        rows: Vec<invoices::Model>,
    ) -> Result<Vec<InvoiceRecord>, RepoError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
        let mut lines: HashMap<uuid::Uuid, Vec<invoice_lines::Model>> = HashMap::new();
        for line in invoice_lines::Entity::find()
            .filter(invoice_lines::Column::InvoiceId.is_in(ids))
            .order_by_asc(invoice_lines::Column::InvoiceId)
            .order_by_asc(invoice_lines::Column::Position)
            .all(db)
            .await
            .map_err(repo_err)?
        {
            lines.entry(line.invoice_id).or_default().push(line);
        }
        rows.into_iter()
            .map(|row| {
                let own = lines.remove(&row.id).unwrap_or_default();
                to_domain(row, own)
            })
            .collect()
    }
}

fn to_i32(n: u32, what: &str) -> Result<i32, RepoError> {
    i32::try_from(n).map_err(|_| RepoError::internal(format!("{what} out of range")))
}

/// The columns `update_invoice` may write: status, number, customer, dates, `updated_at`.
fn state_columns(r: &InvoiceRecord) -> Result<invoices::ActiveModel, RepoError> {
    let customer = r
        .customer
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(RepoError::internal)?;
    Ok(invoices::ActiveModel {
        status: Set(r.status().as_str().to_owned()),
        number: Set(r.invoice.number().map(|n| n.to_string())),
        customer: Set(customer),
        due_at: Set(r.due_at),
        issued_at: Set(r.issued_at),
        paid_at: Set(r.paid_at),
        voided_at: Set(r.voided_at),
        updated_at: Set(r.updated_at),
        ..Default::default()
    })
}

/// The columns `update_draft` writes: rates, amounts, payment term, `updated_at`.
fn amount_columns(r: &InvoiceRecord) -> Result<invoices::ActiveModel, RepoError> {
    let inv = &r.invoice;
    let totals = inv.totals();
    Ok(invoices::ActiveModel {
        discount_bps: Set(to_i32(inv.discount_bps(), "discount_bps")?),
        tax_rate_bps: Set(to_i32(inv.tax_rate_bps(), "tax_rate_bps")?),
        subtotal: Set(totals.subtotal),
        discount: Set(totals.discount),
        tax: Set(totals.tax),
        total: Set(totals.total),
        due_in_days: Set(to_i32(r.due_in_days, "due_in_days")?),
        updated_at: Set(r.updated_at),
        ..Default::default()
    })
}

/// The `invoice_lines` rows of `r`, positions from 0.
fn line_rows(r: &InvoiceRecord) -> Result<Vec<invoice_lines::ActiveModel>, RepoError> {
    r.invoice
        .lines()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(invoice_lines::ActiveModel {
                invoice_id: Set(r.id.as_uuid()),
                position: Set(i32::try_from(i).map_err(|_| RepoError::internal("too many lines"))?),
                description: Set(l.description.clone()),
                quantity: Set(l.quantity),
                unit_amount: Set(l.unit_amount),
                amount: Set(l.amount),
                discount: Set(l.discount),
                tax: Set(l.tax),
                total: Set(l.total),
            })
        })
        .collect()
}

async fn insert_lines(
    db: &DatabaseTransaction,
    lines: Vec<invoice_lines::ActiveModel>,
) -> Result<(), RepoError> {
    if !lines.is_empty() {
        invoice_lines::Entity::insert_many(lines)
            .exec_without_returning(db)
            .await
            .map_err(repo_err)?;
    }
    Ok(())
}

async fn delete_lines(db: &DatabaseTransaction, id: InvoiceId) -> Result<(), RepoError> {
    invoice_lines::Entity::delete_many()
        .filter(invoice_lines::Column::InvoiceId.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(repo_err)?;
    Ok(())
}

fn to_domain(
    row: invoices::Model,
    lines: Vec<invoice_lines::Model>,
) -> Result<InvoiceRecord, RepoError> {
    let id = row.id;
    let currency = Currency::parse(&row.currency)
        .map_err(|e| corrupt(format_args!("invoices.currency of {id}: {e}")))?;
    let status = InvoiceStatus::parse(&row.status)
        .ok_or_else(|| corrupt(format_args!("invoices.status {:?} of {id}", row.status)))?;
    let number = row
        .number
        .as_deref()
        .map(InvoiceNumber::parse)
        .transpose()
        .map_err(|e| corrupt(format_args!("invoices.number of {id}: {e}")))?;
    let customer = row
        .customer
        .map(serde_json::from_value::<CustomerSnapshot>)
        .transpose()
        .map_err(|e| corrupt(format_args!("invoices.customer of {id}: {e}")))?;
    let unsigned = |n: i32, what: &str| {
        u32::try_from(n).map_err(|_| corrupt(format_args!("invoices.{what} {n} of {id}")))
    };
    let invoice = Invoice::restore(InvoiceParts {
        currency,
        status,
        number,
        discount_bps: unsigned(row.discount_bps, "discount_bps")?,
        tax_rate_bps: unsigned(row.tax_rate_bps, "tax_rate_bps")?,
        lines: lines
            .into_iter()
            .map(|l| InvoiceLine {
                description: l.description,
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                amount: l.amount,
                discount: l.discount,
                tax: l.tax,
                total: l.total,
            })
            .collect(),
        totals: InvoiceTotals {
            subtotal: row.subtotal,
            discount: row.discount,
            tax: row.tax,
            total: row.total,
        },
    })
    .map_err(|e| corrupt(format_args!("invoice {id}: {e}")))?;
    Ok(InvoiceRecord {
        id: InvoiceId::from_uuid(id),
        user_id: UserId::from_uuid(row.user_id),
        org_id: row.org_id.map(OrgId::from_uuid),
        invoice,
        due_in_days: unsigned(row.due_in_days, "due_in_days")?,
        customer,
        due_at: row.due_at,
        issued_at: row.issued_at,
        paid_at: row.paid_at,
        voided_at: row.voided_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        provider_payment_id: row.provider_payment_id,
    })
}

#[async_trait::async_trait]
impl InvoiceRepository for SeaInvoiceRepository {
    async fn insert_invoice(
        &self,
        tx: &mut dyn Transaction,
        r: &InvoiceRecord,
    ) -> Result<(), RepoError> {
        let inv = &r.invoice;
        let totals = inv.totals();
        let mut row = state_columns(r)?;
        row.id = Set(r.id.as_uuid());
        row.user_id = Set(r.user_id.as_uuid());
        row.org_id = Set(r.org_id.map(|o| o.as_uuid()));
        row.currency = Set(inv.currency().code().to_owned());
        row.discount_bps = Set(to_i32(inv.discount_bps(), "discount_bps")?);
        row.tax_rate_bps = Set(to_i32(inv.tax_rate_bps(), "tax_rate_bps")?);
        row.subtotal = Set(totals.subtotal);
        row.discount = Set(totals.discount);
        row.tax = Set(totals.tax);
        row.total = Set(totals.total);
        row.due_in_days = Set(to_i32(r.due_in_days, "due_in_days")?);
        row.created_at = Set(r.created_at);
        let lines = line_rows(r)?;
        let db = db_tx(tx)?;
        invoices::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(repo_err)?;
        insert_lines(db, lines).await
    }

    async fn update_draft(
        &self,
        tx: &mut dyn Transaction,
        r: &InvoiceRecord,
    ) -> Result<(), RepoError> {
        let lines = line_rows(r)?;
        let db = db_tx(tx)?;
        // The invoice row first: the update takes its lock (PostgreSQL) before any line is
        // touched, so a finalisation either waits for all of this or makes it find no draft.
        let result = invoices::Entity::update_many()
            .set(amount_columns(r)?)
            .filter(invoices::Column::Id.eq(r.id.as_uuid()))
            .filter(invoices::Column::Status.eq(InvoiceStatus::Draft.as_str()))
            .exec(db)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        delete_lines(db, r.id).await?;
        insert_lines(db, lines).await
    }

    async fn delete_draft(&self, tx: &mut dyn Transaction, id: InvoiceId) -> Result<(), RepoError> {
        let db = db_tx(tx)?;
        let result = invoices::Entity::delete_many()
            .filter(invoices::Column::Id.eq(id.as_uuid()))
            .filter(invoices::Column::Status.eq(InvoiceStatus::Draft.as_str()))
            .exec(db)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        // The foreign key cascades; this also covers a SQLite connection without it.
        delete_lines(db, id).await
    }

    async fn update_invoice(
        &self,
        tx: &mut dyn Transaction,
        r: &InvoiceRecord,
        from: InvoiceStatus,
    ) -> Result<(), RepoError> {
        let result = invoices::Entity::update_many()
            .set(state_columns(r)?)
            .filter(invoices::Column::Id.eq(r.id.as_uuid()))
            .filter(invoices::Column::Status.eq(from.as_str()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn set_provider_payment_id(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
        provider_payment_id: &str,
    ) -> Result<(), RepoError> {
        let result = invoices::Entity::update_many()
            .col_expr(
                invoices::Column::ProviderPaymentId,
                sea_orm::sea_query::Expr::value(provider_payment_id),
            )
            .filter(invoices::Column::Id.eq(id.as_uuid()))
            .filter(invoices::Column::Status.eq(InvoiceStatus::Open.as_str()))
            .filter(invoices::Column::ProviderPaymentId.is_null())
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn next_invoice_number(
        &self,
        tx: &mut dyn Transaction,
        year: i32,
    ) -> Result<u32, RepoError> {
        let db = db_tx(tx)?;
        let backend = db.get_database_backend();
        let placeholder = if backend == DbBackend::Postgres {
            "$1"
        } else {
            "?"
        };
        // One statement, atomic on both backends: the first number of a year creates the
        // row; later ones increment it and keep it locked until the transaction ends.
        let sql = format!(
            "INSERT INTO invoice_counters (\"year\", last_number) VALUES ({placeholder}, 1) \
             ON CONFLICT (\"year\") DO UPDATE SET last_number = invoice_counters.last_number + 1 \
             RETURNING last_number"
        );
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [year.into()]))
            .await
            .map_err(repo_err)?
            .ok_or_else(|| RepoError::internal("the counter upsert returned no row"))?;
        let last: i64 = row.try_get("", "last_number").map_err(repo_err)?;
        u32::try_from(last).map_err(|_| corrupt(format_args!("invoice_counters {year}: {last}")))
    }

    async fn invoice(&self, id: InvoiceId) -> Result<Option<InvoiceRecord>, RepoError> {
        let db = self.snapshot().await?;
        let record = Self::read_invoice(&db, id).await?;
        db.commit().await.map_err(repo_err)?;
        Ok(record)
    }

    async fn invoice_in(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
    ) -> Result<Option<InvoiceRecord>, RepoError> {
        Self::read_invoice(db_tx(tx)?, id).await
    }

    async fn lock_invoice(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
    ) -> Result<Option<InvoiceRecord>, RepoError> {
        let db = db_tx(tx)?;
        // Touching the row takes its lock on PostgreSQL until the transaction ends; on SQLite
        // the `IMMEDIATE` transaction already holds the database's write lock.
        invoices::Entity::update_many()
            .col_expr(
                invoices::Column::UpdatedAt,
                sea_orm::sea_query::Expr::col(invoices::Column::UpdatedAt),
            )
            .filter(invoices::Column::Id.eq(id.as_uuid()))
            .exec(db)
            .await
            .map_err(repo_err)?;
        Self::read_invoice(db, id).await
    }
}
