//! `file_shares`: a file's owner shares it with a person by e-mail address (normalised), with a
//! permission `view`, `download` or `edit`. Keyed by address, not by user, so the answer to a
//! share request never reveals whether an account exists, and a share to an address that
//! registers later starts working then. A file's shares go with the file.

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
                    .table(FileShares::Table)
                    .col(uuid(FileShares::FileId))
                    .col(text(FileShares::GranteeEmail))
                    .col(text(FileShares::Permission))
                    .col(timestamp_with_time_zone(FileShares::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_file_shares")
                            .col(FileShares::FileId)
                            .col(FileShares::GranteeEmail),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_file_shares_file_id")
                            .from(FileShares::Table, FileShares::FileId)
                            .to(Files::Table, Files::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_file_shares_grantee_email")
                    .table(FileShares::Table)
                    .col(FileShares::GranteeEmail)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FileShares::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FileShares {
    Table,
    FileId,
    GranteeEmail,
    Permission,
    CreatedAt,
}
