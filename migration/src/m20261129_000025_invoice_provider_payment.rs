//! `invoices.provider_payment_id`: the payment provider's id of the payment started for an
//! open invoice (Stripe `pi_…`), recorded the first time the customer asks to pay, so that
//! later attempts reuse that payment instead of creating a second one (Stripe forgets an
//! idempotency key after 24 hours; the column does not).
//!
//! Nullable, no default. The freeze triggers of `m20261129_000014_invoices` list the columns
//! they protect (amounts, rates, currency, customer, number, dates); this column is not among
//! them, so it may be set on an open invoice while the amounts stay frozen, on SQLite and
//! PostgreSQL alike (the store's tests check both).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on every backend (SQLite too): a crash never leaves half a migration.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Invoices::Table)
                    .add_column(ColumnDef::new(Invoices::ProviderPaymentId).string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Invoices::Table)
                    .drop_column(Invoices::ProviderPaymentId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    ProviderPaymentId,
}
