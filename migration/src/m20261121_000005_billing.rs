//! `plans`: what customers can subscribe to. Prices are integer minor units plus an ISO 4217
//! code; never a float.

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
                    .table(Plans::Table)
                    .col(pk_uuid(Plans::Id))
                    .col(text(Plans::Code))
                    .col(text(Plans::Name))
                    .col(boolean(Plans::Active))
                    .col(big_integer(Plans::PriceAmount))
                    .col(string_len(Plans::PriceCurrency, 3))
                    .col(text(Plans::Interval))
                    .col(integer(Plans::TrialDays))
                    .col(json(Plans::Features))
                    .col(timestamp_with_time_zone(Plans::CreatedAt))
                    .col(timestamp_with_time_zone(Plans::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_plans_code")
                    .table(Plans::Table)
                    .col(Plans::Code)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Plans::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Code,
    Name,
    Active,
    PriceAmount,
    PriceCurrency,
    Interval,
    TrialDays,
    Features,
    CreatedAt,
    UpdatedAt,
}
