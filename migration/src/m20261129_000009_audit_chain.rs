//! `audit_events.seq`: the position of each entry in the audit hash chain (unique, not null).
//!
//! Entries written before this migration are numbered 1, 2, 3… in id order (UUIDv7, so the
//! order they were written in) and keep their `prev_hash` and `hash` as they were (`NULL`):
//! they are *legacy* entries, which verification skips while they form the start of the log.
//! The chain begins at the first entry appended afterwards, whose `prev_hash` is the genesis
//! hash. Recomputing hashes here would need the audit crate's canonical form inside a
//! migration, which must not depend on code that can change after it ships.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SEQ_INDEX: &str = "uq_audit_events_seq";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on every backend (SQLite too): a crash never leaves half a migration.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds a NOT NULL column only with a default; every row gets a real value next.
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(
                        ColumnDef::new(AuditEvents::Seq)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        // seq = how many entries have an id up to this one's: 1, 2, 3… in id order.
        let earlier = Alias::new("earlier");
        let rank = Query::select()
            .expr(Expr::col((earlier.clone(), AuditEvents::Id)).count())
            .from_as(AuditEvents::Table, earlier.clone())
            .and_where(
                Expr::col((earlier, AuditEvents::Id))
                    .lte(Expr::col((AuditEvents::Table, AuditEvents::Id))),
            )
            .to_owned();
        let number = Query::update()
            .table(AuditEvents::Table)
            .value(AuditEvents::Seq, SubQueryStatement::from(rank))
            .to_owned();
        manager.exec_stmt(number).await?;
        manager
            .create_index(
                Index::create()
                    .name(SEQ_INDEX)
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(SEQ_INDEX)
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .drop_column(AuditEvents::Seq)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    Seq,
}
