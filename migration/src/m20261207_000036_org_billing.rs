//! Organization billing:
//! - `subscriptions.org_id`: the organization a subscription belongs to (NULL: the account's
//!   own); `user_id` is then the member answerable for it (who subscribed, or the member it
//!   was handed to when they left). `live_org_id` equals `org_id` while such a subscription is
//!   live (its unique index: one live subscription per organization, as `live_user_id` is
//!   per account; an organization's subscription leaves `live_user_id` NULL, so a member can
//!   have their own beside it). `quantity`: the seats paid for (1 for an account's own).
//! - `invoices.org_id`: the organization an invoice is addressed to (NULL: the account's own),
//!   served by `(org_id, id)` for the organization's listing.
//! - `organizations.billing_name` / `billing_email`: who the organization's invoices are
//!   addressed to (NULL: the organization's name, and its longest-standing owner's address).
//!
//! No foreign keys on the new columns (SQLite cannot add one to an existing table): deleting
//! an organization ends its subscription in the same transaction, and invoices are
//! accounting records that outlive the organization.

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
        // One column per statement: SQLite alters one thing at a time.
        let add = |table: DynIden, column: ColumnDef| {
            Table::alter().table(table).add_column(column).to_owned()
        };
        let columns = [
            add(
                Subscriptions::Table.into_iden(),
                ColumnDef::new(Subscriptions::OrgId)
                    .uuid()
                    .null()
                    .to_owned(),
            ),
            add(
                Subscriptions::Table.into_iden(),
                ColumnDef::new(Subscriptions::LiveOrgId)
                    .uuid()
                    .null()
                    .to_owned(),
            ),
            add(
                Subscriptions::Table.into_iden(),
                ColumnDef::new(Subscriptions::Quantity)
                    .integer()
                    .not_null()
                    .default(1)
                    .to_owned(),
            ),
            add(
                Invoices::Table.into_iden(),
                ColumnDef::new(Invoices::OrgId).uuid().null().to_owned(),
            ),
            add(
                Organizations::Table.into_iden(),
                ColumnDef::new(Organizations::BillingName)
                    .text()
                    .null()
                    .to_owned(),
            ),
            add(
                Organizations::Table.into_iden(),
                ColumnDef::new(Organizations::BillingEmail)
                    .text()
                    .null()
                    .to_owned(),
            ),
        ];
        for statement in columns {
            manager.alter_table(statement).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("uq_subscriptions_live_org_id")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::LiveOrgId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_org_id")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::OrgId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoices_org_id_id")
                    .table(Invoices::Table)
                    .col(Invoices::OrgId)
                    .col(Invoices::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_invoices_org_id_id", Invoices::Table.into_iden()),
            ("idx_subscriptions_org_id", Subscriptions::Table.into_iden()),
            (
                "uq_subscriptions_live_org_id",
                Subscriptions::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        let drop = |table: DynIden, column: DynIden| {
            Table::alter().table(table).drop_column(column).to_owned()
        };
        for statement in [
            drop(
                Organizations::Table.into_iden(),
                Organizations::BillingEmail.into_iden(),
            ),
            drop(
                Organizations::Table.into_iden(),
                Organizations::BillingName.into_iden(),
            ),
            drop(Invoices::Table.into_iden(), Invoices::OrgId.into_iden()),
            drop(
                Subscriptions::Table.into_iden(),
                Subscriptions::Quantity.into_iden(),
            ),
            drop(
                Subscriptions::Table.into_iden(),
                Subscriptions::LiveOrgId.into_iden(),
            ),
            drop(
                Subscriptions::Table.into_iden(),
                Subscriptions::OrgId.into_iden(),
            ),
        ] {
            manager.alter_table(statement).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    OrgId,
    LiveOrgId,
    Quantity,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    OrgId,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    BillingName,
    BillingEmail,
}
