//! `files.org_id`: the organization that owns a file, if one does (its members reach it by
//! their organization permissions; `owner_id` stays the account that uploaded it). Served by
//! `(org_id, id)`: an organization's files, newest first, and its storage total. No foreign
//! key (SQLite cannot add one to an existing table): deleting an organization deletes its
//! files first, in the same transaction (`plinth_app::Organizations::delete`).

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
                    .table(Files::Table)
                    .add_column(ColumnDef::new(Files::OrgId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_org_id_id")
                    .table(Files::Table)
                    .col(Files::OrgId)
                    .col(Files::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_files_org_id_id")
                    .table(Files::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Files::Table)
                    .drop_column(Files::OrgId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OrgId,
}
