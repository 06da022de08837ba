//! The `oauth_flows` table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_flows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider: String,
    #[sea_orm(unique)]
    pub state_hash: String,
    pub nonce_hash: String,
    pub redirect_to: String,
    pub link_user_id: Option<Uuid>,
    pub browser_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub code_hash: Option<String>,
    pub outcome_user_id: Option<Uuid>,
    pub outcome_error: Option<String>,
    pub exchanged_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
