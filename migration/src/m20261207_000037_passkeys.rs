//! Passkeys: `passkey_ceremonies`, one row per started WebAuthn ceremony (its token stored only
//! as a SHA-256 hash, its state holding the challenge, spent once, expiring after minutes), so
//! any replica finishes a ceremony another started; and `passkeys`, the registered credentials,
//! unique per credential id. Both disappear with their account.

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
                    .table(PasskeyCeremonies::Table)
                    .col(uuid(PasskeyCeremonies::Id).primary_key())
                    .col(text(PasskeyCeremonies::TokenHash).unique_key())
                    .col(text(PasskeyCeremonies::Purpose))
                    .col(uuid_null(PasskeyCeremonies::UserId))
                    .col(text(PasskeyCeremonies::State))
                    .col(timestamp_with_time_zone(PasskeyCeremonies::CreatedAt))
                    .col(timestamp_with_time_zone(PasskeyCeremonies::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasskeyCeremonies::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_passkey_ceremonies_user_id")
                            .from(PasskeyCeremonies::Table, PasskeyCeremonies::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Pruning by expiry, and the foreign key's cascade on account deletion.
        for (name, column) in [
            (
                "idx_passkey_ceremonies_expires_at",
                PasskeyCeremonies::ExpiresAt,
            ),
            ("idx_passkey_ceremonies_user_id", PasskeyCeremonies::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PasskeyCeremonies::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .col(uuid(Passkeys::Id).primary_key())
                    .col(uuid(Passkeys::UserId))
                    .col(text(Passkeys::CredentialId).unique_key())
                    .col(text(Passkeys::Credential))
                    .col(text(Passkeys::Name))
                    .col(timestamp_with_time_zone(Passkeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(Passkeys::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_passkeys_user_id")
                            .from(Passkeys::Table, Passkeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passkeys_user_id")
                    .table(Passkeys::Table)
                    .col(Passkeys::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Passkeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PasskeyCeremonies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PasskeyCeremonies {
    Table,
    Id,
    TokenHash,
    Purpose,
    UserId,
    State,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Passkeys {
    Table,
    Id,
    UserId,
    CredentialId,
    Credential,
    Name,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
