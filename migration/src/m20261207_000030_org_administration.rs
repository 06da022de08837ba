//! Administering organizations: `organizations.suspended_at` (set while an administrator has
//! suspended it), and the global permissions `orgs:read` (list, search and inspect every
//! organization) and `orgs:write` (suspend and reinstate one), granted to `admin` and
//! `super_admin`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The new permissions and their descriptions.
const PERMISSIONS: &[(&str, &str)] = &[
    ("orgs:read", "List, search and inspect every organization"),
    ("orgs:write", "Suspend and reinstate organizations"),
];

/// The built-in roles that get them.
const GRANTED_TO: &[&str] = &["admin", "super_admin"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on every backend (SQLite too): a crash never leaves half a migration.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(
                        ColumnDef::new(Organizations::SuspendedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        let mut permissions = Query::insert()
            .into_table(Permissions::Table)
            .columns([Permissions::Name, Permissions::Description])
            .to_owned();
        let mut grants = Query::insert()
            .into_table(RolePermissions::Table)
            .columns([RolePermissions::Role, RolePermissions::Permission])
            .to_owned();
        for (name, description) in PERMISSIONS {
            permissions.values_panic([(*name).into(), (*description).into()]);
            for role in GRANTED_TO {
                grants.values_panic([(*role).into(), (*name).into()]);
            }
        }
        manager.exec_stmt(permissions).await?;
        manager.exec_stmt(grants).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let names: Vec<&str> = PERMISSIONS.iter().map(|(name, _)| *name).collect();
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(RolePermissions::Table)
                    .and_where(Expr::col(RolePermissions::Permission).is_in(names.clone()))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Permissions::Table)
                    .and_where(Expr::col(Permissions::Name).is_in(names))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::SuspendedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    SuspendedAt,
}

#[derive(DeriveIden)]
enum Permissions {
    Table,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    Role,
    Permission,
}
