//! `audit_events`: the append-only audit trail. `actor_id` has no foreign key on purpose:
//! entries outlive the accounts they mention. `prev_hash` and `hash` are reserved for the hash
//! chain (issue #3), so adding it needs no table rewrite.

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
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(text(AuditEvents::Action))
                    .col(text_null(AuditEvents::TargetType))
                    .col(text_null(AuditEvents::TargetId))
                    .col(text_null(AuditEvents::Ip))
                    .col(text_null(AuditEvents::UserAgent))
                    .col(text_null(AuditEvents::RequestId))
                    .col(json(AuditEvents::Details))
                    .col(text_null(AuditEvents::PrevHash))
                    .col(text_null(AuditEvents::Hash))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            ("idx_audit_events_actor_id", AuditEvents::ActorId),
            ("idx_audit_events_action", AuditEvents::Action),
            ("idx_audit_events_target_id", AuditEvents::TargetId),
            ("idx_audit_events_at", AuditEvents::At),
        ];
        for (name, col) in indexes {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Ip,
    UserAgent,
    RequestId,
    Details,
    PrevHash,
    Hash,
}
