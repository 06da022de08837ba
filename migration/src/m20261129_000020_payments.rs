//! `stripe_events`: the inbox of Stripe webhook events. The event id is the primary key, and
//! the row is inserted first, in the same transaction as the event's effect, so a redelivered
//! or concurrently delivered event finds its id taken and is not applied twice. `outcome`
//! records what processing did (`applied`, `already_settled`, `ignored`, `unhandled`).
//! `invoice_id` is not a foreign key: the inbox is a log that outlives what it names.

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
                    .table(StripeEvents::Table)
                    .col(string_len(StripeEvents::Id, 255).primary_key())
                    .col(string_len(StripeEvents::Kind, 255))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(StripeEvents::ProcessedAt))
                    .col(string_len_null(StripeEvents::Outcome, 32))
                    .col(uuid_null(StripeEvents::InvoiceId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stripe_events_received_at")
                    .table(StripeEvents::Table)
                    .col(StripeEvents::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    #[sea_orm(iden = "type")]
    Kind,
    ReceivedAt,
    ProcessedAt,
    Outcome,
    InvoiceId,
}
