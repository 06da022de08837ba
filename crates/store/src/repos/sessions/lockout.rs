//! The failed-login streak, stored on the `users` row.

use crate::repos::OneRow as _;
use plinth_kernel::{RepoError, Transaction, UserId};
use plinth_sessions::LockoutState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::users;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The streak of `user_id` read through `conn` (default for an unknown user).
pub(super) async fn read(
    conn: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Option<LockoutState>, RepoError> {
    let row = users::Entity::find_by_id(user_id.as_uuid())
        .one_row(conn)
        .await
        .map_err(repo_err)?;
    Ok(row.map(|row| LockoutState {
        failed_attempts: u32::try_from(row.failed_logins).unwrap_or(0),
        last_failure_at: row.last_failed_login_at,
    }))
}

/// A no-op `UPDATE` of the row first: it takes the row lock on PostgreSQL (the write lock on
/// SQLite), so concurrent failures queue here and each reads the streak the previous one wrote.
pub(super) async fn read_for_update(
    tx: &mut dyn Transaction,
    user_id: UserId,
) -> Result<LockoutState, RepoError> {
    let conn = db_tx(tx)?;
    let touched = users::Entity::update_many()
        .col_expr(
            users::Column::FailedLogins,
            Expr::col(users::Column::FailedLogins),
        )
        .filter(users::Column::Id.eq(user_id.as_uuid()))
        .exec(conn)
        .await
        .map_err(repo_err)?;
    if touched.rows_affected == 0 {
        return Err(RepoError::NotFound);
    }
    read(conn, user_id).await?.ok_or(RepoError::NotFound)
}

/// Stores the streak.
pub(super) async fn save(
    tx: &mut dyn Transaction,
    user_id: UserId,
    state: &LockoutState,
) -> Result<(), RepoError> {
    let result = users::Entity::update_many()
        .col_expr(
            users::Column::FailedLogins,
            Expr::val(i32::try_from(state.failed_attempts).unwrap_or(i32::MAX)),
        )
        .col_expr(
            users::Column::LastFailedLoginAt,
            Expr::val(state.last_failure_at),
        )
        .filter(users::Column::Id.eq(user_id.as_uuid()))
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    if result.rows_affected == 0 {
        return Err(RepoError::NotFound);
    }
    Ok(())
}

#[async_trait::async_trait]
impl plinth_sessions::LockoutRepository for super::SeaSessionRepository {
    async fn lockout(&self, user_id: UserId) -> Result<LockoutState, RepoError> {
        Ok(read(&self.conn, user_id).await?.unwrap_or_default())
    }

    async fn lockout_for_update(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<LockoutState, RepoError> {
        read_for_update(tx, user_id).await
    }

    async fn save_lockout(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        state: &LockoutState,
    ) -> Result<(), RepoError> {
        save(tx, user_id, state).await
    }
}
