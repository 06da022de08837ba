//! Access-token revocations: `token_revocations` rows.

use plinth_kernel::{OrgId, RepoError, Timestamp, Transaction, UserId};
use plinth_sessions::{SessionId, TokenRevocation};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entities::token_revocations;
use crate::error::repo_err;
use crate::uow::db_tx;

/// Appends a revocation inside `tx`.
pub(super) async fn record(
    tx: &mut dyn Transaction,
    revocation: &TokenRevocation,
) -> Result<(), RepoError> {
    let row = token_revocations::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        user_id: Set(revocation.user_id.as_uuid()),
        session_id: Set(revocation.session_id.map(|s| s.as_uuid())),
        org_id: Set(revocation.org_id.map(|o| o.as_uuid())),
        at: Set(revocation.at),
    };
    token_revocations::Entity::insert(row)
        .exec_without_returning(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(())
}

/// Revocations made after `since`, oldest first.
pub(super) async fn since(
    conn: &impl ConnectionTrait,
    since: Timestamp,
) -> Result<Vec<TokenRevocation>, RepoError> {
    let rows = token_revocations::Entity::find()
        .filter(token_revocations::Column::At.gt(since))
        .order_by_asc(token_revocations::Column::At)
        .all(conn)
        .await
        .map_err(repo_err)?;
    Ok(rows
        .into_iter()
        .map(|row| TokenRevocation {
            user_id: UserId::from_uuid(row.user_id),
            session_id: row.session_id.map(SessionId::from_uuid),
            org_id: row.org_id.map(OrgId::from_uuid),
            at: row.at,
        })
        .collect())
}

/// Deletes revocations made before `before`; how many went.
pub(super) async fn prune(
    conn: &impl ConnectionTrait,
    before: Timestamp,
) -> Result<u64, RepoError> {
    let result = token_revocations::Entity::delete_many()
        .filter(token_revocations::Column::At.lt(before))
        .exec(conn)
        .await
        .map_err(repo_err)?;
    Ok(result.rows_affected)
}

#[async_trait::async_trait]
impl plinth_sessions::RevocationRepository for super::SeaSessionRepository {
    async fn revoke_user_tokens(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let revocation = TokenRevocation {
            user_id,
            session_id: None,
            org_id: None,
            at,
        };
        record(tx, &revocation).await
    }

    async fn revoke_org_tokens(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        org_id: OrgId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let revocation = TokenRevocation {
            user_id,
            session_id: None,
            org_id: Some(org_id),
            at,
        };
        record(tx, &revocation).await
    }

    async fn revocations_since(&self, since: Timestamp) -> Result<Vec<TokenRevocation>, RepoError> {
        self::since(&self.conn, since).await
    }

    async fn prune_revocations(&self, before: Timestamp) -> Result<u64, RepoError> {
        prune(&self.conn, before).await
    }
}
