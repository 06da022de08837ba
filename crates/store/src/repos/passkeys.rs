//! [`SeaPasskeyRepository`]: `passkey_ceremonies` and `passkeys` rows.

use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};
use plinth_sessions::{
    CeremonyPurpose, OneTimeTokenHash, Passkey, PasskeyCeremony, PasskeyCeremonyId, PasskeyId,
    PasskeyName, PasskeyRepository,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entities::{passkey_ceremonies, passkeys};
use crate::error::repo_err;
use crate::repos::{OneRow as _, found};
use crate::uow::db_tx;

/// The [`PasskeyRepository`] on SQL.
#[derive(Clone)]
pub struct SeaPasskeyRepository {
    conn: DatabaseConnection,
}

impl SeaPasskeyRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn ceremony_to_domain(row: passkey_ceremonies::Model) -> Result<PasskeyCeremony, RepoError> {
    let purpose = CeremonyPurpose::parse(&row.purpose).ok_or_else(|| {
        RepoError::Internal(format!("unknown passkey ceremony purpose `{}`", row.purpose).into())
    })?;
    Ok(PasskeyCeremony {
        id: PasskeyCeremonyId::from_uuid(row.id),
        token_hash: OneTimeTokenHash(row.token_hash),
        purpose,
        user_id: row.user_id.map(UserId::from_uuid),
        state: row.state,
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
    })
}

fn passkey_to_domain(row: passkeys::Model) -> Passkey {
    Passkey {
        id: PasskeyId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        credential_id: row.credential_id,
        credential: row.credential,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

#[async_trait::async_trait]
impl PasskeyRepository for SeaPasskeyRepository {
    async fn insert_ceremony(
        &self,
        tx: &mut dyn Transaction,
        ceremony: &PasskeyCeremony,
    ) -> Result<(), RepoError> {
        let row = passkey_ceremonies::ActiveModel {
            id: Set(ceremony.id.as_uuid()),
            token_hash: Set(ceremony.token_hash.0.clone()),
            purpose: Set(ceremony.purpose.as_str().to_owned()),
            user_id: Set(ceremony.user_id.map(|id| id.as_uuid())),
            state: Set(ceremony.state.clone()),
            created_at: Set(ceremony.created_at),
            expires_at: Set(ceremony.expires_at),
            used_at: Set(ceremony.used_at),
        };
        passkey_ceremonies::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    /// `UPDATE … SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND
    /// expires_at > ?`: the database decides which of two concurrent finishes wins.
    async fn spend_ceremony(
        &self,
        tx: &mut dyn Transaction,
        token_hash: &OneTimeTokenHash,
        purpose: CeremonyPurpose,
        now: Timestamp,
    ) -> Result<Option<PasskeyCeremony>, RepoError> {
        let conn = db_tx(tx)?;
        let spent = passkey_ceremonies::Entity::update_many()
            .col_expr(passkey_ceremonies::Column::UsedAt, Expr::value(now))
            .filter(passkey_ceremonies::Column::TokenHash.eq(token_hash.0.as_str()))
            .filter(passkey_ceremonies::Column::Purpose.eq(purpose.as_str()))
            .filter(passkey_ceremonies::Column::UsedAt.is_null())
            .filter(passkey_ceremonies::Column::ExpiresAt.gt(now))
            .exec(conn)
            .await
            .map_err(repo_err)?;
        if spent.rows_affected != 1 {
            return Ok(None);
        }
        passkey_ceremonies::Entity::find()
            .filter(passkey_ceremonies::Column::TokenHash.eq(token_hash.0.as_str()))
            .one_row(conn)
            .await
            .map_err(repo_err)?
            .map(ceremony_to_domain)
            .transpose()
    }

    async fn prune_ceremonies(
        &self,
        tx: &mut dyn Transaction,
        before: Timestamp,
    ) -> Result<u64, RepoError> {
        let pruned = passkey_ceremonies::Entity::delete_many()
            .filter(passkey_ceremonies::Column::ExpiresAt.lt(before))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(pruned.rows_affected)
    }

    async fn passkeys_of(&self, user_id: UserId) -> Result<Vec<Passkey>, RepoError> {
        Ok(passkeys::Entity::find()
            .filter(passkeys::Column::UserId.eq(user_id.as_uuid()))
            .order_by_asc(passkeys::Column::CreatedAt)
            .order_by_asc(passkeys::Column::Id)
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(passkey_to_domain)
            .collect())
    }

    async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<Passkey>, RepoError> {
        Ok(passkeys::Entity::find()
            .filter(passkeys::Column::CredentialId.eq(credential_id))
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(passkey_to_domain))
    }

    async fn insert_passkey(
        &self,
        tx: &mut dyn Transaction,
        passkey: &Passkey,
    ) -> Result<(), RepoError> {
        let row = passkeys::ActiveModel {
            id: Set(passkey.id.as_uuid()),
            user_id: Set(passkey.user_id.as_uuid()),
            credential_id: Set(passkey.credential_id.clone()),
            credential: Set(passkey.credential.clone()),
            name: Set(passkey.name.clone()),
            created_at: Set(passkey.created_at),
            last_used_at: Set(passkey.last_used_at),
        };
        passkeys::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn record_passkey_use(
        &self,
        tx: &mut dyn Transaction,
        id: PasskeyId,
        credential: Option<&str>,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let mut update = passkeys::Entity::update_many()
            .col_expr(passkeys::Column::LastUsedAt, Expr::value(Some(at)));
        if let Some(credential) = credential {
            update = update.col_expr(
                passkeys::Column::Credential,
                Expr::value(credential.to_owned()),
            );
        }
        let done = update
            .filter(passkeys::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(done.rows_affected)
    }

    async fn rename_passkey(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: PasskeyId,
        name: &PasskeyName,
    ) -> Result<bool, RepoError> {
        let done = passkeys::Entity::update_many()
            .col_expr(
                passkeys::Column::Name,
                Expr::value(name.as_str().to_owned()),
            )
            .filter(passkeys::Column::Id.eq(id.as_uuid()))
            .filter(passkeys::Column::UserId.eq(user_id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(done.rows_affected == 1)
    }

    async fn delete_passkey(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: PasskeyId,
    ) -> Result<bool, RepoError> {
        let deleted = passkeys::Entity::delete_many()
            .filter(passkeys::Column::Id.eq(id.as_uuid()))
            .filter(passkeys::Column::UserId.eq(user_id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(deleted.rows_affected == 1)
    }
}
