//! `files`: metadata of stored files (the bytes live in the blob store under `storage_key`).
//! A user's files go with the user.

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
                    .table(Files::Table)
                    .col(pk_uuid(Files::Id))
                    .col(uuid(Files::OwnerId))
                    .col(text(Files::Name))
                    .col(text(Files::ContentType))
                    .col(big_integer(Files::Size))
                    .col(text(Files::Sha256))
                    .col(integer(Files::Version))
                    .col(text(Files::StorageKey))
                    .col(timestamp_with_time_zone(Files::CreatedAt))
                    .col(timestamp_with_time_zone(Files::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_files_owner_id")
                            .from(Files::Table, Files::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_owner_id")
                    .table(Files::Table)
                    .col(Files::OwnerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Files::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OwnerId,
    Name,
    ContentType,
    Size,
    Sha256,
    Version,
    StorageKey,
    CreatedAt,
    UpdatedAt,
}
