//! `file_versions`: one row per stored version of a file (the current one included), so that
//! every version stays listable and downloadable until the file is deleted. Existing files get
//! the row of their current version.

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
                    .table(FileVersions::Table)
                    .col(uuid(FileVersions::FileId))
                    .col(integer(FileVersions::Version))
                    .col(text(FileVersions::StorageKey))
                    .col(big_integer(FileVersions::Size))
                    .col(text(FileVersions::Sha256))
                    .col(text(FileVersions::ContentType))
                    .col(text(FileVersions::Name))
                    .col(timestamp_with_time_zone(FileVersions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_file_versions")
                            .col(FileVersions::FileId)
                            .col(FileVersions::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_file_versions_file_id")
                            .from(FileVersions::Table, FileVersions::FileId)
                            .to(Files::Table, Files::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let backfill = Query::insert()
            .into_table(FileVersions::Table)
            .columns([
                FileVersions::FileId,
                FileVersions::Version,
                FileVersions::StorageKey,
                FileVersions::Size,
                FileVersions::Sha256,
                FileVersions::ContentType,
                FileVersions::Name,
                FileVersions::CreatedAt,
            ])
            .select_from(
                Query::select()
                    .columns([
                        Files::Id,
                        Files::Version,
                        Files::StorageKey,
                        Files::Size,
                        Files::Sha256,
                        Files::ContentType,
                        Files::Name,
                        Files::UpdatedAt,
                    ])
                    .from(Files::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FileVersions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    Version,
    StorageKey,
    Size,
    Sha256,
    ContentType,
    Name,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FileVersions {
    Table,
    FileId,
    Version,
    StorageKey,
    Size,
    Sha256,
    ContentType,
    Name,
    CreatedAt,
}
