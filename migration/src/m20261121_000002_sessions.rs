//! `sessions` (one signed-in device, a refresh-token family) and `refresh_tokens` (SHA-256
//! hashes of refresh secrets, single use). Both disappear with their owner.

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
                    .table(Sessions::Table)
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastUsedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(text_null(Sessions::Ip))
                    .col(text_null(Sessions::UserAgent))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user_id")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(text(RefreshTokens::Hash).primary_key())
                    .col(uuid(RefreshTokens::SessionId))
                    .col(timestamp_with_time_zone(RefreshTokens::IssuedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::SpentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_session_id")
                            .from(RefreshTokens::Table, RefreshTokens::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_tokens_session_id")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::SessionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshTokens::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Hash,
    SessionId,
    IssuedAt,
    ExpiresAt,
    SpentAt,
}
