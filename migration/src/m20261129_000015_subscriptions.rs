//! Subscriptions and what hangs off them:
//! - `subscriptions`: one row per subscription, with the price it pays (so a plan's new price
//!   never changes an existing subscription). `live_user_id` equals `user_id` while the
//!   subscription is live and is NULL once it is canceled; its unique index allows one live
//!   subscription per user (NULLs never collide), without a partial index.
//! - `subscription_renewals`: one row per started period, unique on
//!   `(subscription_id, period_start)`, so a second renewal run cannot bill a period twice.
//! - `billing_pending_items`: proration charges and credits waiting for the next invoice.
//! - `plan_prices`: every price a plan has had (a new row per price change).

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
                    .table(Subscriptions::Table)
                    .col(pk_uuid(Subscriptions::Id))
                    .col(uuid(Subscriptions::UserId))
                    .col(uuid_null(Subscriptions::LiveUserId))
                    .col(uuid(Subscriptions::PlanId))
                    .col(big_integer(Subscriptions::PriceAmount))
                    .col(string_len(Subscriptions::PriceCurrency, 3))
                    .col(text(Subscriptions::Interval))
                    .col(text(Subscriptions::Status))
                    .col(timestamp_with_time_zone(Subscriptions::CurrentPeriodStart))
                    .col(timestamp_with_time_zone(Subscriptions::CurrentPeriodEnd))
                    .col(timestamp_with_time_zone(Subscriptions::BillingAnchor))
                    .col(timestamp_with_time_zone_null(Subscriptions::TrialEnd))
                    .col(boolean(Subscriptions::CancelAtPeriodEnd))
                    .col(uuid_null(Subscriptions::ScheduledPlanId))
                    .col(timestamp_with_time_zone_null(Subscriptions::CanceledAt))
                    .col(timestamp_with_time_zone(Subscriptions::CreatedAt))
                    .col(timestamp_with_time_zone(Subscriptions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscriptions_user_id")
                            .from(Subscriptions::Table, Subscriptions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscriptions_plan_id")
                            .from(Subscriptions::Table, Subscriptions::PlanId)
                            .to(Plans::Table, Plans::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscriptions_scheduled_plan_id")
                            .from(Subscriptions::Table, Subscriptions::ScheduledPlanId)
                            .to(Plans::Table, Plans::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_subscriptions_live_user_id")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::LiveUserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_user_id")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_status_period_end")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::Status)
                    .col(Subscriptions::CurrentPeriodEnd)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SubscriptionRenewals::Table)
                    .col(uuid(SubscriptionRenewals::SubscriptionId))
                    .col(timestamp_with_time_zone(SubscriptionRenewals::PeriodStart))
                    .col(timestamp_with_time_zone(SubscriptionRenewals::RenewedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_subscription_renewals_subscription_id")
                            .from(
                                SubscriptionRenewals::Table,
                                SubscriptionRenewals::SubscriptionId,
                            )
                            .to(Subscriptions::Table, Subscriptions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_subscription_renewals_period")
                    .table(SubscriptionRenewals::Table)
                    .col(SubscriptionRenewals::SubscriptionId)
                    .col(SubscriptionRenewals::PeriodStart)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BillingPendingItems::Table)
                    .col(pk_uuid(BillingPendingItems::Id))
                    .col(uuid(BillingPendingItems::SubscriptionId))
                    .col(uuid(BillingPendingItems::UserId))
                    .col(text(BillingPendingItems::Description))
                    .col(big_integer(BillingPendingItems::Amount))
                    .col(string_len(BillingPendingItems::Currency, 3))
                    .col(timestamp_with_time_zone(BillingPendingItems::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        BillingPendingItems::InvoicedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_billing_pending_items_subscription_id")
                            .from(
                                BillingPendingItems::Table,
                                BillingPendingItems::SubscriptionId,
                            )
                            .to(Subscriptions::Table, Subscriptions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_billing_pending_items_subscription_id")
                    .table(BillingPendingItems::Table)
                    .col(BillingPendingItems::SubscriptionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlanPrices::Table)
                    .col(pk_uuid(PlanPrices::Id))
                    .col(uuid(PlanPrices::PlanId))
                    .col(integer(PlanPrices::Version))
                    .col(big_integer(PlanPrices::Amount))
                    .col(string_len(PlanPrices::Currency, 3))
                    .col(text(PlanPrices::Interval))
                    .col(timestamp_with_time_zone(PlanPrices::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plan_prices_plan_id")
                            .from(PlanPrices::Table, PlanPrices::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_plan_prices_version")
                    .table(PlanPrices::Table)
                    .col(PlanPrices::PlanId)
                    .col(PlanPrices::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlanPrices::Table.into_iden(),
            BillingPendingItems::Table.into_iden(),
            SubscriptionRenewals::Table.into_iden(),
            Subscriptions::Table.into_iden(),
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
enum Plans {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    UserId,
    LiveUserId,
    PlanId,
    PriceAmount,
    PriceCurrency,
    Interval,
    Status,
    CurrentPeriodStart,
    CurrentPeriodEnd,
    BillingAnchor,
    TrialEnd,
    CancelAtPeriodEnd,
    ScheduledPlanId,
    CanceledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SubscriptionRenewals {
    Table,
    SubscriptionId,
    PeriodStart,
    RenewedAt,
}

#[derive(DeriveIden)]
enum BillingPendingItems {
    Table,
    Id,
    SubscriptionId,
    UserId,
    Description,
    Amount,
    Currency,
    CreatedAt,
    InvoicedAt,
}

#[derive(DeriveIden)]
enum PlanPrices {
    Table,
    Id,
    PlanId,
    Version,
    Amount,
    Currency,
    Interval,
    CreatedAt,
}
