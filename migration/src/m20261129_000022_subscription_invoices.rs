//! `subscription_invoices`: which invoice bills which subscription period. The primary key
//! `(subscription_id, period_start)` allows one invoice per period, so a second renewal run
//! (a retried job, two replicas at once) can never bill a period twice; `invoice_id` is
//! unique as well (an invoice bills one period).
//!
//! The claim row is written first, in the transaction that then inserts and finalises the
//! invoice, so `invoice_id` is not a foreign key (like `stripe_events.invoice_id`); the
//! invoice commits with it or neither does. Deleting a subscription (its user) removes its
//! rows; the invoices stay, as accounting records.

use sea_orm_migration::{prelude::*, schema::*};

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
            .create_table(
                Table::create()
                    .table(SubscriptionInvoices::Table)
                    .col(uuid(SubscriptionInvoices::SubscriptionId))
                    .col(timestamp_with_time_zone(SubscriptionInvoices::PeriodStart))
                    .col(uuid(SubscriptionInvoices::InvoiceId))
                    .primary_key(
                        Index::create()
                            .name("pk_subscription_invoices")
                            .col(SubscriptionInvoices::SubscriptionId)
                            .col(SubscriptionInvoices::PeriodStart),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscription_invoices_subscription_id")
                            .from(
                                SubscriptionInvoices::Table,
                                SubscriptionInvoices::SubscriptionId,
                            )
                            .to(Subscriptions::Table, Subscriptions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_subscription_invoices_invoice_id")
                    .table(SubscriptionInvoices::Table)
                    .col(SubscriptionInvoices::InvoiceId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SubscriptionInvoices::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SubscriptionInvoices {
    Table,
    SubscriptionId,
    PeriodStart,
    InvoiceId,
}
