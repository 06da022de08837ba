//! `passwordless_requests`: one row per passwordless sign-in mail, holding its two secrets
//! hashed (the link token's SHA-256, unique; the code's HMAC), the address it went to, the
//! account of that address if there was one (none for a sign-up; the row disappears with the
//! account), its expiry, when it ended and how many wrong codes it took. Not in
//! `one_time_tokens`: a sign-up request has no account to reference, and the two secrets end
//! together.

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
                    .table(PasswordlessRequests::Table)
                    .col(uuid(PasswordlessRequests::Id).primary_key())
                    .col(text(PasswordlessRequests::Email))
                    .col(uuid_null(PasswordlessRequests::UserId))
                    .col(text(PasswordlessRequests::LinkHash).unique_key())
                    .col(text(PasswordlessRequests::CodeHash))
                    .col(timestamp_with_time_zone(PasswordlessRequests::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordlessRequests::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordlessRequests::UsedAt))
                    .col(integer(PasswordlessRequests::WrongCodes).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_passwordless_requests_user_id")
                            .from(PasswordlessRequests::Table, PasswordlessRequests::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Serves the per-address cap and the open requests of an address.
        manager
            .create_index(
                Index::create()
                    .name("idx_passwordless_requests_email_created")
                    .table(PasswordlessRequests::Table)
                    .col(PasswordlessRequests::Email)
                    .col(PasswordlessRequests::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // The foreign key's cascade on account deletion.
        manager
            .create_index(
                Index::create()
                    .name("idx_passwordless_requests_user_id")
                    .table(PasswordlessRequests::Table)
                    .col(PasswordlessRequests::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordlessRequests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PasswordlessRequests {
    Table,
    Id,
    Email,
    UserId,
    LinkHash,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    WrongCodes,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
