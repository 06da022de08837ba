//! `permissions`, `roles` and `role_permissions`: the permission names of the contract, the
//! roles (built-in and custom) with their rank, and which role holds which permission. Seeded
//! with the built-in roles exactly as the contract defines them:
//!
//! - `user` (rank 0): no permission;
//! - `admin` (rank 1): `users:read`, `audit:read`, `stats:read`, `users:write`,
//!   `billing:write`, `announcements:write`;
//! - `super_admin` (rank 2): all of them and `roles:write`.
//!
//! `users.role` must then name a stored role: a foreign key on PostgreSQL; on SQLite (which
//! cannot add a constraint to an existing table without rebuilding it, and a rebuild of `users`
//! would cascade into every table referring to it) two triggers refusing an insert or update
//! naming no role, with the message SQLite uses for a foreign-key failure. A role some user
//! already holds that is not built in (none could be assigned before this migration, but a
//! hand-edited database may have one) is stored first as a custom role without permissions,
//! which is what it granted until now.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every permission of the contract, with what it allows.
const PERMISSIONS: &[(&str, &str)] = &[
    ("announcements:write", "Broadcast announcements"),
    ("audit:read", "Read and verify the audit trail"),
    ("billing:write", "Manage plans and invoices"),
    ("roles:write", "Create custom roles"),
    ("stats:read", "Read statistics"),
    ("users:read", "List and read user accounts"),
    ("users:write", "Change and delete user accounts"),
];

/// The built-in roles: name, rank, permissions.
const BUILT_IN: &[(&str, i32, &[&str])] = &[
    ("user", 0, &[]),
    (
        "admin",
        1,
        &[
            "users:read",
            "audit:read",
            "stats:read",
            "users:write",
            "billing:write",
            "announcements:write",
        ],
    ),
    (
        "super_admin",
        2,
        &[
            "users:read",
            "audit:read",
            "stats:read",
            "users:write",
            "billing:write",
            "announcements:write",
            "roles:write",
        ],
    ),
];

/// The message of the SQLite triggers: the one SQLite gives for a foreign-key failure, so the
/// store maps both backends' refusals alike.
const SQLITE_ROLE_FK_MESSAGE: &str = "FOREIGN KEY constraint failed: users.role";

fn sqlite_triggers() -> Vec<String> {
    let trigger = |op: &str, event: &str| {
        format!(
            "CREATE TRIGGER trg_users_role_exists_{op} BEFORE {event} ON users FOR EACH ROW \
             WHEN NOT EXISTS (SELECT 1 FROM roles WHERE name = NEW.role) \
             BEGIN SELECT RAISE(ABORT, '{SQLITE_ROLE_FK_MESSAGE}'); END"
        )
    };
    vec![
        trigger("insert", "INSERT"),
        trigger("update", "UPDATE OF role"),
    ]
}

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
                    .table(Permissions::Table)
                    .col(text(Permissions::Name).primary_key())
                    .col(text(Permissions::Description))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(text(Roles::Name).primary_key())
                    .col(integer(Roles::Rank))
                    .col(boolean(Roles::BuiltIn))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolePermissions::Table)
                    .col(text(RolePermissions::Role))
                    .col(text(RolePermissions::Permission))
                    .primary_key(
                        Index::create()
                            .name("pk_role_permissions")
                            .col(RolePermissions::Role)
                            .col(RolePermissions::Permission),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_permissions_role")
                            .from(RolePermissions::Table, RolePermissions::Role)
                            .to(Roles::Table, Roles::Name)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_permissions_permission")
                            .from(RolePermissions::Table, RolePermissions::Permission)
                            .to(Permissions::Table, Permissions::Name),
                    )
                    .to_owned(),
            )
            .await?;
        seed(manager).await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                let conn = manager.get_connection();
                for sql in sqlite_triggers() {
                    conn.execute_unprepared(&sql).await?;
                }
            }
            _ => {
                manager
                    .create_foreign_key(
                        ForeignKey::create()
                            .name("fk_users_role")
                            .from(Users::Table, Users::Role)
                            .to(Roles::Table, Roles::Name)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                let conn = manager.get_connection();
                for op in ["insert", "update"] {
                    conn.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS trg_users_role_exists_{op}"
                    ))
                    .await?;
                }
            }
            _ => {
                manager
                    .drop_foreign_key(
                        ForeignKey::drop()
                            .name("fk_users_role")
                            .table(Users::Table)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        for table in [
            RolePermissions::Table.into_iden(),
            Roles::Table.into_iden(),
            Permissions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The permissions, the built-in roles and their grants, and any other role users hold.
async fn seed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut permissions = Query::insert()
        .into_table(Permissions::Table)
        .columns([Permissions::Name, Permissions::Description])
        .to_owned();
    for (name, description) in PERMISSIONS {
        permissions.values_panic([(*name).into(), (*description).into()]);
    }
    manager.exec_stmt(permissions).await?;

    let mut roles = Query::insert()
        .into_table(Roles::Table)
        .columns([Roles::Name, Roles::Rank, Roles::BuiltIn, Roles::CreatedAt])
        .to_owned();
    let mut grants = Query::insert()
        .into_table(RolePermissions::Table)
        .columns([RolePermissions::Role, RolePermissions::Permission])
        .to_owned();
    for (name, rank, perms) in BUILT_IN {
        roles.values_panic([
            (*name).into(),
            (*rank).into(),
            true.into(),
            Expr::current_timestamp(),
        ]);
        for permission in *perms {
            grants.values_panic([(*name).into(), (*permission).into()]);
        }
    }
    manager.exec_stmt(roles).await?;
    manager.exec_stmt(grants).await?;

    let held = Query::insert()
        .into_table(Roles::Table)
        .columns([Roles::Name, Roles::Rank, Roles::BuiltIn, Roles::CreatedAt])
        .select_from(
            Query::select()
                .distinct()
                .column(Users::Role)
                .expr(Expr::val(0))
                .expr(Expr::val(false))
                .expr(Expr::current_timestamp())
                .from(Users::Table)
                .and_where(
                    Expr::col(Users::Role).not_in_subquery(
                        Query::select()
                            .column(Roles::Name)
                            .from(Roles::Table)
                            .to_owned(),
                    ),
                )
                .to_owned(),
        )
        .map_err(|e| DbErr::Migration(e.to_string()))?
        .to_owned();
    manager.exec_stmt(held).await
}

#[derive(DeriveIden)]
enum Permissions {
    Table,
    Name,
    Description,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Name,
    Rank,
    BuiltIn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    Role,
    Permission,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Role,
}
