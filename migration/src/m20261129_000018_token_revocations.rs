//! `token_revocations`: every revocation of access tokens (one session, or all of a user's),
//! written in the transaction that revokes, so each replica can reload the recent ones
//! periodically and refuse revoked access tokens without a query per request. Rows are pruned
//! once older than an access-token lifetime. No foreign key: a deleted user's revocation must
//! outlive the user.

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
                    .table(TokenRevocations::Table)
                    .col(pk_uuid(TokenRevocations::Id))
                    .col(uuid(TokenRevocations::UserId))
                    .col(uuid_null(TokenRevocations::SessionId))
                    .col(timestamp_with_time_zone(TokenRevocations::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_token_revocations_at")
                    .table(TokenRevocations::Table)
                    .col(TokenRevocations::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TokenRevocations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TokenRevocations {
    Table,
    Id,
    UserId,
    SessionId,
    At,
}
