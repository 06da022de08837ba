//! `file_org_shares`: a file's owner shares it with a whole organization, with a permission
//! `view`, `download` or `edit`; its members reach it while their token acts for that
//! organization (and lets them read its files). Keyed by file and organization, whether or not
//! the organization exists (the answer never says). Served by `(org_id, file_id)`: the files
//! shared with an organization, and its deletion. A file's shares go with the file.

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
                    .table(FileOrgShares::Table)
                    .col(uuid(FileOrgShares::FileId))
                    .col(uuid(FileOrgShares::OrgId))
                    .col(text(FileOrgShares::Permission))
                    .col(timestamp_with_time_zone(FileOrgShares::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_file_org_shares")
                            .col(FileOrgShares::FileId)
                            .col(FileOrgShares::OrgId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_file_org_shares_file_id")
                            .from(FileOrgShares::Table, FileOrgShares::FileId)
                            .to(Files::Table, Files::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_file_org_shares_org_id_file_id")
                    .table(FileOrgShares::Table)
                    .col(FileOrgShares::OrgId)
                    .col(FileOrgShares::FileId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FileOrgShares::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FileOrgShares {
    Table,
    FileId,
    OrgId,
    Permission,
    CreatedAt,
}
