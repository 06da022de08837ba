//! The `audit_events` table.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: Json,
    /// The organization the entry belongs to, if any.
    pub org_id: Option<Uuid>,
    /// The predecessor's hash (the genesis hash for the first chained entry); `NULL` only on
    /// legacy entries written before the chain existed.
    pub prev_hash: Option<String>,
    /// The chain hash of this entry; `NULL` only on legacy entries.
    pub hash: Option<String>,
    /// Position in the chain, 1, 2, 3… with no gap (unique).
    pub seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
