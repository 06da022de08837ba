//! `totp_factors`: each user's TOTP enrolment. The secret is stored sealed (AES-256-GCM, bound
//! to the user), the last accepted step stops a code from working twice, and the recovery codes
//! are kept only as SHA-256 hashes (a JSON array). It disappears with its owner.

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
                    .table(TotpFactors::Table)
                    .col(uuid(TotpFactors::UserId).primary_key())
                    .col(text(TotpFactors::SealedSecret))
                    .col(timestamp_with_time_zone(TotpFactors::CreatedAt))
                    .col(timestamp_with_time_zone_null(TotpFactors::ActivatedAt))
                    .col(big_integer_null(TotpFactors::LastStep))
                    .col(text(TotpFactors::RecoveryCodes))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_totp_factors_user_id")
                            .from(TotpFactors::Table, TotpFactors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TotpFactors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TotpFactors {
    Table,
    UserId,
    SealedSecret,
    CreatedAt,
    ActivatedAt,
    LastStep,
    RecoveryCodes,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
