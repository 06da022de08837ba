//! Acting for an organization: `sessions.org_id`, the organization a session acts for (every
//! access token it mints carries it), and `token_revocations.org_id`, a revocation of only the
//! user's tokens acting for that organization (their membership there changed or ended). No
//! foreign keys: a session outlives the organization it acted for (its next refresh drops it),
//! and a revocation outlives both.

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
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(ColumnDef::new(Sessions::OrgId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(TokenRevocations::Table)
                    .add_column(ColumnDef::new(TokenRevocations::OrgId).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TokenRevocations::Table)
                    .drop_column(TokenRevocations::OrgId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::OrgId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    OrgId,
}

#[derive(DeriveIden)]
enum TokenRevocations {
    Table,
    OrgId,
}
