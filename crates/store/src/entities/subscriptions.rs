//! The `subscriptions` table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// `user_id` while live and the account's own, NULL once canceled (unique: one live subscription per user).
    pub live_user_id: Option<Uuid>,
    pub plan_id: Uuid,
    pub price_amount: i64,
    pub price_currency: String,
    pub interval: String,
    pub status: String,
    pub current_period_start: DateTimeUtc,
    pub current_period_end: DateTimeUtc,
    pub billing_anchor: DateTimeUtc,
    pub trial_end: Option<DateTimeUtc>,
    pub cancel_at_period_end: bool,
    pub scheduled_plan_id: Option<Uuid>,
    pub canceled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The organization it belongs to (NULL: the account's own; `user_id` is then the
    /// member answerable for it).
    pub org_id: Option<Uuid>,
    /// `org_id` while live (unique: one live subscription per organization).
    pub live_org_id: Option<Uuid>,
    /// Seats paid for.
    pub quantity: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
