//! `org_invitations`: offers mailed to an address to join an organization with a role. Only
//! the SHA-256 of the link's token is stored (unique: the token is the lookup key).
//! `sent_at` is the last (re)send, which the per-organization hourly cap counts, served with
//! the pending listing by `(org_id, sent_at)`. Invitations go with their organization.

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
                    .table(OrgInvitations::Table)
                    .col(pk_uuid(OrgInvitations::Id))
                    .col(uuid(OrgInvitations::OrgId))
                    .col(text(OrgInvitations::Email))
                    .col(text(OrgInvitations::Role))
                    .col(text_uniq(OrgInvitations::TokenHash))
                    .col(uuid(OrgInvitations::InvitedBy))
                    .col(timestamp_with_time_zone(OrgInvitations::SentAt))
                    .col(timestamp_with_time_zone(OrgInvitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OrgInvitations::AcceptedAt))
                    .col(timestamp_with_time_zone_null(OrgInvitations::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_invitations_org_id")
                            .from(OrgInvitations::Table, OrgInvitations::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_invitations_org_id_sent_at")
                    .table(OrgInvitations::Table)
                    .col(OrgInvitations::OrgId)
                    .col(OrgInvitations::SentAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrgInvitations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrgInvitations {
    Table,
    Id,
    OrgId,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    SentAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}
