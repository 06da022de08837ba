//! TOTP factors: `totp_factors` rows.

use crate::repos::OneRow as _;
use plinth_kernel::{RepoError, Transaction, UserId};
use plinth_sessions::{RecoveryCodeHash, RecoveryCodeSet, TotpFactor};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::totp_factors;
use crate::error::repo_err;
use crate::uow::db_tx;

fn to_domain(row: totp_factors::Model) -> Result<TotpFactor, RepoError> {
    let hashes: Vec<String> = serde_json::from_str(&row.recovery_codes)
        .map_err(|e| RepoError::internal(format!("totp_factors.recovery_codes: {e}")))?;
    let last_step = row
        .last_step
        .map(u64::try_from)
        .transpose()
        .map_err(|e| RepoError::internal(format!("totp_factors.last_step: {e}")))?;
    Ok(TotpFactor {
        user_id: UserId::from_uuid(row.user_id),
        sealed_secret: row.sealed_secret,
        created_at: row.created_at,
        activated_at: row.activated_at,
        last_step,
        recovery: RecoveryCodeSet::from_hashes(hashes.into_iter().map(RecoveryCodeHash).collect()),
    })
}

/// The factor of `user_id` read through `conn`.
pub(super) async fn read(
    conn: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Option<TotpFactor>, RepoError> {
    totp_factors::Entity::find_by_id(user_id.as_uuid())
        .one_row(conn)
        .await
        .map_err(repo_err)?
        .map(to_domain)
        .transpose()
}

/// A no-op `UPDATE` of the row first: it takes the row lock on PostgreSQL (the write lock on
/// SQLite), so concurrent checks of a code queue here and each reads what the previous wrote.
pub(super) async fn read_for_update(
    tx: &mut dyn Transaction,
    user_id: UserId,
) -> Result<Option<TotpFactor>, RepoError> {
    let conn = db_tx(tx)?;
    totp_factors::Entity::update_many()
        .col_expr(
            totp_factors::Column::LastStep,
            Expr::col(totp_factors::Column::LastStep),
        )
        .filter(totp_factors::Column::UserId.eq(user_id.as_uuid()))
        .exec(conn)
        .await
        .map_err(repo_err)?;
    read(conn, user_id).await
}

/// Replaces the factor of its user (delete, then insert, in `tx`).
pub(super) async fn put(tx: &mut dyn Transaction, factor: &TotpFactor) -> Result<(), RepoError> {
    let conn = db_tx(tx)?;
    let hashes: Vec<&str> = factor
        .recovery
        .hashes()
        .iter()
        .map(|h| h.0.as_str())
        .collect();
    let recovery_codes = serde_json::to_string(&hashes)
        .map_err(|e| RepoError::internal(format!("totp_factors.recovery_codes: {e}")))?;
    let last_step = factor
        .last_step
        .map(i64::try_from)
        .transpose()
        .map_err(|e| RepoError::internal(format!("totp_factors.last_step: {e}")))?;
    totp_factors::Entity::delete_by_id(factor.user_id.as_uuid())
        .exec(conn)
        .await
        .map_err(repo_err)?;
    let row = totp_factors::ActiveModel {
        user_id: Set(factor.user_id.as_uuid()),
        sealed_secret: Set(factor.sealed_secret.clone()),
        created_at: Set(factor.created_at),
        activated_at: Set(factor.activated_at),
        last_step: Set(last_step),
        recovery_codes: Set(recovery_codes),
    };
    totp_factors::Entity::insert(row)
        .exec_without_returning(conn)
        .await
        .map_err(repo_err)?;
    Ok(())
}

/// Deletes the factor of `user_id`; `true` when there was one.
pub(super) async fn delete(tx: &mut dyn Transaction, user_id: UserId) -> Result<bool, RepoError> {
    let result = totp_factors::Entity::delete_by_id(user_id.as_uuid())
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(result.rows_affected > 0)
}

#[async_trait::async_trait]
impl plinth_sessions::TotpRepository for super::SeaSessionRepository {
    async fn totp_factor(&self, user_id: UserId) -> Result<Option<TotpFactor>, RepoError> {
        read(&self.conn, user_id).await
    }

    async fn totp_factor_for_update(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<Option<TotpFactor>, RepoError> {
        read_for_update(tx, user_id).await
    }

    async fn put_totp_factor(
        &self,
        tx: &mut dyn Transaction,
        factor: &TotpFactor,
    ) -> Result<(), RepoError> {
        put(tx, factor).await
    }

    async fn delete_totp_factor(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<bool, RepoError> {
        delete(tx, user_id).await
    }
}
