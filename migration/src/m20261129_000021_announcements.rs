//! `announcements`: plain-text messages administrators broadcast to every signed-in user, each
//! with an optional window (`starts_at` inclusive, `ends_at` exclusive). `created_by` is an id
//! only, with no foreign key: an announcement stays when its author's account is deleted (as
//! audit entries do). Lists are newest first by id (UUIDv7), which the primary key serves.

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
                    .table(Announcements::Table)
                    .col(pk_uuid(Announcements::Id))
                    .col(text(Announcements::Title))
                    .col(text(Announcements::Body))
                    .col(timestamp_with_time_zone_null(Announcements::StartsAt))
                    .col(timestamp_with_time_zone_null(Announcements::EndsAt))
                    .col(uuid(Announcements::CreatedBy))
                    .col(timestamp_with_time_zone(Announcements::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Announcements::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    Id,
    Title,
    Body,
    StartsAt,
    EndsAt,
    CreatedBy,
    CreatedAt,
}
