//! `organizations`, `org_members` and `org_roles`: the tenants that members act for.
//!
//! - `organizations`: one row each; `created_by` is an id only (no foreign key), so the
//!   organization outlives its creator's account, like audit entries do.
//! - `org_members`: who belongs where, with a role name (`owner`, `admin`, `member` or one of
//!   the organization's custom roles). Keyed by `(org_id, user_id)`; `(user_id, org_id)` serves
//!   "my organizations". A membership goes with its organization and with its account.
//! - `org_roles`: an organization's custom roles, keyed by `(org_id, name)`, their permissions
//!   space-separated (permission names hold no space). They go with their organization.

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
                    .table(Organizations::Table)
                    .col(pk_uuid(Organizations::Id))
                    .col(text(Organizations::Name))
                    .col(uuid(Organizations::CreatedBy))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgMembers::Table)
                    .col(uuid(OrgMembers::OrgId))
                    .col(uuid(OrgMembers::UserId))
                    .col(text(OrgMembers::Role))
                    .col(timestamp_with_time_zone(OrgMembers::JoinedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_org_members")
                            .col(OrgMembers::OrgId)
                            .col(OrgMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_members_org_id")
                            .from(OrgMembers::Table, OrgMembers::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_members_user_id")
                            .from(OrgMembers::Table, OrgMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_members_user_id")
                    .table(OrgMembers::Table)
                    .col(OrgMembers::UserId)
                    .col(OrgMembers::OrgId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgRoles::Table)
                    .col(uuid(OrgRoles::OrgId))
                    .col(text(OrgRoles::Name))
                    .col(text(OrgRoles::Permissions))
                    .primary_key(
                        Index::create()
                            .name("pk_org_roles")
                            .col(OrgRoles::OrgId)
                            .col(OrgRoles::Name),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_roles_org_id")
                            .from(OrgRoles::Table, OrgRoles::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrgRoles::Table.into_iden(),
            OrgMembers::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrgMembers {
    Table,
    OrgId,
    UserId,
    Role,
    JoinedAt,
}

#[derive(DeriveIden)]
enum OrgRoles {
    Table,
    OrgId,
    Name,
    Permissions,
}
