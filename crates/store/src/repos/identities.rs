//! [`SeaIdentityRepository`]: `oauth_flows` and `user_identities` rows.

use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};
use plinth_sessions::{
    FlowOutcome, IdentityRepository, NonceHash, OAuthFlow, OAuthFlowId, OneTimeTokenHash,
    UserIdentity, UserIdentityId,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::entities::{oauth_flows, user_identities};
use crate::error::repo_err;
use crate::repos::{OneRow as _, found};
use crate::uow::db_tx;

/// The [`IdentityRepository`] on SQL.
#[derive(Clone)]
pub struct SeaIdentityRepository {
    conn: DatabaseConnection,
}

impl SeaIdentityRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn flow_to_domain(row: oauth_flows::Model) -> OAuthFlow {
    let outcome = match (row.outcome_user_id, row.outcome_error) {
        (Some(user), _) => Some(FlowOutcome::SignIn(UserId::from_uuid(user))),
        (None, Some(code)) => Some(FlowOutcome::Refused(code)),
        (None, None) => None,
    };
    OAuthFlow {
        id: OAuthFlowId::from_uuid(row.id),
        provider: row.provider,
        state_hash: OneTimeTokenHash(row.state_hash),
        nonce_hash: NonceHash(row.nonce_hash),
        redirect_to: row.redirect_to,
        link_user_id: row.link_user_id.map(UserId::from_uuid),
        browser_hash: row.browser_hash.map(OneTimeTokenHash),
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
        code_hash: row.code_hash.map(OneTimeTokenHash),
        outcome,
        exchanged_at: row.exchanged_at,
    }
}

fn identity_to_domain(row: user_identities::Model) -> UserIdentity {
    UserIdentity {
        id: UserIdentityId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        provider: row.provider,
        subject: row.subject,
        email: row.email,
        created_at: row.created_at,
        signup_password_hash: row.signup_password_hash,
    }
}

async fn flow_where(
    conn: &impl ConnectionTrait,
    column: oauth_flows::Column,
    value: &str,
) -> Result<Option<OAuthFlow>, RepoError> {
    Ok(oauth_flows::Entity::find()
        .filter(column.eq(value))
        .one_row(conn)
        .await
        .map_err(repo_err)?
        .map(flow_to_domain))
}

#[async_trait::async_trait]
impl IdentityRepository for SeaIdentityRepository {
    async fn insert_flow(
        &self,
        tx: &mut dyn Transaction,
        flow: &OAuthFlow,
    ) -> Result<(), RepoError> {
        let (outcome_user_id, outcome_error) = match &flow.outcome {
            Some(FlowOutcome::SignIn(id)) => (Some(id.as_uuid()), None),
            Some(FlowOutcome::Refused(code)) => (None, Some(code.clone())),
            None => (None, None),
        };
        let row = oauth_flows::ActiveModel {
            id: Set(flow.id.as_uuid()),
            provider: Set(flow.provider.clone()),
            state_hash: Set(flow.state_hash.0.clone()),
            nonce_hash: Set(flow.nonce_hash.0.clone()),
            redirect_to: Set(flow.redirect_to.clone()),
            link_user_id: Set(flow.link_user_id.map(|id| id.as_uuid())),
            browser_hash: Set(flow.browser_hash.as_ref().map(|h| h.0.clone())),
            created_at: Set(flow.created_at),
            expires_at: Set(flow.expires_at),
            used_at: Set(flow.used_at),
            code_hash: Set(flow.code_hash.as_ref().map(|h| h.0.clone())),
            outcome_user_id: Set(outcome_user_id),
            outcome_error: Set(outcome_error),
            exchanged_at: Set(flow.exchanged_at),
        };
        oauth_flows::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    /// `UPDATE … SET used_at = ? WHERE state_hash = ? AND used_at IS NULL AND expires_at > ?`:
    /// the database decides which of two concurrent callbacks wins.
    async fn spend_flow(
        &self,
        tx: &mut dyn Transaction,
        state_hash: &OneTimeTokenHash,
        now: Timestamp,
    ) -> Result<Option<OAuthFlow>, RepoError> {
        let conn = db_tx(tx)?;
        let spent = oauth_flows::Entity::update_many()
            .col_expr(oauth_flows::Column::UsedAt, Expr::value(now))
            .filter(oauth_flows::Column::StateHash.eq(state_hash.0.as_str()))
            .filter(oauth_flows::Column::UsedAt.is_null())
            .filter(oauth_flows::Column::ExpiresAt.gt(now))
            .exec(conn)
            .await
            .map_err(repo_err)?;
        if spent.rows_affected != 1 {
            return Ok(None);
        }
        flow_where(conn, oauth_flows::Column::StateHash, &state_hash.0).await
    }

    async fn finish_flow(
        &self,
        tx: &mut dyn Transaction,
        id: OAuthFlowId,
        code_hash: &OneTimeTokenHash,
        outcome: &FlowOutcome,
        expires_at: Timestamp,
    ) -> Result<(), RepoError> {
        let (user, error) = match outcome {
            FlowOutcome::SignIn(user) => (Some(user.as_uuid()), None),
            FlowOutcome::Refused(code) => (None, Some(code.clone())),
        };
        let done = oauth_flows::Entity::update_many()
            .col_expr(
                oauth_flows::Column::CodeHash,
                Expr::value(Some(code_hash.0.clone())),
            )
            .col_expr(oauth_flows::Column::OutcomeUserId, Expr::value(user))
            .col_expr(oauth_flows::Column::OutcomeError, Expr::value(error))
            .col_expr(oauth_flows::Column::ExpiresAt, Expr::value(expires_at))
            .filter(oauth_flows::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(done.rows_affected)
    }

    async fn redeem_code(
        &self,
        tx: &mut dyn Transaction,
        code_hash: &OneTimeTokenHash,
        now: Timestamp,
    ) -> Result<Option<OAuthFlow>, RepoError> {
        let conn = db_tx(tx)?;
        let redeemed = oauth_flows::Entity::update_many()
            .col_expr(oauth_flows::Column::ExchangedAt, Expr::value(now))
            .filter(oauth_flows::Column::CodeHash.eq(code_hash.0.as_str()))
            .filter(oauth_flows::Column::ExchangedAt.is_null())
            .filter(oauth_flows::Column::ExpiresAt.gt(now))
            .exec(conn)
            .await
            .map_err(repo_err)?;
        if redeemed.rows_affected != 1 {
            return Ok(None);
        }
        flow_where(conn, oauth_flows::Column::CodeHash, &code_hash.0).await
    }

    async fn prune_flows(
        &self,
        tx: &mut dyn Transaction,
        before: Timestamp,
    ) -> Result<u64, RepoError> {
        let pruned = oauth_flows::Entity::delete_many()
            .filter(oauth_flows::Column::ExpiresAt.lt(before))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(pruned.rows_affected)
    }

    async fn identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<UserIdentity>, RepoError> {
        Ok(user_identities::Entity::find()
            .filter(user_identities::Column::Provider.eq(provider))
            .filter(user_identities::Column::Subject.eq(subject))
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(identity_to_domain))
    }

    async fn identities_of(&self, user_id: UserId) -> Result<Vec<UserIdentity>, RepoError> {
        Ok(user_identities::Entity::find()
            .filter(user_identities::Column::UserId.eq(user_id.as_uuid()))
            .order_by_asc(user_identities::Column::CreatedAt)
            .order_by_asc(user_identities::Column::Id)
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(identity_to_domain)
            .collect())
    }

    async fn insert_identity(
        &self,
        tx: &mut dyn Transaction,
        identity: &UserIdentity,
    ) -> Result<(), RepoError> {
        let row = user_identities::ActiveModel {
            id: Set(identity.id.as_uuid()),
            user_id: Set(identity.user_id.as_uuid()),
            provider: Set(identity.provider.clone()),
            subject: Set(identity.subject.clone()),
            email: Set(identity.email.clone()),
            created_at: Set(identity.created_at),
            signup_password_hash: Set(identity.signup_password_hash.clone()),
        };
        user_identities::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn delete_identity(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: UserIdentityId,
    ) -> Result<bool, RepoError> {
        let deleted = user_identities::Entity::delete_many()
            .filter(user_identities::Column::Id.eq(id.as_uuid()))
            .filter(user_identities::Column::UserId.eq(user_id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(deleted.rows_affected == 1)
    }
}
