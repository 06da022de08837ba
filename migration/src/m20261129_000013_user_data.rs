//! `user_data`: one JSON document per user for client apps (`/me/data`), with its entity tag.
//! It disappears with its owner.

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
                    .table(UserData::Table)
                    .col(uuid(UserData::UserId).primary_key())
                    .col(text(UserData::Document))
                    .col(text(UserData::Etag))
                    .col(timestamp_with_time_zone(UserData::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_data_user_id")
                            .from(UserData::Table, UserData::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserData::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum UserData {
    Table,
    UserId,
    Document,
    Etag,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
