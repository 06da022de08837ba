//! [`SeaSessionRepository`]: `sessions` and `refresh_tokens` rows.

use crate::repos::{OneRow as _, found};
use plinth_kernel::{OrgId, RepoError, Timestamp, Transaction, UserId};
use plinth_sessions::{
    RefreshTokenHash, RefreshTokenRecord, RevocationRepository as _, Session, SessionId,
    SessionRepository, TokenRevocation,
};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use crate::entities::{refresh_tokens, sessions};

mod lockout;
mod one_time;
mod passwordless;
mod revocations;
mod totp;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`SessionRepository`] on SQL.
#[derive(Clone)]
pub struct SeaSessionRepository {
    conn: DatabaseConnection,
}

impl SeaSessionRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn session_to_domain(row: sessions::Model) -> Session {
    Session {
        id: SessionId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        ip: row.ip,
        user_agent: row.user_agent,
        org_id: row.org_id.map(OrgId::from_uuid),
    }
}

fn refresh_to_domain(row: refresh_tokens::Model) -> RefreshTokenRecord {
    RefreshTokenRecord {
        hash: RefreshTokenHash(row.hash),
        session_id: SessionId::from_uuid(row.session_id),
        issued_at: row.issued_at,
        expires_at: row.expires_at,
        spent_at: row.spent_at,
        replaced_by: row.replaced_by.map(RefreshTokenHash),
    }
}

/// Not revoked, not past the absolute end at `now`, and (with `used_after`) used after it:
/// the SQL form of `Session::is_live` and `Session::used_after`.
fn live_condition(now: Timestamp, used_after: Option<Timestamp>) -> Condition {
    let live = Condition::all()
        .add(sessions::Column::RevokedAt.is_null())
        .add(sessions::Column::ExpiresAt.gt(now));
    match used_after {
        Some(t) => live.add(sessions::Column::LastUsedAt.gt(t)),
        None => live,
    }
}

#[async_trait::async_trait]
impl SessionRepository for SeaSessionRepository {
    async fn insert_session(
        &self,
        tx: &mut dyn Transaction,
        session: &Session,
    ) -> Result<(), RepoError> {
        let row = sessions::ActiveModel {
            id: Set(session.id.as_uuid()),
            user_id: Set(session.user_id.as_uuid()),
            created_at: Set(session.created_at),
            last_used_at: Set(session.last_used_at),
            expires_at: Set(session.expires_at),
            revoked_at: Set(session.revoked_at),
            ip: Set(session.ip.clone()),
            user_agent: Set(session.user_agent.clone()),
            org_id: Set(session.org_id.map(|o| o.as_uuid())),
        };
        sessions::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn session(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        let row = sessions::Entity::find_by_id(id.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(row.map(session_to_domain))
    }

    async fn live_sessions(
        &self,
        user_id: UserId,
        now: Timestamp,
        used_after: Option<Timestamp>,
    ) -> Result<Vec<Session>, RepoError> {
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user_id.as_uuid()))
            .filter(live_condition(now, used_after))
            .order_by_desc(sessions::Column::CreatedAt)
            .order_by_desc(sessions::Column::Id)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(session_to_domain).collect())
    }

    async fn device_seen(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        user_agent: Option<&str>,
    ) -> Result<Option<bool>, RepoError> {
        let conn = db_tx(tx)?;
        let theirs =
            || sessions::Entity::find().filter(sessions::Column::UserId.eq(user_id.as_uuid()));
        let same_agent = match user_agent {
            Some(agent) => sessions::Column::UserAgent.eq(agent),
            None => sessions::Column::UserAgent.is_null(),
        };
        if theirs()
            .filter(same_agent)
            .one(conn)
            .await
            .map_err(repo_err)?
            .is_some()
        {
            return Ok(Some(true));
        }
        let any = theirs().one(conn).await.map_err(repo_err)?;
        Ok(any.map(|_| false))
    }

    async fn count_live(
        &self,
        now: Timestamp,
        used_after: Option<Timestamp>,
    ) -> Result<u64, RepoError> {
        sessions::Entity::find()
            .filter(live_condition(now, used_after))
            .count(&self.conn)
            .await
            .map_err(repo_err)
    }

    async fn touch_session(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let result = sessions::Entity::update_many()
            .col_expr(sessions::Column::LastUsedAt, Expr::val(at))
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn set_session_org(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        org: Option<OrgId>,
    ) -> Result<(), RepoError> {
        let result = sessions::Entity::update_many()
            .col_expr(sessions::Column::OrgId, Expr::val(org.map(|o| o.as_uuid())))
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn revoke_session(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        // One statement: keeps the first revocation time, and still matches (so NotFound means
        // the session truly does not exist).
        let first_revocation =
            Func::coalesce([Expr::col(sessions::Column::RevokedAt), Expr::val(at)]);
        let conn = db_tx(tx)?;
        let result = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, first_revocation.into())
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .exec(conn)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)?;
        let session = sessions::Entity::find_by_id(id.as_uuid())
            .one_row(conn)
            .await
            .map_err(repo_err)?
            .ok_or(RepoError::NotFound)?;
        let revocation = TokenRevocation {
            user_id: UserId::from_uuid(session.user_id),
            session_id: Some(id),
            org_id: None,
            at,
        };
        revocations::record(tx, &revocation).await
    }

    async fn revoke_all(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        at: Timestamp,
    ) -> Result<u64, RepoError> {
        let result = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::val(at))
            .filter(sessions::Column::UserId.eq(user_id.as_uuid()))
            .filter(sessions::Column::RevokedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(at))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        self.revoke_user_tokens(tx, user_id, at).await?;
        Ok(result.rows_affected)
    }

    async fn insert_refresh(
        &self,
        tx: &mut dyn Transaction,
        token: &RefreshTokenRecord,
    ) -> Result<(), RepoError> {
        let row = refresh_tokens::ActiveModel {
            hash: Set(token.hash.0.clone()),
            session_id: Set(token.session_id.as_uuid()),
            issued_at: Set(token.issued_at),
            expires_at: Set(token.expires_at),
            spent_at: Set(token.spent_at),
            replaced_by: Set(token.replaced_by.as_ref().map(|h| h.0.clone())),
        };
        refresh_tokens::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn refresh_by_hash(
        &self,
        hash: &RefreshTokenHash,
    ) -> Result<Option<RefreshTokenRecord>, RepoError> {
        let row = refresh_tokens::Entity::find_by_id(hash.0.clone())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(row.map(refresh_to_domain))
    }

    /// `UPDATE refresh_tokens SET spent_at = ?, replaced_by = ? WHERE hash = ? AND spent_at IS NULL`: the
    /// database decides which of two concurrent callers wins (the loser's update matches no
    /// row once the winner's is visible: row lock on PostgreSQL, write lock on SQLite).
    async fn spend_refresh(
        &self,
        tx: &mut dyn Transaction,
        hash: &RefreshTokenHash,
        at: Timestamp,
        successor: &RefreshTokenHash,
    ) -> Result<bool, RepoError> {
        let result = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::SpentAt, Expr::val(at))
            .col_expr(
                refresh_tokens::Column::ReplacedBy,
                Expr::val(successor.0.as_str()),
            )
            .filter(refresh_tokens::Column::Hash.eq(hash.0.as_str()))
            .filter(refresh_tokens::Column::SpentAt.is_null())
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(result.rows_affected == 1)
    }
}
