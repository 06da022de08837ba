//! `users`: accounts. Emails are stored normalised (trimmed, lower case) by the application,
//! so a plain unique index is a case-insensitive uniqueness guarantee.

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
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(text(Users::Email))
                    .col(text(Users::Name))
                    .col(text(Users::Role))
                    .col(text(Users::Status))
                    .col(boolean(Users::EmailVerified))
                    .col(text_null(Users::AvatarKey))
                    .col(text(Users::PasswordHash))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_users_email")
                    .table(Users::Table)
                    .col(Users::Email)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    Status,
    EmailVerified,
    AvatarKey,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}
