//! [`SeaIdempotencyStore`]: `idempotency_keys` rows. Every call is its own statement on the
//! pool (no transaction): a claim is an `INSERT` that only one of several concurrent callers
//! can win, because `(scope, key)` is the primary key.

use crate::repos::OneRow as _;
use plinth_kernel::{
    ClaimOutcome, IdempotencyClaim, IdempotencyStore, RepoError, StoredResponse, Timestamp,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::entities::idempotency_keys;
use crate::error::repo_err;

/// The [`IdempotencyStore`] on SQL.
#[derive(Clone)]
pub struct SeaIdempotencyStore {
    conn: DatabaseConnection,
}

impl SeaIdempotencyStore {
    /// A store on `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    fn this(scope: &str, key: &str) -> Condition {
        Condition::all()
            .add(idempotency_keys::Column::Scope.eq(scope))
            .add(idempotency_keys::Column::Key.eq(key))
    }
}

/// How often a claim retries when the row it collided with vanished or was stale.
const CLAIM_ATTEMPTS: usize = 3;

#[async_trait::async_trait]
impl IdempotencyStore for SeaIdempotencyStore {
    async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, RepoError> {
        for _ in 0..CLAIM_ATTEMPTS {
            let row = idempotency_keys::ActiveModel {
                scope: Set(claim.scope.clone()),
                key: Set(claim.key.clone()),
                fingerprint: Set(claim.fingerprint.clone()),
                response_status: Set(None),
                response_content_type: Set(None),
                response_body: Set(None),
                created_at: Set(claim.now),
                expires_at: Set(claim.expires_at),
            };
            match idempotency_keys::Entity::insert(row)
                .exec_without_returning(&self.conn)
                .await
                .map_err(repo_err)
            {
                Ok(_) => return Ok(ClaimOutcome::Started),
                Err(RepoError::Duplicate { .. }) => {}
                Err(e) => return Err(e),
            }
            let Some(existing) = idempotency_keys::Entity::find()
                .filter(Self::this(&claim.scope, &claim.key))
                .one_row(&self.conn)
                .await
                .map_err(repo_err)?
            else {
                continue; // released or purged meanwhile: try the insert again
            };
            let unfinished = existing.response_status.is_none();
            if existing.expires_at <= claim.now
                || (unfinished && existing.created_at <= claim.stale_before)
            {
                // Dead: remove it (only if still dead, so a fresh claim is never removed).
                idempotency_keys::Entity::delete_many()
                    .filter(Self::this(&claim.scope, &claim.key))
                    .filter(
                        Condition::any()
                            .add(idempotency_keys::Column::ExpiresAt.lte(claim.now))
                            .add(
                                Condition::all()
                                    .add(idempotency_keys::Column::ResponseStatus.is_null())
                                    .add(
                                        idempotency_keys::Column::CreatedAt.lte(claim.stale_before),
                                    ),
                            ),
                    )
                    .exec(&self.conn)
                    .await
                    .map_err(repo_err)?;
                continue;
            }
            if existing.fingerprint != claim.fingerprint {
                return Ok(ClaimOutcome::Mismatch);
            }
            return Ok(match existing.response_status {
                None => ClaimOutcome::InProgress,
                Some(status) => ClaimOutcome::Completed(StoredResponse {
                    status: u16::try_from(status).map_err(|_| {
                        RepoError::internal(format!("idempotency_keys.response_status {status}"))
                    })?,
                    content_type: existing.response_content_type,
                    body: existing.response_body.unwrap_or_default(),
                }),
            });
        }
        // Lost every race: someone else holds the key now.
        Ok(ClaimOutcome::InProgress)
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), RepoError> {
        idempotency_keys::Entity::update_many()
            .col_expr(
                idempotency_keys::Column::ResponseStatus,
                Expr::value(i32::from(response.status)),
            )
            .col_expr(
                idempotency_keys::Column::ResponseContentType,
                Expr::value(response.content_type.clone()),
            )
            .col_expr(
                idempotency_keys::Column::ResponseBody,
                Expr::value(response.body.clone()),
            )
            .filter(Self::this(scope, key))
            .exec(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), RepoError> {
        idempotency_keys::Entity::delete_many()
            .filter(Self::this(scope, key))
            .filter(idempotency_keys::Column::ResponseStatus.is_null())
            .exec(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepoError> {
        let result = idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::ExpiresAt.lte(now))
            .exec(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(result.rows_affected)
    }
}
