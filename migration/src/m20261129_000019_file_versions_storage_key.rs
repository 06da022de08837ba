//! An index on `file_versions.storage_key`: the storage reconciler asks, in batches of keys
//! listed from the blob store, which ones some file version names.

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
            .create_index(
                Index::create()
                    .name("idx_file_versions_storage_key")
                    .table(FileVersions::Table)
                    .col(FileVersions::StorageKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_file_versions_storage_key")
                    .table(FileVersions::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum FileVersions {
    Table,
    StorageKey,
}
