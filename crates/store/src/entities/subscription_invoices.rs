//! The `subscription_invoices` table (primary key `(subscription_id, period_start)`, unique
//! `invoice_id`).
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: DateTimeUtc,
    pub invoice_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
