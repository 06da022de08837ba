//! Passwordless sign-in requests: `passwordless_requests` rows.

use crate::repos::OneRow as _;
use plinth_kernel::{Email, RepoError, Timestamp, Transaction, UserId};
use plinth_sessions::{
    OneTimeTokenHash, PasswordlessCodeHash, PasswordlessRequest, PasswordlessRequestId,
};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entities::passwordless_requests;
use crate::error::repo_err;
use crate::uow::db_tx;

fn to_domain(row: passwordless_requests::Model) -> Result<PasswordlessRequest, RepoError> {
    let email = Email::parse(&row.email).map_err(|e| {
        RepoError::internal(format!("a stored passwordless address does not parse: {e}"))
    })?;
    Ok(PasswordlessRequest {
        id: PasswordlessRequestId::from_uuid(row.id),
        email,
        user_id: row.user_id.map(UserId::from_uuid),
        link_hash: OneTimeTokenHash(row.link_hash),
        code_hash: PasswordlessCodeHash(row.code_hash),
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
        wrong_codes: u32::try_from(row.wrong_codes).unwrap_or(u32::MAX),
    })
}

async fn insert(tx: &mut dyn Transaction, request: &PasswordlessRequest) -> Result<(), RepoError> {
    let row = passwordless_requests::ActiveModel {
        id: Set(request.id.as_uuid()),
        email: Set(request.email.as_str().to_owned()),
        user_id: Set(request.user_id.map(|id| id.as_uuid())),
        link_hash: Set(request.link_hash.0.clone()),
        code_hash: Set(request.code_hash.0.clone()),
        created_at: Set(request.created_at),
        expires_at: Set(request.expires_at),
        used_at: Set(request.used_at),
        wrong_codes: Set(i32::try_from(request.wrong_codes).unwrap_or(i32::MAX)),
    };
    passwordless_requests::Entity::insert(row)
        .exec_without_returning(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(())
}

async fn by_link(
    conn: &impl ConnectionTrait,
    hash: &OneTimeTokenHash,
) -> Result<Option<PasswordlessRequest>, RepoError> {
    passwordless_requests::Entity::find()
        .filter(passwordless_requests::Column::LinkHash.eq(hash.0.as_str()))
        .one_row(conn)
        .await
        .map_err(repo_err)?
        .map(to_domain)
        .transpose()
}

/// `SELECT … FOR UPDATE` on PostgreSQL; SeaQuery leaves the lock out on SQLite, whose
/// transactions hold the write lock from `BEGIN IMMEDIATE` (see `SeaUnitOfWork`).
async fn open_for_update(
    tx: &mut dyn Transaction,
    email: &Email,
    now: Timestamp,
) -> Result<Vec<PasswordlessRequest>, RepoError> {
    passwordless_requests::Entity::find()
        .filter(passwordless_requests::Column::Email.eq(email.as_str()))
        .filter(passwordless_requests::Column::UsedAt.is_null())
        .filter(passwordless_requests::Column::ExpiresAt.gt(now))
        .order_by_asc(passwordless_requests::Column::CreatedAt)
        .order_by_asc(passwordless_requests::Column::Id)
        .lock_exclusive()
        .all(db_tx(tx)?)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// `UPDATE … SET wrong_codes = wrong_codes + 1 WHERE id IN (…)`.
async fn count_wrong(
    tx: &mut dyn Transaction,
    ids: &[PasswordlessRequestId],
) -> Result<(), RepoError> {
    if ids.is_empty() {
        return Ok(());
    }
    passwordless_requests::Entity::update_many()
        .col_expr(
            passwordless_requests::Column::WrongCodes,
            Expr::col(passwordless_requests::Column::WrongCodes).add(1),
        )
        .filter(passwordless_requests::Column::Id.is_in(ids.iter().map(|id| id.as_uuid())))
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(())
}

/// `UPDATE … SET used_at = ? WHERE id = ? AND used_at IS NULL` (the database decides which of
/// two concurrent callers wins), then the same for every other request of the address.
async fn end(
    tx: &mut dyn Transaction,
    email: &Email,
    id: PasswordlessRequestId,
    at: Timestamp,
) -> Result<bool, RepoError> {
    let conn = db_tx(tx)?;
    let this = passwordless_requests::Entity::update_many()
        .col_expr(passwordless_requests::Column::UsedAt, Expr::val(at))
        .filter(passwordless_requests::Column::Id.eq(id.as_uuid()))
        .filter(passwordless_requests::Column::UsedAt.is_null())
        .exec(conn)
        .await
        .map_err(repo_err)?;
    passwordless_requests::Entity::update_many()
        .col_expr(passwordless_requests::Column::UsedAt, Expr::val(at))
        .filter(passwordless_requests::Column::Email.eq(email.as_str()))
        .filter(passwordless_requests::Column::UsedAt.is_null())
        .exec(conn)
        .await
        .map_err(repo_err)?;
    Ok(this.rows_affected == 1)
}

#[async_trait::async_trait]
impl plinth_sessions::PasswordlessRepository for super::SeaSessionRepository {
    async fn insert_passwordless(
        &self,
        tx: &mut dyn Transaction,
        request: &PasswordlessRequest,
    ) -> Result<(), RepoError> {
        insert(tx, request).await
    }

    async fn passwordless_issued_since(
        &self,
        email: &Email,
        since: Timestamp,
    ) -> Result<u64, RepoError> {
        passwordless_requests::Entity::find()
            .filter(passwordless_requests::Column::Email.eq(email.as_str()))
            .filter(passwordless_requests::Column::CreatedAt.gte(since))
            .count(&self.conn)
            .await
            .map_err(repo_err)
    }

    async fn passwordless_by_link(
        &self,
        hash: &OneTimeTokenHash,
    ) -> Result<Option<PasswordlessRequest>, RepoError> {
        by_link(&self.conn, hash).await
    }

    async fn open_passwordless_for_update(
        &self,
        tx: &mut dyn Transaction,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<PasswordlessRequest>, RepoError> {
        open_for_update(tx, email, now).await
    }

    async fn count_wrong_code(
        &self,
        tx: &mut dyn Transaction,
        ids: &[PasswordlessRequestId],
    ) -> Result<(), RepoError> {
        count_wrong(tx, ids).await
    }

    async fn end_passwordless(
        &self,
        tx: &mut dyn Transaction,
        email: &Email,
        id: PasswordlessRequestId,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        end(tx, email, id, at).await
    }
}
