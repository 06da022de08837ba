//! The `events` table: the transactional outbox.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// The event's position: one more than the newest, assigned under the audit chain's lock.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub event_type: String,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub resource_type: String,
    pub resource_id: String,
    pub data: Json,
    pub audience_user: Option<Uuid>,
    /// `*` (any member of `org_id`) or an organization permission.
    pub audience_members: Option<String>,
    pub audience_everyone: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
