//! The transactional outbox: `events`, one row per domain event, written in the transaction of
//! the change it reports. `id` is the event's position, assigned one more than the newest under
//! the audit chain's lock so positions follow commit order without gaps (not an
//! auto-increment, whose values are taken at insert time and commit in any order). The
//! audience columns say who may see it (`audience_user`; `audience_members` = `*` or an
//! organization permission, for the members of `org_id`; `audience_everyone`). Rows older than
//! `EVENT_RETENTION` are purged, the newest always kept.

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
                    .table(Events::Table)
                    .col(big_integer(Events::Id).primary_key())
                    .col(text(Events::EventType))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(uuid_null(Events::ActorId))
                    .col(uuid_null(Events::OrgId))
                    .col(text(Events::ResourceType))
                    .col(text(Events::ResourceId))
                    .col(json(Events::Data))
                    .col(uuid_null(Events::AudienceUser))
                    .col(text_null(Events::AudienceMembers))
                    .col(boolean(Events::AudienceEveryone))
                    .to_owned(),
            )
            .await?;
        // The retention purge deletes by age.
        manager
            .create_index(
                Index::create()
                    .name("idx_events_occurred_at")
                    .table(Events::Table)
                    .col(Events::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    EventType,
    OccurredAt,
    ActorId,
    OrgId,
    ResourceType,
    ResourceId,
    Data,
    AudienceUser,
    AudienceMembers,
    AudienceEveryone,
}
