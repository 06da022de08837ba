//! One-time tokens (password reset, email verification): `one_time_tokens` rows.

use crate::repos::OneRow as _;
use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};
use plinth_sessions::{OneTimePurpose, OneTimeTokenHash, OneTimeTokenRecord};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::entities::one_time_tokens;
use crate::error::repo_err;
use crate::uow::db_tx;

fn to_domain(row: one_time_tokens::Model) -> Result<OneTimeTokenRecord, RepoError> {
    let purpose = OneTimePurpose::parse(&row.purpose).ok_or_else(|| {
        RepoError::internal(format!("unknown one-time token purpose {:?}", row.purpose))
    })?;
    Ok(OneTimeTokenRecord {
        hash: OneTimeTokenHash(row.hash),
        user_id: UserId::from_uuid(row.user_id),
        purpose,
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
    })
}

/// Inserts `record` inside `tx`.
pub(super) async fn insert(
    tx: &mut dyn Transaction,
    record: &OneTimeTokenRecord,
) -> Result<(), RepoError> {
    let row = one_time_tokens::ActiveModel {
        hash: Set(record.hash.0.clone()),
        user_id: Set(record.user_id.as_uuid()),
        purpose: Set(record.purpose.as_str().to_owned()),
        created_at: Set(record.created_at),
        expires_at: Set(record.expires_at),
        used_at: Set(record.used_at),
    };
    one_time_tokens::Entity::insert(row)
        .exec_without_returning(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(())
}

/// The record with `hash`, if any.
pub(super) async fn by_hash(
    conn: &impl ConnectionTrait,
    hash: &OneTimeTokenHash,
) -> Result<Option<OneTimeTokenRecord>, RepoError> {
    one_time_tokens::Entity::find_by_id(hash.0.clone())
        .one_row(conn)
        .await
        .map_err(repo_err)?
        .map(to_domain)
        .transpose()
}

/// `UPDATE one_time_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL`: the database
/// decides which of two concurrent callers wins.
pub(super) async fn consume(
    tx: &mut dyn Transaction,
    hash: &OneTimeTokenHash,
    at: Timestamp,
) -> Result<bool, RepoError> {
    let result = one_time_tokens::Entity::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::val(at))
        .filter(one_time_tokens::Column::Hash.eq(hash.0.as_str()))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(result.rows_affected == 1)
}

/// `UPDATE one_time_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS
/// NULL`: every outstanding token of the account for `purpose` is spent.
pub(super) async fn spend_all(
    tx: &mut dyn Transaction,
    user_id: UserId,
    purpose: OneTimePurpose,
    at: Timestamp,
) -> Result<u64, RepoError> {
    let result = one_time_tokens::Entity::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::val(at))
        .filter(one_time_tokens::Column::UserId.eq(user_id.as_uuid()))
        .filter(one_time_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(result.rows_affected)
}

/// How many tokens for `purpose` were issued to `user_id` since `since`.
pub(super) async fn issued_since(
    conn: &impl ConnectionTrait,
    user_id: UserId,
    purpose: OneTimePurpose,
    since: Timestamp,
) -> Result<u64, RepoError> {
    one_time_tokens::Entity::find()
        .filter(one_time_tokens::Column::UserId.eq(user_id.as_uuid()))
        .filter(one_time_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_tokens::Column::CreatedAt.gte(since))
        .count(conn)
        .await
        .map_err(repo_err)
}

#[async_trait::async_trait]
impl plinth_sessions::OneTimeTokenRepository for super::SeaSessionRepository {
    async fn insert_one_time(
        &self,
        tx: &mut dyn Transaction,
        record: &OneTimeTokenRecord,
    ) -> Result<(), RepoError> {
        insert(tx, record).await
    }

    async fn one_time_by_hash(
        &self,
        hash: &OneTimeTokenHash,
    ) -> Result<Option<OneTimeTokenRecord>, RepoError> {
        by_hash(&self.conn, hash).await
    }

    async fn consume_one_time(
        &self,
        tx: &mut dyn Transaction,
        hash: &OneTimeTokenHash,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        consume(tx, hash, at).await
    }

    async fn spend_all_one_time(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        purpose: OneTimePurpose,
        at: Timestamp,
    ) -> Result<u64, RepoError> {
        spend_all(tx, user_id, purpose, at).await
    }

    async fn one_time_issued_since(
        &self,
        user_id: UserId,
        purpose: OneTimePurpose,
        since: Timestamp,
    ) -> Result<u64, RepoError> {
        issued_since(&self.conn, user_id, purpose, since).await
    }
}
