//! `invoices`, `invoice_lines` and `invoice_counters`. Every amount is a `BIGINT` of minor
//! units; rates are integer basis points; never a float.
//!
//! `invoices.user_id` is deliberately not a foreign key: an invoice is an accounting record
//! that outlives the account (its customer snapshot keeps the name and email it was issued
//! to). `invoices.number` is unique (NULL for drafts; NULLs do not collide).
//! `invoice_counters` holds one row per year whose `last_number` the finalising transaction
//! increments, so numbers are gapless.
//!
//! Triggers, on PostgreSQL and SQLite alike, refuse any change to the amounts, rates,
//! currency, customer, number or lines of an invoice that is no longer a draft, and its
//! deletion: a finalised invoice is frozen by the database as well as by the domain.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What may never change once an invoice has left `draft` (PostgreSQL and SQLite both
/// accept `IS DISTINCT FROM` spelled as below: `IS NOT` on SQLite).
const FROZEN_COLUMNS: &[&str] = &[
    "user_id",
    "number",
    "currency",
    "discount_bps",
    "tax_rate_bps",
    "subtotal",
    "discount",
    "tax",
    "total",
    "due_in_days",
    "issued_at",
    "due_at",
];

fn changed(op: &str) -> String {
    FROZEN_COLUMNS
        .iter()
        .map(|c| format!("NEW.{c} {op} OLD.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn postgres_triggers() -> Vec<String> {
    vec![
        format!(
            r"CREATE FUNCTION invoices_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is % and cannot be deleted', OLD.id, OLD.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND ({}) THEN
        RAISE EXCEPTION 'invoice % is % and its amounts cannot change', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$",
            changed("IS DISTINCT FROM")
        ),
        "CREATE TRIGGER trg_invoices_frozen BEFORE UPDATE OR DELETE ON invoices \
         FOR EACH ROW EXECUTE FUNCTION invoices_frozen()"
            .to_owned(),
        r"CREATE FUNCTION invoice_lines_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    frozen text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO frozen FROM invoices WHERE id = OLD.invoice_id AND status <> 'draft';
        IF frozen IS NOT NULL THEN
            RAISE EXCEPTION 'invoice % is % and its lines cannot change', OLD.invoice_id, frozen
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO frozen FROM invoices WHERE id = NEW.invoice_id AND status <> 'draft';
        IF frozen IS NOT NULL THEN
            RAISE EXCEPTION 'invoice % is % and its lines cannot change', NEW.invoice_id, frozen
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$"
        .to_owned(),
        "CREATE TRIGGER trg_invoice_lines_frozen BEFORE INSERT OR UPDATE OR DELETE ON invoice_lines \
         FOR EACH ROW EXECUTE FUNCTION invoice_lines_frozen()"
            .to_owned(),
    ]
}

fn sqlite_triggers() -> Vec<String> {
    let frozen_lines = |op: &str, row: &str| {
        format!(
            "CREATE TRIGGER trg_invoice_lines_frozen_{op} BEFORE {op} ON invoice_lines FOR EACH ROW \
             WHEN (SELECT status FROM invoices WHERE id = {row}.invoice_id) <> 'draft' \
             BEGIN SELECT RAISE(ABORT, 'the lines of a finalised invoice cannot change'); END"
        )
    };
    vec![
        format!(
            "CREATE TRIGGER trg_invoices_frozen BEFORE UPDATE ON invoices FOR EACH ROW \
             WHEN OLD.status <> 'draft' AND ({}) \
             BEGIN SELECT RAISE(ABORT, 'the amounts of a finalised invoice cannot change'); END",
            changed("IS NOT")
        ),
        "CREATE TRIGGER trg_invoices_undeletable BEFORE DELETE ON invoices FOR EACH ROW \
         WHEN OLD.status <> 'draft' \
         BEGIN SELECT RAISE(ABORT, 'a finalised invoice cannot be deleted'); END"
            .to_owned(),
        frozen_lines("INSERT", "NEW"),
        frozen_lines("UPDATE", "OLD"),
        frozen_lines("DELETE", "OLD"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on every backend (SQLite too): a crash never leaves half a migration.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(pk_uuid(Invoices::Id))
                    .col(uuid(Invoices::UserId))
                    .col(text_null(Invoices::Number))
                    .col(text(Invoices::Status))
                    .col(string_len(Invoices::Currency, 3))
                    .col(integer(Invoices::DiscountBps))
                    .col(integer(Invoices::TaxRateBps))
                    .col(big_integer(Invoices::Subtotal))
                    .col(big_integer(Invoices::Discount))
                    .col(big_integer(Invoices::Tax))
                    .col(big_integer(Invoices::Total))
                    .col(integer(Invoices::DueInDays))
                    .col(json_null(Invoices::Customer))
                    .col(timestamp_with_time_zone_null(Invoices::DueAt))
                    .col(timestamp_with_time_zone_null(Invoices::IssuedAt))
                    .col(timestamp_with_time_zone_null(Invoices::PaidAt))
                    .col(timestamp_with_time_zone_null(Invoices::VoidedAt))
                    .col(timestamp_with_time_zone(Invoices::CreatedAt))
                    .col(timestamp_with_time_zone(Invoices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_invoices_number")
                    .table(Invoices::Table)
                    .col(Invoices::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_invoices_user_id_id")
                    .table(Invoices::Table)
                    .col(Invoices::UserId)
                    .col(Invoices::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceLines::Table)
                    .col(uuid(InvoiceLines::InvoiceId))
                    .col(integer(InvoiceLines::Position))
                    .col(text(InvoiceLines::Description))
                    .col(big_integer(InvoiceLines::Quantity))
                    .col(big_integer(InvoiceLines::UnitAmount))
                    .col(big_integer(InvoiceLines::Amount))
                    .col(big_integer(InvoiceLines::Discount))
                    .col(big_integer(InvoiceLines::Tax))
                    .col(big_integer(InvoiceLines::Total))
                    .primary_key(
                        Index::create()
                            .name("pk_invoice_lines")
                            .col(InvoiceLines::InvoiceId)
                            .col(InvoiceLines::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_lines_invoice_id")
                            .from(InvoiceLines::Table, InvoiceLines::InvoiceId)
                            .to(Invoices::Table, Invoices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceCounters::Table)
                    .col(integer(InvoiceCounters::Year).primary_key())
                    .col(big_integer(InvoiceCounters::LastNumber))
                    .to_owned(),
            )
            .await?;
        let triggers = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_triggers(),
            DbBackend::Sqlite => sqlite_triggers(),
            _ => Vec::new(),
        };
        let conn = manager.get_connection();
        for sql in triggers {
            conn.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InvoiceCounters::Table.into_iden(),
            InvoiceLines::Table.into_iden(),
            Invoices::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            let conn = manager.get_connection();
            conn.execute_unprepared("DROP FUNCTION IF EXISTS invoice_lines_frozen()")
                .await?;
            conn.execute_unprepared("DROP FUNCTION IF EXISTS invoices_frozen()")
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    UserId,
    Number,
    Status,
    Currency,
    DiscountBps,
    TaxRateBps,
    Subtotal,
    Discount,
    Tax,
    Total,
    DueInDays,
    Customer,
    DueAt,
    IssuedAt,
    PaidAt,
    VoidedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    InvoiceId,
    Position,
    Description,
    Quantity,
    UnitAmount,
    Amount,
    Discount,
    Tax,
    Total,
}

#[derive(DeriveIden)]
enum InvoiceCounters {
    Table,
    Year,
    LastNumber,
}
