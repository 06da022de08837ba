//! Social sign-in: `oauth_flows`, one row per sign-in or link flow with a provider (its `state`
//! and `nonce` stored only as SHA-256 hashes; the PKCE verifier is derived from the `state`
//! and never stored), spent once at the callback, then carrying the outcome and the hash of
//! the one-time exchange code (a flow started by a browser navigation also keeps the hash of a
//! secret that browser holds in a cookie); and `user_identities`, the provider identities linked to an
//! account, unique per `(provider, subject)`. Both disappear with their account.

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
                    .table(OauthFlows::Table)
                    .col(uuid(OauthFlows::Id).primary_key())
                    .col(text(OauthFlows::Provider))
                    .col(text(OauthFlows::StateHash).unique_key())
                    .col(text(OauthFlows::NonceHash))
                    .col(text(OauthFlows::RedirectTo))
                    .col(uuid_null(OauthFlows::LinkUserId))
                    .col(text_null(OauthFlows::BrowserHash))
                    .col(timestamp_with_time_zone(OauthFlows::CreatedAt))
                    .col(timestamp_with_time_zone(OauthFlows::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthFlows::UsedAt))
                    .col(text_null(OauthFlows::CodeHash).unique_key())
                    .col(uuid_null(OauthFlows::OutcomeUserId))
                    .col(text_null(OauthFlows::OutcomeError))
                    .col(timestamp_with_time_zone_null(OauthFlows::ExchangedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_flows_link_user_id")
                            .from(OauthFlows::Table, OauthFlows::LinkUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_flows_outcome_user_id")
                            .from(OauthFlows::Table, OauthFlows::OutcomeUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The foreign keys' cascades on account deletion, and pruning by expiry.
        for (name, column) in [
            ("idx_oauth_flows_expires_at", OauthFlows::ExpiresAt),
            ("idx_oauth_flows_link_user_id", OauthFlows::LinkUserId),
            ("idx_oauth_flows_outcome_user_id", OauthFlows::OutcomeUserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OauthFlows::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(UserIdentities::Table)
                    .col(uuid(UserIdentities::Id).primary_key())
                    .col(uuid(UserIdentities::UserId))
                    .col(text(UserIdentities::Provider))
                    .col(text(UserIdentities::Subject))
                    .col(text_null(UserIdentities::Email))
                    .col(timestamp_with_time_zone(UserIdentities::CreatedAt))
                    .col(text_null(UserIdentities::SignupPasswordHash))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_identities_user_id")
                            .from(UserIdentities::Table, UserIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_identities_provider_subject")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::Provider)
                    .col(UserIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_identities_user_id")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserIdentities::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OauthFlows::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OauthFlows {
    Table,
    Id,
    Provider,
    StateHash,
    NonceHash,
    RedirectTo,
    LinkUserId,
    BrowserHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    CodeHash,
    OutcomeUserId,
    OutcomeError,
    ExchangedAt,
}

#[derive(DeriveIden)]
enum UserIdentities {
    Table,
    Id,
    UserId,
    Provider,
    Subject,
    Email,
    CreatedAt,
    SignupPasswordHash,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
